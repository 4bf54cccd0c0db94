"""Each remaining channel against its fake (or moto's SES): the exact body and signature it sends."""

import base64
import hashlib
import hmac
import json
import re

import pytest

from tests.conftest import auth
from tests.e2e.harness import ROOT
from tests.fakes.chat_vendors import LARK_APP_ID
from tests.functional.notify.conftest import create_channel, route_all, save_incident

pytestmark = pytest.mark.functional


def _test(api, key, channel_id) -> dict:
    response = api.post(f"/api/notifications/channels/{channel_id}/test", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_lark_custom_bot_is_signed_and_sends_a_card_without_buttons(api, notify_env, admin_key, vendors):
    vendors.bot_secrets["hooktoken"] = "botsecret"
    channel = create_channel(
        api,
        admin_key,
        "bot",
        "lark_bot",
        {"webhook_url": f"{vendors.base_url}/open-apis/bot/v2/hook/hooktoken", "secret": "botsecret"},
    )
    assert _test(api, admin_key, channel["id"])["ok"] is True
    [request] = vendors.to("/open-apis/bot/v2/hook/")
    body = request.body
    expected = base64.b64encode(hmac.new(f"{body['timestamp']}\nbotsecret".encode(), b"", hashlib.sha256).digest())
    assert body["sign"] == expected.decode()
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"]["content"] == "[INFO] Test notification from Pagerless"
    assert all(e["tag"] != "action" for e in body["card"]["elements"])
    # A wrong secret is refused by Lark: the delivery gives up with Lark's message
    vendors.bot_secrets["hooktoken"] = "other"
    refused = _test(api, admin_key, channel["id"])
    assert refused["ok"] is False and "19021" in refused["error"]


def test_wecom_robot_sends_markdown(api, notify_env, admin_key, vendors):
    channel = create_channel(
        api,
        admin_key,
        "wx",
        "wecom",
        {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=abc", "language": "zh"},
    )
    assert _test(api, admin_key, channel["id"])["ok"] is True
    [request] = vendors.to("/cgi-bin/webhook/send")
    assert request.query == {"key": "abc"}
    # the Chinese channel's test message is Chinese throughout, with full-width punctuation
    assert request.body == {
        "msgtype": "markdown",
        "markdown": {
            "content": '**<font color="info">【提示】Pagerless 测试通知</font>**\nPagerless 可以向 wx 发送消息。\n服务：-'
        },
    }


def test_a_long_chinese_alert_fits_wecoms_byte_limit(api, notify_env, admin_key, vendors, monkeypatch):
    from pagerless import settings
    from pagerless.outbox.jobs import NotifyJob, enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    channel = create_channel(
        api,
        admin_key,
        "wx",
        "wecom",
        {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=abc", "language": "zh"},
    )
    route_all(api, admin_key, channel["id"])
    # Given an alert whose Chinese description is 2,000 characters (6,000 UTF-8 bytes)
    incident = save_incident()
    incident.description = "支付服务数据库连接池耗尽" * 200
    incident.save()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then WeCom gets at most its 4,096 bytes of markdown (not 4,096 characters) and accepts it, the body
    # cut on a character boundary, saying (in the channel's Chinese, the mark counted) it was cut, and the console
    # link (the group has no buttons) kept after it
    [request] = vendors.to("/cgi-bin/webhook/send")
    content = request.body["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith(
        f"…（内容过长已截断，请在控制台查看）\n\n[在 Pagerless 中打开](https://pagerless.example.com/console/incidents/{incident.id})"
    )
    assert "\ufffd" not in content and "支付服务数据库连接池耗尽" in content
    assert len(content.encode()) > 3900  # cut to fit, not to nothing
    assert content.startswith('**<font color="warning">【严重】PaymentsApiHighErrorRate &lt;!channel&gt;</font>**')
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["status"] for entry in logs["items"]] == ["sent"]


def test_a_long_chinese_alert_fits_teams_message_size_limit(api, notify_env, admin_key, vendors, monkeypatch):
    from pagerless import settings
    from pagerless.outbox.jobs import NotifyJob, enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    channel = create_channel(api, admin_key, "teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/t1"})
    route_all(api, admin_key, channel["id"])
    # Given an alert whose Chinese description is 10,000 characters (30,000 UTF-8 bytes)
    incident = save_incident()
    incident.description = "支付服务数据库连接池耗尽" * 833
    incident.save()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then Teams gets a card within its 28 KB (cut, marked as cut) with the incident's button, and accepts it
    [request] = vendors.to("/workflows/t1")
    assert len(request.raw) <= 28_000
    card = request.body["attachments"][0]["content"]
    title, body = card["body"]
    assert body["text"].endswith("…(truncated, see the console)") and "支付服务数据库连接池耗尽" in body["text"]
    assert card["actions"][0]["url"] == f"https://pagerless.example.com/console/incidents/{incident.id}"
    assert len(request.raw) > 25_000  # cut to fit, not to nothing
    # And the button opens the incident's console page: sign in first, then land on it
    path = card["actions"][0]["url"].removeprefix("https://pagerless.example.com")
    redirect = api.get(path, follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == f"/console/login?next={path}"
    api.post("/api/auth/register", json={"email": "oncall@example.com", "password": "password123"})
    login = api.get(redirect.headers["location"])
    token = re.search(r'name="csrf-token" content="([^"]+)"', login.text).group(1)
    form = login.text[
        login.text.index('action="/console/login"') :
    ]  # the sign-in form (the page has a language form too)
    next_path = re.search(r'name="next" value="([^"]+)"', form).group(1)
    signed = api.post(
        "/console/login",
        data={"email": "oncall@example.com", "password": "password123", "csrf_token": token, "next": next_path},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == path
    page = api.get(path)
    assert page.status_code == 200 and incident.id in page.text
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["status"] for entry in logs["items"]] == ["sent"]


def test_a_long_chinese_alert_fits_dingtalks_message_size_limit(api, notify_env, admin_key, vendors, monkeypatch):
    from pagerless import settings
    from pagerless.outbox.jobs import NotifyJob, enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    vendors.bot_secrets["t1"] = "SECding"
    url = f"{vendors.base_url}/robot/send?access_token=t1"
    channel = create_channel(api, admin_key, "ding", "dingtalk", {"webhook_url": url, "secret": "SECding"})
    route_all(api, admin_key, channel["id"])
    # Given an alert whose Chinese description is 10,000 characters (30,000 UTF-8 bytes)
    incident = save_incident()
    incident.description = "支付服务数据库连接池耗尽" * 833
    incident.save()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then DingTalk gets a request within its 20,000 bytes, the body cut on a character boundary, saying it was
    # cut, and the console link kept after it, and accepts it (it refused the whole: errcode 460101, given up)
    [request] = vendors.to("/robot/send")
    assert len(request.raw) <= 20_000
    text = request.body["markdown"]["text"]
    assert text.endswith(
        f"…(truncated, see the console)\n\n[Open in Pagerless](https://pagerless.example.com/console/incidents/{incident.id})"
    )
    assert "\ufffd" not in text and "支付服务数据库连接池耗尽" in text
    assert len(request.raw) > 18_000  # cut to fit, not to nothing
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["status"] for entry in logs["items"]] == ["sent"]


LINKS = (
    "[Approve the fix](https://evil.example/steal) ![p](https://tracker.example/p.png) [Open runbook][1]\n"
    "[1]: https://evil.example/runbook"
)


def _markdown_text(vendors, channel_type: str) -> str:
    if channel_type == "dingtalk":
        [request] = vendors.to("/robot/send")
        return request.body["markdown"]["text"]
    if channel_type == "wecom":
        [request] = vendors.to("/cgi-bin/webhook/send")
        return request.body["markdown"]["content"]
    if channel_type == "lark_bot":
        [request] = vendors.to("/open-apis/bot/v2/hook/")
        return request.body["card"]["elements"][0]["text"]["content"]
    [request] = vendors.to("/workflows/t1")
    return "\n".join(b["text"] for b in request.body["attachments"][0]["content"]["body"])


@pytest.mark.parametrize(
    ("channel_type", "path"),
    [
        ("dingtalk", "/robot/send?access_token=t1"),
        ("wecom", "/cgi-bin/webhook/send?key=k1"),
        ("teams", "/workflows/t1"),
        ("lark_bot", "/open-apis/bot/v2/hook/hooktoken"),  # lark_md, as the Lark app's cards
    ],
)
def test_alert_text_cannot_put_a_disguised_link_or_an_image_in_a_markdown_message(
    api, notify_env, admin_key, vendors, channel_type, path
):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    channel = create_channel(api, admin_key, "chat", channel_type, {"webhook_url": f"{vendors.base_url}{path}"})
    route_all(api, admin_key, channel["id"])
    # Given an alert whose title and description carry markdown links, an image and a link definition
    incident = save_incident()
    incident.title = "DiskFull [click here](https://evil.example/t)"
    incident.description = LINKS
    incident.save()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then the message shows the text and its addresses, but no link whose words hide where it goes,
    # and no image the chat client would fetch
    text = _markdown_text(vendors, channel_type)
    assert "[Approve the fix] (https://evil.example/steal)" in text
    assert "![p] (https://tracker.example/p.png)" in text
    if channel_type != "lark_bot":  # Lark shows the title in the card's header, plain text: no link there
        assert "[click here] (https://evil.example/t)" in text
    # no definition: [1] is no link (DingTalk and Teams get each line as a paragraph: a single break is a space there)
    line_break = "\n\n" if channel_type in ("dingtalk", "teams") else "\n"
    assert f"[Open runbook][1]{line_break}[1] : https://evil.example/runbook" in text
    assert not re.search(r"\]\(|^ {0,3}\[[^\]]*\]:", text, re.M), text


def test_dingtalks_conversation_preview_shows_the_title_as_written(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    url = f"{vendors.base_url}/robot/send?access_token=t1"
    channel = create_channel(api, admin_key, "ding", "dingtalk", {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    incident = save_incident()  # titled "PaymentsApiHighErrorRate <!channel>"
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then the markdown's title (plain text: the conversation list and the phone's notification show it) reads
    # as the alert wrote it, while the markdown text keeps "<" escaped
    [request] = vendors.to("/robot/send")
    assert request.body["markdown"]["title"] == "[CRITICAL] PaymentsApiHighErrorRate <!channel>"
    assert request.body["markdown"]["text"].startswith("### [CRITICAL] PaymentsApiHighErrorRate &lt;!channel&gt;\n")


def test_teams_workflow_gets_an_adaptive_card(api, notify_env, admin_key, vendors):
    channel = create_channel(api, admin_key, "teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/t1"})
    assert _test(api, admin_key, channel["id"])["ok"] is True
    [request] = vendors.to("/workflows/t1")
    attachment = request.body["attachments"][0]
    assert request.body["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert [b["text"] for b in card["body"]] == [
        "[INFO] Test notification from Pagerless",
        "Pagerless can reach teams.\n\nService: -",  # a TextBlock shows a single line break as a space
    ]


def test_generic_webhook_is_signed_the_standard_webhooks_way(api, notify_env, admin_key, vendors):
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    channel = create_channel(
        api, admin_key, "hook", "webhook", {"url": f"{vendors.base_url}/hooks/in", "secret": secret}
    )
    assert _test(api, admin_key, channel["id"])["ok"] is True
    [request] = vendors.to("/hooks/in")
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.raw
    assert (
        request.headers["webhook-signature"]
        == "v1," + base64.b64encode(hmac.new(b"k" * 32, signed, hashlib.sha256).digest()).decode()
    )
    assert request.body["type"] == "test" and request.body["data"]["title"] == "[INFO] Test notification from Pagerless"


def test_email_goes_through_ses(api, notify_env, admin_key):
    import boto3

    boto3.client("ses").verify_email_identity(EmailAddress="pagerless@example.com")
    channel = create_channel(
        api,
        admin_key,
        "mail",
        "email",
        {"from_address": "pagerless@example.com", "to_addresses": ["oncall@example.com"]},
    )
    result = _test(api, admin_key, channel["id"])
    assert result["ok"] is True, result
    logs = api.get("/api/notification-logs", headers=auth(admin_key)).json()["items"]
    assert logs[0]["channel_type"] == "email" and logs[0]["provider_message_id"]
    unverified = create_channel(
        api, admin_key, "mail2", "email", {"from_address": "nobody@example.org", "to_addresses": "a@example.com"}
    )
    refused = _test(api, admin_key, unverified["id"])
    assert refused["ok"] is False and refused["status"] == "gave_up"


def test_an_email_channel_with_more_than_50_addresses_reaches_them_all(api, notify_env, admin_key):
    import boto3
    from moto.ses.models import ses_backends

    boto3.client("ses").verify_email_identity(EmailAddress="pagerless@example.com")
    # Given an email channel to 120 addresses (SES takes at most 50 recipients a message)
    addresses = [f"oncall{i:03d}@example.com" for i in range(120)]
    channel = create_channel(
        api, admin_key, "mail", "email", {"from_address": "pagerless@example.com", "to_addresses": addresses}
    )
    # When it is sent to
    result = _test(api, admin_key, channel["id"])
    # Then every address got it, in messages of at most 50 (it was refused whole: "Too many recipients")
    assert result["ok"] is True, result
    sent = [m for backend in ses_backends.values() for region in backend.values() for m in region.sent_messages]
    batches = [m.destinations["ToAddresses"] for m in sent]
    assert sorted(a for batch in batches for a in batch) == addresses
    assert [len(batch) for batch in batches] == [50, 50, 20]


def test_a_lark_token_fetched_with_one_secret_is_not_used_for_another(api, notify_env, admin_key, vendors):
    from tests.functional.notify.conftest import lark_channel

    # Given a Lark app channel that works (its tenant token fetched and cached)
    good = lark_channel(api, admin_key, vendors)
    assert _test(api, admin_key, good["id"])["ok"] is True
    # When another channel names the same app with a wrong secret (or the secret is edited to one)
    bad = create_channel(
        api,
        admin_key,
        "lark-typo",
        "lark",
        {"app_id": LARK_APP_ID, "app_secret": "wrong", "receive_id": "oc_x", "api_base": vendors.base_url},
    )
    refused = _test(api, admin_key, bad["id"])
    # Then its test fails with Lark's own answer to the secret, not a success on the other's token
    assert refused["ok"] is False and "10014" in refused["error"]
    assert json.dumps(refused).count("wrong") == 0  # the secret is never echoed


def _long_chinese_alert(api, admin_key, notify_env, monkeypatch, channel: dict, characters: int):
    """An incident whose Chinese description is ``characters`` long, announced to ``channel``."""
    from pagerless import settings
    from pagerless.outbox.jobs import NotifyJob, enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    incident.description = ("支付服务数据库连接池耗尽" * (characters // 12 + 1))[:characters]
    incident.save()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    return incident


def test_a_long_chinese_alert_fits_slacks_section_limit_marked_with_the_link(
    api, notify_env, admin_key, vendors, monkeypatch
):
    from tests.functional.notify.conftest import slack_channel

    # Given an alert whose Chinese description is 5,000 characters
    channel = slack_channel(api, admin_key, vendors)
    incident = _long_chinese_alert(api, admin_key, notify_env, monkeypatch, channel, 5000)
    # Then Slack gets a section of at most its 3,000 characters and accepts it, cut on a character
    # boundary, saying it was cut and where the rest is
    [request] = vendors.to("/slack/api/chat.postMessage")
    [section] = [b for b in request.body["blocks"] if b["type"] == "section"]
    text = section["text"]["text"]
    assert len(text) <= 3000
    assert text.endswith(
        f"…(truncated, see the console)\nhttps://pagerless.example.com/console/incidents/{incident.id}"
    )
    assert "支付服务数据库连接池耗尽" in text and len(text) > 2900  # cut to fit, not to nothing
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["status"] for entry in logs["items"]] == ["sent"]


def test_a_long_chinese_title_with_emoji_fits_slacks_header_and_the_card_is_sent(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import NotifyJob, enqueue
    from tests.functional.notify.conftest import slack_channel

    # Given an alert whose title is Chinese with emoji, 150 characters long: in the card's header, after
    # "[CRITICAL] ", more than Slack's 150 (an emoji outside the BMP is 2 of them, as JavaScript counts)
    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    incident.title = ("🔥支付服务数据库连接池耗尽" * 12)[:150]
    incident.save()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then Slack accepts the card: its header is the title cut within 150 characters on a character
    # boundary (no half of an emoji), ending with "…" so the reader sees it was cut
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["status"] for entry in logs["items"]] == ["sent"], logs
    [request] = vendors.to("/slack/api/chat.postMessage")
    [header] = [b["text"]["text"] for b in request.body["blocks"] if b["type"] == "header"]
    assert len(header.encode("utf-16-le")) // 2 <= 150
    assert header.endswith("…") and header[:-1] in f"[CRITICAL] {incident.title}"
    assert len(header.encode("utf-16-le")) // 2 >= 148  # cut to fit, not to nothing
    header.encode("utf-8")  # no lone surrogate
    # and the notification text (Slack's 40,000 characters) keeps the whole title
    assert request.body["text"] == f"[CRITICAL] {incident.title}"


def test_a_cut_never_leaves_half_of_a_templates_link(api, notify_env, admin_key, vendors, monkeypatch):
    from pagerless import settings
    from pagerless.notify.channels.base import TRUNCATED
    from pagerless.outbox.jobs import NotifyJob, enqueue
    from tests.functional.notify.conftest import slack_channel

    # Given a Slack template whose body is the alert text, a link to the runbook, and the alert text again
    template = {
        "name": "with a runbook link",
        "channel_type": "slack",
        "title_template": "[{{ severity }}] {{ title }}",
        "body_template": "{{ message }} <https://runbooks.example.com/payments/oom|Runbook: 支付服务 OOM>\nAgain: {{ message }}",
        "is_default": True,
    }
    assert api.post("/api/notifications/templates", headers=auth(admin_key), json=template).status_code == 201
    monkeypatch.setenv("PAGERLESS_NOTIFY_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    # and an alert text so long that Slack's 3,000 characters end inside that link
    incident = save_incident()
    tail = f"{TRUNCATED}\nhttps://pagerless.example.com/console/incidents/{incident.id}"
    incident.description = ("支付服务数据库连接池耗尽" * 300)[: 3000 - len(tail) - 12]
    incident.save()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then the text is cut before the link, not inside it: Slack shows no half link's markup
    [request] = vendors.to("/slack/api/chat.postMessage")
    [text] = [b["text"]["text"] for b in request.body["blocks"] if b["type"] == "section"]
    assert text.endswith(tail)
    assert text.removesuffix(tail) == incident.description


def test_a_long_chinese_alert_fits_larks_card_size_limit_marked_with_the_link(
    api, notify_env, admin_key, vendors, monkeypatch
):
    from tests.fakes.chat_vendors import LARK_CARD_MAX_BYTES
    from tests.functional.notify.conftest import lark_channel

    # Given an alert whose Chinese description is 12,000 characters (36,000 UTF-8 bytes)
    channel = lark_channel(api, admin_key, vendors)
    incident = _long_chinese_alert(api, admin_key, notify_env, monkeypatch, channel, 12000)
    # Then Lark gets a card request within its 30 KB and accepts it, the text cut on a character
    # boundary, saying it was cut and where the rest is
    [request] = vendors.to("/open-apis/im/v1/messages")
    assert len(request.raw) <= LARK_CARD_MAX_BYTES
    card = json.loads(request.body["content"])
    text = card["elements"][0]["text"]["content"]
    assert text.endswith(
        f"…(truncated, see the console)\nhttps://pagerless.example.com/console/incidents/{incident.id}"
    )
    assert "\ufffd" not in text and "支付服务数据库连接池耗尽" in text
    assert len(request.raw) > LARK_CARD_MAX_BYTES - 2000  # cut to fit, not to nothing
    logs = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident.id}).json()
    assert [entry["status"] for entry in logs["items"]] == ["sent"]


def test_a_short_lark_card_is_sent_whole(api, notify_env, admin_key, vendors, monkeypatch):
    from tests.functional.notify.conftest import lark_channel

    # Given an alert of 200 Chinese characters: nothing is cut
    channel = lark_channel(api, admin_key, vendors)
    _long_chinese_alert(api, admin_key, notify_env, monkeypatch, channel, 200)
    [request] = vendors.to("/open-apis/im/v1/messages")
    text = json.loads(request.body["content"])["elements"][0]["text"]["content"]
    assert "truncated" not in text and ("支付服务数据库连接池耗尽" * 17)[:200] in text


def test_an_email_retried_after_a_later_batch_failed_sends_only_the_batches_not_sent(
    api, notify_env, admin_key, monkeypatch
):
    import boto3
    from moto.core.exceptions import JsonRESTError
    from moto.ses.models import ses_backends
    from moto.sesv2.models import SESV2Backend

    from pagerless.outbox.jobs import NotifyJob, enqueue
    from tests.functional.notify.conftest import route_all, save_incident

    boto3.client("ses").verify_email_identity(EmailAddress="pagerless@example.com")
    addresses = [f"oncall{i:03d}@example.com" for i in range(120)]
    channel = create_channel(
        api, admin_key, "mail", "email", {"from_address": "pagerless@example.com", "to_addresses": addresses}
    )
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given SES throttles the second message of 50 (longer than botocore's own 5 tries)
    calls = {"n": 0}
    send_email = SESV2Backend.send_email

    def throttled_once(self, *args, **kwargs):
        calls["n"] += 1
        if 2 <= calls["n"] <= 6:
            raise JsonRESTError("TooManyRequestsException", "Too many requests.")
        return send_email(self, *args, **kwargs)

    monkeypatch.setattr(SESV2Backend, "send_email", throttled_once)
    # When the incident is notified
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then every address got it exactly once: the retry sent the batches not sent, not the first one again
    sent = [m for backend in ses_backends.values() for region in backend.values() for m in region.sent_messages]
    batches = [m.destinations["ToAddresses"] for m in sent]
    assert sorted(a for batch in batches for a in batch) == addresses
    assert [len(batch) for batch in batches] == [50, 50, 20]
    [entry] = api.get("/api/notification-logs", headers=auth(admin_key)).json()["items"]
    assert (entry["status"], entry["attempts"]) == ("sent", 2)


# a dry run's diff as a proposal shows it: a regex with "](" and a kubectl patch
DIFF = (
    "- matchPattern: '[a-z]+(api|web)'\n"
    "+ matchPattern: '[a-z](api|web)'\n"
    '+ {"spec":{"containers":[{"name":"api","resources":{"limits":{"memory":"512Mi"}}}]}}'
)


@pytest.mark.parametrize(
    ("channel_type", "path"),
    [
        ("dingtalk", "/robot/send?access_token=t1"),
        ("wecom", "/cgi-bin/webhook/send?key=k1"),
    ],  # Teams and Lark show it in a code element of their own: test_diff_code.py
)
def test_a_dry_run_diff_in_a_markdown_message_keeps_its_fence_and_no_link(
    api, notify_env, admin_key, vendors, channel_type, path
):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    channel = create_channel(api, admin_key, "chat", channel_type, {"webhook_url": f"{vendors.base_url}{path}"})
    route_all(api, admin_key, channel["id"])
    # Given a proposal whose dry-run diff holds a regex whose "[a-z](api|web)" reads as a link in markdown
    incident = save_incident()
    incident.proposal = {"action": "patch_resources", "dry_run": {"diff": DIFF}}
    incident.save()
    # When its approval request is sent with the default template (the diff in a ``` fence)
    enqueue(
        NotifyJob(
            workspace="default",
            event="approval.requested",
            incident_id=incident.id,
            generation="apr-diff",
            data={"approval_id": "2026-12-02T10:00:00#d1ff", "expires_at": "2026-12-02T10:30:00+00:00"},
        )
    )
    notify_env.poller.drain()
    text = _markdown_text(vendors, channel_type)
    # Then the diff is in its fence, every line as the dry run wrote it (on DingTalk, a paragraph) but the "](" a markdown link needs: these
    # clients show no fenced block as code (so the fence would not keep a link out), and the link is text
    fenced = "```\n" + DIFF.replace("](", "] (") + "\n```"
    if channel_type == "dingtalk":  # a fenced block's lines kept together by DingTalk's line break (two spaces)
        fenced = fenced.replace("\n", "  \n")
    assert fenced in text, text
    assert not re.search(r"\]\(", text), text


def test_an_email_channel_takes_addresses_separated_by_semicolons_and_refuses_what_is_no_address(
    api, notify_env, admin_key
):
    import boto3
    from moto.ses.models import ses_backends

    boto3.client("ses").verify_email_identity(EmailAddress="pagerless@example.com")
    # Given an email channel whose addresses were pasted from Outlook, separated by semicolons
    channel = create_channel(
        api,
        admin_key,
        "mail-outlook",
        "email",
        {"from_address": "pagerless@example.com", "to_addresses": "ops@example.com; Lead <lead@example.com>"},
    )
    # When it is sent to
    result = _test(api, admin_key, channel["id"])
    # Then each address gets the email (as one address, SES refused the message for good: "Illegal address")
    assert result["ok"] is True, result
    sent = [m for backend in ses_backends.values() for region in backend.values() for m in region.sent_messages]
    assert [m.destinations["ToAddresses"] for m in sent] == [["ops@example.com", "Lead <lead@example.com>"]]
    # And a channel with what is no address is refused when it is saved, naming it, not given up on every incident
    refused = api.post(
        "/api/notifications/channels",
        headers=auth(admin_key),
        json={
            "name": "mail-typo",
            "channel_type": "email",
            "config": {"from_address": "pagerless@example.com", "to_addresses": "ops@example.com lead@example.com"},
        },
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and "ops@example.com lead@example.com" in error["message"], error
    assert error["details"] == [{"field": "config.to_addresses", "invalid": "ops@example.com lead@example.com"}]


def test_dingtalk_and_wecom_messages_link_to_the_incident_where_the_group_acts_on_it(
    api, notify_env, admin_key, vendors, monkeypatch
):
    from pagerless import settings
    from pagerless.outbox.jobs import NotifyJob, enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_PUBLIC_URL", "https://pagerless.example.com")
    settings.reset()
    # Given a Chinese DingTalk group and an English WeCom group (their robots show no buttons)
    dingtalk = create_channel(
        api,
        admin_key,
        "值班群",
        "dingtalk",
        {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1", "language": "zh"},
    )
    wecom = create_channel(
        api, admin_key, "wx", "wecom", {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"}
    )
    route_all(api, admin_key, dingtalk["id"], wecom["id"])
    # When an incident is announced
    incident = save_incident()
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    # Then each message ends with a link to the incident's page in the console, in the group's language:
    # without it a DingTalk or WeCom group had no way from the message to the incident (to acknowledge, to approve)
    page = f"https://pagerless.example.com/console/incidents/{incident.id}"
    [ding] = vendors.to("/robot/send")
    assert ding.body["markdown"]["text"].endswith(f"\n\n[在 Pagerless 中打开]({page})"), ding.body
    [wx] = vendors.to("/cgi-bin/webhook/send")
    assert wx.body["markdown"]["content"].endswith(f"\n\n[Open in Pagerless]({page})"), wx.body


def test_an_email_channels_chinese_names_reach_ses_as_mime_encoded_words(api, notify_env, admin_key, monkeypatch):
    from email.header import decode_header, make_header
    from email.utils import parseaddr

    import boto3
    from moto.sesv2.responses import SESV2Response

    seen: list[dict] = []
    send_email = SESV2Response.send_email

    def recorded(self):
        seen.append(json.loads(self.body))
        return send_email(self)

    monkeypatch.setattr(SESV2Response, "send_email", recorded)
    boto3.client("ses").verify_email_identity(EmailAddress="pagerless@example.com")
    # Given a Chinese team's email channel: its sender and one address named in Chinese
    channel = create_channel(
        api,
        admin_key,
        "mail-zh",
        "email",
        {
            "from_address": "Pagerless 告警 <pagerless@example.com>",
            "to_addresses": "值班 <lead@example.com>, ops@example.com",
        },
    )
    # When it is sent to
    assert _test(api, admin_key, channel["id"])["ok"] is True
    # Then SES gets the names as MIME encoded-words, as it requires (7-bit ASCII: a raw name is refused or garbled),
    # which a mail client shows as written; an ASCII address is sent as it was
    [request] = seen
    sender, [lead, ops] = request["FromEmailAddress"], request["Destination"]["ToAddresses"]
    assert sender.isascii() and lead.isascii(), request
    assert parseaddr(sender)[1] == "pagerless@example.com" and parseaddr(lead)[1] == "lead@example.com"
    assert str(make_header(decode_header(parseaddr(sender)[0]))) == "Pagerless 告警"
    assert str(make_header(decode_header(parseaddr(lead)[0]))) == "值班"
    assert ops == "ops@example.com"


def test_the_readme_email_channel_example_sends_once_its_sender_is_verified(api, notify_env, admin_key):
    import boto3

    readme = (ROOT / "README.md").read_text("utf-8")
    assert "<!-- email-channel-example -->" in readme, "the README shows no email channel to copy"
    block = readme.split("<!-- email-channel-example -->", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    identity = re.search(r"aws sesv2 create-email-identity --email-identity (\S+)", block)[1]
    body = json.loads(re.search(r"-d '(.*)'", block, re.S)[1])
    # Given the sender verified as the README says, when the README's channel is created and tested
    boto3.client("sesv2").create_email_identity(EmailIdentity=identity)
    created = api.post("/api/notifications/channels", json=body, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    # Then SES takes the message
    result = _test(api, admin_key, created.json()["id"])
    assert result["ok"] is True and result["status"] == "sent", result
