"""The incidents API: list with filters and cursors, acknowledge, resolve, comment, the SSE stream,
deploy events and the intake metrics."""

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import make_key, post_alert, workflows_done

pytestmark = pytest.mark.functional


def _open(api, key, fingerprint, **fields):
    body = {"title": f"alert {fingerprint}", "fingerprint": fingerprint, **fields}
    return post_alert(api, key, "generic", body).json()["alerts"][0]["incident_id"]


def test_list_is_newest_first_filtered_and_paged(api, ingest_key, admin_key):
    # Given three incidents of different severity and service
    first = _open(api, ingest_key, "l1", severity="critical", service="a", namespace="n1")
    second = _open(api, ingest_key, "l2", severity="warning", service="b", namespace="n2")
    third = _open(api, ingest_key, "l3", severity="critical", service="c", namespace="n2")
    viewer = make_key("viewer")
    # When listed
    items = api.get("/api/incidents", headers=auth(viewer)).json()["items"]
    # Then newest first, and filters narrow the list
    assert [i["id"] for i in items] == [third, second, first]
    critical = api.get("/api/incidents", params={"severity": "critical"}, headers=auth(viewer)).json()["items"]
    assert [i["id"] for i in critical] == [third, first]
    assert [
        i["id"]
        for i in api.get("/api/incidents", params={"namespace": "n2", "service": "b"}, headers=auth(viewer)).json()[
            "items"
        ]
    ] == [second]
    assert api.get("/api/incidents", params={"status": "resolved"}, headers=auth(viewer)).json()["items"] == []
    # and a status or severity Pagerless does not have is refused, as seed 002's state is, not an empty list
    for name, value in (("status", "bogus"), ("severity", "urgent")):
        refused = api.get("/api/incidents", params={name: value}, headers=auth(viewer))
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "VALIDATION_ERROR", refused.text
        assert refused.json()["error"]["details"][0]["field"] == f"query.{name}", refused.text
    assert (
        api.get("/api/incidents", params={"since": "2999-01-01T00:00:00Z"}, headers=auth(viewer)).json()["items"] == []
    )
    page = api.get("/api/incidents", params={"limit": 2}, headers=auth(viewer)).json()
    rest = api.get("/api/incidents", params={"limit": 2, "cursor": page["next_cursor"]}, headers=auth(viewer)).json()
    assert [i["id"] for i in page["items"] + rest["items"]] == [third, second, first]
    # And other workspaces see nothing of it
    stranger = make_key("admin", workspace="other")
    assert api.get("/api/incidents", headers=auth(stranger)).json()["items"] == []
    assert api.get(f"/api/incidents/{first}", headers=auth(stranger)).status_code == 404


