"""The service scope rule: an alert's labels name the service and the target, the service catalog bounds where a fix
for that service may act."""

from datetime import UTC, datetime

import pytest

from pagerless.remediation.actions import ActionPlan, CordonNode, RestartPod, RolloutRestart
from pagerless.remediation.policy import Policy, PolicyContext, evaluate
from pagerless.remediation.policy_phrases import POLICY
from pagerless.remediation.service_scope import ServiceScope

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)
CATALOG = {"payments-api": "payments", "billing-api": "billing", "ledger": "payments", "docs": None}


def decide(action, service, catalog=CATALOG, **policy):
    plan = ActionPlan.of(action, "restart", "test")
    scope = ServiceScope(service=service, catalog=catalog)
    return evaluate(plan, Policy(**policy), PolicyContext(now=NOW, scope=scope))


def test_an_action_in_the_services_own_namespace_is_judged_by_the_other_rules():
    decision = decide(RolloutRestart(namespace="payments", deployment="payments-api"), "payments-api")
    assert (decision.allowed, decision.rule) == (True, "autonomy:approve")


def test_labels_naming_another_namespace_than_the_catalogs_are_refused_with_why():
    # Given payments-api lives in payments, and an alert about it names billing
    decision = decide(RolloutRestart(namespace="billing", deployment="billing-api"), "payments-api")
    # Then the policy refuses, naming the rule and both namespaces, in English and Chinese
    assert (decision.allowed, decision.rule) == (False, "service_scope")
    assert decision.reason == (
        "namespace billing is not service payments-api's: the service catalog gives it namespace payments"
    )
    assert "命名空间 billing 不属于服务 payments-api" in POLICY.render(decision.why, "zh")


def test_an_uncatalogued_service_cannot_reach_another_services_namespace():
    decision = decide(RestartPod(namespace="billing", pod="billing-api-1"), "checkout")
    assert (decision.allowed, decision.rule) == (False, "service_scope")
    assert decision.reason == "namespace billing belongs to billing-api in the service catalog, not to checkout"


def test_a_namespace_no_service_owns_is_refused():
    decision = decide(RolloutRestart(namespace="scratch", deployment="tool"), "docs")
    assert (decision.allowed, decision.rule) == (False, "service_scope")
    assert "namespace scratch belongs to no service in the service catalog" in decision.reason


def test_another_services_deployment_in_a_shared_namespace_is_refused():
    # Given payments-api and ledger share the payments namespace
    decision = decide(RolloutRestart(namespace="payments", deployment="ledger"), "payments-api")
    assert (decision.allowed, decision.rule) == (False, "service_scope")
    assert decision.reason == "deployment ledger is another service's in the service catalog, not payments-api's"


def test_kube_system_stays_denied_whatever_the_catalog_says():
    decision = decide(
        RolloutRestart(namespace="kube-system", deployment="coredns"), "coredns", {"coredns": "kube-system"}
    )
    assert (decision.allowed, decision.rule) == (False, "denied_namespace")


@pytest.mark.parametrize(
    ("service", "catalog"),
    [(None, CATALOG), ("payments-api", {}), ("payments-api", {"docs": None})],
    ids=["no-service", "no-catalog", "catalog-without-namespaces"],
)
def test_without_a_service_or_a_catalog_naming_the_deployment_the_rule_says_nothing(service, catalog):
    decision = decide(RolloutRestart(namespace="billing", deployment="billing-api"), service, catalog)
    assert (decision.allowed, decision.rule) == (True, "autonomy:approve")


def test_a_catalog_without_namespaces_still_refuses_another_services_deployment():
    # Given a catalog that lists services without their namespaces
    catalog = {"payments-api": None, "ledger": None}
    # When an alert about payments-api names ledger's deployment, or its own
    other = decide(RolloutRestart(namespace="payments", deployment="ledger"), "payments-api", catalog)
    own = decide(RolloutRestart(namespace="payments", deployment="payments-api"), "payments-api", catalog)
    # Then another service's deployment is refused, in English and Chinese, and its own is judged by the other rules
    assert (other.allowed, other.rule) == (False, "service_scope")
    assert other.reason == "deployment ledger is another service's in the service catalog, not payments-api's"
    assert POLICY.render(other.why, "zh") == "Deployment ledger 在服务目录中属于另一个服务，不属于 payments-api"
    assert (own.allowed, own.rule) == (True, "autonomy:approve")


