"""An alert's labels do not choose what Pagerless changes: the service catalog bounds the proposal and the run
(remediation/service_scope), on the embedded AWS with the real ASL against the sandbox cluster."""

import pytest

from tests.functional.workflow.conftest import (
    incident,
    memory_limit,
    open_incident,
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
