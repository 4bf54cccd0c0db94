"""A decided approval's card says the decision in its title, on every vendor, in the channel's language: the cards
updated in place (Slack, Lark), one sent after its decision, and the new message of a channel that cannot update
(DingTalk); the decision line reads as a sentence ("via Slack", "通过飞书批准"). Custom templates keep working."""

import json
import re

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID
from tests.functional.notify.conftest import create_channel, lark_channel, route_all, save_incident, slack_channel

pytestmark = pytest.mark.functional

SHOWN = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
TITLE = "PaymentsApiHighErrorRate <!channel>"  # save_incident's, as a header shows it (plain text)


class FakeStepFunctions:
    def send_task_success(self, **kwargs):
        return {}

    def send_task_failure(self, **kwargs):
        return {}


def _channels(api, key, vendors, language: str = "en") -> None:
    slack, lark = slack_channel(api, key, vendors), lark_channel(api, key, vendors)
    url = f"{vendors.base_url}/robot/send?access_token=t0"
    dingtalk = create_channel(api, key, "ops-dingtalk", "dingtalk", {"webhook_url": url})
    for channel in (slack, lark, dingtalk):
        changed = api.put(
            f"/api/notifications/channels/{channel['id']}", headers=auth(key), json={"config": {"language": language}}
        )
        assert changed.status_code == 200, changed.text
    route_all(api, key, slack["id"], lark["id"], dingtalk["id"])


def _requested(notify_env, incident_id: str, *, drain: bool = True):
    from pagerless.workflow.approvals import ApprovalService

    incident = save_incident(incident_id)
    service = ApprovalService(sfn=FakeStepFunctions())
    service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)
    if drain:
        notify_env.poller.drain()
    return incident, service


def _alice() -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role="operator", name="alice").record.key_id


def _via(vendor: str):
    from pagerless.domain.approvals import Via

    return Via(f"chat:{vendor.lower()}", {"via": vendor, "chat_user": "u1", "tenant": LARK_APP_ID, "person_id": "p1"})


def _updated(vendors) -> tuple[dict, dict]:
    """The Slack card's update and the Lark card as patched."""
    [update] = vendors.to("/slack/api/chat.update")
    [patch] = [r for r in vendors.requests if r.method == "PATCH"]
    return update.body, json.loads(patch.body["content"])


def test_an_approved_cards_title_says_approved_on_slack_lark_and_dingtalk(api, notify_env, admin_key, vendors):
    _channels(api, admin_key, vendors)
    incident, service = _requested(notify_env, "INC-20261207-0001")
    # When alice approves with the Slack card's button (what the chat click stores: "via Slack")
    alice = _alice()
    service.decide(
        incident.id, "default", approve=True, actor=alice, role="operator", comment="via Slack", via=_via("Slack")
    )
    notify_env.poller.drain()
    # Then the Slack card's header and notification text say it was approved, not that it awaits approval
    slack, lark = _updated(vendors)
    approved = f"[CRITICAL] Approved: patch_resources · {TITLE}"
    assert slack["blocks"][0]["text"]["text"] == approved
    assert slack["text"] == approved.replace("<", "&lt;").replace(">", "&gt;")
    # and its decision line is a sentence: who, when, through what
    line = slack["blocks"][-1]["elements"][0]["text"]
    assert re.fullmatch(rf"Approved by alice \({alice[:8]}…\) at {SHOWN} via Slack", line), line
    # And the Lark card's header says so too, green
    assert lark["header"]["title"]["content"] == approved and lark["header"]["template"] == "green"
    assert lark["elements"][-1]["elements"][0]["content"] == line
    # And DingTalk, which cannot update its card, gets a message titled and worded alike
    request, decided = [r.body["markdown"] for r in vendors.to("/robot/send")]
    assert "Approval needed" in request["title"]
    escaped = approved.replace("<", "&lt;").replace(">", "&gt;")  # markdown text: alert text escaped
    assert decided["title"] == approved and decided["text"].startswith(f"### {escaped}\n"), decided
    assert re.search(rf"\nApproved by alice \({alice[:8]}…\) at {SHOWN} via Slack$", decided["text"]), decided


