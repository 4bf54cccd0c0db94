"""Acknowledge on an incident's opened card in Slack and Lark: the same click path as a page's, and the card then
says who acknowledged."""

import json

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import ChatVendors
from tests.functional.chat.conftest import lark_headers, lark_v2_body, slack_form, slack_headers
from tests.functional.notify.conftest import create_channel, lark_channel, route_all, save_incident, slack_channel

pytestmark = pytest.mark.functional


@pytest.fixture
def vendors():
    fake = ChatVendors().start()
    yield fake
    fake.stop()


@pytest.fixture
def opened(runtime, api, admin_key, vendors, chat_apps, people, monkeypatch):
    """An open incident whose opened message went to a Slack channel and a Lark chat."""
    from pagerless import settings
    from pagerless.outbox.jobs import NotifyJob, enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_BACKOFF_BASE_SECONDS", "0")
    settings.reset()
    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident(status="open")
    enqueue(NotifyJob("default", "incident.opened", incident_id=incident.id))
    runtime.poller.drain()
    return incident


def _ack_value(incident_id: str) -> dict:
    return {"pl": 1, "approval_id": "", "incident_id": incident_id, "workspace": "default", "action": "acknowledge"}


def test_the_opened_card_has_acknowledge_and_after_the_click_says_who(api, runtime, opened, vendors, people):
    # Given the opened message in Slack and Lark
    [post] = [r.body for r in vendors.to("/slack/api/chat.postMessage")]
    [buttons] = [b for b in post["blocks"] if b["type"] == "actions"]
    assert [(e["action_id"], json.loads(e["value"])) for e in buttons["elements"]] == [
        ("pl_ack", _ack_value(opened.id))
    ]
    [send] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    [action] = [e for e in json.loads(send.body["content"])["elements"] if e["tag"] == "action"]
    assert [b["value"] for b in action["actions"]] == [_ack_value(opened.id)]
    # When Alice (an operator bound to the Slack user) clicks Acknowledge on the Slack card
    body = slack_form(_ack_value(opened.id))
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then she is told, the incident is acknowledged as her
    assert response.status_code == 200, response.text
    assert response.json()["text"] == f"You acknowledged {opened.id}."
    from pagerless.store.incidents import IncidentRepository

    incident = IncidentRepository().get(opened.id)
    assert incident.acknowledged and incident.acknowledged_by == people["alice"].label
    # And once the notification is delivered, both opened cards say who acknowledged, with no button left
    runtime.poller.drain()
    [update] = [r.body for r in vendors.to("/slack/api/chat.update")]
    assert (update["channel"], update["ts"]) == ("C0OPS", next(iter(vendors.slack_messages))[1])
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    [note] = [b["elements"][0]["text"] for b in update["blocks"] if b["type"] == "context"]
    assert note.startswith(f"Acknowledged by Alice Chen ({people['alice'].id}) at ")
    assert update["text"] == post["text"]  # the card keeps its content
    [patch] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "PATCH"]
    assert patch.path == f"/open-apis/im/v1/messages/{send_id(vendors)}"
    card = json.loads(patch.body["content"])
    assert not [e for e in card["elements"] if e["tag"] == "action"]
    assert card["header"]["template"] == "red"  # still the severity's colour: acknowledged is not resolved
    [lark_note] = [e["elements"][0]["content"] for e in card["elements"] if e["tag"] == "note"]
    assert lark_note.startswith("Acknowledged by Alice Chen")
    # And no new message was posted for the acknowledgement
    assert len(vendors.to("/slack/api/chat.postMessage")) == 1


def test_a_viewer_cannot_acknowledge_from_the_opened_card(api, runtime, opened, vendors):
    # When Victor (a viewer, bound to a Slack user) clicks Acknowledge on the Slack card
    body = slack_form(_ack_value(opened.id), user="U0VIEWER1")
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then he is refused, and nothing changes
    assert response.status_code == 200
    assert "viewer" in response.json()["text"] and "operator" in response.json()["text"]
    from pagerless.store.incidents import IncidentRepository

    assert not IncidentRepository().get(opened.id).acknowledged
    runtime.poller.drain()
    assert not vendors.to("/slack/api/chat.update")


def test_a_lark_click_on_the_opened_card_acknowledges(api, runtime, opened, vendors, people):
    # When Bob (an operator bound to the Lark user) clicks Acknowledge on the Lark card
    body = lark_v2_body(_ack_value(opened.id), open_id="ou_bob")
    response = api.post("/lark/card/action", content=body, headers=lark_headers(body))
    # Then the toast says so, and the incident is his
    assert response.status_code == 200, response.text
    assert response.json()["toast"]["type"] == "success"
    from pagerless.store.incidents import IncidentRepository

    assert IncidentRepository().get(opened.id).acknowledged_by == people["bob"].label


