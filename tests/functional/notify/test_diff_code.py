"""The dry run's diff on an approval card, as code where the vendor has a code element (Slack, Lark, Teams)."""

import json

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import create_channel, lark_channel, route_all, save_incident, slack_channel
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
# the diff in the built-in template's fence on DingTalk, whose markdown keeps a fenced block's lines together with
# its line break (two spaces) and makes every other line a paragraph: the diff's own ``` closes the template's fence,
# its lines up to its ```` are paragraphs, and the ```` opens a fence the template's ``` cannot close
DIFF_FENCED_ON_DINGTALK = (
    "```  \n```\n\n"
    "- image: registry.example/api:1.2 <at id=all></at>\n\n"
    "+ image: registry.example/api:1.3 **bold** _italic_\n\n"
    "+ matchPattern: '[a-z](api|web)'\n\n"
    "````  \n"
    "\u00a0\u00a0memory: 512Mi  \n"
    "```  \n"
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
# the fallback's text in Teams: the diff in a fence longer than its own "````", so its lines stay together (each
# ending in a hard line break) and none of its fence lines closes the fence or opens another
DIFF_FENCED_ON_TEAMS = (
    "`````  \n"
    "```  \n"
    "- image: registry.example/api:1.2 <\u200bat id=all><\u200b/at>  \n"
    "+ image: registry.example/api:1.3 **bold** _italic_  \n"
    "+ matchPattern: '[a-z] (api|web)'  \n"
    "````  \n"
    "\u00a0\u00a0memory: 512Mi  \n"
    "`````"
)
BEFORE = (
    "INC-20261202-0042 · payments-api (payments)\n"
    "Diagnosis: Out of memory (OOMKilled) (92% confident)\n"
    "api container OOMKilled\n"
    "- pod payments/api-1 lastState: OOMKilled exit 137\n"
    "Proposed: patch_resources: raise the memory limit\n"
    "Dry run:"
)
EXPIRES = "2026-12-02T10:30:00+00:00"
EXPIRES_SHOWN = "2026-12-02 10:30 UTC"  # as a card shows it


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
    expires = ApprovalRepository().latest(incident.id).expires_at.strftime("%Y-%m-%d %H:%M UTC")
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
        {
            "tag": "div",
            "text": {"tag": "lark_md", "content": f"Policy rule: approve.default\nExpires: {EXPIRES_SHOWN}"},
        },
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
    # the fallback: the diff as text, its "<at" and "](" made inert as everywhere else in the card. Each line of the
    # text is a paragraph (a TextBlock shows a single line break as a space); the fallback's fenced lines stay together
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
        {"type": "TextBlock", "text": BEFORE.replace("\n", "\n\n"), "wrap": True},
        {
            "type": "CodeBlock",
            "codeSnippet": DIFF,
            "language": "PlainText",
            "fallback": {"type": "TextBlock", "text": DIFF_FENCED_ON_TEAMS, "wrap": True},
        },
        {"type": "TextBlock", "text": f"Policy rule: approve.default\n\nExpires: {EXPIRES_SHOWN}", "wrap": True},
    ]


# a diff that is Slack mrkdwn in every way it can be: a fence line that would end the ``` block, bold,
# strikethrough, a broadcast, a link whose words hide its address, an entity, list-like lines
SLACK_DIFF = (
    "```\n"
    "- image: registry.example/api:1.2 *bold* ~strike~ _italic_\n"
    "+ image: registry.example/api:1.3 <!channel> <https://x|y> &amp; a < b > c & d\n"
    "````\n"
    "  memory: 512Mi `inline`"
)