def pod_plan(pod: str, **facts) -> ActionPlan:
    plan = ActionPlan.of(RestartPod(namespace="payments", pod=pod, deployment="payments-api"), "restart_pod", "test")
    return ActionPlan.model_validate({**plan.model_dump(mode="json"), **facts})


def judge(plan: ActionPlan, service: str = "payments-api", catalog=CATALOG):
    return evaluate(plan, Policy(), PolicyContext(now=NOW, scope=ServiceScope(service=service, catalog=catalog)))


def test_a_pod_is_judged_by_the_owner_read_from_the_cluster_not_by_the_deployment_its_action_names():
    # Given restarts of pods in payments, each naming payments-api as its deployment (an alert's label)
    own = pod_plan("payments-api-7d9f8c6b5d-x2kqp", pod_owner="Deployment/payments-api")
    ledger = pod_plan("ledger-5c8d9-x2", pod_owner="Deployment/ledger")
    job = pod_plan("payments-api-migrate-x2", pod_owner="Job/payments-api-migrate")
    # Then only the pod of the service's own workload may be restarted
    assert (judge(own).allowed, judge(own).rule) == (True, "autonomy:approve")
    assert (
        judge(ledger).reason
        == "pod ledger-5c8d9-x2 belongs to Deployment ledger, not to service payments-api's workload"
    )
    assert judge(job).reason == (
        "pod payments-api-migrate-x2 belongs to Job payments-api-migrate, not to service payments-api's workload"
    )


def test_a_pod_whose_owner_was_never_read_or_has_none_is_refused():
    # Given a plan stored before pod owners were read, and a bare pod
    unread, bare = pod_plan("payments-api-1"), pod_plan("debug", pod_owner_unknown="no_owner")
    # Then both are refused: the rule fails closed
    assert (judge(unread).rule, judge(bare).rule) == ("service_scope", "service_scope")
    assert "(it was not read from the cluster)" in judge(unread).reason
    assert "(the pod has no owner)" in judge(bare).reason
    assert "（该 Pod 没有所属者）" in POLICY.render(judge(bare).why, "zh")
    # and without a catalog, or with the rule off, the other rules judge it as before
    assert judge(unread, catalog={}).allowed
    assert evaluate(
        unread,
        Policy(service_scope=False),
        PolicyContext(now=NOW, scope=ServiceScope(service="payments-api", catalog=CATALOG)),
    ).allowed


def test_a_policy_may_turn_the_rule_off_and_a_node_action_has_no_namespace_to_check():
    off = decide(RolloutRestart(namespace="billing", deployment="billing-api"), "payments-api", service_scope=False)
    node = decide(CordonNode(node="ip-10-0-1-23"), "payments-api", max_blast_radius="cluster")
    assert (off.allowed, node.allowed) == (True, True)


def listed_scope(service: str = "payments-api") -> ServiceScope:
    """payments-api runs as Deployment payments and StatefulSet payments-db; ledger lists none (its workload: ledger)."""
    return ServiceScope(
        service=service,
        catalog={"payments-api": "payments", "ledger": "payments", "checkout": "payments"},
        workloads={"payments-api": ["Deployment/payments", "StatefulSet/payments-db"], "checkout": ["Deployment/co"]},
    )


def test_a_pod_of_a_workload_the_catalog_lists_for_the_service_is_its_own_whatever_its_name():
    scope = listed_scope()
    web = pod_plan("payments-7d9f8c6b5d-x2kqp", pod_owner="Deployment/payments")
    db = pod_plan("payments-db-0", pod_owner="StatefulSet/payments-db")
    # the workload named as the service is no longer its own once it lists its workloads
    named = pod_plan("payments-api-5c8d9-x2", pod_owner="Deployment/payments-api")
    decisions = [evaluate(p, Policy(), PolicyContext(now=NOW, scope=scope)) for p in (web, db, named)]
    assert [(d.allowed, d.rule) for d in decisions] == [
        (True, "autonomy:approve"),
        (True, "autonomy:approve"),
        (False, "service_scope"),
    ]
    assert decisions[2].reason == (
        "pod payments-api-5c8d9-x2 belongs to Deployment payments-api, not to service payments-api's workloads in the "
        "service catalog (Deployment/payments, StatefulSet/payments-db)"
    )
    assert POLICY.render(decisions[2].why, "zh") == (
        "Pod payments-api-5c8d9-x2 属于 Deployment payments-api，不属于服务 payments-api 的工作负载"
        "（服务目录列出：Deployment/payments、StatefulSet/payments-db）"
    )


