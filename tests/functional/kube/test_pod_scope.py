"""A fix stays inside its incident's service: a pod it acts on must be owned by the service's own workload, read
through the real client from the sandbox cluster's ownerReferences (Pod → ReplicaSet → Deployment, or the pod's
StatefulSet), and a pod whose owner cannot be read is refused (remediation/service_scope)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pagerless.kube.clients import from_kubeconfig
from pagerless.local.sandbox_cluster import SandboxCluster
from pagerless.remediation.actions import ActionPlan, DeletePod, RestartPod
from pagerless.remediation.policy import Policy, PolicyContext, evaluate
from pagerless.remediation.policy_phrases import POLICY
from pagerless.remediation.service_scope import ServiceScope
from pagerless.remediation.workloads import with_pod_owner

pytestmark = pytest.mark.functional
# payments holds two Deployments' pods (payments-api, ledger-worker); monitoring a StatefulSet's (prometheus-k8s)
SCENARIO = Path(__file__).parents[2] / "scenarios" / "oom_killed_payments.json"
API_POD, LEDGER_POD = "payments-api-4x6gmfs98g-gwkjg", "ledger-worker-llsgxvlmjd-h6s2c"
NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)


@pytest.fixture
def cluster():
    sandbox = SandboxCluster.from_scenario(json.loads(SCENARIO.read_text("utf-8")))
    sandbox.start()
    clients = from_kubeconfig(sandbox.kubeconfig_path())
    yield sandbox, clients
    clients.close()
    sandbox.stop()


def decide(kube, action, service: str, catalog: dict, workloads: dict | None = None):
    """The policy's decision on ``action`` for an incident of ``service``, its pod's owner read from the cluster."""
    plan = with_pod_owner(ActionPlan.of(action, "restart_pod", "test"), kube)
    scope = ServiceScope(service=service, catalog=catalog, workloads=workloads or {})
    return evaluate(plan, Policy(), PolicyContext(now=NOW, scope=scope))


def test_a_pod_of_the_services_own_deployment_is_judged_by_the_other_rules(cluster):
    _, kube = cluster
    decision = decide(kube, RestartPod(namespace="payments", pod=API_POD), "payments-api", {"payments-api": "payments"})
    assert (decision.allowed, decision.rule) == (True, "autonomy:approve")


def test_a_pod_of_another_workload_in_the_services_namespace_is_refused_whatever_the_labels_name(cluster):
    _, kube = cluster
    # Given payments-api and ledger-worker share the payments namespace, and an alert about payments-api whose labels
    # name ledger-worker's pod and payments-api as its deployment
    action = RestartPod(namespace="payments", pod=LEDGER_POD, deployment="payments-api")
    decision = decide(kube, action, "payments-api", {"payments-api": "payments"})
    # Then the pod's owner, read from the cluster, decides: it is refused, saying whose pod it is, in English and Chinese
    assert (decision.allowed, decision.rule) == (False, "service_scope")
    assert decision.reason == (
        f"pod {LEDGER_POD} belongs to Deployment ledger-worker, not to service payments-api's workload"
    )
    assert POLICY.render(decision.why, "zh") == (
        f"Pod {LEDGER_POD} 属于 Deployment ledger-worker，不属于服务 payments-api 的工作负载"
    )


def test_a_statefulsets_pod_belongs_to_the_service_named_like_the_statefulset(cluster):
    _, kube = cluster
    pod = DeletePod(namespace="monitoring", pod="prometheus-k8s-0")
    catalog = {"prometheus-k8s": "monitoring", "grafana": "monitoring"}
    # Given prometheus-k8s-0, owned by the StatefulSet prometheus-k8s
    own, other = decide(kube, pod, "prometheus-k8s", catalog), decide(kube, pod, "grafana", catalog)
    # Then a fix for prometheus-k8s may act on it, and one for grafana (same namespace) may not
    assert (own.allowed, own.rule) == (True, "autonomy:approve")
    assert (other.allowed, other.rule) == (False, "service_scope")
    assert (
        other.reason == "pod prometheus-k8s-0 belongs to StatefulSet prometheus-k8s, not to service grafana's workload"
    )


@pytest.mark.parametrize(
    ("forbidden", "pod", "en", "zh"),
    [
        (None, "payments-api-gone", "the pod does not exist", "该 Pod 不存在"),
        ("pods", API_POD, "the Kubernetes API answered 403 Forbidden", "Kubernetes API 返回 403 Forbidden"),
        ("replicasets", API_POD, "the Kubernetes API answered 403 Forbidden", "Kubernetes API 返回 403 Forbidden"),
    ],
    ids=["pod-gone", "pod-unreadable", "replicaset-unreadable"],
)
def test_a_pod_whose_owner_cannot_be_read_is_refused_saying_why(cluster, forbidden, pod, en, zh):
    sandbox, kube = cluster
    # Given the pod is gone, or RBAC does not let Pagerless read it or its ReplicaSet
    if forbidden:
        sandbox.forbid(forbidden, "payments")
    decision = decide(kube, RestartPod(namespace="payments", pod=pod), "payments-api", {"payments-api": "payments"})
    # Then the rule fails closed: refused, with why the owner is not known
    assert (decision.allowed, decision.rule) == (False, "service_scope")
    assert decision.reason == (
        f"the workload that owns pod {pod} is not known ({en}): a fix for service payments-api acts only on its own pods"
    )
    assert POLICY.render(decision.why, "zh") == (
        f"无法确定 Pod {pod} 所属的工作负载（{zh}）：服务 payments-api 的修复只作用于它自己的 Pod"
    )


def test_a_catalog_without_namespaces_still_keeps_a_pod_fix_to_its_service(cluster):
    _, kube = cluster
    catalog = {"payments-api": None, "billing-api": None}
    own = decide(kube, RestartPod(namespace="payments", pod=API_POD), "payments-api", catalog)
    other = decide(kube, RestartPod(namespace="payments", pod=LEDGER_POD), "payments-api", catalog)
    assert (own.allowed, other.allowed, other.rule) == (True, False, "service_scope")


def test_a_pod_of_a_workload_listed_for_the_service_is_its_own_though_named_otherwise(cluster):
    _, kube = cluster
    # Given the catalog lists ledger-worker's Deployment as a workload of the service ledger
    catalog, workloads = {"ledger": "payments", "payments-api": "payments"}, {"ledger": ["Deployment/ledger-worker"]}
    own = decide(kube, RestartPod(namespace="payments", pod=LEDGER_POD), "ledger", catalog, workloads)
    # ... whose pods a fix for payments-api may no longer touch, the Deployment being ledger's
    others = decide(kube, RestartPod(namespace="payments", pod=LEDGER_POD), "payments-api", catalog, workloads)
    # Then ledger's fix may restart the pod, payments-api's may not
    assert (own.allowed, own.rule) == (True, "autonomy:approve")
    assert (others.allowed, others.rule) == (False, "service_scope")
    # and a pod of payments-api's Deployment is not ledger's, its catalog entry listing another
    api = decide(kube, RestartPod(namespace="payments", pod=API_POD), "ledger", catalog, workloads)
    assert api.reason == (
        f"pod {API_POD} belongs to Deployment payments-api, not to service ledger's workloads in the service catalog "
        "(Deployment/ledger-worker)"
    )


REPORT_JOB, REPORT_POD = "payments-report-29553120", "payments-report-29553120-7xk2p"


@pytest.fixture
def cron_cluster():
    """The same cluster with a pod of the CronJob payments-report's latest run: Pod → Job → CronJob."""
    scenario = json.loads(SCENARIO.read_text("utf-8"))
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": REPORT_JOB,
            "namespace": "payments",
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": "payments-report",
                    "uid": "c1",
                    "controller": True,
                }
            ],
        },
        "spec": {"template": {"spec": {"containers": [{"name": "report", "image": "report:1"}]}}},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": REPORT_POD,
            "namespace": "payments",
            "labels": {"job-name": REPORT_JOB},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": REPORT_JOB, "controller": True}],
        },
        "spec": {"containers": [{"name": "report", "image": "report:1"}], "restartPolicy": "Never"},
        "status": {"phase": "Running"},
    }
    scenario["cluster"]["jobs"] = {"apiVersion": "v1", "kind": "List", "items": [job]}
    scenario["cluster"]["pods"]["items"].append(pod)
    sandbox = SandboxCluster.from_scenario(scenario)
    sandbox.start()
    clients = from_kubeconfig(sandbox.kubeconfig_path())
    yield sandbox, clients
    clients.close()
    sandbox.stop()


