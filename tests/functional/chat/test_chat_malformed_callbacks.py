"""Malformed chat callbacks, correctly signed (only the vendor or a holder of the secret can send
them): a clear 4xx in the API's error format, never a 500, and nothing written."""

import json
import uuid
from urllib.parse import quote

import pytest

from pagerless.chat import lark
from tests.functional.chat.conftest import LARK_APP, lark_headers, slack_headers

pytestmark = pytest.mark.functional


def _slack_form(payload) -> bytes:
    return ("payload=" + quote(json.dumps(payload), safe="")).encode()


def _lark_encrypted(data) -> bytes:
    plain = json.dumps(data).encode()
    return json.dumps({"encrypt": lark.encrypt(plain, LARK_APP.encrypt_key, uuid.uuid4().bytes)}).encode()


SLACK_BODIES = {
    "json array": (b"[1, 2]", "application/json"),
    "json string": (b'"hello"', "application/json"),
    "truncated json": (b'{"type": "url_verif', "application/json"),
    "payload not json": (b"payload=%7B%22type%22", "application/x-www-form-urlencoded"),
    "payload an array": (_slack_form([1]), "application/x-www-form-urlencoded"),
    "actions a string": (_slack_form({"type": "block_actions", "actions": "x"}), "application/x-www-form-urlencoded"),
    "action a string": (_slack_form({"type": "block_actions", "actions": ["x"]}), "application/x-www-form-urlencoded"),
    "action id a list": (  # before: a 500
        _slack_form({"type": "block_actions", "actions": [{"action_id": ["pl_approve"]}]}),
        "application/x-www-form-urlencoded",
    ),
    "user a string": (
        _slack_form({"type": "block_actions", "user": "U1", "actions": [{"action_id": "pl_approve"}]}),
        "application/x-www-form-urlencoded",
    ),
    "not utf-8": (b"payload=\xff\xfe", "application/x-www-form-urlencoded"),
    # before: a 500 (the id went into a DynamoDB key as it was)
    "approval id an object": (
        _slack_form(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "actions": [
                    {"action_id": "pl_approve", "value": json.dumps({"approval_id": {"a": 1}, "incident_id": "i"})}
                ],
            }
        ),
        "application/x-www-form-urlencoded",
    ),
}


@pytest.mark.parametrize("name", SLACK_BODIES)
def test_a_signed_but_malformed_slack_body_is_a_400(chat_apps, api, name):
    # Given a body Slack's signature covers, but whose shape is not a Slack request
    body, content_type = SLACK_BODIES[name]
    headers = {**slack_headers(body), "content-type": content_type}
    # When it reaches the chat function
    response = api.post("/slack/interactivity", content=body, headers=headers)
    # Then it is a 400 in the API's error format
    assert response.status_code == 400, (name, response.status_code, response.text)
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


LARK_DATA = {
    "a json array": [1],
    "header a string": {"schema": "2.0", "header": "x", "event": {}},
    "event a list": {"schema": "2.0", "header": {"event_type": "card.action.trigger"}, "event": ["x"]},
    "operator a string": {
        "schema": "2.0",
        "header": {"event_type": "card.action.trigger", "event_id": "e1"},
        "event": {"operator": "ou_x", "action": {"value": {"action": "approve"}}},
    },
    "legacy action a string": {"open_id": "ou_x", "action": "approve"},
    # before: a 500 (the id went into a DynamoDB key as it was)
    "approval id a list": {
        "schema": "2.0",
        "header": {"event_type": "card.action.trigger", "event_id": "e2"},
        "event": {"operator": {"open_id": "ou_x"}, "action": {"value": {"action": "approve", "approval_id": ["x"]}}},
    },
    "legacy incident id an object": {
        "open_id": "ou_x",
        "action": {"value": {"action": "reject", "approval_id": "a", "incident_id": {"i": 1}}},
    },
    "workspace a number": {
        "schema": "2.0",
        "header": {"event_type": "card.action.trigger", "event_id": "e3"},
        "event": {"operator": {"open_id": "ou_x"}, "action": {"value": {"action": "approve", "workspace": 7}}},
    },
    "message a string": {"schema": "2.0", "header": {"event_type": "im.message.receive_v1"}, "event": {"message": "x"}},
}


@pytest.mark.parametrize("name", LARK_DATA)
def test_a_signed_but_malformed_lark_body_is_a_400(chat_apps, api, name):
    # Given an encrypted body Lark's signature covers, whose content is not a Lark event
    body = _lark_encrypted(LARK_DATA[name])
    for path in ("/lark/event", "/lark/card/action"):
        # When it reaches the chat function
        response = api.post(path, content=body, headers=lark_headers(body))
        # Then it is a 400 in the API's error format
        assert response.status_code == 400, (name, path, response.status_code, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    # and no event id was claimed (a well-formed delivery of it would still be handled)
    from pagerless.store.chat_events import ChatEventRecord

    assert list(ChatEventRecord.query("chat-event")) == []


def test_a_signed_truncated_lark_body_is_a_400(chat_apps, api):
    body = b'{"encrypt": "AAEC'
    response = api.post("/lark/card/action", content=body, headers=lark_headers(body))
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR", response.text


def test_a_truncated_body_fails_its_signature_and_is_a_401(chat_apps, api):
    # Given a valid signed Slack and Lark request, cut short in transit
    slack_body = _slack_form({"type": "block_actions", "actions": [{"action_id": "pl_approve"}]})
    lark_body = _lark_encrypted({"schema": "2.0", "header": {"event_type": "card.action.trigger"}})
    for path, body, headers in (
        ("/slack/interactivity", slack_body, slack_headers(slack_body)),
        ("/lark/card/action", lark_body, lark_headers(lark_body)),
    ):
        response = api.post(path, content=body[: len(body) // 2], headers=headers)
        assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED", response.text