def _slack_buttons(approval_id: str, incident_id: str) -> dict:
    return {
        "type": "actions",
        "block_id": "pl_approval",
        "elements": [
            {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": label},
                "value": json.dumps(
                    {
                        "pl": 1,
                        "approval_id": approval_id,
                        "incident_id": incident_id,
                        "workspace": "default",
                        "action": action,
                    },
                    separators=(",", ":"),
                ),
                **({"style": style} if style else {}),
            }
            for action, action_id, label, style in (
                ("approve", "pl_approve", "Approve", "primary"),
                ("reject", "pl_reject", "Reject", "danger"),
                ("acknowledge", "pl_ack", "Acknowledge", None),
            )
        ],
    }


def test_a_slack_approval_card_shows_the_diff_byte_exact_in_a_preformatted_block_and_keeps_it_when_decided(
    api, notify_env, admin_key, vendors
):
    from pagerless.api.security import key_service
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    route_all(api, admin_key, slack_channel(api, admin_key, vendors)["id"])
    # Given a proposal whose dry-run diff is full of mrkdwn, a ``` line among it
    incident = save_incident()
    incident.proposal = {**incident.proposal, "dry_run": {"diff": SLACK_DIFF}}
    incident.save()
    service = ApprovalService(sfn=FakeStepFunctions())
    # When its approval is requested
    approval_id = service.request(incident.id, "default", task_token="t", execution_arn="arn:x", timeout_seconds=600)[
        "approval_id"
    ]
    notify_env.poller.drain()
    expires = ApprovalRepository().latest(incident.id).expires_at.strftime("%Y-%m-%d %H:%M UTC")
    # Then Slack gets the text before the diff in a section, the diff as the only text of a rich text
    # preformatted element (literal text: no mrkdwn, no entity to decode), the text after it, and the buttons
    [post] = vendors.to("/slack/api/chat.postMessage")
    title = "[CRITICAL] Approval needed: patch_resources · PaymentsApiHighErrorRate <!channel>"
    header = {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": False}}
    before = {"type": "section", "text": {"type": "mrkdwn", "text": BEFORE}}
    code = {
        "type": "rich_text",
        "elements": [{"type": "rich_text_preformatted", "elements": [{"type": "text", "text": SLACK_DIFF}]}],
    }
    after = {"type": "section", "text": {"type": "mrkdwn", "text": f"Policy rule: approve.default\nExpires: {expires}"}}
    assert post.body["text"] == title.replace("<!channel>", "&lt;!channel&gt;")  # the notification text, escaped
    assert post.body["blocks"] == [header, before, code, after, _slack_buttons(approval_id, incident.id)]
    # When it is approved
    alice = key_service().create(workspace="default", role="operator", name="alice").record.key_id
    service.decide(incident.id, "default", approve=True, actor=alice, role="operator")
    notify_env.poller.drain()
    # Then the card is updated with the same text and preformatted diff, the decision instead of the buttons, its
    # title saying the decision
    [update] = vendors.to("/slack/api/chat.update")
    decided = title.replace("Approval needed:", "Approved:")
    assert update.body["channel"] == "C0OPS" and update.body["text"] == decided.replace(
        "<!channel>", "&lt;!channel&gt;"
    )
    assert update.body["blocks"][:4] == [{**header, "text": {**header["text"], "text": decided}}, before, code, after]
    [decision] = update.body["blocks"][4:]
    assert decision["type"] == "context"
    assert decision["elements"][0]["text"].startswith(f"Approved by alice ({alice[:8]}…) at ")


def _slack_card_for(api, admin_key, vendors, notify_env, diff: str, body_template=None, summary=None) -> dict:
    if body_template is not None:
        created = api.post(
            "/api/notifications/templates",
            headers=auth(admin_key),
            json={
                "name": "custom",
                "channel_type": "slack",
                "event": "approval.requested",
                "title_template": "Approve {{ action }}",
                "body_template": body_template,
                "is_default": True,
            },
        )
        assert created.status_code == 201, created.text
    route_all(api, admin_key, slack_channel(api, admin_key, vendors)["id"])
    incident = save_incident()
    incident.proposal = {**incident.proposal, "dry_run": {"diff": diff}}
    if summary is not None:
        incident.diagnosis = {**incident.diagnosis, "summary": summary}
    incident.save()
    _request_approval(incident.id)
    notify_env.poller.drain()
    [post] = vendors.to("/slack/api/chat.postMessage")
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["status"] for entry in logs["items"]] == ["sent"]  # and Slack took it
    return post.body