def send_id(vendors) -> str:
    return next(m for m, sent in vendors.lark_messages.items() if sent.get("receive_id") == "oc_fakechat")


def test_an_acknowledgement_at_the_alerts_source_updates_the_opened_card_too(runtime, opened, vendors):
    from pagerless.clock import utcnow
    from pagerless.incidents.acknowledgements import acknowledge_at_source
    from pagerless.store.incidents import IncidentRepository

    # When the incident is acknowledged in Opsgenie (its alert arrives acknowledged)
    assert acknowledge_at_source(opened.id, "opsgenie", utcnow(), IncidentRepository())
    runtime.poller.drain()
    # Then the Slack card says so, with no button left
    [update] = [r.body for r in vendors.to("/slack/api/chat.update")]
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    [note] = [b["elements"][0]["text"] for b in update["blocks"] if b["type"] == "context"]
    assert note.startswith("Acknowledged by opsgenie at ")


def test_a_reopened_card_acknowledged_still_says_it_reopened(api, runtime, chat_apps, people, vendors, admin_key):
    from datetime import UTC, datetime

    from pagerless.incidents.workflow_events import record_workflow_started

    # Given an incident that resolved and reopened at 09:30, announced as reopened in Slack and Lark
    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident(
        status="open",
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:x:INC-20261202-0042-r1",
        created_at=datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
        reopened_at=datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
    )
    record_workflow_started(incident.id)
    runtime.poller.drain()
    [post] = [r.body for r in vendors.to("/slack/api/chat.postMessage")]
    assert "Reopened" in post["text"], post["text"]
    # When Alice acknowledges it from the Slack card
    body = slack_form(_ack_value(incident.id))
    assert api.post("/slack/interactivity", content=body, headers=slack_headers(body)).status_code == 200
    runtime.poller.drain()
    # Then the updated cards still say the incident reopened, and when (not a first opening)
    [update] = [r.body for r in vendors.to("/slack/api/chat.update")]
    assert update["text"] == post["text"], update["text"]
    [send] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    [patch] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "PATCH"]
    sent, patched = json.loads(send.body["content"]), json.loads(patch.body["content"])
    assert patched["header"]["title"] == sent["header"]["title"] and "Reopened" in str(sent["header"]), sent


def test_an_acknowledgement_is_routed_and_said_where_no_card_is_edited(api, admin_key, runtime, opened, vendors):
    # Given, beside the opened cards in Slack and Lark, a Chinese DingTalk group and a webhook that routes send the
    # acknowledgement to (the catch-all, and a route naming the event), neither holding a card to edit
    from pagerless.clock import utcnow
    from pagerless.incidents.acknowledgements import acknowledge_at_source
    from pagerless.store.incidents import IncidentRepository

    ding = f"{vendors.base_url}/robot/send?access_token=t0"
    create_channel(api, admin_key, "ops-ding", "dingtalk", {"webhook_url": ding, "language": "zh"})
    hook = create_channel(api, admin_key, "acks", "webhook", {"url": f"{vendors.base_url}/hooks/acks"})
    channels = [c["id"] for c in api.get("/api/notifications/channels", headers=auth(admin_key)).json()]
    routes = [
        {"name": "acks", "channels": [hook["id"]], "match": {"events": ["incident.acknowledged"]}, "continue": True},
        {"name": "everything", "channels": [c for c in channels if c != hook["id"]]},
    ]
    saved = api.put("/api/notifications/routes", headers=auth(admin_key), json={"routes": routes})
    assert saved.status_code == 200, saved.text
    # When the incident is acknowledged
    assert acknowledge_at_source(opened.id, "opsgenie", utcnow(), IncidentRepository())
    runtime.poller.drain()
    # Then the Slack and Lark cards are edited, and nothing new is posted there (the edit is their notice)
    assert len(vendors.to("/slack/api/chat.update")) == 1 and len(vendors.to("/slack/api/chat.postMessage")) == 1
    assert len([r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "PATCH"]) == 1
    assert len([r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]) == 1
    # And the DingTalk group and the webhook get the acknowledgement from its built-in template, in their language
    [said] = [r.body["markdown"]["text"] for r in vendors.to("/robot/send")]
    assert "已确认：" in said and "确认人：opsgenie" in said, said
    [hooked] = [r.body for r in vendors.to("/hooks/acks")]
    assert hooked["type"] == "incident.acknowledged" and "Acknowledged by opsgenie" in hooked["data"]["body"], hooked
