"""A reopened incident shows the alert as it fires now: its description (an Alertmanager alert's summary and
description) is the re-firing alert's in the API, the console and the reopen's message, while the incident keeps
its id and title. Through the real intake API with Alertmanager's payload, and a fake Slack."""

import json

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import SLACK_TOKEN, ChatVendors
from tests.functional.intake.conftest import fixture_json, post_alert, workflows_done

pytestmark = pytest.mark.functional

FIRING = "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json"  # startsAt 08:21:37.123Z
RESOLVED = "alertmanager/authored_k8s_resolved_same_fingerprint.json"  # endsAt 08:47:07.123Z
FIRST = 'Pod shop-prod/checkout-7c9d6b8f5-x2k9p (checkout) is in waiting state (reason: "CrashLoopBackOff").'
NOW = 'Pod shop-prod/checkout-7c9d6b8f5-q8r4t (checkout) is in waiting state (reason: "CrashLoopBackOff").'


@pytest.fixture
def vendors():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


@pytest.fixture
def slack(api, admin_key, vendors) -> ChatVendors:
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


def _refire() -> dict:
    """The alert's next episode: it started after the resolve, on the pod the Deployment replaced it with."""
    payload = fixture_json(FIRING)
    entry = payload["alerts"][0]
    entry["startsAt"] = "2024-05-14T08:52:07.5Z"
    entry["labels"]["pod"] = "checkout-7c9d6b8f5-q8r4t"
    entry["annotations"] = {**entry["annotations"], "description": NOW, "summary": "Pod is crash looping again."}
    return payload


def test_a_reopened_incident_shows_the_refiring_alerts_description_and_keeps_its_identity(
    api, runtime, ingest_key, admin_key, slack
):
    # Given an incident opened by the Alertmanager alert, announced, and resolved by its source
    fired = post_alert(api, ingest_key, "alertmanager", fixture_json(FIRING)).json()["alerts"][0]
    incident_id = fired["incident_id"]
    workflows_done(runtime, 1)
    before = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    assert FIRST in before["description"]
    assert (
        post_alert(api, ingest_key, "alertmanager", fixture_json(RESOLVED)).json()["alerts"][0]["status"] == "resolved"
    )
    runtime.poller.drain()
    posted = len(slack.to("/slack/api/chat.postMessage"))
    # When the alert fires again, its description naming the new pod
    again = post_alert(api, ingest_key, "alertmanager", _refire()).json()["alerts"][0]
    assert (again["incident_id"], again["action"]) == (incident_id, "reopened"), again
    workflows_done(runtime, 2)
    # Then the API shows the same incident (id, title) describing the alert as it fires now
    incident = api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()
    assert (incident["id"], incident["title"]) == (incident_id, before["title"])
    assert NOW in incident["description"] and "Pod is crash looping again." in incident["description"]
    assert FIRST not in incident["description"]
    # And the reopen's message in Slack says what fires now, not what fired first
    runtime.poller.drain()
    reopened = [json.dumps(r.body) for r in slack.to("/slack/api/chat.postMessage")][posted:]
    assert reopened and any("Reopened" in body for body in reopened), reopened
    assert all("x2k9p" not in body for body in reopened) and any("q8r4t" in body for body in reopened)
