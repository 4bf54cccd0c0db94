"""A firing that arrives after its own resolve (an HA Alertmanager peer's copy, a delayed retry) is the
episode the resolve ended, late: it reopens nothing, starts no workflow and pages nobody. A re-fire,
with a later start, reopens as before. Through the real intake API, with the vendors' own payloads."""

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import SLACK_TOKEN, ChatVendors
from tests.fixture_pairs import FIRE_RESOLVE_PAIRS
from tests.functional.intake.conftest import fixture_json, post_alert, workflows_done

pytestmark = pytest.mark.functional

FIRING = "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json"  # startsAt 08:21:37.123Z
RESOLVED = "alertmanager/authored_k8s_resolved_same_fingerprint.json"  # endsAt 08:47:07.123Z


@pytest.fixture
def vendors():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


@pytest.fixture
def slack(api, admin_key, vendors) -> ChatVendors:
    """Every notification routed to a fake Slack (a real HTTP server speaking Slack's API)."""
    channel = api.post(
        "/api/notifications/channels",
        headers=auth(admin_key),
        json={
            "name": "ops-slack",
            "channel_type": "slack",
            "config": {"bot_token": SLACK_TOKEN, "channel": "C0OPS", "api_base": f"{vendors.base_url}/slack/api"},
        },
    )
    assert channel.status_code == 201, channel.text
    routes = {"routes": [{"name": "everything", "channels": [channel.json()["id"]]}]}
    assert api.put("/api/notifications/routes", headers=auth(admin_key), json=routes).status_code == 200
    return vendors


def _with_start(relative: str, starts_at: str) -> dict:
    payload = fixture_json(relative)
    payload["alerts"][0]["startsAt"] = starts_at
    return payload


def _executions(runtime) -> list[str]:
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    return sorted(
        e["name"] for e in runtime.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    )


def _timeline(api, key: str, incident_id: str) -> list[str]:
    return [e["type"] for e in api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(key)).json()["items"]]


def _slack_posts(runtime, vendors: ChatVendors) -> list[str]:
    runtime.poller.drain()  # the notify queue delivers what was sent to it
    return [r.body["text"] for r in vendors.to("/slack/api/chat.postMessage")]


def _fired_and_resolved(api, runtime, ingest_key: str) -> str:
    """The Alertmanager alert fired (its workflow done: handed to humans) and its source resolved it."""
    fired = post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING)).json()["alerts"][0]
    assert fired["action"] == "created", fired
    workflows_done(runtime, 1)
    resolved = post_alert(api, ingest_key, "alertmanager", fixture_json(RESOLVED)).json()["alerts"][0]
    assert (resolved["incident_id"], resolved["status"]) == (fired["incident_id"], "resolved"), resolved
    return fired["incident_id"]


def test_the_first_firing_delivered_again_after_its_resolve_does_not_reopen_page_or_run_a_workflow(
    api, runtime, ingest_key, admin_key, slack
):
    # Given an Alertmanager alert that fired, was announced, and resolved at its source
    incident_id = _fired_and_resolved(api, runtime, ingest_key)
    posts = _slack_posts(runtime, slack)
    assert posts[0] == "[WARNING] KubePodCrashLooping" and posts[-1] == "[RESOLVED] KubePodCrashLooping", posts
    executions = _executions(runtime)
    # When the same firing body arrives again (the HA peer's copy: same fingerprint, same startsAt)
    response = post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING))
    # Then it is answered as that episode arriving late, with the incident it resolved in
    assert response.status_code == 200, response.text
    assert response.json()["alerts"][0] == {
        "fingerprint": "3f6c1c2d9a7be410",
        "incident_id": incident_id,
        "deduplicated": True,
        "status": "resolved",
        "action": "ignored",
        "reason": "late_firing",
    }
    # And the incident stays resolved: no reopen, no new workflow run, no new chat message
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    assert incident["status"] == "resolved" and incident["reopened_at"] is None, incident
    assert "incident_reopened" not in _timeline(api, admin_key, incident_id)
    assert _executions(runtime) == executions == [incident_id]
    assert _slack_posts(runtime, slack) == posts
    # And the request's audit record keeps why
    [entry] = api.get("/api/audit-logs", params={"action": "POST /api/webhooks"}, headers=auth(admin_key)).json()[
        "items"
    ][:1]
    assert entry["details"]["alerts"][0]["reason"] == "late_firing", entry