def test_a_cronjobs_pod_belongs_to_the_cronjob_not_to_the_job_of_its_run(cron_cluster):
    sandbox, kube = cron_cluster
    catalog = {"payments-api": "payments"}
    pod = RestartPod(namespace="payments", pod=REPORT_POD)
    # Given the pod of a run of the CronJob payments-report, listed as a workload of payments-api
    listed = decide(kube, pod, "payments-api", catalog, {"payments-api": ["CronJob/payments-report"]})
    # ... and a service named as the CronJob
    named = decide(kube, pod, "payments-report", {"payments-report": "payments"})
    # Then both may restart it: its owner is the CronJob, read Pod → Job → CronJob
    assert (listed.allowed, listed.rule) == (True, "autonomy:approve")
    assert (named.allowed, named.rule) == (True, "autonomy:approve")
    plan = with_pod_owner(ActionPlan.of(pod, "restart_pod", "test"), kube)
    assert (plan.pod_owner, plan.workload) == ("CronJob/payments-report", "payments/CronJob/payments-report")
    # and a service without it may not, saying whose it is
    other = decide(kube, pod, "payments-api", catalog)
    assert other.reason == (
        f"pod {REPORT_POD} belongs to CronJob payments-report, not to service payments-api's workload"
    )
    # When RBAC does not let Pagerless read the Job, the owner is not known, and the pod is refused saying so
    sandbox.forbid("jobs", "payments")
    unread = decide(kube, pod, "payments-report", {"payments-report": "payments"})
    assert (unread.allowed, unread.rule) == (False, "service_scope")
    assert "(the Kubernetes API answered 403 Forbidden)" in unread.reason


