"""Lifecycle through the real service and API: concurrency, correlation, reopen, flapping, remediation."""

import threading

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import incident_count, post_alert, workflows_done

pytestmark = pytest.mark.functional


def _alert(fingerprint: str, status: str = "firing", **fields) -> dict:
    return {"title": f"alert {fingerprint}", "fingerprint": fingerprint, "status": status, **fields}


def _executions(runtime) -> list[str]:
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    return sorted(
        e["name"] for e in runtime.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    )


def test_fifty_identical_alerts_at_once_open_exactly_one_incident(runtime):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService
    from pagerless.store.system import CounterRecord

    service = IntakeService()
    alert = Alert(source="alertmanager", fingerprint="storm-1", title="KubePodCrashLooping", service="api")
    barrier = threading.Barrier(50)
    results, errors = [], []

    def deliver():
        # PynamoDB keeps a botocore session per thread: warm it, as a warm Lambda instance would be.
        service.alerts.get("warm-up")
        barrier.wait()
        try:
            results.append(service.process(alert, "default"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    # Given 50 deliveries of the same alert released at the same moment
    threads = [threading.Thread(target=deliver) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one incident exists, all 50 point at it, and 50 were counted
    assert errors == []
    assert {r.incident_id for r in results} != {None} and len({r.incident_id for r in results}) == 1
    assert sorted(r.action for r in results).count("created") == 1
    assert sum(r.deduplicated for r in results) == 49
    from pagerless.incidents.service import IncidentService
    from pagerless.store.incidents import IncidentRecord

    [incident] = list(IncidentRecord.scan())
    # (duplicates reach the stored count at most once a minute; the service adds what is pending)
    assert IncidentService().get("default", incident.id).alert_count == 50
    # And no incident number was burnt by the losers (numbers need no counter item any more)
    assert incident.id.endswith("-0001")
    assert [c for c in CounterRecord.query("counter") if c.sk.startswith("incident#")] == []
    assert _executions(runtime) == [incident.id]


def test_distinct_alerts_at_once_get_distinct_consecutive_incident_numbers(runtime):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService
    from pagerless.store.incidents import IncidentRecord

    service = IntakeService()
    barrier = threading.Barrier(12)
    results, errors = [], []

    def deliver(n: int):
        service.alerts.get("warm-up")
        barrier.wait()
        try:
            alert = Alert(source="generic", fingerprint=f"distinct-{n}", title=f"alert {n}")
            results.append(service.process(alert, "default"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    # Given 12 different new alerts released at the same moment (numbers are taken without a
    # counter: by a conditional put of the incident, docs/writes.md)
    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each opened its own incident, and the numbers are unique and have no holes
    assert errors == []
    assert sorted(r.action for r in results) == ["created"] * 12
    ids = sorted(r.id for r in IncidentRecord.scan())
    assert len(ids) == 12 and sorted(int(i.split("-")[2]) for i in ids) == list(range(1, 13))


def test_alert_for_the_same_service_becomes_a_child_and_the_group_shows_both(api, runtime, ingest_key, admin_key):
    # Given an open incident for checkout in shop
    parent = post_alert(api, ingest_key, "generic", _alert("a", service="checkout", namespace="shop")).json()["alerts"][
        0
    ]
    # When another alert for the same service and namespace arrives, and one for another namespace
    child = post_alert(api, ingest_key, "generic", _alert("b", service="checkout", namespace="shop")).json()["alerts"][
        0
    ]
    other = post_alert(api, ingest_key, "generic", _alert("c", service="checkout", namespace="staging")).json()[
        "alerts"
    ][0]
    # Then the second is a child, with a reason; the third is its own incident
    assert child["action"] == "correlated" and other["action"] == "created"
    group = api.get(f"/api/incidents/{child['incident_id']}/group", headers=auth(admin_key)).json()
    assert group["parent"]["id"] == parent["incident_id"] and group["parent"]["child_count"] == 1
    assert [c["id"] for c in group["children"]] == [child["incident_id"]]
    assert "checkout" in group["children"][0]["correlation_reason"]
    # And only the roots started a workflow; both sides have the timeline event
    assert _executions(runtime) == sorted([parent["incident_id"], other["incident_id"]])
    parent_types = [
        e["type"]
        for e in api.get(f"/api/incidents/{parent['incident_id']}/timeline", headers=auth(admin_key)).json()["items"]
    ]
    child_types = [
        e["type"]
        for e in api.get(f"/api/incidents/{child['incident_id']}/timeline", headers=auth(admin_key)).json()["items"]
    ]
    assert "child_correlated" in parent_types and "correlated" in child_types


def test_refire_within_the_window_reopens_and_after_it_opens_a_new_incident(
    api, runtime, ingest_key, admin_key, monkeypatch
):
    from pagerless import settings

    # Given an alert that fired and resolved
    first = post_alert(api, ingest_key, "generic", _alert("r")).json()["alerts"][0]
    post_alert(api, ingest_key, "generic", _alert("r", "resolved"))
    # When it fires again within the reopen window
    again = post_alert(api, ingest_key, "generic", _alert("r")).json()["alerts"][0]
    # Then the same incident is reopened and its workflow restarted
    assert again["action"] == "reopened" and again["incident_id"] == first["incident_id"] and again["status"] == "open"
    incident = api.get(f"/api/incidents/{first['incident_id']}", headers=auth(admin_key)).json()
    assert incident["resolved_at"] is None and incident["open_alerts"] == 1
    assert len(_executions(runtime)) == 2
    # When the window is zero and it resolves and fires again
    post_alert(api, ingest_key, "generic", _alert("r", "resolved"))
    monkeypatch.setenv("PAGERLESS_INTAKE_REOPEN_WINDOW_SECONDS", "0")
    settings.reset()
    late = post_alert(api, ingest_key, "generic", _alert("r")).json()["alerts"][0]
    # Then a new incident is opened
    assert late["action"] == "created" and late["incident_id"] != first["incident_id"]


def test_flapping_alert_is_marked_and_its_restarted_workflow_waits_for_it_to_settle(
    api, runtime, ingest_key, admin_key
):
    # Given an alert that fires and resolves three times
    incident_id = None
    for _ in range(3):
        incident_id = post_alert(api, ingest_key, "generic", _alert("f")).json()["alerts"][0]["incident_id"]
        post_alert(api, ingest_key, "generic", _alert("f", "resolved"))
    workflows_done(runtime, 3)  # each run stops once its incident is resolved
    executions_before = _executions(runtime)
    started_before = _timeline_types(api, admin_key, incident_id).count("workflow_started")
    # When it fires a fourth and fifth time
    fourth = post_alert(api, ingest_key, "generic", _alert("f")).json()["alerts"][0]
    post_alert(api, ingest_key, "generic", _alert("f", "resolved"))
    post_alert(api, ingest_key, "generic", _alert("f"))
    # Then the incident is flapping, reopened, and each flap's restart waits for the alert to settle
    # (15 minutes by default) before its workflow runs: none has started, none has paged
    assert fourth["incident_id"] == incident_id and fourth["action"] == "reopened"
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    assert incident["flapping"] is True and incident["status"] == "open"
    assert len(executions_before) == 3
    assert _executions(runtime) == sorted([*executions_before, f"{incident_id}-r4", f"{incident_id}-r5"])
    types = _timeline_types(api, admin_key, incident_id)
    assert types.count("flapping_detected") == 1
    assert types.count("workflow_started") == started_before
    assert incident_count() == 1


def _timeline_types(api, key: str, incident_id: str) -> list[str]:
    return [e["type"] for e in api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(key)).json()["items"]]


def test_source_resolve_during_remediation_is_only_noted(runtime, api, ingest_key, admin_key):
    from pagerless.domain.incidents import IncidentStatus
    from pagerless.store.incidents import IncidentRepository

    # Given an incident whose fix is running (moved there once its own workflow has handed it over)
    incident_id = post_alert(api, ingest_key, "generic", _alert("m")).json()["alerts"][0]["incident_id"]
    workflows_done(runtime, 1)
    repository = IncidentRepository()
    assert repository.get(incident_id).status == IncidentStatus.DIAGNOSED.value
    for status in (IncidentStatus.AWAITING_APPROVAL, IncidentStatus.REMEDIATING):
        repository.set_status(repository.get(incident_id), status)
    # When its alert resolves at the source
    result = post_alert(api, ingest_key, "generic", _alert("m", "resolved")).json()["alerts"][0]
    # Then verification decides: the incident stays remediating, and the timeline says why
    assert result["status"] == "remediating"
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    assert incident["status"] == "remediating" and incident["open_alerts"] == 0
    types = [
        e["type"] for e in api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(admin_key)).json()["items"]
    ]
    assert "source_resolved_during_remediation" in types


def test_resolve_for_an_unknown_alert_is_ignored(api, ingest_key):
    result = post_alert(api, ingest_key, "generic", _alert("never-fired", "resolved")).json()["alerts"][0]
    assert result == {
        "fingerprint": "never-fired",
        "incident_id": None,
        "deduplicated": True,
        "status": "ignored",
        "action": "ignored",
    }
    assert incident_count() == 0
