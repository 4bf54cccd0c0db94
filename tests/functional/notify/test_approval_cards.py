"""Approval cards in a fake Slack and a fake Lark, updated in place after the decision."""

import json

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_TOKEN, SLACK_TOKEN
from tests.functional.notify.conftest import lark_channel, route_all, save_incident, slack_channel

pytestmark = pytest.mark.functional


class FakeStepFunctions:
    def __init__(self) -> None:
        self.calls = []

    def send_task_success(self, **kwargs):
        self.calls.append(("success", kwargs))
        return {}

    def send_task_failure(self, **kwargs):
        self.calls.append(("failure", kwargs))
        return {}


def test_approval_cards_go_to_slack_and_lark_and_the_decision_updates_both(api, notify_env, admin_key, vendors):
    from pagerless.workflow.approvals import ApprovalService

    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident()
    service = ApprovalService(sfn=FakeStepFunctions())
    approval_id = service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)[
        "approval_id"
    ]
    # When the notify function consumes the queued approval.requested job
    notify_env.poller.drain()
    # Then Slack got one Block Kit message with the three buttons of the contract
    posts = vendors.to("/slack/api/chat.postMessage")
    assert len(posts) == 1
    assert posts[0].headers["authorization"] == f"Bearer {SLACK_TOKEN}"
    body = posts[0].body
    assert body["channel"] == "C0OPS"
    section = "\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    assert body["blocks"][0]["text"]["type"] == "plain_text"  # the title: never mrkdwn
    assert "<!channel>" not in section and "<at user_id" not in section
    assert "Out of memory (OOMKilled)" in section and "92%" in section and "OOMKilled exit 137" in section
    assert "approve.default" in section
    # (the dry run's diff as written, in a rich text preformatted element: test_diff_code.py)
    assert {
        "type": "rich_text",
        "elements": [
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "memory: 256Mi -> 512Mi"}]}
        ],
    } in body["blocks"]
    buttons = body["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["pl_approve", "pl_reject", "pl_ack"]
    assert json.loads(buttons[0]["value"]) == {
        "pl": 1,
        "approval_id": approval_id,
        "incident_id": incident.id,
        "workspace": "default",
        "action": "approve",
    }
    # And Lark got a tenant token, then one interactive card with the same button values
    assert vendors.to("/open-apis/auth/v3/tenant_access_token/internal")[0].body["app_id"] == "cli_fake_app"
    sends = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    assert len(sends) == 1
    assert sends[0].query == {"receive_id_type": "chat_id"}
    assert sends[0].headers["authorization"] == f"Bearer {LARK_TOKEN}"
    assert sends[0].body["msg_type"] == "interactive" and sends[0].body["receive_id"] == "oc_fakechat"
    card = json.loads(sends[0].body["content"])
    assert card["config"]["update_multi"] is True
    # (the text before the dry run's diff, the diff in a code block, the text after it: test_diff_code.py)
    content = "\n".join(e["text"]["content"] for e in card["elements"] if e["tag"] == "div")
    assert (
        "Diagnosis: Out of memory (OOMKilled) (92% confident)\n" in content
        and "Policy rule: approve.default" in content
    )
    assert {"tag": "markdown", "content": "```\nmemory: 256Mi -> 512Mi\n```"} in card["elements"]
    assert card["header"]["title"]["tag"] == "plain_text"  # alert text in a header is never markup
    actions = card["elements"][-1]["actions"]
    assert [a["value"]["action"] for a in actions] == ["approve", "reject", "acknowledge"]
    assert actions[1]["value"] == {
        "pl": 1,
        "approval_id": approval_id,
        "incident_id": incident.id,
        "workspace": "default",
        "action": "reject",
    }
    # And the delivery log has both, sent, with the provider message ids
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    by_type = {i["channel_type"]: i for i in logs["items"]}
    assert by_type["slack"]["status"] == by_type["lark"]["status"] == "sent"
    assert by_type["slack"]["provider_message_id"].startswith("1700000000.")
    assert by_type["lark"]["provider_message_id"].startswith("om_fake")

    # When someone approves through the API path, with an operator key named alice
    from pagerless.api.security import key_service

    alice = key_service().create(workspace="default", role="operator", name="alice").record.key_id
    service.decide(incident.id, "default", approve=True, actor=alice, role="operator", comment="go")
    notify_env.poller.drain()
    # Then the Slack message is updated in place: no buttons, who decided what
    updates = vendors.to("/slack/api/chat.update")
    assert len(updates) == 1
    assert updates[0].body["ts"] == by_type["slack"]["provider_message_id"] and updates[0].body["channel"] == "C0OPS"
    assert all(b["type"] != "actions" for b in updates[0].body["blocks"])
    # (named, with the key's short id: not the bare key id)
    assert f"Approved by alice ({alice[:8]}…)" in updates[0].body["blocks"][-1]["elements"][0]["text"]
    # And the Lark card is patched: no action element, the decision in a note
    patches = [r for r in vendors.requests if r.method == "PATCH"]
    assert len(patches) == 1 and patches[0].path.endswith(by_type["lark"]["provider_message_id"])
    patched = json.loads(patches[0].body["content"])
    assert all(e["tag"] != "action" for e in patched["elements"])
    assert "Approved by alice" in patched["elements"][-1]["elements"][0]["content"]
    # And nothing new was posted
    assert len(vendors.to("/slack/api/chat.postMessage")) == 1


def test_an_expired_approval_updates_its_cards_too(api, notify_env, admin_key, vendors):
    from pagerless.workflow.approvals import ApprovalService

    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident = save_incident("INC-20261202-0043")
    service = ApprovalService(sfn=FakeStepFunctions())
    service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)
    notify_env.poller.drain()
    # When the workflow's timeout expires it
    service.expire(incident.id, "nobody decided within 600s")
    notify_env.poller.drain()
    update = vendors.to("/slack/api/chat.update")
    assert len(update) == 1
    assert "Expired" in update[0].body["blocks"][-1]["elements"][0]["text"]
    assert all(b["type"] != "actions" for b in update[0].body["blocks"])


