"""The template preview shows what a channel of that type is sent, byte for byte: an approval card's dry-run diff
as code where the vendor has a code element (Slack, Lark, Teams), in its ``` fence where it has none; every request
a channel sends (WeCom's mention message after its card), an email's per-address signed links (shaped, never
minted), and a webhook's signature headers (computed the way the preview says, never with the channel's secret)."""

import base64
import hashlib
import hmac
import json
import re

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import create_channel, lark_channel, route_all, save_incident, slack_channel
from tests.functional.notify.test_diff_code import DIFF, DIFF_FENCED_ON_DINGTALK, EXPIRES

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
        sent = [r for r in vendors.to(path) if r.method == "POST"]
        # Then the preview for that channel type, the same incident and data, is the request body the vendor got,
        # byte for byte, but for the destination the channel's own config adds
        preview = _preview(api, admin_key, channel_type, incident.id)
        assert _encoded({**destination, **preview["payload"]}) == sent[0].raw, channel_type
        # And its messages are every request the vendor got: here one, the card
        assert [_encoded({**destination, **m["payload"]}) for m in preview["messages"]] == [r.raw for r in sent]
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
    # (each line a paragraph, a fenced block's lines kept together: DingTalk's markdown shows a single line break as
    # a space)
    fenced = DIFF_FENCED_ON_DINGTALK.replace("<", "&lt;").replace(">", "&gt;").replace("](", "] (")
    assert fenced in ding["markdown"]["text"]


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


@pytest.mark.parametrize(
    "body_template",
    [
        "{{ 1 / 0 }}",
        "{% for k in self %}{% endfor %}",  # a KeyError in Jinja: was a 500
        "{{ 'x'|center(3000000) }}",  # millions of characters from one filter
    ],
)
def test_the_preview_of_a_broken_template_is_a_validation_error(api, notify_env, admin_key, body_template):
    # When an admin previews a template that fails to render
    response = api.post(
        "/api/notifications/templates/preview",
        headers=auth(admin_key),
        json={"channel_type": "teams", "event": "incident.opened", "body_template": body_template},
    )
    # Then it is the API's validation error naming the template and its line, not the built-in template shown instead
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == [{"field": "body_template", "line": 1}]


# ---------------------------------------------------------------- a page's mentions


PAGE_DATA = {"step": 1, "repeat": 0}


def _page(incident_id: str, targets: list[dict]):
    from pagerless.outbox.jobs import NotifyJob

    return NotifyJob("default", "escalation.page", incident_id, generation="0-0", targets=targets, data=PAGE_DATA)


def test_the_preview_of_a_page_with_the_people_it_pages_is_every_request_each_group_gets(
    api, notify_env, admin_key, vendors
):
    from pagerless.outbox.jobs import enqueue
    from pagerless.people.service import PeopleService

    # Given Dana, with a phone and a Teams identity, and WeCom, DingTalk and Teams groups
    dana = PeopleService().create(
        "default",
        name="Dana Zhou",
        email="dana@example.com",
        role="operator",
        contacts=[{"kind": "phone", "value": "+86 138-0013-8000"}, {"kind": "teams", "value": "dzhou@corp.com"}],
    )
    base = vendors.base_url
    groups = {
        "wecom": (
            create_channel(api, admin_key, "wecom", "wecom", {"webhook_url": f"{base}/cgi-bin/webhook/send?key=p"}),
            "/cgi-bin/webhook/send",
        ),
        "dingtalk": (
            create_channel(api, admin_key, "ding", "dingtalk", {"webhook_url": f"{base}/robot/send?access_token=p"}),
            "/robot/send",
        ),
        "teams": (
            create_channel(api, admin_key, "teams", "teams", {"webhook_url": f"{base}/workflows/p"}),
            "/workflows/p",
        ),
    }
    incident = save_incident()
    # When a step pages the three groups and Dana
    targets = [{"kind": "person", "id": dana.id}]
    enqueue(_page(incident.id, [{"kind": "channel", "id": c["id"]} for c, _ in groups.values()] + targets))
    notify_env.poller.drain()
    for channel_type, (_, path) in groups.items():
        sent = vendors.to(path)
        # Then the preview of the page for that type, naming the people it pages, is every request the group got,
        # byte for byte: WeCom's markdown card and then its text message that @-mentions Dana by phone
        preview = _preview(
            api, admin_key, channel_type, incident.id, event="escalation.page", data=PAGE_DATA, targets=targets
        )
        assert [_encoded(m["payload"]) for m in preview["messages"]] == [r.raw for r in sent], channel_type
        assert _encoded(preview["payload"]) == sent[0].raw
    wecom = _preview(api, admin_key, "wecom", incident.id, event="escalation.page", data=PAGE_DATA, targets=targets)
    assert [m["part"] for m in wecom["messages"]] == ["card", "mentions"]
    assert wecom["messages"][1]["payload"]["text"]["mentioned_mobile_list"] == ["13800138000"]
    # And without the people, the preview is the group message that mentions nobody, as before: the card alone
    alone = _preview(api, admin_key, "wecom", incident.id, event="escalation.page", data=PAGE_DATA)
    assert [m["part"] for m in alone["messages"]] == ["card"] and alone["payload"] == wecom["payload"]


