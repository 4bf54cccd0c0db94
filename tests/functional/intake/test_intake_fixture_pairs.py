"""Every fire → resolve fixture pair, through the HTTP API: one incident, deduplicated, resolved by source."""

import pytest

from tests.conftest import auth
from tests.fixture_pairs import FIRE_RESOLVE_PAIRS
from tests.functional.intake.conftest import fixture_json, incident_count, post_alert, wait_for, workflows_done

pytestmark = pytest.mark.functional


@pytest.mark.parametrize(
    ("source", "firing", "fi", "resolving", "ri"),
    FIRE_RESOLVE_PAIRS,
    ids=[f"{p[0]}:{p[1].split('/')[1]}" for p in FIRE_RESOLVE_PAIRS],
)
def test_fixture_pair_dedups_onto_one_incident_and_resolves_it(
    api, ingest_key, admin_key, source, firing, fi, resolving, ri, runtime
):
    # Given a firing delivery (whose workflows, without a cluster, hand the incidents to humans)
    first = post_alert(api, ingest_key, source, fixture_json(firing))
    assert first.status_code == 200, first.text
    fired = first.json()["alerts"][fi]
    assert fired["action"] == "created" and fired["deduplicated"] is False and fired["status"] == "open"
    workflows_done(runtime, len({a["incident_id"] for a in first.json()["alerts"] if a["action"] == "created"}))
    # When it is delivered again
    again = post_alert(api, ingest_key, source, fixture_json(firing)).json()["alerts"][fi]
    # Then it is folded into the same incident
    assert again["incident_id"] == fired["incident_id"] and again["deduplicated"] is True
    incident = api.get(f"/api/incidents/{fired['incident_id']}", headers=auth(admin_key)).json()
    assert incident["alert_count"] == 2 and incident["status"] == "diagnosed"
    # When the resolving delivery arrives
    resolved = post_alert(api, ingest_key, source, fixture_json(resolving))
    assert resolved.status_code == 200, resolved.text
    result = resolved.json()["alerts"][ri]
    # Then the incident is resolved by the source
    assert result["incident_id"] == fired["incident_id"] and result["status"] == "resolved"
    incident = api.get(f"/api/incidents/{fired['incident_id']}", headers=auth(admin_key)).json()
    assert incident["status"] == "resolved" and incident["resolved_by"] == "source"
    assert incident["open_alerts"] == 0
    types = [
        e["type"]
        for e in api.get(f"/api/incidents/{fired['incident_id']}/timeline", headers=auth(admin_key)).json()["items"]
    ]
    assert types[0] == "incident_created" and "alert_resolved" in types and "incident_resolved" in types
    assert incident_count() == len({a["incident_id"] for a in first.json()["alerts"] if a["incident_id"]})


def test_new_incident_starts_its_workflow_once_and_the_asl_records_it(api, runtime, ingest_key, admin_key):
    # Given a new alert
    payload = {"title": "checkout 5xx", "service": "checkout", "severity": "critical"}
    incident_id = post_alert(api, ingest_key, "generic", payload).json()["alerts"][0]["incident_id"]
    # When the same alert arrives again
    post_alert(api, ingest_key, "generic", payload)
    # Then exactly one execution named after the incident ran the real ASL
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["name"] for e in executions] == [incident_id]
    # And the execution records its own ARN on the incident (its first step; intake does not write it)
    wait_for(
        lambda: (
            api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()["execution_arn"]
            == executions[0]["executionArn"]
        )
    )
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    wait_for(lambda: sfn.describe_execution(executionArn=incident["execution_arn"])["status"] == "SUCCEEDED")
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    assert "workflow_started" in [e["type"] for e in timeline]