def test_a_click_after_the_deadline_updates_the_cards_to_expired(api, notify_env, admin_key, vendors):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.domain.errors import ConflictError
    from pagerless.store.approvals import ApprovalRecord, ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident = save_incident("INC-20261202-0044")
    service = ApprovalService(sfn=FakeStepFunctions())
    service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)
    notify_env.poller.drain()
    # Given the approval's deadline passed a moment ago (the workflow's own timeout has not fired yet)
    record = ApprovalRepository().latest(incident.id)
    ApprovalRecord(record.incident_id, record.approval_id).update(
        actions=[ApprovalRecord.expires_at.set(utcnow() - timedelta(seconds=1))]
    )
    # When someone clicks Approve now, and then the workflow's timeout fires
    with pytest.raises(ConflictError):
        service.decide(incident.id, "default", approve=True, actor="alice")
    service.expire(incident.id, "nobody decided within 600s")
    notify_env.poller.drain()
    # Then the card lost its buttons and says it expired
    update = vendors.to("/slack/api/chat.update")
    assert len(update) == 1
    assert "Expired" in update[0].body["blocks"][-1]["elements"][0]["text"]
    assert all(b["type"] != "actions" for b in update[0].body["blocks"])


def test_a_decision_before_the_card_went_out_leaves_no_live_button(api, notify_env, admin_key, vendors):
    from pagerless.workflow.approvals import ApprovalService

    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident("INC-20261202-0045")
    service = ApprovalService(sfn=FakeStepFunctions())
    service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)
    # When the decision comes before the notify function has sent the cards
    service.decide(incident.id, "default", approve=False, actor="bob", comment="too risky")
    notify_env.poller.drain()
    # Then whatever order the two jobs ran in, every card ends without buttons and names the decision
    assert vendors.slack_messages and vendors.lark_messages
    for message in vendors.slack_messages.values():
        assert all(b["type"] != "actions" for b in message["blocks"])
        assert "Rejected by bob" in json.dumps(message["blocks"])
    for message in vendors.lark_messages.values():
        card = json.loads(message["content"])
        assert all(e["tag"] != "action" for e in card["elements"])
        assert "Rejected by bob" in json.dumps(card)


