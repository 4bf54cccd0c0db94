"""The dry run's diff on an approval card, as code where the vendor has a code element (Lark, Teams)."""

import json

import pytest

from tests.functional.notify.conftest import create_channel, lark_channel, route_all, save_incident
from tests.functional.notify.test_approval_cards import FakeStepFunctions

pytestmark = pytest.mark.functional

# a diff that is markdown in every way it can be: a fence of its own, list lines, emphasis, a link, a mention
DIFF = (
    "```\n"
    "- image: registry.example/api:1.2 <at id=all></at>\n"
    "+ image: registry.example/api:1.3 **bold** _italic_\n"
    "+ matchPattern: '[a-z](api|web)'\n"
    "````\n"
    "  memory: 512Mi"
)
# the same diff in Lark's code block: a zero-width space after a "<" that would open a tag (<at id=all> pages a
# whole group) and inside every run of three backticks (the run would end the block); nothing else changes
DIFF_IN_LARK = (
    "``\u200b`\n"
    "- image: registry.example/api:1.2 <\u200bat id=all><\u200b/at>\n"
    "+ image: registry.example/api:1.3 **bold** _italic_\n"
    "+ matchPattern: '[a-z](api|web)'\n"
    "``\u200b``\n"
    "  memory: 512Mi"
)
BEFORE = (
    "INC-20261202-0042 · payments-api (payments)\n"
    "Diagnosis: oom_killed (92% confident)\n"
    "api container OOMKilled\n"
    "- pod payments/api-1 lastState: OOMKilled exit 137\n"
    "Proposed: patch_resources: raise the memory limit\n"
    "Dry run:"
)
EXPIRES = "2026-12-02T10:30:00+00:00"


def _incident_with_the_diff():
    incident = save_incident()
    incident.proposal = {**incident.proposal, "dry_run": {"diff": DIFF}}
    incident.save()
    return incident


def _request_approval(incident_id: str) -> None:
    from pagerless.outbox.jobs import NotifyJob, enqueue

    enqueue(
        NotifyJob(
            workspace="default",
            event="approval.requested",
            incident_id=incident_id,
            generation="apr-diff",
            data={"approval_id": "2026-12-02T10:00:00#d1ff", "expires_at": EXPIRES},
        )
    )


def _buttons(approval_id: str, incident_id: str) -> dict:
    return {
        "tag": "action",
        "actions": [
            {
                "tag": "button",
                "text": {"tag": "plain_text", "content": label},
                "type": kind,
                "value": {
                    "pl": 1,
                    "approval_id": approval_id,
                    "incident_id": incident_id,
                    "workspace": "default",
                    "action": action,
                },
            }
            for action, label, kind in (
                ("approve", "Approve", "primary"),
                ("reject", "Reject", "danger"),
                ("acknowledge", "Acknowledge", "default"),
            )
        ],
    }


def test_a_lark_approval_card_shows_the_diff_as_a_code_block_and_keeps_it_when_decided(
    api, notify_env, admin_key, vendors
):
    from pagerless.api.security import key_service
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    route_all(api, admin_key, lark_channel(api, admin_key, vendors)["id"])
    # Given a proposal whose dry-run diff is full of markdown
    incident = _incident_with_the_diff()
    service = ApprovalService(sfn=FakeStepFunctions())
    # When its approval is requested
    approval_id = service.request(incident.id, "default", task_token="t", execution_arn="arn:x", timeout_seconds=600)[
        "approval_id"
    ]
    notify_env.poller.drain()
    expires = ApprovalRepository().latest(incident.id).expires_at.isoformat()
    # Then the card has the text before the diff, the diff in a code block of the rich text component, the text
    # after it, and the buttons: the diff reads as written, no line of it a list item, a bold or a link
    [sent] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    text_before = {"tag": "div", "text": {"tag": "lark_md", "content": BEFORE}}
    code = {"tag": "markdown", "content": "```\n" + DIFF_IN_LARK + "\n```"}
    text_after = {
        "tag": "div",
        "text": {"tag": "lark_md", "content": f"Policy rule: approve.default\nExpires: {expires}"},
    }
    assert json.loads(sent.body["content"]) == {
        "config": {"wide_screen_mode": True, "update_multi": True},
        "header": {
            "template": "red",
            "title": {
                "tag": "plain_text",
                "content": "[CRITICAL] Approval needed: patch_resources · PaymentsApiHighErrorRate <!channel>",
            },
        },
        "elements": [text_before, code, text_after, _buttons(approval_id, incident.id)],
    }
    # When it is approved
    alice = key_service().create(workspace="default", role="operator", name="alice").record.key_id
    service.decide(incident.id, "default", approve=True, actor=alice, role="operator")
    notify_env.poller.drain()
    # Then the card is patched with the same text and code block, the decision in a note instead of the buttons
    [patch] = [r for r in vendors.requests if r.method == "PATCH"]
    patched = json.loads(patch.body["content"])
    assert patched["header"]["template"] == "green"
    assert patched["elements"][:3] == [text_before, code, text_after]  # the expiry it was asked with, not "None"
    assert [e["tag"] for e in patched["elements"][3:]] == ["hr", "note"]
    assert patched["elements"][4]["elements"][0]["content"].startswith(f"Approved by alice ({alice[:8]}…) at ")


def test_a_lark_custom_bot_card_shows_the_diff_as_a_code_block(api, notify_env, admin_key, vendors):
    hook = f"{vendors.base_url}/open-apis/bot/v2/hook/hooktoken"
    route_all(api, admin_key, create_channel(api, admin_key, "bot", "lark_bot", {"webhook_url": hook})["id"])
    incident = _incident_with_the_diff()
    _request_approval(incident.id)
    notify_env.poller.drain()
    [request] = vendors.to("/open-apis/bot/v2/hook/")
    assert request.body["card"]["elements"] == [
        {"tag": "div", "text": {"tag": "lark_md", "content": BEFORE}},
        {"tag": "markdown", "content": "```\n" + DIFF_IN_LARK + "\n```"},
        {"tag": "div", "text": {"tag": "lark_md", "content": f"Policy rule: approve.default\nExpires: {EXPIRES}"}},
    ]


def test_a_teams_card_shows_the_diff_in_a_code_block_with_the_text_as_fallback(api, notify_env, admin_key, vendors):
    route_all(
        api,
        admin_key,
        create_channel(api, admin_key, "teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/t1"})["id"],
    )
    incident = _incident_with_the_diff()
    _request_approval(incident.id)
    notify_env.poller.drain()
    [request] = vendors.to("/workflows/t1")
    card = request.body["attachments"][0]["content"]
    # Then the diff is the CodeBlock's snippet exactly as the dry run wrote it; a client without CodeBlock shows
    # the fallback: the diff as text, its "<at" and "](" made inert as everywhere else in the card
    assert card["version"] == "1.4" and "msteams" not in card
    assert card["body"] == [
        {
            "type": "TextBlock",
            "text": "[CRITICAL] Approval needed: patch_resources · PaymentsApiHighErrorRate <!channel>",
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": "Attention",
        },
        {"type": "TextBlock", "text": BEFORE, "wrap": True},
        {
            "type": "CodeBlock",
            "codeSnippet": DIFF,
            "language": "PlainText",
            "fallback": {
                "type": "TextBlock",
                "text": "```\n"
                + DIFF.replace("<at", "<\u200bat").replace("</at", "<\u200b/at").replace("](", "] (")
                + "\n```",
                "wrap": True,
            },
        },
        {"type": "TextBlock", "text": f"Policy rule: approve.default\nExpires: {EXPIRES}", "wrap": True},
    ]
