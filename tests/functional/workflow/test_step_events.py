"""The sample events in events/workflow/ against the real WorkflowFunction handler."""

import json

import pytest

from tests.conftest import ROOT
from tests.functional.workflow.conftest import timeline_types

pytestmark = pytest.mark.functional

EVENTS = ROOT / "events" / "workflow"
INCIDENT_ID = "INC-20260311-0001"


def _event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text("utf-8"))


def _invoke(runtime, event: dict):
    spec = runtime.lambdas.by_logical_id["WorkflowFunction"]
    return runtime.lambdas.invoke(spec.name, event)


@pytest.fixture
def opened(runtime, oom_scenario):
    from datetime import datetime

    from pagerless.store.incidents import IncidentRecord

    alert = oom_scenario["alert"]
    record = IncidentRecord(
        INCIDENT_ID,
        workspace="default",
        created_key=f"x#{INCIDENT_ID}",
        service_key="default#payments#payments-api",
        title=alert["title"],
        severity="critical",
        service="payments-api",
        namespace="payments",
        labels=alert["labels"],
        first_seen=datetime.fromisoformat(alert["starts_at"].replace("Z", "+00:00")),
    )
    record.save()
    return record


def test_step_events_without_a_cluster_walk_the_incident_to_diagnosed(runtime, opened):
    from pagerless.store.contexts import ContextRepository
    from pagerless.store.incidents import IncidentRepository

    # Given no cluster configured
    # When the sample events of the first steps run in order
    assert _invoke(runtime, _event("gather_context.json")) == {"source": "alert", "cluster": False}
    assert ContextRepository().get(INCIDENT_ID).scenario()["alert"]["title"] == opened.title
    diagnosed = _invoke(runtime, _event("diagnose.json"))
    proposed = _invoke(runtime, _event("propose.json"))
    _invoke(runtime, _event("notify.json"))
    # Then the diagnosis is stored, the proposal says there is no cluster, the incident is diagnosed
    record = IncidentRepository().get(INCIDENT_ID)
    assert record.diagnosis["category"] == diagnosed["category"]
    assert proposed == {"route": "none", "approval_timeout_seconds": 1800}
    assert record.proposal["status"] == "no_cluster"
    assert record.status == "diagnosed"
    assert {"context_gathered", "diagnosed", "proposal", "handed_to_humans"} <= set(timeline_types(INCIDENT_ID))


def test_request_approval_event_stores_the_token_apart_and_escalate_event_escalates(runtime, opened):
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.store.incidents import IncidentRepository

    # Given the incident is being diagnosed with a proposal
    opened.update(
        actions=[
            opened.__class__.status.set("diagnosing"),
            opened.__class__.proposal.set({"action": "patch_resources", "dry_run": {"diff": "x"}}),
        ]
    )
    # When the request_approval event runs
    event = _event("request_approval.json")
    _invoke(runtime, event)
    # Then the token is in the approvals table only, and the incident awaits approval
    approval = ApprovalRepository().latest(INCIDENT_ID)
    assert approval.task_token == event["task_token"]
    record = IncidentRepository().get(INCIDENT_ID)
    assert record.status == "awaiting_approval"
    assert event["task_token"] not in json.dumps(record.approval) + json.dumps(approval.to_public())
    # When the escalate event runs
    _invoke(runtime, _event("escalate.json"))
    assert IncidentRepository().get(INCIDENT_ID).status == "escalated"


def test_handle_failure_event_escalates_with_the_error(runtime, opened):
    from pagerless.incidents.timeline import timeline

    _invoke(runtime, _event("handle_failure.json"))
    [escalation] = [t for t in timeline(INCIDENT_ID) if t.type == "escalated"]
    assert "ContextMissingError" in escalation.message