def test_acknowledge_resolve_and_comment(api, ingest_key, operator_key, admin_key, runtime):
    incident_id = _open(api, ingest_key, "act")
    workflows_done(runtime, 1)
    viewer = make_key("viewer")
    # Given a viewer cannot act
    assert api.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(viewer)).status_code == 403
    # When an operator acknowledges, comments and resolves with a note
    ack = api.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(operator_key))
    again = api.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(operator_key))
    comment = api.post(
        f"/api/incidents/{incident_id}/comment", json={"text": "looking at the <db>"}, headers=auth(operator_key)
    )
    resolved = api.post(
        f"/api/incidents/{incident_id}/resolve", json={"note": "rolled back"}, headers=auth(operator_key)
    )
    twice = api.post(f"/api/incidents/{incident_id}/resolve", json={"note": "again"}, headers=auth(operator_key))
    # Then acknowledgement is a field with a time-to-acknowledge, not a status
    assert ack.status_code == 200 and ack.json()["acknowledged"] is True and ack.json()["status"] == "diagnosed"
    assert "time_to_acknowledge_seconds" in ack.json()["metrics"]
    assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"
    assert comment.status_code == 201 and comment.json()["message"] == "looking at the <db>"
    # And the resolve went through the transition table, once
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution"] == "rolled back"
    # (a comment, as an approval names it, is a resolve's note too)
    other = _open(api, ingest_key, "commented", severity="warning", service="d", namespace="n1")
    commented = api.post(f"/api/incidents/{other}/resolve", json={"comment": "restarted"}, headers=auth(operator_key))
    assert commented.status_code == 200 and commented.json()["resolution"] == "restarted", commented.text
    assert twice.status_code == 409
    types = [e["type"] for e in api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(viewer)).json()["items"]]
    assert types[0] == "incident_created" and {"acknowledged", "comment", "incident_resolved"} <= set(types)
    # And its alert is resolved too, so the next firing reopens it
    [alert] = api.get(f"/api/incidents/{incident_id}/alerts", headers=auth(viewer)).json()["items"]
    assert alert["state"] == "resolved" and alert["fire_count"] == 1
    refire = post_alert(api, ingest_key, "generic", {"title": "alert act", "fingerprint": "act"}).json()["alerts"][0]
    assert refire["action"] == "reopened" and refire["incident_id"] == incident_id
    # And the acts were audited, and so were the ingest calls
    actions = [i["action"] for i in api.get("/api/audit-logs", headers=auth(admin_key)).json()["items"]]
    assert "POST /api/incidents/{incident_id}/resolve" in actions
    assert any("webhooks" in a for a in actions)  # alert intake is audited too
    assert api.get("/api/incidents/INC-20000101-0001", headers=auth(viewer)).status_code == 404


def _acknowledged_counter(api) -> list[str]:
    return [
        line for line in api.get("/metrics").text.splitlines() if line.startswith("pagerless_incidents_acknowledged")
    ]


def test_a_resolved_incident_cannot_be_acknowledged(api, ingest_key, operator_key, runtime):
    viewer = auth(make_key("viewer"))
    # Given an incident resolved by hand before anyone acknowledged it
    incident_id = _open(api, ingest_key, "ack-after-resolve")
    workflows_done(runtime, 1)
    assert api.post(f"/api/incidents/{incident_id}/resolve", headers=auth(operator_key)).status_code == 200
    counted = _acknowledged_counter(api)
    # When an operator acknowledges it
    response = api.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(operator_key))
    # Then it is refused as an invalid move, in the API's error format, saying it is resolved
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "CONFLICT" and "already resolved" in error["message"]
    # And nothing was recorded: no acknowledgement, no time to acknowledge, no timeline entry, no count
    incident = api.get(f"/api/incidents/{incident_id}", headers=viewer).json()
    assert incident["acknowledged"] is False and incident["acknowledged_by"] is None
    assert "time_to_acknowledge_seconds" not in incident["metrics"]
    types = [e["type"] for e in api.get(f"/api/incidents/{incident_id}/timeline", headers=viewer).json()["items"]]
    assert "acknowledged" not in types
    assert _acknowledged_counter(api) == counted


def test_the_store_does_not_write_an_acknowledgement_on_an_incident_resolved_after_it_was_read(
    api, ingest_key, operator_key, runtime
):
    from pagerless.clock import utcnow
    from pagerless.store.incidents import IncidentRepository

    # Given an incident read while open, then resolved by hand
    incident_id = _open(api, ingest_key, "ack-race")
    workflows_done(runtime, 1)
    stale = IncidentRepository().get(incident_id)
    assert api.post(f"/api/incidents/{incident_id}/resolve", headers=auth(operator_key)).status_code == 200
    # When the acknowledgement of the stale read is written
    written = IncidentRepository().acknowledge(stale, "k-late", utcnow(), 1.0)
    # Then the write's condition refuses it and the stored incident is not acknowledged
    assert written is False
    stored = IncidentRepository().get(incident_id)
    assert not stored.acknowledged and "time_to_acknowledge_seconds" not in (stored.metrics or {})


