"""A click on a Chinese card is answered in Chinese (Slack's ephemeral message and response_url, Lark's toast):
the card's buttons carry its language, as notify renders them. A card posted before that (no language in its
buttons) is still accepted and answered in English (test_chat_approvals.py, test_chat_fixtures_over_http.py)."""

import json
import re

import pytest

from pagerless.domain.actors import full_width
from tests.functional.chat.conftest import (
    HALF_WIDTH,
    button_value,
    lark_headers,
    lark_v2_body,
    slack_form,
    slack_headers,
)
from tests.functional.chat.test_chat_fixtures_over_http import FIXTURE_INCIDENT, fixture_incident  # noqa: F401
from tests.functional.workflow.conftest import timeline_types

pytestmark = pytest.mark.functional

_CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_chinese(text: str) -> None:
    assert _CJK.search(text) and not HALF_WIDTH.search(text), text
    assert "nothing changed" not in text.lower() and "nothing ran" not in text, text


def chinese_buttons(approval: dict, actions=("approve", "reject", "acknowledge")) -> tuple[dict, dict]:
    """The button values of the Chinese Slack and Lark cards notify renders for ``approval``, by action."""
    from pagerless.notify.channels import lark as lark_card
    from pagerless.notify.channels import slack as slack_card
    from pagerless.notify.channels.base import Message

    message = Message(
        event="approval.requested",
        title="【critical】待审批：patch_resources",
        body="内存 256Mi → 512Mi",
        severity="critical",
        approval=approval,
        actions=actions,
        language="zh",
    )
    [slack_row] = [b for b in slack_card.blocks(message) if b["type"] == "actions"]
    [lark_row] = [e for e in lark_card.card(message)["elements"] if e["tag"] == "action"]
    slack_values = [json.loads(e["value"]) for e in slack_row["elements"]]
    return {v["action"]: v for v in slack_values}, {b["value"]["action"]: b["value"] for b in lark_row["actions"]}


def _approval_of(awaiting: dict) -> dict:
    return {k: awaiting[k] for k in ("approval_id", "incident_id")} | {"workspace": "default"}


def _slack(api, value: dict, **kwargs):
    body = slack_form(value, **kwargs)
    return api.post("/slack/interactivity", content=body, headers=slack_headers(body))


def _lark(api, value: dict, **kwargs):
    body = lark_v2_body(value, **kwargs)
    return api.post("/lark/card/action", content=body, headers=lark_headers(body))


def _status(incident_id: str) -> str:
    from pagerless.store.approvals import ApprovalRepository

    return ApprovalRepository().latest(incident_id).status


def test_a_click_on_a_chinese_card_is_answered_in_chinese_in_slack_and_lark(awaiting, api, people, response_url):
    incident_id = awaiting["incident_id"]
    slack_values, lark_values = chinese_buttons(_approval_of(awaiting))
    # When Alice presses 批准 on the Chinese Slack card
    response = _slack(api, slack_values["approve"], response_url=response_url.base_url + "/actions/T0CAG1234/1/x")
    # Then her ephemeral answer (and its response_url post) says so in Chinese
    assert response.status_code == 200, response.text
    assert response.json()["text"] == f"你已批准 {incident_id} 的 patch_resources。"
    assert response_url.posts[-1]["body"] == response.json()
    # And Bob, pressing 拒绝 on the Chinese Lark card, is told in Chinese who approved it first, as news
    body = lark_v2_body(lark_values["reject"], open_id="ou_bob")
    toast = api.post("/lark/card/action", content=body, headers=lark_headers(body)).json()["toast"]
    assert toast["type"] == "info", toast
    assert_chinese(toast["content"])
    assert f"已由 {full_width(people['alice'].label)}" in toast["content"] and "批准" in toast["content"], toast
    # and Lark's retry of that event is answered in Chinese too, not run again
    again = api.post("/lark/card/action", content=body, headers=lark_headers(body)).json()["toast"]
    assert_chinese(again["content"])
    assert timeline_types(incident_id).count("approved") == 1


def test_refusals_on_a_chinese_card_are_in_chinese_and_an_old_card_s_stay_english(awaiting, api):
    slack_values, lark_values = chinese_buttons(_approval_of(awaiting))
    approve = slack_values["approve"]
    # When a user nobody linked, a viewer, a card of another workspace, a button Pagerless does not handle and one
    # that names no incident are clicked on the Chinese cards
    stranger = _slack(api, approve, user="U0STRANGER").json()["text"]
    viewer = _slack(api, approve, user="U0VIEWER1").json()["text"]
    elsewhere = _lark(api, {**lark_values["approve"], "workspace": "team-b"}).json()["toast"]
    unknown = _lark(api, {**lark_values["approve"], "action": "resolve"}).json()["toast"]
    nameless = _slack(api, {k: v for k, v in approve.items() if k != "incident_id"}).json()["text"]
    # Then each is told why in Chinese, naming what it is about
    for text in (stranger, viewer, elsewhere["content"], unknown["content"], nameless):
        assert_chinese(text)
    assert "U0STRANGER" in stranger and "/api/chat-identities?status=pending" in stripped(stranger)
    assert "viewer" in viewer and "operator" in viewer
    assert elsewhere["type"] == unknown["type"] == "error"
    assert "resolve" in unknown["content"]
    # and nothing changed
    assert _status(awaiting["incident_id"]) == "pending"
    # And the same refusal on a card posted before buttons carried a language is in English, as before
    old = _slack(api, button_value(awaiting, "approve"), user="U0STRANGER").json()["text"]
    assert "not linked to a Pagerless person" in old