def test_a_chinese_card_says_rejected_or_expired_in_chinese(api, notify_env, admin_key, vendors):
    _channels(api, admin_key, vendors, "zh")
    incident, service = _requested(notify_env, "INC-20261207-0002")
    # When alice rejects it, with her reason
    alice = _alice()
    service.decide(incident.id, "default", approve=False, actor=alice, role="operator", comment="风险太大")
    notify_env.poller.drain()
    # Then both cards' titles say it was rejected, in Chinese, and the line reads as a Chinese sentence
    slack, lark = _updated(vendors)
    rejected = f"【严重】已拒绝：patch_resources · {TITLE}"
    assert slack["blocks"][0]["text"]["text"] == rejected and lark["header"]["title"]["content"] == rejected
    line = slack["blocks"][-1]["elements"][0]["text"]
    assert re.fullmatch(rf"alice（{alice[:8]}…） 于 {SHOWN} 拒绝：风险太大", line), line
    assert [r.body["markdown"]["title"] for r in vendors.to("/robot/send")][-1] == rejected
    # And an approval that times out says it expired
    incident, service = _requested(notify_env, "INC-20261207-0003")
    service.expire(incident.id, "nobody approved or rejected the proposal within 600s; nothing ran")
    notify_env.poller.drain()
    expired = f"【严重】已过期：patch_resources · {TITLE}"
    assert vendors.to("/slack/api/chat.update")[-1].body["blocks"][0]["text"]["text"] == expired
    assert [r.body["markdown"]["title"] for r in vendors.to("/robot/send")][-1] == expired


def test_a_chinese_chat_decision_is_said_through_its_channel(api, notify_env, admin_key, vendors):
    _channels(api, admin_key, vendors, "zh")
    incident, service = _requested(notify_env, "INC-20261207-0004")
    alice = _alice()
    service.decide(
        incident.id, "default", approve=True, actor=alice, role="operator", comment="via Lark", via=_via("Lark")
    )
    notify_env.poller.drain()
    slack, lark = _updated(vendors)
    assert slack["blocks"][0]["text"]["text"] == f"【严重】已批准：patch_resources · {TITLE}"
    for line in (slack["blocks"][-1]["elements"][0]["text"], lark["elements"][-1]["elements"][0]["content"]):
        assert re.fullmatch(rf"alice（{alice[:8]}…） 于 {SHOWN} 通过飞书批准", line), line
    assert vendors.to("/robot/send")[-1].body["markdown"]["text"].endswith("通过飞书批准")


def test_a_card_sent_after_its_decision_goes_out_titled_with_it(api, notify_env, admin_key, vendors):
    _channels(api, admin_key, vendors)
    incident, service = _requested(notify_env, "INC-20261207-0005", drain=False)
    # When the decision comes before the notify function sent the cards
    service.decide(incident.id, "default", approve=False, actor="bob", comment="too risky")
    notify_env.poller.drain()
    # Then every Slack and Lark card, whichever job ran first, ends titled with the decision
    rejected = f"[CRITICAL] Rejected: patch_resources · {TITLE}"
    assert vendors.slack_messages and vendors.lark_messages
    for message in vendors.slack_messages.values():
        assert message["blocks"][0]["text"]["text"] == rejected, message
    for message in vendors.lark_messages.values():
        assert json.loads(message["content"])["header"]["title"]["content"] == rejected


def test_custom_templates_keep_working_and_a_custom_decided_title_is_the_updated_cards(
    api, notify_env, admin_key, vendors
):
    # Given a custom Slack approval card
    requested = {
        "name": "our approval card",
        "channel_type": "slack",
        "event": "approval.requested",
        "title_template": "Approve {{ action }} for {{ service }}?",
        "body_template": "{{ reason }}",
    }
    assert api.post("/api/notifications/templates", json=requested, headers=auth(admin_key)).status_code == 201
    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident, service = _requested(notify_env, "INC-20261207-0006")
    [post] = vendors.to("/slack/api/chat.postMessage")
    assert post.body["text"] == "Approve patch_resources for payments-api?"
    # When it is approved, with no custom decided template: the built-in decided title, the custom body kept
    service.decide(incident.id, "default", approve=True, actor="carol")
    notify_env.poller.drain()
    [update] = vendors.to("/slack/api/chat.update")
    assert update.body["text"] == "[CRITICAL] Approved: patch_resources · PaymentsApiHighErrorRate &lt;!channel&gt;"
    assert update.body["blocks"][1]["text"]["text"] == "raise the memory limit"
    # And with a custom approval.decided template, its title is the updated card's
    decided = {
        "name": "our decided card",
        "channel_type": "slack",
        "event": "approval.decided",
        "title_template": "{{ action }} {{ decision|upper }} for {{ service }}",
        "body_template": "{{ decision_note }}",
    }
    assert api.post("/api/notifications/templates", json=decided, headers=auth(admin_key)).status_code == 201
    incident, service = _requested(notify_env, "INC-20261207-0007")
    service.decide(incident.id, "default", approve=False, actor="carol")
    notify_env.poller.drain()
    assert vendors.to("/slack/api/chat.update")[-1].body["text"] == "patch_resources REJECTED for payments-api"
