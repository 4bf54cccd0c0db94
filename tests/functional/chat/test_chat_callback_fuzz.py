"""Signed chat callbacks whose content is a real click's, bent: any part of a Slack block_actions payload or a
Lark card callback (v2 and legacy v1, and the button value inside each, which names a real pending approval)
replaced by other JSON or left out. Only Slack, Lark or a holder of the app's secret can send such a body, and
whatever it holds, the answer is never a server error (5xx) nor an AWS call the chat function's role denies
(the runtime fixture's IAM check)."""

import json
import time
import uuid
from urllib.parse import quote

import pytest

from pagerless.chat import lark
from tests.functional.bending import bent
from tests.functional.chat.conftest import FIXTURES, LARK_APP, button_value, lark_headers, slack_headers

pytestmark = pytest.mark.functional

EXAMPLES = 60  # per callback kind


def _slack(payload) -> bytes:
    """The payload as Slack sends it; a button value (a dict here) as the JSON string Slack carries."""
    actions = payload.get("actions") if isinstance(payload, dict) else None
    for action in actions if isinstance(actions, list) else []:
        if isinstance(action, dict) and isinstance(action.get("value"), dict):
            action["value"] = json.dumps(action["value"])
    return ("payload=" + quote(json.dumps(payload), safe="")).encode()


def _lark(data) -> bytes:
    plain = json.dumps(data).encode()
    return json.dumps({"encrypt": lark.encrypt(plain, LARK_APP.encrypt_key, uuid.uuid4().bytes)}).encode()


def _slack_click(value: dict) -> dict:
    payload = json.loads((FIXTURES / "slack" / "block_actions_incident_ack_authored.json").read_text())
    action = {"action_id": "pl_approve", "block_id": "pl_approval", "type": "button", "value": value}
    payload["user"]["id"] = "U0G9QF9C6"
    payload["actions"] = [{**action, "action_ts": f"{time.time():.6f}"}]
    return payload


def _lark_v2(value: dict) -> dict:
    data = json.loads((FIXTURES / "lark" / "card_action_trigger_v2_ack_button.json").read_text())
    data["header"]["event_id"] = uuid.uuid4().hex
    data["event"]["operator"]["open_id"] = "ou_3c14f3a59eaf2825dbe25359f15d4c56"
    data["event"]["action"]["value"] = value
    return data


def _lark_v1(value: dict) -> dict:
    data = json.loads((FIXTURES / "lark" / "card_action_legacy_v1_resolve_button.json").read_text())
    data["open_id"] = "ou_3c14f3a59eaf2825dbe25359f15d4c56"
    data["action"]["value"] = value
    return data


CALLBACKS = {
    "slack block_actions": ("/slack/interactivity", _slack_click, _slack, slack_headers),
    "lark card.action.trigger": ("/lark/card/action", _lark_v2, _lark, lark_headers),
    "lark legacy card action": ("/lark/card/action", _lark_v1, _lark, lark_headers),
    "lark event": ("/lark/event", _lark_v2, _lark, lark_headers),
}


@pytest.mark.parametrize("kind", CALLBACKS)
def test_no_signed_callback_causes_a_server_error(api, awaiting, kind):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    path, click, encode, headers = CALLBACKS[kind]
    failures: list[tuple] = []

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(data):
        action = data.draw(st.sampled_from(["approve", "reject", "acknowledge"]))
        document = bent(click(button_value(awaiting, action)), data.draw, whole=False)
        body = encode(document)
        response = api.post(path, content=body, headers=headers(body))
        if response.status_code >= 500:
            failures.append((json.dumps(document)[:400], response.status_code, response.text[:200]))

    run()
    assert failures == []


@pytest.mark.parametrize("kind", CALLBACKS)
def test_a_bound_users_click_naming_the_approval_by_an_object_is_a_400_and_decides_nothing(api, awaiting, kind):
    from pagerless.store.approvals import ApprovalRepository

    # Given a pending approval's button value, whose approval id is an object (before: a 500, the object
    # going into a DynamoDB key as it was)
    path, click, encode, headers = CALLBACKS[kind]
    value = {**button_value(awaiting, "approve"), "approval_id": {"id": awaiting["approval_id"]}}
    body = encode(click(value))
    # When Alice (bound on Slack and Lark) clicks it
    response = api.post(path, content=body, headers=headers(body))
    # Then it is a 400 in the API's error format, and the approval is still pending
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert ApprovalRepository().latest(awaiting["incident_id"]).status == "pending"