def test_a_refire_with_a_later_start_reopens_the_incident_and_restarts_its_workflow(
    api, runtime, ingest_key, admin_key
):
    # Given the alert fired and resolved at its source (endsAt 08:47:07.123Z)
    incident_id = _fired_and_resolved(api, runtime, ingest_key)
    # When it fires again: a new episode, started after that resolve
    again = post_alert(api, ingest_key, "alertmanager", _with_start(FIRING, "2024-05-14T08:52:07.5Z")).json()
    # Then the incident reopens, as before, and its workflow restarts
    assert again["alerts"][0]["action"] == "reopened" and "reason" not in again["alerts"][0], again
    assert again["alerts"][0]["incident_id"] == incident_id
    assert _executions(runtime) == sorted([incident_id, f"{incident_id}-r2"])
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    # open again (its restarted workflow may have moved it on to diagnosing already)
    assert incident["status"] != "resolved" and incident["reopened_at"], incident
    assert incident["open_alerts"] == 1


def test_the_first_episodes_resolve_delivered_after_a_refire_resolves_nothing(api, runtime, ingest_key, admin_key):
    """An HA peer's copy (or a retry) of a resolve can arrive after the alert fired again: it resolves the episode
    it names by its start, which is over; the episode firing now stays open and paged."""
    # Given the alert fired, resolved at its source, and fired again (a new episode, started after that resolve)
    incident_id = _fired_and_resolved(api, runtime, ingest_key)
    refire_start = "2024-05-14T08:52:07.5Z"
    again = post_alert(api, ingest_key, "alertmanager", _with_start(FIRING, refire_start)).json()["alerts"][0]
    assert again["action"] == "reopened", again
    # When the first episode's resolve is delivered again (startsAt 08:21:37.123Z)
    late = post_alert(api, ingest_key, "alertmanager", fixture_json(RESOLVED)).json()["alerts"][0]
    # Then it is answered as late and the incident stays open with its alert firing
    assert (late["action"], late.get("reason"), late["incident_id"]) == ("ignored", "late_resolve", incident_id)
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    assert incident["status"] != "resolved" and incident["open_alerts"] == 1, incident  # its workflow runs again
    # And the re-fire's own resolve (its startsAt) resolves it
    resolve = _with_start(RESOLVED, refire_start)
    resolve["alerts"][0]["endsAt"] = "2024-05-14T09:02:07.5Z"
    done = post_alert(api, ingest_key, "alertmanager", resolve).json()["alerts"][0]
    assert (done["status"], done.get("reason")) == ("resolved", None), done


def test_the_same_start_firing_again_well_after_the_resolve_reopens(api, runtime, ingest_key, monkeypatch):
    """Past the window a firing with the episode's old start is the alert firing again, not a late copy: when
    Alertmanager stops hearing from Prometheus it resolves the alert, and once Prometheus is back the alert comes
    with its old startsAt. Ignoring it would leave that outage unpaged."""
    from pagerless import settings

    # Given the alert fired and resolved at its source, and the late-firing window is over (0 s here)
    incident_id = _fired_and_resolved(api, runtime, ingest_key)
    monkeypatch.setenv("PAGERLESS_INTAKE_LATE_FIRING_WINDOW_SECONDS", "0")
    settings.intake.cache_clear()
    # When the same firing body arrives
    answer = post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING)).json()["alerts"][0]
    # Then it reopens the incident
    assert (answer["incident_id"], answer["action"]) == (incident_id, "reopened"), answer
    assert "reason" not in answer