# ---------------------------------------------------------------- email: one address's own links

LINK_SECRET = "email-link-secret-for-the-preview-test"
TOKEN = re.compile(r"(Approve|Reject|Acknowledge): (https://pagerless\.example\.com/email/approvals/)(\S+)")


@pytest.fixture
def links_on(notify_env, monkeypatch):
    """Email links configured: a link secret and the public URL."""
    from pagerless.chat import apps

    monkeypatch.setenv("PAGERLESS_EMAIL_LINK_SECRET", LINK_SECRET)
    monkeypatch.setenv("PAGERLESS_PUBLIC_URL", "https://pagerless.example.com")
    apps.reset()
    yield
    apps.reset()


@pytest.fixture
def ses_requests(monkeypatch) -> list[dict]:
    """The body of every SendEmail request SES gets (``FromEmailAddress``, ``Destination``, ``Content``)."""
    from moto.sesv2.responses import SESV2Response

    seen: list[dict] = []
    send_email = SESV2Response.send_email

    def recorded(self):
        seen.append(json.loads(self.body))
        return send_email(self)

    monkeypatch.setattr(SESV2Response, "send_email", recorded)
    return seen


def _email_channel(api, key, to: list[str]) -> dict:
    import boto3

    boto3.client("ses").verify_email_identity(EmailAddress="pagerless@example.com")
    return create_channel(api, key, "mail", "email", {"from_address": "pagerless@example.com", "to_addresses": to})


def _to(requests: list[dict], address: str) -> dict:
    [content] = [r["Content"] for r in requests if address in r["Destination"]["ToAddresses"]]
    return content


def _tokens_shown(content: dict) -> tuple[dict, list[tuple[str, str]]]:
    """``content`` with each signed link's token as the preview shows it (``<approve token>``...), and the tokens."""
    text = content["Simple"]["Body"]["Text"]["Data"]
    found = [(m[1], m[3]) for m in TOKEN.finditer(text)]
    shown = TOKEN.sub(lambda m: f"{m[1]}: {m[2]}<{m[1].lower()} token>", text)
    return {
        "Simple": {**content["Simple"], "Body": {"Text": {**content["Simple"]["Body"]["Text"], "Data": shown}}}
    }, found


def _no_usable_link(preview: dict) -> None:
    """Nothing in the preview's answer opens a confirm page: no token in it verifies."""
    from pagerless.chat.email_links import verify
    from pagerless.domain.errors import UnauthorizedError

    shown = re.findall(r"/email/approvals/([^\s\"\\]+)", json.dumps(preview, ensure_ascii=False))
    assert shown, "the preview shows the links"
    for candidate in shown:
        with pytest.raises(UnauthorizedError):
            verify(candidate, key=LINK_SECRET, now=0)


