"""The template preview shows what a channel of that type is sent, byte for byte: an approval card's dry-run diff
as code where the vendor has a code element (Slack, Lark, Teams), in its ``` fence where it has none."""

import json

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import create_channel, lark_channel, route_all, save_incident, slack_channel
from tests.functional.notify.test_diff_code import DIFF, EXPIRES

pytestmark = pytest.mark.functional

APPROVAL = {"approval_id": "2026-12-02T10:00:00#d1ff", "expires_at": EXPIRES}


def _encoded(body: dict) -> bytes:
    """A JSON body as the channels send it (httpx's ``json=``: UTF-8, no ASCII escapes, no spaces)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _preview(api, key, channel_type: str, incident_id: str, **extra) -> dict:
    body = {"channel_type": channel_type, "event": "approval.requested", "incident_id": incident_id, "data": APPROVAL}
    response = api.post("/api/notifications/templates/preview", headers=auth(key), json={**body, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def _channels(api, key, vendors) -> dict[str, tuple[str, dict]]:
    """A channel of every type the fake vendors speak: type -> (the path it posts to, what its config adds to the
    request body: its destination)."""
    base = vendors.base_url
    slack_channel(api, key, vendors)
    lark_channel(api, key, vendors)
    create_channel(api, key, "bot", "lark_bot", {"webhook_url": f"{base}/open-apis/bot/v2/hook/preview"})
    create_channel(api, key, "ding", "dingtalk", {"webhook_url": f"{base}/robot/send?access_token=preview"})
    create_channel(api, key, "wecom", "wecom", {"webhook_url": f"{base}/cgi-bin/webhook/send?key=preview"})
    create_channel(api, key, "teams", "teams", {"webhook_url": f"{base}/workflows/preview"})
    return {
        "slack": ("/slack/api/chat.postMessage", {"channel": "C0OPS"}),
        "lark": ("/open-apis/im/v1/messages", {"receive_id": "oc_fakechat"}),
        "lark_bot": ("/open-apis/bot/v2/hook/preview", {}),
        "dingtalk": ("/robot/send", {}),
        "wecom": ("/cgi-bin/webhook/send", {}),
        "teams": ("/workflows/preview", {}),
    }


def _incident_with_the_diff():
    incident = save_incident()
    incident.proposal = {**incident.proposal, "dry_run": {"diff": DIFF}}
    incident.save()
    return incident


def _request_approval(incident_id: str) -> None:
    from pagerless.outbox.jobs import NotifyJob, enqueue

    enqueue(NotifyJob("default", "approval.requested", incident_id, generation="apr-preview", data=APPROVAL))


def test_the_preview_of_an_approval_card_is_what_each_channel_type_is_sent(api, notify_env, admin_key, vendors):
    # Given a channel of every chat type, routed, and an incident whose dry-run diff is full of markdown
    channels = _channels(api, admin_key, vendors)
    route_all(api, admin_key, *channels)
    incident = _incident_with_the_diff()
    # When its approval card goes out
    _request_approval(incident.id)
    notify_env.poller.drain()
    for channel_type, (path, destination) in channels.items():
        [sent] = [r for r in vendors.to(path) if r.method == "POST"]
        # Then the preview for that channel type, the same incident and data, is the request body the vendor got,
        # byte for byte, but for the destination the channel's own config adds
        preview = _preview(api, admin_key, channel_type, incident.id)
        assert _encoded({**destination, **preview["payload"]}) == sent.raw, channel_type
    # And what it shows is the diff as each channel shows it: code where the vendor has a code element
    slack = _preview(api, admin_key, "slack", incident.id)["payload"]
    assert {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": DIFF}]} in [
        e for b in slack["blocks"] if b["type"] == "rich_text" for e in b["elements"]
    ]
    teams = _preview(api, admin_key, "teams", incident.id)["payload"]
    body = teams["attachments"][0]["content"]["body"]
    assert [b["codeSnippet"] for b in body if b["type"] == "CodeBlock"] == [DIFF]
    lark = json.loads(_preview(api, admin_key, "lark", incident.id)["payload"]["content"])
    assert [e["tag"] for e in lark["elements"]] == ["div", "markdown", "div", "action"]
    ding = _preview(api, admin_key, "dingtalk", incident.id)["payload"]
    assert "```\n" + DIFF.replace("<", "&lt;").replace(">", "&gt;").replace("](", "] (") in ding["markdown"]["text"]


def test_the_preview_of_a_template_being_tried_is_what_the_channel_would_be_sent_with_it(
    api, notify_env, admin_key, vendors
):
    # Given an admin's Slack template for approval cards, which fences the diff on lines of its own
    template = {"title_template": "Approve {{ action }}?", "body_template": "{{ summary }}\n```\n{{ diff }}\n```\nOK?"}
    created = api.post(
        "/api/notifications/templates",
        headers=auth(admin_key),
        json={"name": "mine", "channel_type": "slack", "event": "approval.requested", "is_default": True, **template},
    )
    assert created.status_code == 201, created.text
    route_all(api, admin_key, slack_channel(api, admin_key, vendors)["id"])
    incident = _incident_with_the_diff()
    # When a card goes out with it, and the admin previews the same template as one being tried
    _request_approval(incident.id)
    notify_env.poller.drain()
    [sent] = vendors.to("/slack/api/chat.postMessage")
    tried = _preview(api, admin_key, "slack", incident.id, **template)
    # Then the preview is the card Slack got: the diff in its preformatted element, between the text around it
    assert _encoded({"channel": "C0OPS", **tried["payload"]}) == sent.raw
    assert [b["type"] for b in tried["payload"]["blocks"]] == ["header", "section", "rich_text", "section", "actions"]


def test_the_preview_of_a_broken_template_is_a_validation_error(api, notify_env, admin_key):
    # When an admin previews a template that fails to render
    response = api.post(
        "/api/notifications/templates/preview",
        headers=auth(admin_key),
        json={"channel_type": "teams", "event": "incident.opened", "body_template": "{{ 1 / 0 }}"},
    )
    # Then it is the API's validation error naming the template, not the built-in template shown instead
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == [{"field": "body_template"}]