@pytest.mark.parametrize(
    ("starts_at", "action"),
    [
        ("2024-05-14T10:21:37.123456789+02:00", "ignored"),  # the episode's start, in another zone, to the ns
        ("2024-05-14T08:47:07.123Z", "ignored"),  # started as the resolve ended: not later
        ("2024-05-14T08:47:07.124Z", "reopened"),  # a millisecond after it
        ("0001-01-01T00:00:00Z", "reopened"),  # Go's zero time: no start, so today's rule
    ],
    ids=["other-zone-ns", "at-the-end", "just-after", "zero-time"],
)
def test_a_firing_is_late_when_it_starts_no_later_than_the_resolve_whatever_zone_or_precision(
    api, runtime, ingest_key, starts_at, action
):
    # Given the alert fired and resolved at its source
    incident_id = _fired_and_resolved(api, runtime, ingest_key)
    # When a firing of it arrives with this start
    answer = post_alert(api, ingest_key, "alertmanager", _with_start(FIRING, starts_at)).json()["alerts"][0]
    # Then it is late exactly when it did not start after the resolve's end
    assert (answer["action"], answer["incident_id"]) == (action, incident_id), answer


def test_a_firing_that_arrives_after_the_resolve_of_an_alert_never_seen_opens_nothing(api, runtime, ingest_key):
    from tests.functional.intake.conftest import incident_count

    # Given the resolve of an alert whose firing has not arrived (the HA peer that sent it is slow)
    ignored = post_alert(api, ingest_key, "alertmanager", fixture_json(RESOLVED)).json()["alerts"][0]
    assert (ignored["action"], ignored["incident_id"]) == ("ignored", None)
    # When its firing arrives
    late = post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING)).json()["alerts"][0]
    # Then it is that episode, over already: no incident is opened, none would ever be resolved
    assert (late["action"], late["incident_id"], late.get("reason")) == ("ignored", None, "late_firing"), late
    assert incident_count() == 0 and _executions(runtime) == []


def test_a_late_firing_through_the_alert_queue_is_ignored_too(api, runtime, ingest_key, admin_key, monkeypatch):
    from pagerless import settings

    # Given the product default (acknowledged once queued) and the alert fired and resolved there
    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
    settings.reset()
    assert post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING)).status_code == 202
    runtime.poller.drain()
    workflows_done(runtime, 1)
    assert post_alert(api, ingest_key, "alertmanager", fixture_json(RESOLVED)).status_code == 202
    runtime.poller.drain()
    [incident] = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    assert incident["status"] == "resolved"
    # When the first firing arrives again, and the consumer takes it
    assert post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING)).status_code == 202
    runtime.poller.drain()
    # Then the incident stays resolved and no workflow ran again
    assert api.get(f"/api/incidents/{incident['id']}", headers=auth(admin_key)).json()["status"] == "resolved"
    assert _executions(runtime) == [incident["id"]]


def test_in_one_queued_batch_a_refire_after_a_late_copy_still_reopens(runtime):
    from pagerless.domain.alerts import Alert
    from pagerless.incidents.service import IncidentService
    from pagerless.intake.consumer import AlertBatch
    from pagerless.intake.queue import AlertEnvelope
    from pagerless.intake.sources import normalize

    def record(alert: Alert, sent_ms: int, message_id: str) -> dict:
        body = AlertEnvelope(alert.source, "default", alert.model_dump(mode="json"), "").to_json()
        return {"messageId": message_id, "body": body, "attributes": {"SentTimestamp": str(sent_ms)}}

    firing = normalize("alertmanager", fixture_json(FIRING))[0]
    refire = normalize("alertmanager", _with_start(FIRING, "2024-05-14T08:52:07Z"))[0]
    resolved = normalize("alertmanager", fixture_json(RESOLVED))[0]
    sent = 1_800_000_000_000
    # Given the alert fired and resolved at its source
    for n, alert in enumerate([firing, resolved]):
        batch = AlertBatch([record(alert, sent + n, f"m{n}")])
        incident_id = batch.handle(f"m{n}")[0]["incident_id"]
    # When one batch holds the HA peer's late copy of the first firing, then the re-fire, then its repeat
    records = [record(a, sent + 10 + n, f"b{n}") for n, a in enumerate([firing, refire, refire])]
    batch = AlertBatch(records)
    answers = [batch.handle(r["messageId"])[0] for r in records]
    # Then the re-fire reopened the incident (the late copy did not hold it back) and its repeat counted
    # (a run answers as its last delivery: a duplicate of the reopen)
    assert {(a["incident_id"], a["action"]) for a in answers} == {(incident_id, "deduplicated")}, answers
    assert _executions(runtime) == sorted([incident_id, f"{incident_id}-r2"])
    incident = IncidentService().get("default", incident_id)
    assert incident.status != "resolved" and incident.reopened_at is not None and incident.alert_count == 3