def test_a_reopened_incident_shows_when_it_reopened(api, ingest_key, runtime):
    from datetime import datetime

    from pagerless.clock import utcnow

    viewer = auth(make_key("viewer"))
    alert = {"title": "alert reopen", "fingerprint": "reopen-at"}
    # Given an incident its alert opened: it has never reopened
    incident_id = post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]["incident_id"]
    fresh = api.get(f"/api/incidents/{incident_id}", headers=viewer).json()
    assert "reopened_at" in fresh and fresh["reopened_at"] is None, fresh
    # When its alert resolves it and then fires again through the webhook
    post_alert(api, ingest_key, "generic", {**alert, "status": "resolved"})
    before = utcnow()
    again = post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]
    assert (again["action"], again["incident_id"]) == ("reopened", incident_id)
    workflows_done(runtime, 2)
    # Then the incident and its row in the list say when it reopened
    incident = api.get(f"/api/incidents/{incident_id}", headers=viewer).json()
    [row] = [i for i in api.get("/api/incidents", headers=viewer).json()["items"] if i["id"] == incident_id]
    reopened_at = datetime.fromisoformat(incident["reopened_at"])
    assert before <= reopened_at <= utcnow() and incident["resolved_at"] is None, incident
    assert row["reopened_at"] == incident["reopened_at"]
    # And the OpenAPI schema documents the field
    schema = api.get("/openapi.json").json()["components"]["schemas"]["IncidentPublic"]
    assert "reopened_at" in schema["properties"] and schema["properties"]["reopened_at"].get("description"), schema


def _events(text: str) -> list[tuple[int, str]]:
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "id" in fields:
            events.append((int(fields["id"]), fields["event"]))
    return events


def test_sse_stream_resumes_after_last_event_id(api, ingest_key, runtime):
    viewer = make_key("viewer")
    from pagerless.incidents.stream import latest_seq

    # Given some activity, including what the two workflows record
    _open(api, ingest_key, "s1")
    _open(api, ingest_key, "s2")
    workflows_done(runtime, 2)
    # When a client reads the stream from the start
    first = api.get("/api/events", params={"last_event_id": 0, "max_seconds": 0.5}, headers=auth(viewer))
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/event-stream")
    assert first.text.startswith("retry: ")
    seen = _events(first.text)
    opened = sorted(e[1] for e in seen if e[1] in ("incident_created", "workflow_started"))
    assert opened == ["incident_created", "incident_created", "workflow_started", "workflow_started"]
    assert [e[0] for e in seen] == list(range(1, latest_seq("default") + 1))
    # And more happens while it is away
    post_alert(api, ingest_key, "generic", {"title": "alert s1", "fingerprint": "s1", "status": "resolved"})
    # When it reconnects with Last-Event-ID
    resumed = api.get(
        "/api/events", params={"max_seconds": 0.5}, headers={**auth(viewer), "Last-Event-ID": str(seen[-1][0])}
    )
    # Then it gets exactly the later events
    later = _events(resumed.text)
    assert [e[0] for e in later] == list(range(seen[-1][0] + 1, seen[-1][0] + 1 + len(later)))
    assert [e[1] for e in later] == ["alert_resolved", "incident_updated"]
    # And a bad Last-Event-ID is a validation error
    assert api.get("/api/events", headers={**auth(viewer), "Last-Event-ID": "abc"}).status_code == 400


@pytest.mark.parametrize("sent", ["²", "1" * 5000, " 12x"])
def test_a_last_event_id_that_only_looks_like_a_number_is_a_validation_error(api, sent):
    # Given a Last-Event-ID Python calls a digit ("²") or too long to be a sequence number
    viewer = make_key("viewer")
    # When a client resumes the stream with it (header or query)
    by_header = api.get(
        "/api/events", params={"max_seconds": 0.2}, headers={**auth(viewer), "Last-Event-ID": sent.encode("latin-1")}
    )
    by_query = api.get("/api/events", params={"max_seconds": 0.2, "last_event_id": sent}, headers=auth(viewer))
    # Then it is the API's 400, not a 500
    assert [by_header.status_code, by_query.status_code] == [400, 400]
    assert by_query.json()["error"]["code"] == "VALIDATION_ERROR"