def test_the_decision_waits_while_a_card_is_still_being_retried(api, notify_env, admin_key, vendors, monkeypatch):
    from pagerless import settings
    from pagerless.workflow.approvals import ApprovalService

    monkeypatch.setenv("PAGERLESS_NOTIFY_MAX_WAIT_SECONDS", "0")  # every retry goes back to the queue
    monkeypatch.setenv("PAGERLESS_NOTIFY_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("PAGERLESS_NOTIFY_BACKOFF_BASE_SECONDS", "1")
    settings.reset()
    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident = save_incident("INC-20261202-0046")
    service = ApprovalService(sfn=FakeStepFunctions())
    service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)
    vendors.fail("/slack/api/chat.postMessage", 503, times=1)
    notify_env.poller.poll_once(next(s for s in notify_env.poller.sources if s.function_logical_id == "NotifyFunction"))
    # The card failed once and waits for its retry; now the approval is decided
    [card] = api.get("/api/notification-logs", headers=auth(admin_key)).json()["items"]
    assert card["status"] == "failed" and card["event"] == "approval.requested"
    service.decide(incident.id, "default", approve=True, actor="carol")
    notify_env.poller.drain()
    assert len(vendors.to("/slack/api/chat.postMessage")) == 2  # the failed try and the retry
    [(_, final)] = list(vendors.slack_messages.items())
    assert all(b["type"] != "actions" for b in final["blocks"])
    assert "Approved by carol" in json.dumps(final["blocks"])


def test_resolving_by_hand_while_awaiting_approval_closes_the_cards_and_announces_it(
    api, notify_env, admin_key, vendors
):
    from pagerless.workflow.approvals import ApprovalService

    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident = save_incident("INC-20261202-0047", status="awaiting_approval")
    ApprovalService(sfn=FakeStepFunctions()).request(
        incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600
    )
    notify_env.poller.drain()
    resolved = api.post(
        f"/api/incidents/{incident.id}/resolve", headers=auth(admin_key), json={"note": "fixed by hand"}
    )
    assert resolved.status_code == 200, resolved.text
    notify_env.poller.drain()
    [update] = vendors.to("/slack/api/chat.update")
    assert all(b["type"] != "actions" for b in update.body["blocks"])
    assert "Closed by" in json.dumps(update.body["blocks"]) and "resolved before anyone decided" in json.dumps(
        update.body["blocks"]
    )
    titles = [r.body["text"] for r in vendors.to("/slack/api/chat.postMessage")]
    assert titles[-1] == "[RESOLVED] PaymentsApiHighErrorRate &lt;!channel&gt;"
    # A click on the old card is refused: there is nothing to decide any more
    late = api.post(f"/api/incidents/{incident.id}/approve", headers=auth(admin_key), json={})
    assert late.status_code == 409 and "nothing to decide" in late.json()["error"]["message"]


def test_the_cards_of_a_superseded_approval_say_so_and_lose_their_buttons(api, notify_env, admin_key, vendors):
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.store.incidents import IncidentRecord, IncidentRepository
    from pagerless.workflow.approvals import ApprovalService

    slack, lark = slack_channel(api, admin_key, vendors), lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident("INC-20261202-0044")
    service = ApprovalService(sfn=FakeStepFunctions())
    first = service.request(incident.id, "default", task_token="tok1", execution_arn="arn:x", timeout_seconds=600)
    notify_env.poller.drain()
    # When the incident is diagnosed again and a new approval is requested while the first still waits
    current = IncidentRepository().get(incident.id)
    current.update(actions=[IncidentRecord.status.set("diagnosed")])
    second = service.request(incident.id, "default", task_token="tok2", execution_arn="arn:x", timeout_seconds=600)
    notify_env.poller.drain()
    # Then the first approval's cards say "Superseded" with no buttons, and the new cards have live buttons
    [update] = vendors.to("/slack/api/chat.update")
    assert "Superseded at" in update.body["blocks"][-1]["elements"][0]["text"]
    assert all(b["type"] != "actions" for b in update.body["blocks"])
    [patch] = [r for r in vendors.requests if r.method == "PATCH"]
    assert "Superseded at" in patch.body["content"] and '"action"' not in patch.body["content"]
    cards = [
        r for r in vendors.to("/slack/api/chat.postMessage") if any(b["type"] == "actions" for b in r.body["blocks"])
    ]
    assert [json.loads(c.body["blocks"][-1]["elements"][0]["value"])["approval_id"] for c in cards] == [
        first["approval_id"],
        second["approval_id"],
    ]
    old = ApprovalRepository().get(incident.id, first["approval_id"])
    assert old.status == "expired" and "superseded" in old.note


