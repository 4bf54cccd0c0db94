"""A person paged at a chat *contact* (not a bound identity) can press the page's Acknowledge button: the click acts
as them when it is on the message Pagerless sent them, through the app or team that sent it, and the address is that
one person's contact; anything less is answered as before (an unknown user, whose binding an admin approves)."""

import json
import uuid
from urllib.parse import quote, unquote

import pytest

from pagerless.chat.lark import LarkApp
from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID, LARK_APP_SECRET
from tests.functional.chat.conftest import (  # noqa: F401
    LARK_APP,
    SLACK_TEAM,
    chat_apps,
    lark_headers,
    response_url,
    slack_form,
    slack_headers,
)
from tests.functional.notify.conftest import create_channel, save_incident, slack_channel

pytestmark = pytest.mark.functional


def _page(incident_id: str, person_id: str):
    from pagerless.outbox.jobs import NotifyJob

    return NotifyJob(
        workspace="default",
        event="escalation.page",
        incident_id=incident_id,
        generation="0-0",
        targets=[{"kind": "person", "id": person_id}],
        data={"step": 1, "repeat": 0},
    )


# the fake Lark's app (tests/fakes/chat_vendors.py), whose callbacks Pagerless verifies with `chat_apps`'s keys
APP = LarkApp(LARK_APP_ID, encrypt_key=LARK_APP.encrypt_key, verification_token=LARK_APP.verification_token)


@pytest.fixture
def lark_app(chat_apps, monkeypatch):
    """The Lark app the notification channel sends through is the one whose callbacks are verified."""
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    monkeypatch.setenv("PAGERLESS_LARK_APP_ID", APP.app_id)
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    yield APP
    apps.reset()
    chat_routes.chat_apps.cache_clear()


def _lark_app_channel(api, key, vendors) -> dict:
    config = {
        "app_id": APP.app_id,
        "app_secret": LARK_APP_SECRET,
        "receive_id": "oc_fakechat",
        "api_base": vendors.base_url,
    }
    return create_channel(api, key, "ops-lark", "lark", config)


def _lark_click(value: dict, open_id: str, message_id: str, *, app=APP) -> tuple[bytes, dict]:
    """A signed card.action.trigger on the message ``message_id`` from ``open_id`` through ``app``."""
    from pagerless.chat import lark
    from tests.functional.chat.conftest import FIXTURES

    data = json.loads((FIXTURES / "lark" / "card_action_trigger_v2_ack_button.json").read_text())
    data["header"]["event_id"], data["header"]["app_id"] = uuid.uuid4().hex, app.app_id
    data["event"]["operator"]["open_id"] = open_id
    data["event"]["action"]["value"] = value
    data["event"]["context"]["open_message_id"] = message_id
    plain = json.dumps(data, separators=(",", ":")).encode()
    body = json.dumps({"encrypt": lark.encrypt(plain, app.encrypt_key, uuid.uuid4().bytes)}).encode()
    return body, lark_headers(body, key=app.encrypt_key)


def _sent_lark_page(vendors) -> tuple[dict, str]:
    """The Acknowledge button's value of the page Lark was sent, and the id Lark gave the message."""
    [sent] = vendors.to("/open-apis/im/v1/messages")
    card = json.loads(sent.body["content"])
    [button] = [a for e in card["elements"] if e["tag"] == "action" for a in e["actions"]]
    [message_id] = [m for m, v in vendors.lark_messages.items() if v.get("receive_id") == sent.body["receive_id"]]
    return button["value"], message_id


def _person(name: str, contacts: list[dict]):
    from pagerless.people.service import PeopleService

    return PeopleService().create(
        "default", name=name, email=f"{name.split()[0].lower()}@example.com", role="operator", contacts=contacts
    )


def _pending(user: str) -> list:
    from pagerless.people.identities import ChatIdentityService

    return [i for i in ChatIdentityService().list("default", status="pending") if i.user == user]


