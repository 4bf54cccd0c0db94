"""An alert's labels do not choose what Pagerless changes: the service catalog bounds the proposal and the run
(remediation/service_scope), on the embedded AWS with the real ASL against the sandbox cluster."""

import pytest

from tests.functional.workflow.conftest import (
    LEDGER_POD,
    incident,
    memory_limit,
    open_incident,
    restart_pod_diagnosis,
    store_policy,
    timeline_types,
    wait_for_execution_end,
    wait_for_status,
)

pytestmark = pytest.mark.functional


def store_catalog(services: dict) -> None:
    from pagerless.knowledge.service import EnvironmentContext, ServiceEntry, put_environment

    entries = [ServiceEntry(name=name, namespace=namespace) for name, namespace in services.items()]
    put_environment("default", EnvironmentContext(services=entries))


def test_an_alert_naming_a_namespace_outside_its_services_is_blocked_and_nothing_runs(sandbox, scenario, runtime):
    # Given a catalog where payments-api lives in payments-prod, and full autonomy
    store_catalog({"payments-api": "payments-prod", "billing-api": "billing"})
    store_policy(autonomy="auto")
    # When an alert about payments-api names the payments namespace in its labels
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # Then the proposal is blocked by the service scope, saying why, and the cluster is untouched
    proposal = incident(opened.id).proposal
    assert proposal["status"] == "blocked", proposal
    assert proposal["decision"]["rule"] == "service_scope"
    assert "namespace payments is not service payments-api's" in proposal["message"]
    assert memory_limit(sandbox) == "256Mi"
    assert incident(opened.id).actions == []
    assert "approval_requested" not in timeline_types(opened.id)
    assert wait_for_execution_end(runtime, opened) == "SUCCEEDED"


def test_an_alert_claiming_another_service_cannot_reach_a_catalogued_services_deployment(sandbox, scenario, runtime):
    # Given payments-api catalogued in payments, and an alert of service checkout naming payments-api's deployment
    store_catalog({"payments-api": "payments"})
    store_policy(autonomy="auto")
    scenario["alert"]["labels"]["service"] = "checkout"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # Then it is blocked: the namespace is payments-api's, not checkout's
    proposal = incident(opened.id).proposal
    assert proposal["decision"]["rule"] == "service_scope", proposal
    assert "belongs to payments-api in the service catalog, not to checkout" in proposal["decision"]["reason"]
    assert memory_limit(sandbox) == "256Mi"


def test_an_alert_inside_its_catalogued_service_is_proposed_as_before(sandbox, scenario):
    # Given the catalog agrees with the alert
    store_catalog({"payments-api": "payments", "billing-api": "billing"})
    # When the OOM incident runs
    opened = open_incident(scenario)
    # Then the fix is proposed for approval
    wait_for_status(opened.id, "awaiting_approval")
    assert incident(opened.id).proposal["decision"]["rule"] == "autonomy:approve"


def test_a_namespace_label_that_is_no_kubernetes_name_is_refused_with_why_and_nothing_runs(sandbox, scenario, runtime):
    # Given full autonomy, and an alert whose label is no Kubernetes name (a selector or PromQL injection)
    store_policy(autonomy="auto")
    value = 'payments"} or vector(1) #'
    scenario["alert"]["labels"]["namespace"] = value
    opened = open_incident(scenario)
    status = wait_for_status(opened.id, "diagnosed", "escalated", settled=True)
    # Then nothing ran, and the incident says which value was refused and why
    assert memory_limit(sandbox) == "256Mi"
    assert incident(opened.id).actions == []
    assert status == "diagnosed", incident(opened.id).proposal
    proposal = incident(opened.id).proposal
    assert proposal["status"] == "no_action", proposal
    assert f"{value!r} is not a Kubernetes name (RFC 1123)" in proposal["reason"], proposal