def test_the_preview_of_an_approval_email_shows_one_persons_own_email_with_links_shaped_not_minted(
    api, notify_env, admin_key, links_on, ses_requests
):
    from pagerless.chat.email_links import verify
    from pagerless.people.service import PeopleService

    # Given an email channel to Carol (a person) and to a list address (nobody's), routed, and a pending approval
    carol = PeopleService().create("default", name="Carol Wu", email="carol@example.com", role="operator")
    channel = _email_channel(api, admin_key, ["carol@example.com", "oncall@example.com"])
    route_all(api, admin_key, channel["id"])
    incident = _incident_with_the_diff()
    # When its approval email goes out
    _request_approval(incident.id)
    notify_env.poller.drain()
    carols, lists = _to(ses_requests, "carol@example.com"), _to(ses_requests, "oncall@example.com")
    preview = _preview(api, admin_key, "email", incident.id)
    # Then the preview's message is the email the list address got (SES's Content: subject and text exact)
    assert [m["part"] for m in preview["messages"]] == ["message", "approval_links"]
    assert preview["payload"] == preview["messages"][0]["payload"] == lists
    # And its approval_links email is Carol's, but for the tokens: where her email has tokens signed for her, the
    # preview has <approve token> and <reject token>
    shown, tokens = _tokens_shown(carols)
    assert preview["messages"][1]["payload"] == shown
    assert [(kind, verify(token, key=LINK_SECRET, now=0).person_id) for kind, token in tokens] == [
        ("Approve", carol.id),
        ("Reject", carol.id),
    ]
    # And the preview says what a token is, and mints none: no link in it opens a confirm page
    assert "base64url" in preview["messages"][1]["note"] and APPROVAL["expires_at"] in preview["messages"][1]["note"]
    _no_usable_link(preview)


def test_the_preview_of_a_page_by_email_shows_the_acknowledge_link_shaped_not_minted(
    api, notify_env, admin_key, links_on, ses_requests
):
    from pagerless.outbox.jobs import enqueue
    from pagerless.people.service import PeopleService

    # Given Carol, who has only an email address, and an email channel
    carol = PeopleService().create("default", name="Carol Wu", email="carol@example.com", role="operator")
    _email_channel(api, admin_key, ["team@example.com"])
    incident = save_incident()
    # When a step pages her: she gets an email with her own Acknowledge link
    enqueue(_page(incident.id, [{"kind": "person", "id": carol.id}]))
    notify_env.poller.drain()
    shown, [(kind, _)] = _tokens_shown(_to(ses_requests, "carol@example.com"))
    # Then the preview of the page by email shows that email, <acknowledge token> in place of her token
    preview = _preview(api, admin_key, "email", incident.id, event="escalation.page", data=PAGE_DATA)
    [personal] = [m for m in preview["messages"] if m["part"] == "acknowledge_link"]
    assert kind == "Acknowledge" and personal["payload"] == shown
    _no_usable_link(preview)


def test_without_email_links_the_preview_shows_no_personal_email(api, notify_env, admin_key):
    # Given no email link secret: emails go out without links
    incident = _incident_with_the_diff()
    # Then the preview of an approval email is the one email every address gets
    preview = _preview(api, admin_key, "email", incident.id)
    assert [m["part"] for m in preview["messages"]] == ["message"]
    assert "/email/approvals/" not in json.dumps(preview)
    # And it says why there is no email with a person's links, naming what links wait for, in its language
    [note] = preview["notes"]
    assert "Approve and Reject" in note and "PAGERLESS_PUBLIC_URL and PAGERLESS_EMAIL_LINK_SECRET are set" in note
    [zh] = _preview(api, admin_key, "email", incident.id, language="zh")["notes"]
    assert "批准和拒绝" in zh and "PAGERLESS_PUBLIC_URL 和 PAGERLESS_EMAIL_LINK_SECRET" in zh