def stripped(text: str) -> str:
    return text.replace(" ", "")


def test_a_click_on_a_chinese_card_after_the_approval_expired_says_so_in_chinese(awaiting, api):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.store.approvals import ApprovalRecord, ApprovalRepository

    # Given the approval's time ran out
    record = ApprovalRepository().latest(awaiting["incident_id"])
    ApprovalRecord(record.incident_id, record.approval_id).update(
        actions=[ApprovalRecord.expires_at.set(utcnow() - timedelta(seconds=1))]
    )
    slack_values, _ = chinese_buttons(_approval_of(awaiting))
    # When Alice clicks 批准 on the Chinese card
    text = _slack(api, slack_values["approve"]).json()["text"]
    # Then she is told in Chinese that it timed out and nothing ran
    assert_chinese(text)
    assert "超时" in text and awaiting["incident_id"] in text, text
    assert _status(awaiting["incident_id"]) == "expired"


def test_a_chinese_card_of_a_superseded_approval_says_so_in_chinese(awaiting, api):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.domain.approvals import Approval
    from pagerless.store.approvals import ApprovalRepository

    # Given a Chinese card of an earlier approval of the same incident
    earlier = utcnow() - timedelta(hours=1)
    old_id = f"{earlier.isoformat()}#0ld0ld00"
    ApprovalRepository().create(
        Approval(
            awaiting["incident_id"],
            old_id,
            workspace="default",
            requested_at=earlier,
            expires_at=earlier + timedelta(minutes=10),
            timeout_seconds=600,
            task_token="old-token",
            proposal={},
        )
    )
    _, lark_values = chinese_buttons({**_approval_of(awaiting), "approval_id": old_id})
    # When Alice clicks 批准 on it
    toast = _lark(api, lark_values["approve"]).json()["toast"]
    # Then she is told in Chinese that a newer approval replaced it, and the current one still waits
    assert_chinese(toast["content"])
    assert "取代" in toast["content"], toast
    assert _status(awaiting["incident_id"]) == "pending"


def test_a_chinese_card_of_an_incident_resolved_by_hand_says_so_in_chinese(awaiting, api, admin_key):
    from tests.conftest import auth

    resolved = api.post(
        f"/api/incidents/{awaiting['incident_id']}/resolve", json={"note": "fixed by hand"}, headers=auth(admin_key)
    )
    assert resolved.status_code == 200, resolved.text
    slack_values, lark_values = chinese_buttons(_approval_of(awaiting))
    # When Alice clicks 批准 on the Slack card and Bob on the Lark card
    texts = [
        _slack(api, slack_values["approve"]).json()["text"],
        _lark(api, lark_values["approve"], open_id="ou_bob").json()["toast"]["content"],
    ]
    # Then both are told in Chinese that there is nothing to decide any more
    for text in texts:
        assert_chinese(text)
        assert "已解决" in text and awaiting["incident_id"] in text, text
    assert "approved" not in timeline_types(awaiting["incident_id"])


def test_a_chinese_card_whose_decision_step_functions_did_not_take_says_try_again_in_chinese(
    awaiting, api, monkeypatch
):
    from botocore.exceptions import ClientError

    from pagerless import step_functions

    real = step_functions.client()

    class _Throttled:
        """The real Step Functions client, whose SendTaskSuccess is throttled."""

        def __getattr__(self, name):
            return getattr(real, name)

        def send_task_success(self, **kwargs):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTaskSuccess")

    monkeypatch.setattr(step_functions, "client", lambda: _Throttled())
    slack_values, _ = chinese_buttons(_approval_of(awaiting))
    text = _slack(api, slack_values["approve"]).json()["text"]
    assert_chinese(text)
    assert "重试" in text, text
    assert _status(awaiting["incident_id"]) == "pending"


def test_acknowledge_on_a_chinese_page_card_is_answered_in_chinese(chat_apps, people, fixture_incident, api):  # noqa: F811
    from datetime import UTC, datetime

    from pagerless.store.incidents import IncidentRecord

    page = {"approval_id": "", "incident_id": FIXTURE_INCIDENT, "workspace": "default"}
    slack_values, lark_values = chinese_buttons(page, actions=("acknowledge",))
    # When Alice taps 确认 on the Chinese Lark page card
    first = _lark(api, lark_values["acknowledge"]).json()["toast"]
    # Then she is told in Chinese that she acknowledged it
    assert first == {"type": "success", "content": f"你已确认 {FIXTURE_INCIDENT}。"}
    # And a second tap, on the Slack card, says in Chinese who acknowledged it
    second = _slack(api, slack_values["acknowledge"]).json()["text"]
    assert_chinese(second)
    assert full_width(people["alice"].label) in second, second  # 艾丽丝（per_1）
    # And once the incident is resolved, a tap says in Chinese that it is resolved
    fixture_incident.refresh()
    fixture_incident.update(
        actions=[
            IncidentRecord.status.set("resolved"),
            IncidentRecord.resolved_by.set("alertmanager"),
            IncidentRecord.resolved_at.set(datetime(2024, 5, 14, 10, 0, tzinfo=UTC)),
        ]
    )
    third = _lark(api, lark_values["acknowledge"], open_id="ou_bob").json()["toast"]
    assert third["type"] == "info", third
    assert_chinese(third["content"])
    assert "alertmanager" in third["content"] and "解决" in third["content"], third