def test_deploys_are_recorded_and_read_back(api, ingest_key, operator_key):
    from pagerless.store.deploys import recent_deploys

    viewer = make_key("viewer")
    # Given two deploys of checkout and one of search
    for service, at in (
        ("checkout", "2026-01-01T10:00:00Z"),
        ("search", "2026-01-01T11:00:00Z"),
        ("checkout", "2026-01-01T12:00:00Z"),
    ):
        created = api.post(
            "/api/deploys",
            json={
                "service": service,
                "namespace": "shop",
                "image": f"{service}:v2",
                "actor": "ci",
                "commit_sha": "abc123",
                "timestamp": at,
            },
            headers=auth(ingest_key),
        )
        assert created.status_code == 201, created.text
    assert api.post("/api/deploys", json={"service": "x"}, headers=auth(viewer)).status_code == 403
    # When they are read by service and time
    items = api.get(
        "/api/deploys", params={"service": "checkout", "since": "2026-01-01T11:00:00Z"}, headers=auth(viewer)
    ).json()["items"]
    # Then only the later checkout deploy comes back; the diagnosis sees the same
    assert [(i["service"], i["timestamp"]) for i in items] == [("checkout", "2026-01-01T12:00:00Z")]
    assert [d.service for d in recent_deploys("default", namespace="shop")] == ["checkout", "search", "checkout"]


def test_metrics_count_alerts_incidents_and_duplicates(api, ingest_key):
    # Given an alert sent twice
    _open(api, ingest_key, "m1", service="metrics-demo")
    _open(api, ingest_key, "m1", service="metrics-demo")
    # When /metrics is scraped
    text = api.get("/metrics").text
    # Then the intake counters are there
    assert 'pagerless_alerts_received_total{source="generic",status="firing"}' in text
    assert 'pagerless_incidents_created_total{correlated="false",source="generic"}' in text
    assert 'pagerless_alerts_deduplicated_total{source="generic"}' in text


def test_status_reaches_the_new_tables_queues_and_state_machine(api, admin_key):
    # When the status is read on the provisioned template
    status = api.get("/api/status", headers=auth(admin_key)).json()
    # Then every intake resource is reachable
    assert all(status["store"][t]["reachable"] for t in ("alerts", "dead_letters", "deploys", "incidents", "events"))
    assert status["queues"]["alerts"]["reachable"] and status["queues"]["alerts_dlq"]["reachable"]
    assert status["state_machines"]["incident_response"]["reachable"]


def test_a_reopened_incident_no_longer_shows_its_previous_resolution(api, ingest_key, runtime):
    viewer = auth(make_key("viewer"))
    operator = auth(make_key("operator"))
    alert = {"title": "alert reopen metrics", "fingerprint": "reopen-metrics"}
    # Given an incident acknowledged and then resolved by its alert: it has a time to acknowledge and to resolve
    incident_id = post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]["incident_id"]
    workflows_done(runtime, 1)
    assert api.post(f"/api/incidents/{incident_id}/acknowledge", headers=operator).status_code == 200
    post_alert(api, ingest_key, "generic", {**alert, "status": "resolved"})
    resolved = api.get(f"/api/incidents/{incident_id}", headers=viewer).json()
    assert {"time_to_acknowledge_seconds", "time_to_resolve_seconds"} <= set(resolved["metrics"]), resolved
    # When its alert fires again through the webhook and reopens it
    again = post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]
    assert (again["action"], again["incident_id"]) == ("reopened", incident_id)
    workflows_done(runtime, 2)
    # Then, while it is open again, nothing of the previous resolution (or acknowledgement) reads as current
    incident = api.get(f"/api/incidents/{incident_id}", headers=viewer).json()
    assert incident["status"] != "resolved" and incident["acknowledged"] is False, incident
    assert incident["resolved_at"] is None and incident["resolved_by"] is None and incident["resolution"] is None
    assert "time_to_resolve_seconds" not in incident["metrics"], incident
    assert "time_to_acknowledge_seconds" not in incident["metrics"], incident