def test_a_restart_of_another_workloads_pod_in_the_services_namespace_is_blocked_saying_whose_pod_it_is(
    sandbox, scenario, runtime, claude
):
    from pagerless.incidents.timeline import timeline
    from pagerless.remediation.policy_phrases import decision_reason
    from tests.fakes.anthropic_api import message, tool_use_block

    # Given payments-api catalogued in payments, which ledger-worker shares, and full autonomy
    store_catalog({"payments-api": "payments"})
    store_policy(autonomy="auto")
    # When the incident of payments-api is diagnosed as needing ledger-worker's pod restarted
    claude.enqueue(message(tool_use_block("submit_diagnosis", restart_pod_diagnosis(LEDGER_POD))))
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # Then the proposal is blocked by the service scope, naming the pod's owner read from the cluster
    proposal = incident(opened.id).proposal
    assert (proposal["status"], proposal["action"]) == ("blocked", "restart_pod"), proposal
    assert proposal["decision"]["rule"] == "service_scope"
    said = f"pod {LEDGER_POD} belongs to Deployment ledger-worker, not to service payments-api's workload"
    assert proposal["decision"]["reason"] == said
    assert proposal["plan"]["pod_owner"] == "Deployment/ledger-worker"
    assert "不属于服务 payments-api 的工作负载" in decision_reason(proposal["decision"], "zh")
    # ... the timeline says so, and the pod was not touched
    [entry] = [t for t in timeline(opened.id) if t.type == "proposal"]
    assert said in entry.message and entry.data["rule"] == "service_scope", entry
    assert sandbox.pod("payments", LEDGER_POD) is not None
    assert incident(opened.id).actions == []
    assert wait_for_execution_end(runtime, opened) == "SUCCEEDED"


def test_a_restart_of_the_services_own_pod_is_proposed(sandbox, scenario, claude):
    from tests.fakes.anthropic_api import message, tool_use_block

    # Given the same catalog, and the diagnosis naming a pod of payments-api itself
    store_catalog({"payments-api": "payments"})
    pod = "payments-api-4x6gmfs98g-gwkjg"
    claude.enqueue(message(tool_use_block("submit_diagnosis", restart_pod_diagnosis(pod))))
    opened = open_incident(scenario)
    # Then the restart is proposed for approval
    wait_for_status(opened.id, "awaiting_approval")
    proposal = incident(opened.id).proposal
    assert (proposal["action"], proposal["decision"]["rule"]) == ("restart_pod", "autonomy:approve"), proposal
    # ... its owner read once to propose it: the planner's deployment and the scope's owner come from one read of the
    # pod and its ReplicaSet (the alert names no pod; the other read of the pod is the eviction's server-side dry run)
    gets = [path for method, path in sandbox.requests() if method == "GET"]
    assert len([p for p in gets if p.endswith(f"/pods/{pod}")]) == 2, gets
    assert len([p for p in gets if p.endswith("/replicasets/payments-api-4x6gmfs98g")]) == 1, gets


def test_a_restart_of_a_pod_of_a_workload_the_catalog_lists_for_the_service_is_proposed_and_runs(
    sandbox, scenario, runtime, claude
):
    from pagerless.knowledge.service import EnvironmentContext, ServiceEntry, put_environment
    from tests.fakes.anthropic_api import message, tool_use_block

    # Given payments-api catalogued in payments as running the Deployment ledger-worker (not named as the service),
    # and full autonomy
    entry = ServiceEntry(name="payments-api", namespace="payments", workloads=["Deployment/ledger-worker"])
    put_environment("default", EnvironmentContext(services=[entry]))
    store_policy(autonomy="auto")
    # When the incident of payments-api is diagnosed as needing that Deployment's pod restarted
    claude.enqueue(message(tool_use_block("submit_diagnosis", restart_pod_diagnosis(LEDGER_POD))))
    opened = open_incident(scenario)
    # Then the restart is proposed, allowed by the policy, and runs: the pod is evicted
    wait_for_status(opened.id, "resolved", "escalated", settled=True)
    assert wait_for_execution_end(runtime, opened) == "SUCCEEDED"
    proposal = incident(opened.id).proposal
    assert (proposal["action"], proposal["status"]) == ("restart_pod", "proposed"), proposal
    assert proposal["plan"]["pod_owner"] == "Deployment/ledger-worker"
    assert proposal["decision"]["allowed"] is True, proposal["decision"]
    [ran] = incident(opened.id).actions
    assert ran["status"] == "succeeded", ran
    assert sandbox.pod("payments", LEDGER_POD) is None