def test_the_owner_read_from_the_cluster_decides_not_the_deployment_the_alerts_label_names(cluster):
    _, kube = cluster
    catalog = {"payments-api": "payments", "ledger-worker": "payments", "cart-redis": "payments"}
    # Given an alert about payments-api naming its own pod, whose app label names ledger-worker, another service
    own = RestartPod(namespace="payments", pod=API_POD, deployment="ledger-worker")
    decision = decide(kube, own, "payments-api", catalog)
    # Then the pod's owner, payments-api, decides: the fix is the service's own
    assert (decision.allowed, decision.rule) == (True, "autonomy:approve")
    # ... and a plan stored before the owner was kept in the action, which still names the label, is judged the same
    plan = with_pod_owner(ActionPlan.of(own, "restart_pod", "test"), kube)
    stored = ActionPlan.model_validate(
        {**plan.model_dump(mode="json"), "action": {**own.model_dump(mode="json"), "deployment": "ledger-worker"}}
    )
    scope = ServiceScope(service="payments-api", catalog=catalog)
    assert evaluate(stored, Policy(), PolicyContext(now=NOW, scope=scope)).allowed
    # When a label names a listed dependency of the service with another workload's pod
    scope = ServiceScope(service="payments-api", catalog=catalog, dependencies=["cart-redis"])
    ledger = with_pod_owner(
        ActionPlan.of(RestartPod(namespace="payments", pod=LEDGER_POD, deployment="cart-redis"), "restart_pod", "t"),
        kube,
    )
    refused = evaluate(ledger, Policy(), PolicyContext(now=NOW, scope=scope))
    # Then it is not taken for a fix of the dependency: the pod is ledger-worker's
    assert (refused.allowed, refused.rule) == (False, "service_scope")
    assert (
        refused.reason
        == f"pod {LEDGER_POD} belongs to Deployment ledger-worker, not to service payments-api's workload"
    )


def test_the_stored_pod_action_names_the_owner_read_not_the_deployment_a_label_named(cluster):
    _, kube = cluster
    # Given restarts whose alerts' labels named a deployment: of payments-api's pod, and of a StatefulSet's pod
    api = with_pod_owner(
        ActionPlan.of(RestartPod(namespace="payments", pod=API_POD, deployment="ledger-worker"), "restart_pod", "t"),
        kube,
    )
    db = with_pod_owner(
        ActionPlan.of(DeletePod(namespace="monitoring", pod="prometheus-k8s-0", deployment="grafana"), "x", "t"), kube
    )
    # Then the action stored names the Deployment that owns the pod, or none when a StatefulSet does
    stored = ActionPlan.model_validate(json.loads(api.model_dump_json()))
    assert stored.action == RestartPod(namespace="payments", pod=API_POD, deployment="payments-api")
    assert (db.action.deployment, db.pod_owner) == (None, "StatefulSet/prometheus-k8s")
    # and a pod whose owner is not known keeps what it was given: nothing was read to replace it
    gone = RestartPod(namespace="payments", pod="payments-api-gone", deployment="payments-api")
    assert with_pod_owner(ActionPlan.of(gone, "restart_pod", "t"), kube).action == gone
