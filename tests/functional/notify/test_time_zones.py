"""Time zones on chat cards and emails: a channel may name one (``config.timezone``, an IANA name), a paged
person's own ``timezone`` applies to their direct messages, and without either every time reads as before
(``2026-12-06 14:03 UTC``), byte for byte; the buttons of a card in a zone carry it (``"tz"``), so the click's
answer speaks it too."""

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID
from tests.functional.chat.conftest import SLACK_TEAM, chat_apps, response_url, slack_form, slack_headers  # noqa: F401
from tests.functional.notify.conftest import create_channel, lark_channel, route_all, save_incident, slack_channel
from tests.functional.notify.test_pages import EMAIL_LINK_SECRET, _email_channel, _emails, email_links  # noqa: F401

pytestmark = pytest.mark.functional

SHANGHAI = "Asia/Shanghai"


class FakeStepFunctions:
    def send_task_success(self, **kwargs):
        return {}

    def send_task_failure(self, **kwargs):
        return {}


def _in(moment: datetime | str, zone: str) -> str:
    """``moment`` to the minute as a card in ``zone`` shows it."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if zone == "UTC":
        return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC")
    local = moment.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M") + f" UTC{offset[:3]}:{offset[3:]}"


def _set(api, key, channel: dict, config: dict) -> dict:
    response = api.put(f"/api/notifications/channels/{channel['id']}", headers=auth(key), json={"config": config})
    assert response.status_code == 200, response.text
    return response.json()


def _request_approval(notify_env, incident_id: str):
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    incident = save_incident(incident_id)
    service = ApprovalService(sfn=FakeStepFunctions())
    service.request(incident.id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600)
    notify_env.poller.drain()
    return incident, service, ApprovalRepository().latest(incident.id)


def _lark_card(request) -> tuple[str, list[dict]]:
    card = json.loads(request.body["content"])
    text = "\n".join(e["text"]["content"] for e in card["elements"] if e["tag"] == "div")
    actions = [a for e in card["elements"] if e["tag"] == "action" for a in e["actions"]]
    return text, actions


def test_a_chinese_lark_channel_in_shanghai_shows_its_times_there_before_and_after_the_decision(
    api, notify_env, admin_key, vendors
):
    from pagerless.api.security import key_service

    # Given the Shanghai team's Lark channel, in Chinese, in Asia/Shanghai
    lark = lark_channel(api, admin_key, vendors)
    shown = _set(api, admin_key, lark, {"language": "zh", "timezone": SHANGHAI})
    assert shown["config"]["timezone"] == SHANGHAI
    route_all(api, admin_key, lark["id"])
    # When an approval is requested
    incident, service, approval = _request_approval(notify_env, "INC-20261206-0301")
    # Then the card's expiry is Shanghai's wall clock, its offset named
    [send] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    text, actions = _lark_card(send)
    assert f"过期时间：{_in(approval.expires_at, SHANGHAI)}\n" in text + "\n", text
    assert " UTC\n" not in text + "\n"
    # And its buttons carry the zone beside the language
    assert {(a["value"]["lang"], a["value"]["tz"]) for a in actions} == {("zh", SHANGHAI)}
    # When alice approves
    alice = key_service().create(workspace="default", role="operator", name="alice").record.key_id
    service.decide(incident.id, "default", approve=True, actor=alice, role="operator", comment="go")
    notify_env.poller.drain()
    # Then the patched card says when, in Shanghai time
    from pagerless.store.approvals import ApprovalRepository

    decided = ApprovalRepository().latest(incident.id)
    [patch] = [r for r in vendors.requests if r.method == "PATCH"]
    note = json.loads(patch.body["content"])["elements"][-1]["elements"][0]["content"]
    assert note == f"alice（{alice[:8]}…） 于 {_in(decided.decided_at, SHANGHAI)} 批准：go", note


def test_without_a_zone_cards_and_buttons_are_as_they_were(api, notify_env, admin_key, vendors):
    # Given a Slack channel that names no zone
    slack = slack_channel(api, admin_key, vendors)
    assert "timezone" not in slack["config"]
    route_all(api, admin_key, slack["id"])
    incident, _, approval = _request_approval(notify_env, "INC-20261206-0302")
    # Then its expiry reads in UTC as before, and its buttons are the contract's, byte for byte
    [post] = vendors.to("/slack/api/chat.postMessage")
    section = "\n".join(b["text"]["text"] for b in post.body["blocks"] if b["type"] == "section")
    assert section.endswith(f"\nExpires: {_in(approval.expires_at, 'UTC')}"), section
    approve = post.body["blocks"][-1]["elements"][0]["value"]
    assert approve == (
        f'{{"pl":1,"approval_id":"{approval.approval_id}","incident_id":"{incident.id}",'
        '"workspace":"default","action":"approve"}'
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "America", 8])
def test_an_unknown_zone_is_refused_naming_the_field_and_nothing_is_written(api, notify_env, admin_key, vendors, zone):
    config = {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t0", "timezone": zone}
    # When a channel is created with a zone that is none
    created = api.post(
        "/api/notifications/channels",
        headers=auth(admin_key),
        json={"name": "ding", "channel_type": "dingtalk", "config": config},
    )
    # Then it is refused, naming config.timezone, and no channel exists
    assert created.status_code == 400, created.text
    error = created.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"][0]["field"] == "config.timezone"
    assert api.get("/api/notifications/channels", headers=auth(admin_key)).json() == []
    # And an edit that names it is refused too, leaving the channel as it was
    ding = create_channel(api, admin_key, "ding", "dingtalk", {**config, "timezone": "Europe/Berlin"})
    edited = api.put(
        f"/api/notifications/channels/{ding['id']}", headers=auth(admin_key), json={"config": {"timezone": zone}}
    )
    assert edited.status_code == 400 and edited.json()["error"]["details"][0]["field"] == "config.timezone"
    assert api.get(f"/api/notifications/channels/{ding['id']}", headers=auth(admin_key)).json() == ding


def _page(incident_id: str, targets: list[dict]):
    from pagerless.outbox.jobs import NotifyJob

    return NotifyJob(
        workspace="default", event="escalation.page", incident_id=incident_id, generation="0-0", targets=targets
    )


def test_a_page_to_a_person_reads_in_their_own_zone(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import PeopleService

    # Given Alice in Shanghai and Bob, who names no zone (UTC), both on Lark, and a Lark app channel in no zone
    # whose page template shows when the incident opened
    people = PeopleService()
    alice = people.create("default", name="Alice Chen", email="alice@example.com", role="operator", timezone=SHANGHAI)
    bob = people.create("default", name="Bob Li", email="bob@example.com", role="operator")
    for person, open_id in ((alice, "ou_alice"), (bob, "ou_bob")):
        ChatIdentityService().bind("default", "lark", LARK_APP_ID, open_id, person.id, actor="test")
    lark_channel(api, admin_key, vendors)
    template = api.post(
        "/api/notifications/templates",
        headers=auth(admin_key),
        json={
            "name": "page",
            "channel_type": "lark",
            "event": "escalation.page",
            "title_template": "Page: {{ title }}",
            "body_template": "Opened {{ opened_at }}",
            "is_default": True,
        },
    )
    assert template.status_code == 201, template.text
    incident = save_incident("INC-20261206-0303")
    opened = api.get(f"/api/incidents/{incident.id}", headers=auth(admin_key)).json()["created_at"]
    # When both are paged
    enqueue(_page(incident.id, [{"kind": "person", "id": alice.id}, {"kind": "person", "id": bob.id}]))
    notify_env.poller.drain()
    # Then Alice's direct message reads in Shanghai time, and its Acknowledge button carries her zone
    sent = {r.body["receive_id"]: _lark_card(r) for r in vendors.to("/open-apis/im/v1/messages")}
    assert sent["ou_alice"][0] == f"Opened {_in(opened, SHANGHAI)}"
    assert [a["value"].get("tz") for a in sent["ou_alice"][1]] == [SHANGHAI]
    # And Bob's in UTC, with the button value of before
    assert sent["ou_bob"][0] == f"Opened {_in(opened, 'UTC')}"
    assert [sorted(a["value"]) for a in sent["ou_bob"][1]] == [
        ["action", "approval_id", "incident_id", "pl", "workspace"]
    ]


def test_a_person_who_chose_utc_is_paged_in_utc_through_a_channel_in_another_zone(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue
    from pagerless.people.identities import ChatIdentityService

    # Given a Lark channel in Shanghai whose page template shows when the incident opened, Carol, who chose
    # UTC, Dan, who named no zone, and Erin, who named none and then chose UTC
    lark = lark_channel(api, admin_key, vendors)
    _set(api, admin_key, lark, {"timezone": SHANGHAI})
    template = {"name": "page", "channel_type": "lark", "event": "escalation.page", "is_default": True}
    template |= {"title_template": "Page: {{ title }}", "body_template": "Opened {{ opened_at }}"}
    assert api.post("/api/notifications/templates", headers=auth(admin_key), json=template).status_code == 201
    h, people = auth(admin_key), {}
    for name, zone in (("carol", "UTC"), ("dan", None), ("erin", None)):
        body = {"name": name.title(), "email": f"{name}@example.com", "role": "operator"}
        created = api.post("/api/people", headers=h, json=body | ({"timezone": zone} if zone else {}))
        assert created.status_code == 201 and created.json()["timezone"] == "UTC", created.text
        people[name] = created.json()["id"]
        ChatIdentityService().bind("default", "lark", LARK_APP_ID, f"ou_{name}", people[name], actor="test")
    edited = api.patch(f"/api/people/{people['erin']}", headers=h, json={"timezone": "Etc/UTC"})
    assert edited.status_code == 200 and "timezone_set" not in edited.json(), edited.text
    incident = save_incident("INC-20261206-0305")
    opened = api.get(f"/api/incidents/{incident.id}", headers=h).json()["created_at"]
    # When the three are paged
    enqueue(_page(incident.id, [{"kind": "person", "id": pid} for pid in people.values()]))
    notify_env.poller.drain()
    # Then Carol's and Erin's pages read in UTC, their choice, and Dan's in the channel's zone
    sent = {r.body["receive_id"]: _lark_card(r)[0] for r in vendors.to("/open-apis/im/v1/messages")}
    assert sent == {
        "ou_carol": f"Opened {_in(opened, 'UTC')}",
        "ou_dan": f"Opened {_in(opened, SHANGHAI)}",
        "ou_erin": f"Opened {_in(opened, 'UTC')}",
    }


def test_a_built_in_page_says_when_the_incident_opened_in_the_readers_zone_and_language(
    api, notify_env, admin_key, vendors
):
    from pagerless.outbox.jobs import enqueue
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import PeopleService

    # Given a Chinese Lark channel in Shanghai with the built-in templates, Fay, who names no zone, and Gus in UTC
    lark = lark_channel(api, admin_key, vendors)
    _set(api, admin_key, lark, {"language": "zh", "timezone": SHANGHAI})
    people = PeopleService()
    fay = people.create("default", name="Fay", email="fay@example.com", role="operator")
    gus = people.create("default", name="Gus", email="gus@example.com", role="operator", timezone="UTC")
    for person, open_id in ((fay, "ou_fay"), (gus, "ou_gus")):
        ChatIdentityService().bind("default", "lark", LARK_APP_ID, open_id, person.id, actor="test")
    incident = save_incident("INC-20261206-0306")
    opened = api.get(f"/api/incidents/{incident.id}", headers=auth(admin_key)).json()["created_at"]
    # When both are paged (a page can come long after the incident opened: its step's delay, repeats)
    enqueue(_page(incident.id, [{"kind": "person", "id": fay.id}, {"kind": "person", "id": gus.id}]))
    notify_env.poller.drain()
    # Then each page says when it opened, in Chinese, in the zone its reader reads
    sent = {r.body["receive_id"]: _lark_card(r)[0] for r in vendors.to("/open-apis/im/v1/messages")}
    assert sent["ou_fay"].endswith(f"开始时间：{_in(opened, SHANGHAI)}"), sent["ou_fay"]
    assert sent["ou_gus"].endswith(f"开始时间：{_in(opened, 'UTC')}"), sent["ou_gus"]
    # And on the channel in English, Fay's next page says it in English
    _set(api, admin_key, lark, {"language": "en", "timezone": SHANGHAI})
    other = save_incident("INC-20261206-0307")
    enqueue(_page(other.id, [{"kind": "person", "id": fay.id}]))
    notify_env.poller.drain()
    [english] = [_lark_card(r)[0] for r in vendors.to("/open-apis/im/v1/messages") if other.id in r.body["content"]]
    opened = api.get(f"/api/incidents/{other.id}", headers=auth(admin_key)).json()["created_at"]
    assert english.endswith(f"Opened: {_in(opened, SHANGHAI)}"), english


def test_a_click_on_a_card_in_shanghai_is_answered_in_shanghai_time(
    api,
    notify_env,
    admin_key,
    vendors,
    chat_apps,  # noqa: F811
):
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import PeopleService

    # Given Bob, bound to his Slack user, and a Slack channel in Asia/Shanghai whose approval card went out
    bob = PeopleService().create("default", name="Bob Li", email="bob@example.com", role="operator")
    ChatIdentityService().bind("default", "slack", SLACK_TEAM, "U0G9QF9C6", bob.id, actor="test")
    slack = slack_channel(api, admin_key, vendors)
    _set(api, admin_key, slack, {"timezone": SHANGHAI})
    route_all(api, admin_key, slack["id"])
    incident, service, _ = _request_approval(notify_env, "INC-20261206-0304")
    [post] = vendors.to("/slack/api/chat.postMessage")
    value = json.loads(post.body["blocks"][-1]["elements"][0]["value"])
    assert value["tz"] == SHANGHAI and "lang" not in value
    # When Bob approves with its button, and presses it again
    body = slack_form(value, user="U0G9QF9C6")
    first = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert first.status_code == 200 and first.json()["text"].startswith("You approved"), first.text
    body = slack_form(value, user="U0G9QF9C6")  # a new click: the same request again would be a replay
    again = api.post("/slack/interactivity", content=body, headers=slack_headers(body)).json()["text"]
    # Then the second answer says when he decided, in the card's zone
    from pagerless.store.approvals import ApprovalRepository

    decided = ApprovalRepository().latest(incident.id)
    assert f" at {_in(decided.decided_at, SHANGHAI)}; nothing changed" in again, again
    # And the updated card says it in Shanghai time too
    notify_env.poller.drain()
    [update] = vendors.to("/slack/api/chat.update")
    line = update.body["blocks"][-1]["elements"][0]["text"]
    when = re.escape(_in(decided.decided_at, SHANGHAI))
    assert re.fullmatch(rf"Approved by Bob Li \(per_\w+\) at {when} via Slack", line), line


def test_the_template_preview_shows_the_zone(api, notify_env, admin_key):
    expires = "2026-12-06T14:03:00+00:00"
    body = {"channel_type": "lark", "event": "approval.requested", "language": "zh", "timezone": SHANGHAI}
    body["data"] = {"approval_id": "ap-1", "expires_at": expires}
    # When an admin previews a Chinese Lark card in Asia/Shanghai
    response = api.post("/api/notifications/templates/preview", headers=auth(admin_key), json=body)
    # Then its times read there, and the zone is said
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["timezone"] == SHANGHAI
    assert "过期时间：2026-12-06 22:03 UTC+08:00" in preview["body"], preview["body"]
    card = json.loads(preview["payload"]["content"])
    assert {a["value"]["tz"] for e in card["elements"] if e["tag"] == "action" for a in e["actions"]} == {SHANGHAI}
    # And without a zone, in UTC as before
    del body["timezone"]
    plain = api.post("/api/notifications/templates/preview", headers=auth(admin_key), json=body).json()
    assert plain["timezone"] == "UTC" and "过期时间：2026-12-06 14:03 UTC" in plain["body"]
    # And an unknown zone is refused, naming the field
    bad = api.post(
        "/api/notifications/templates/preview", headers=auth(admin_key), json={**body, "timezone": "Nowhere"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"
    assert bad.json()["error"]["details"][0]["field"] == "timezone"


def test_an_email_channel_in_shanghai_and_its_signed_links_read_times_there(
    api,
    notify_env,
    admin_key,
    email_links,  # noqa: F811
):
    from pagerless.chat.email_links import verify
    from pagerless.people.service import PeopleService

    # Given Carol, and an email channel to her address in Asia/Shanghai that approvals are routed to
    PeopleService().create("default", name="Carol Wu", email="carol@example.com", role="operator")
    channel = _email_channel(api, admin_key, "approvers", ["carol@example.com"])
    _set(api, admin_key, channel, {"timezone": SHANGHAI})
    route_all(api, admin_key, channel["id"])
    # When an approval is requested
    _, _, approval = _request_approval(notify_env, "INC-20261206-0305")
    # Then her email's expiry reads in Shanghai time, and her signed links carry the zone
    [email] = _emails()
    body = str(email.body)
    assert f"Expires: {_in(approval.expires_at, SHANGHAI)}" in body, body
    token = re.search(r"Approve: https://pagerless\.example\.com/email/approvals/(\S+)", body)[1]
    assert verify(token, key=EMAIL_LINK_SECRET).zone == SHANGHAI
    # And the confirm page the link opens says when the approval expires, in the same zone
    page = api.get(f"/email/approvals/{token}")
    assert page.status_code == 200 and f"expires at {_in(approval.expires_at, SHANGHAI)}." in page.text, page.text