def test_a_deployment_another_service_lists_is_anothers_and_a_listing_service_is_no_longer_its_name():
    # Given checkout runs as Deployment co, and payments-api lists its own
    for_ledger = ServiceScope(**{**listed_scope().model_dump(), "service": "ledger"})

    def judge_deployment(deployment: str, scope: ServiceScope):
        action = RolloutRestart(namespace="payments", deployment=deployment)
        return evaluate(ActionPlan.of(action, "restart", "t"), Policy(), PolicyContext(now=NOW, scope=scope))

    # Then a fix for ledger may not restart co nor payments (listed by others), and may restart payments-api (named
    # like a service that lists others, so nobody's in the catalog), while payments-api's own is payments
    refused = judge_deployment("co", for_ledger)
    assert (refused.allowed, refused.rule) == (False, "service_scope")
    assert refused.reason == "deployment co is another service's in the service catalog, not ledger's"
    assert not judge_deployment("payments", for_ledger).allowed
    assert judge_deployment("payments-api", for_ledger).allowed
    assert judge_deployment("payments", listed_scope()).allowed


def test_a_service_that_lists_its_workloads_may_not_act_on_a_deployment_it_does_not_list():
    # Given payments-api lists Deployment payments and StatefulSet payments-db, and nobody catalogues tools
    action = RolloutRestart(namespace="payments", deployment="tools")
    decision = evaluate(ActionPlan.of(action, "restart", "t"), Policy(), PolicyContext(now=NOW, scope=listed_scope()))
    # Then a fix for payments-api may not restart it, saying which workloads are the service's, in English and Chinese
    assert (decision.allowed, decision.rule) == (False, "service_scope")
    assert decision.reason == (
        "deployment tools is not one of service payments-api's workloads in the service catalog "
        "(Deployment/payments, StatefulSet/payments-db)"
    )
    assert POLICY.render(decision.why, "zh") == (
        "Deployment tools 不是服务 payments-api 在服务目录中列出的工作负载"
        "（服务目录列出：Deployment/payments、StatefulSet/payments-db）"
    )
    # while ledger, which lists none, is bound as before: not another's Deployment
    for_ledger = ServiceScope(**{**listed_scope().model_dump(), "service": "ledger"})
    assert evaluate(ActionPlan.of(action, "restart", "t"), Policy(), PolicyContext(now=NOW, scope=for_ledger)).allowed


def test_a_pod_of_a_workload_two_services_claim_is_refused_to_both():
    # Given a catalog stored before it was checked, in which ledger (listing none) is also listed by payments-api
    claims = ServiceScope(
        catalog={"payments-api": "payments", "ledger": "payments"},
        workloads={"payments-api": ["Deployment/payments", "Deployment/ledger"]},
    )
    pod = pod_plan("ledger-5c8d9-x2", pod_owner="Deployment/ledger")
    for service in ("payments-api", "ledger"):
        scope = ServiceScope(**{**claims.model_dump(), "service": service})
        decision = evaluate(pod, Policy(), PolicyContext(now=NOW, scope=scope))
        # Then neither service's fix restarts its pod, saying who claims it
        assert (decision.allowed, decision.rule) == (False, "service_scope")
        assert decision.reason.startswith(
            "Deployment ledger is claimed by more than one service in the service catalog (ledger, payments-api)"
        )
    # and a pod of payments-api's own Deployment stays its own
    scope = ServiceScope(**{**claims.model_dump(), "service": "payments-api"})
    own = pod_plan("payments-7d9f8c6b5d-x2kqp", pod_owner="Deployment/payments")
    assert evaluate(own, Policy(), PolicyContext(now=NOW, scope=scope)).allowed