def test_a_page_preview_names_the_one_setting_email_links_wait_for(api, notify_env, admin_key, monkeypatch):
    from pagerless.chat import apps

    # Given a link secret but no public URL: links cannot point anywhere, and pages go by email without one
    monkeypatch.setenv("PAGERLESS_EMAIL_LINK_SECRET", LINK_SECRET)
    monkeypatch.delenv("PAGERLESS_PUBLIC_URL", raising=False)
    apps.reset()
    incident = save_incident()
    try:
        # When an operator previews a page by email
        preview = _preview(api, admin_key, "email", incident.id, event="escalation.page", data=PAGE_DATA)
    finally:
        apps.reset()
    # Then no acknowledge_link email is shown, and the note says the public URL is what links wait for
    assert [m["part"] for m in preview["messages"]] == ["message"]
    [note] = preview["notes"]
    assert "Acknowledge" in note and "until PAGERLESS_PUBLIC_URL is set" in note and "SECRET" not in note
    # And a preview of another channel type, or of an event that sends no links, carries no note
    assert _preview(api, admin_key, "slack", incident.id)["notes"] == []
    assert _preview(api, admin_key, "email", incident.id, event="incident.opened", data={})["notes"] == []


def test_with_email_links_on_the_preview_carries_no_note(api, notify_env, admin_key, links_on):
    incident = _incident_with_the_diff()
    assert _preview(api, admin_key, "email", incident.id)["notes"] == []


# ---------------------------------------------------------------- webhook: what the receiver verifies

HOOK_SECRET = "whsec_" + base64.b64encode(b"the channel's own signing key, 32b").decode()


def _hmac(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> str:
    """The signature as a receiver computes it, from the preview's words: HMAC-SHA256 of id.timestamp.body."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_the_preview_of_a_webhook_shows_its_body_and_the_signature_a_receiver_verifies(
    api, notify_env, admin_key, vendors
):
    # Given a signed webhook channel, routed, and an approval request
    channel = create_channel(
        api, admin_key, "hook", "webhook", {"url": f"{vendors.base_url}/hooks/in", "secret": HOOK_SECRET}
    )
    route_all(api, admin_key, channel["id"])
    incident = _incident_with_the_diff()
    _request_approval(incident.id)
    notify_env.poller.drain()
    [sent] = vendors.to("/hooks/in")
    preview = _preview(api, admin_key, "webhook", incident.id)
    [message] = preview["messages"]
    # Then the preview's body is the one the receiver got, byte for byte, but for its timestamp: the time of sending,
    # which is the webhook-timestamp header's
    assert sent.body["timestamp"] == int(sent.headers["webhook-timestamp"])
    assert _encoded({**preview["payload"], "timestamp": sent.body["timestamp"]}) == sent.raw
    assert message["payload"] == preview["payload"]
    assert message["headers"]["webhook-timestamp"] == str(preview["payload"]["timestamp"])
    # And it names the headers the receiver gets, with the values' shapes
    assert set(message["headers"]) == {"content-type", "webhook-id", "webhook-timestamp", "webhook-signature"}
    assert all(name in sent.headers for name in message["headers"])
    assert re.fullmatch(r"msg_[0-9a-f]{32}", sent.headers["webhook-id"])
    assert re.fullmatch(r"msg_[0-9a-f]{32}", message["headers"]["webhook-id"])
    # And a receiver that computes the signature as the preview says (the key: base64 after whsec_) gets the one the
    # channel sent, with the channel's secret ...
    how = message["signature"]
    assert (how["algorithm"], how["signed_content"]) == ("HMAC-SHA256", "{webhook-id}.{webhook-timestamp}.{body}")
    own_key = base64.b64decode(HOOK_SECRET.removeprefix("whsec_"))
    assert (
        _hmac(own_key, sent.headers["webhook-id"], sent.headers["webhook-timestamp"], sent.raw)
        == sent.headers["webhook-signature"]
    )
    # ... and the preview's own example, with the example key it publishes over the body it shows
    example_key = base64.b64decode(how["example_secret"].removeprefix("whsec_"))
    headers = message["headers"]
    assert (
        _hmac(example_key, headers["webhook-id"], headers["webhook-timestamp"], _encoded(message["payload"]))
        == headers["webhook-signature"]
    )
    # And nothing of the channel's secret is in the preview
    text = json.dumps(preview, ensure_ascii=False)
    assert HOOK_SECRET not in text and HOOK_SECRET.removeprefix("whsec_") not in text