def test_a_slack_template_that_uses_the_diff_inline_keeps_it_in_the_text(api, notify_env, admin_key, vendors):
    # Given a custom template that puts the diff in a sentence, not in a fence on lines of its own
    body = _slack_card_for(api, admin_key, vendors, notify_env, "- a *b*\n+ c <d>", "Dry run: {{ diff }}")
    # Then the card is the old layout: the body text, escaped, in one section before the buttons
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "actions"]
    assert body["blocks"][1]["text"]["text"] == "Dry run: - a *b*\n+ c &lt;d&gt;"


def test_a_slack_card_whose_text_is_too_long_for_a_section_keeps_the_old_layout_cut_to_fit(
    api, notify_env, admin_key, vendors
):
    # Given a diagnosis summary that alone is longer than a section's 3,000 characters, before the diff
    body = _slack_card_for(api, admin_key, vendors, notify_env, "- a\n+ b", summary="api container OOMKilled " * 200)
    # Then the card is the old layout, its one section cut within 3,000 characters and marked
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "actions"]
    text = body["blocks"][1]["text"]["text"]
    assert len(text) <= 3000 and text.endswith("…(truncated, see the console)")


@pytest.mark.parametrize(
    ("rich_text", "answer"),
    [
        ({"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "a\n```\nb"}]}, (True, None)),
        ({"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "a"}], "border": 0}, (True, None)),
        ({"type": "rich_text_preformatted", "elements": [{"type": "link", "url": "https://x"}]}, (True, None)),
        (
            {"type": "rich_text_preformatted", "elements": [{"type": "user", "user_id": "U1"}]},
            (False, "invalid_blocks"),
        ),
        ({"type": "rich_text_preformatted", "elements": [{"type": "text"}]}, (False, "invalid_blocks")),
        ({"type": "rich_text_preformatted", "elements": "a"}, (False, "invalid_blocks")),
        ({"type": "rich_text_code", "elements": [{"type": "text", "text": "a"}]}, (False, "invalid_blocks")),
    ],
)
def test_the_fake_slack_takes_a_rich_text_block_only_in_its_documented_shape(vendors, rich_text, answer):
    import httpx

    from tests.fakes.chat_vendors import SLACK_TOKEN

    # Given a message whose rich text block holds one element
    payload = {"channel": "C0OPS", "text": "t", "blocks": [{"type": "rich_text", "elements": [rich_text]}]}
    # When it is posted to the fake Slack
    data = httpx.post(
        f"{vendors.base_url}/slack/api/chat.postMessage",
        json=payload,
        headers={"Authorization": f"Bearer {SLACK_TOKEN}"},
    ).json()
    # Then it answers as Slack's reference says: text or link elements in a preformatted one, each complete
    assert (data["ok"], data.get("error")) == answer


def test_the_fake_slack_refuses_more_than_50_blocks_or_too_much_text_in_them(vendors):
    import httpx

    from tests.fakes.chat_vendors import SLACK_TOKEN

    def post(blocks: list[dict]) -> dict:
        return httpx.post(
            f"{vendors.base_url}/slack/api/chat.postMessage",
            json={"channel": "C0OPS", "text": "t", "blocks": blocks},
            headers={"Authorization": f"Bearer {SLACK_TOKEN}"},
        ).json()

    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 200}}
    code = {
        "type": "rich_text",
        "elements": [{"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "y" * 3000}]}],
    }
    assert post([section] * 50)["ok"] is True
    assert post([section] * 51)["error"] == "invalid_blocks"
    assert post([code] * 3)["ok"] is True
    assert post([code] * 4)["error"] == "msg_blocks_too_long"