def test_chinese_channels_get_chinese_buttons_and_a_chinese_decision_line(api, notify_env, admin_key, vendors):
    from pagerless.api.security import key_service
    from pagerless.workflow.approvals import ApprovalService

    # Given a Slack and a Lark channel whose language is Chinese
    slack, lark = slack_channel(api, admin_key, vendors), lark_channel(api, admin_key, vendors)
    for channel in (slack, lark):
        changed = api.put(
            f"/api/notifications/channels/{channel['id']}", headers=auth(admin_key), json={"config": {"language": "zh"}}
        )
        assert changed.status_code == 200, changed.text
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident("INC-20261202-0045")
    service = ApprovalService(sfn=FakeStepFunctions())
    service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)
    notify_env.poller.drain()
    # Then the cards' buttons are in Chinese, like the rest of the card (the values are the contract's, with the
    # card's language: a click is answered in it)
    [post] = vendors.to("/slack/api/chat.postMessage")
    assert "待审批" in post.body["text"]
    buttons = post.body["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["批准", "拒绝", "确认"]
    assert [json.loads(b["value"])["action"] for b in buttons] == ["approve", "reject", "acknowledge"]
    assert {json.loads(b["value"])["lang"] for b in buttons} == {"zh"}
    [send] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    actions = json.loads(send.body["content"])["elements"][-1]["actions"]
    assert [a["text"]["content"] for a in actions] == ["批准", "拒绝", "确认"]
    assert {a["value"]["lang"] for a in actions} == {"zh"}
    # When someone approves
    alice = key_service().create(workspace="default", role="operator", name="alice").record.key_id
    service.decide(incident.id, "default", approve=True, actor=alice, role="operator", comment="go")
    notify_env.poller.drain()
    # Then the updated cards say who decided, in Chinese too
    [update] = vendors.to("/slack/api/chat.update")
    line = update.body["blocks"][-1]["elements"][0]["text"]
    assert line.startswith(f"alice（{alice[:8]}…） 于 ") and line.endswith(" 批准：go"), line
    [patch] = [r for r in vendors.requests if r.method == "PATCH"]
    note = json.loads(patch.body["content"])["elements"][-1]["elements"][0]["content"]
    assert note.startswith(f"alice（{alice[:8]}…） 于 ") and note.endswith(" 批准：go"), note


def test_an_approval_closed_because_its_source_resolved_the_incident_says_so_in_words(
    api, notify_env, admin_key, vendors
):
    from datetime import UTC, datetime

    from pagerless.incidents.notices import incident_resolved
    from pagerless.store.incidents import IncidentRecord
    from pagerless.workflow.approvals import ApprovalService

    # Given an approval card in a Chinese Lark chat, and the incident then resolved at its source before anyone decided
    lark = lark_channel(api, admin_key, vendors)
    assert (
        api.put(
            f"/api/notifications/channels/{lark['id']}",
            headers=auth(admin_key),
            json={"config": {**lark["config"], "app_secret": "fake-app-secret", "language": "zh"}},
        ).status_code
        == 200
    )
    route_all(api, admin_key, lark["id"])
    incident = save_incident("INC-20261202-0049", status="awaiting_approval")
    ApprovalService(sfn=FakeStepFunctions()).request(
        incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600
    )
    notify_env.poller.drain()
    resolved_at = datetime(2026, 12, 2, 1, 15, tzinfo=UTC)
    incident.update(
        actions=[
            IncidentRecord.status.set("resolved"),
            IncidentRecord.resolved_by.set("source"),
            IncidentRecord.resolved_at.set(resolved_at),
        ]
    )
    # When its closing is announced
    incident_resolved(incident, by="source", previous_status="awaiting_approval")
    notify_env.poller.drain()
    # Then the card says its source closed it, not "source 于 … 关闭" as if someone were called that
    [patch] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "PATCH"]
    card = json.loads(patch.body["content"])
    [note] = [e["elements"][0]["content"] for e in card["elements"] if e["tag"] == "note"]
    assert note.startswith("告警源头（所有告警已恢复） 于 2026-12-02 01:15 UTC 关闭"), note