def test_a_person_paged_at_their_lark_contact_acknowledges_with_the_page_button(
    api, notify_env, admin_key, vendors, lark_app
):
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.incidents import IncidentRepository

    # Given Li, reached on Lark through a contact (no bound identity), paged about an incident
    _lark_app_channel(api, admin_key, vendors)
    li = _person("Li Lei", [{"kind": "lark", "value": "ou_li"}])
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    enqueue(_page(incident.id, li.id))
    notify_env.poller.drain()
    value, message_id = _sent_lark_page(vendors)
    # When Li presses the page's Acknowledge button
    body, headers = _lark_click(value, "ou_li", message_id)
    response = api.post("/lark/card/action", content=body, headers=headers)
    # Then the incident is acknowledged by Li, nobody is asked to bind her account, and the audit says how she was known
    assert response.status_code == 200, response.text
    assert response.json()["toast"]["content"] == f"You acknowledged {incident.id}.", response.text
    assert IncidentRepository().get(incident.id).acknowledged_by == li.label
    assert _pending("ou_li") == []
    audit = api.get("/api/audit-logs", params={"action": "CHAT lark"}, headers=auth(admin_key)).json()["items"]
    [entry] = [e for e in audit if e["action"] == "CHAT lark acknowledge"]
    assert entry["details"]["identified_by"] == "page contact" and entry["details"]["person_id"] == li.id


@pytest.mark.parametrize("case", ["another message", "another app", "shared contact"])
def test_a_click_that_is_not_surely_the_paged_person_is_answered_as_an_unknown_user(
    api, notify_env, admin_key, vendors, lark_app, case
):
    from pagerless.chat import apps, lark
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.incidents import IncidentRepository

    _lark_app_channel(api, admin_key, vendors)
    li = _person("Li Lei", [{"kind": "lark", "value": "ou_li"}])
    if case == "shared contact":  # Given someone else also has ou_li as a contact (whose open_id is it?)
        _person("Mo Chen", [{"kind": "lark", "value": f"{APP.app_id}/ou_li"}])
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    enqueue(_page(incident.id, li.id))
    notify_env.poller.drain()
    value, message_id = _sent_lark_page(vendors)
    app = APP
    if case == "another message":  # a click on a message that is not the page sent to ou_li
        message_id = "om_someothermessage"
    if case == "another app":  # the same open_id through another Lark app: another user altogether
        app = lark.LarkApp("cli_other_app", encrypt_key="other key", verification_token="yyyyyy")
        apps.ChatAppService().register(
            "default", "lark", app.app_id, secrets={"encrypt_key": app.encrypt_key, "verification_token": "yyyyyy"}
        )
    # When ou_li presses Acknowledge
    body, headers = _lark_click(value, "ou_li", message_id, app=app)
    response = api.post("/lark/card/action", content=body, headers=headers)
    # Then nothing is acknowledged, and the click asks an admin to bind the account, as for any unknown user
    assert response.status_code == 200, response.text
    assert "is not linked to a Pagerless person" in response.json()["toast"]["content"], response.text
    assert not IncidentRepository().get(incident.id).acknowledged
    assert [i.tenant for i in _pending("ou_li")] == [app.app_id]


def test_a_person_paged_at_their_slack_contact_acknowledges_the_page_they_were_sent_and_only_that(
    api, notify_env, admin_key, vendors, chat_apps
):
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.incidents import IncidentRepository

    # Given Sam, reached on Slack through a contact naming the team, paged about an incident
    slack_channel(api, admin_key, vendors)
    sam = _person("Sam Roe", [{"kind": "slack", "value": f"{SLACK_TEAM}/U0SAM0001"}])
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    enqueue(_page(incident.id, sam.id))
    notify_env.poller.drain()
    [post] = vendors.to("/slack/api/chat.postMessage")
    [actions] = [b for b in post.body["blocks"] if b["type"] == "actions"]
    value = json.loads(actions["elements"][0]["value"])

    [log] = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()[
        "items"
    ]
    sent_ts, sent_channel = log["provider_message_id"], post.body["channel"]  # the fake answers the DM's channel so

    def pressed(channel: str, ts: str):
        payload = json.loads(unquote(slack_form(value, user="U0SAM0001").decode().removeprefix("payload=")))
        payload["container"].update(channel_id=channel, message_ts=ts)
        body = ("payload=" + quote(json.dumps(payload, separators=(",", ":")), safe="")).encode()
        return api.post("/slack/interactivity", content=body, headers=slack_headers(body))

    # When Sam presses Acknowledge on another message, nothing happens
    refused = pressed(sent_channel, "1715674920.001900")
    assert "is not linked to a Pagerless person" in refused.json()["text"], refused.text
    assert not IncidentRepository().get(incident.id).acknowledged
    # When Sam presses it on the page Pagerless sent, the incident is acknowledged by Sam
    response = pressed(sent_channel, sent_ts)
    assert response.status_code == 200 and response.json()["text"] == f"You acknowledged {incident.id}.", response.text
    assert IncidentRepository().get(incident.id).acknowledged_by == sam.label