@pytest.mark.parametrize(
    ("source", "firing", "fi", "resolving", "ri"),
    FIRE_RESOLVE_PAIRS,
    ids=[f"{p[0]}:{p[1].split('/')[1]}" for p in FIRE_RESOLVE_PAIRS],
)
def test_every_source_with_a_start_ignores_its_firing_redelivered_after_its_resolve(
    api, ingest_key, source, firing, fi, resolving, ri, runtime
):
    # Given a vendor's firing, and its resolve
    fired = post_alert(api, ingest_key, source, fixture_json(firing)).json()["alerts"][fi]
    post_alert(api, ingest_key, source, fixture_json(resolving))
    # When the firing is delivered again after the resolve
    again = post_alert(api, ingest_key, source, fixture_json(firing)).json()["alerts"][fi]
    # Then it is late, except from a sender that gives no start (today's rule: it reopens)
    late = "grafana_oncall" not in firing
    expected = ("ignored", "resolved") if late else ("reopened", "open")
    assert (again["action"], again["status"], again["incident_id"]) == (*expected, fired["incident_id"]), again


def _pagerduty_reopened() -> tuple[dict, dict, dict]:
    """An incident triggered, resolved, then reopened in PagerDuty (the reopen keeps its created_at)."""
    triggered = fixture_json("pagerduty/zulip_v3_incident_triggered.json")
    reopened = fixture_json("pagerduty/zulip_v3_incident_triggered.json")
    reopened["event"].update(event_type="incident.reopened", occurred_at="2021-06-04T14:30:05.000Z")
    reopened["event"]["data"]["created_at"] = "2021-06-04T13:35:29Z"  # as the resolve's says: the incident's creation
    return triggered, fixture_json("pagerduty/authored_v3_incident_resolved_PFQZPSY.json"), reopened


def _sentry_regressed() -> tuple[dict, dict, dict]:
    """An issue created, resolved, then unresolved by a regression (its firstSeen stays the first event's)."""
    created = fixture_json("sentry/zulip_issue_created.json")
    resolved = fixture_json("sentry/zulip_issue_created.json")
    resolved["action"] = "resolved"
    resolved["data"]["issue"].update(status="resolved", lastSeen="2020-04-28T14:10:00.000000Z")
    unresolved = fixture_json("sentry/zulip_issue_created.json")
    unresolved["action"] = "unresolved"
    unresolved["data"]["issue"].update(lastSeen="2020-05-02T09:00:00.000000Z")
    return created, resolved, unresolved


@pytest.mark.parametrize(("source", "story"), [("pagerduty", _pagerduty_reopened), ("sentry", _sentry_regressed)])
def test_a_reopen_at_the_source_is_a_refire_though_it_keeps_the_incidents_creation_time(
    api, runtime, ingest_key, source, story
):
    # Given an incident the source opened and resolved
    firing, resolve, reopen = story()
    fired = post_alert(api, ingest_key, source, firing).json()["alerts"][0]
    assert post_alert(api, ingest_key, source, resolve).json()["alerts"][0]["status"] == "resolved"
    # When the source reopens it (PagerDuty's incident.reopened, Sentry's unresolved)
    again = post_alert(api, ingest_key, source, reopen).json()["alerts"][0]
    # Then the incident reopens here too: that is a re-fire, not the first firing arriving late
    assert (again["action"], again["incident_id"]) == ("reopened", fired["incident_id"]), again
    # And the first firing, delivered again after that reopen's resolve, is late
    assert post_alert(api, ingest_key, source, resolve).json()["alerts"][0]["status"] == "resolved"
    late = post_alert(api, ingest_key, source, firing).json()["alerts"][0]
    assert (late["action"], late.get("reason")) == ("ignored", "late_firing"), late
