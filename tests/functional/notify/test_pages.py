"""Pages to people: escalation.page jobs naming persons and schedules, delivered as direct messages in the
fake Slack and Lark (or an SES email), one delivery per person, and an Acknowledge button that works."""

import json
from datetime import date, time

import pytest

from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID
from tests.functional.chat.conftest import SLACK_TEAM, chat_apps, response_url, slack_form, slack_headers  # noqa: F401
from tests.functional.notify.conftest import create_channel, lark_channel, save_incident, slack_channel

pytestmark = pytest.mark.functional


def _page(incident_id: str, targets: list[dict], generation: str = "0-0"):
    from pagerless.outbox.jobs import NotifyJob

    return NotifyJob(
        workspace="default",
        event="escalation.page",
        incident_id=incident_id,
        generation=generation,
        targets=targets,
        data={"step": 1, "repeat": 0},
    )


def _logs(api, key, **params) -> list[dict]:
    response = api.get("/api/notification-logs", headers=auth(key), params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _email_channel(api, key, name: str = "mail", to: list[str] | None = None) -> dict:
    """An SES email channel sending from a verified address (to team@example.com unless ``to``)."""
    import boto3

    boto3.client("ses").verify_email_identity(EmailAddress="pagerless@example.com")
    config = {"from_address": "pagerless@example.com", "to_addresses": to or ["team@example.com"]}
    return create_channel(api, key, name, "email", config)


@pytest.fixture
def team(runtime):
    """Alice on Slack (a contact) and Lark (a bound identity), Bob on Slack only (bound), Carol with email only."""
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import PeopleService

    people, identities = PeopleService(), ChatIdentityService()
    alice = people.create(
        "default",
        name="Alice Chen",
        email="alice@example.com",
        role="operator",
        contacts=[{"kind": "slack", "value": f"{SLACK_TEAM}/U0ALICE01"}],
    )
    bob = people.create("default", name="Bob Li", email="bob@example.com", role="operator")
    carol = people.create("default", name="Carol Wu", email="carol@example.com", role="operator")
    identities.bind("default", "lark", LARK_APP_ID, "ou_alice", alice.id, actor="test")
    identities.bind("default", "slack", SLACK_TEAM, "U0G9QF9C6", bob.id, actor="test")
    return {"alice": alice, "bob": bob, "carol": carol}


def test_a_person_is_paged_by_direct_message_on_slack_and_lark_once_per_person(
    api, notify_env, admin_key, vendors, team
):
    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)
    lark_channel(api, admin_key, vendors)
    incident = save_incident()
    # When escalation pages Alice and Bob, and the same page is queued again (a retried tick)
    targets = [{"kind": "person", "id": team["alice"].id}, {"kind": "person", "id": team["bob"].id}]
    enqueue(_page(incident.id, targets))
    enqueue(_page(incident.id, targets))
    notify_env.poller.drain()
    # Then each went out once, as a direct message: Slack to the user id, Lark to the open_id of that app
    posts = vendors.to("/slack/api/chat.postMessage")
    assert sorted(p.body["channel"] for p in posts) == ["U0ALICE01", "U0G9QF9C6"]
    lark = vendors.to("/open-apis/im/v1/messages")
    assert [(r.query["receive_id_type"], r.body["receive_id"]) for r in lark] == [("open_id", "ou_alice")]
    # And the page card carries only an Acknowledge button with the shared button contract
    [actions] = [b for b in posts[0].body["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    assert button["action_id"] == "pl_ack"
    assert json.loads(button["value"]) == {
        "pl": 1,
        "approval_id": "",
        "incident_id": incident.id,
        "workspace": "default",
        "action": "acknowledge",
    }
    card = json.loads(lark[0].body["content"])
    [lark_actions] = [e for e in card["elements"] if e["tag"] == "action"]
    assert [b["value"]["action"] for b in lark_actions["actions"]] == ["acknowledge"]
    assert posts[0].body["text"].startswith("[CRITICAL] Page: ")
    # And the delivery log names the person of each delivery
    logs = _logs(api, admin_key, incident_id=incident.id)
    assert sorted(
        (e["channel_type"], e["recipient"]["person_id"], e["recipient"]["address"], e["status"]) for e in logs
    ) == sorted(
        [
            ("slack", team["alice"].id, "slack:U0ALICE01", "sent"),
            ("lark", team["alice"].id, "lark:ou_alice", "sent"),
            ("slack", team["bob"].id, "slack:U0G9QF9C6", "sent"),
        ]
    )
    assert len({e["id"] for e in logs}) == 3


def test_a_person_gets_one_direct_message_per_chat_address_when_channels_share_an_app(
    api, notify_env, admin_key, vendors, team
):
    from pagerless.outbox.jobs import enqueue

    # Given two Slack channels (#ops and #payments) and two Lark group channels, each pair of one app
    slack_channel(api, admin_key, vendors, name="ops-slack")
    slack_channel(api, admin_key, vendors, name="payments-slack")
    lark_channel(api, admin_key, vendors, name="ops-lark")
    lark_channel(api, admin_key, vendors, name="payments-lark")
    incident = save_incident()
    # When escalation pages Alice (on Slack and Lark) and Bob (on Slack)
    enqueue(_page(incident.id, [{"kind": "person", "id": team["alice"].id}, {"kind": "person", "id": team["bob"].id}]))
    notify_env.poller.drain()
    # Then each chat address gets one direct message, not one per channel of the same app
    assert sorted(p.body["channel"] for p in vendors.to("/slack/api/chat.postMessage")) == ["U0ALICE01", "U0G9QF9C6"]
    assert [r.body["receive_id"] for r in vendors.to("/open-apis/im/v1/messages")] == ["ou_alice"]


def test_a_schedule_pages_whoever_is_on_call_and_a_person_without_chat_gets_an_email(
    api, notify_env, admin_key, vendors, team
):

    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService
    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)
    _email_channel(api, admin_key)
    schedule = OncallService().create_schedule(
        "default",
        models.ScheduleIn(
            name="payments primary",
            timezone="Europe/Berlin",
            services=["payments-api"],
            layers=[
                models.LayerIn(
                    name="primary",
                    participants=[team["bob"].id],
                    rotation_start=date(2026, 1, 1),
                    handoff_time=time(9, 0),
                    rrule="FREQ=WEEKLY",
                )
            ],
        ),
        "test",
    )
    incident = save_incident()
    # When a page names the schedule (Bob is on call) and Carol, who has no chat address
    enqueue(
        _page(incident.id, [{"kind": "schedule", "id": schedule["id"]}, {"kind": "person", "id": team["carol"].id}])
    )
    notify_env.poller.drain()
    # Then Bob gets a Slack direct message and Carol an email through the SES channel, to her address only
    assert [p.body["channel"] for p in vendors.to("/slack/api/chat.postMessage")] == ["U0G9QF9C6"]
    logs = {e["recipient"]["person_id"]: e for e in _logs(api, admin_key, incident_id=incident.id)}
    assert logs[team["bob"].id]["channel_type"] == "slack" and logs[team["bob"].id]["status"] == "sent"
    carol = logs[team["carol"].id]
    assert carol["channel_type"] == "email" and carol["status"] == "sent" and carol["provider_message_id"]
    assert carol["recipient"]["address"] == "email:carol@example.com"


def test_a_page_does_not_go_through_a_channel_type_switched_off_in_plugins(api, notify_env, admin_key, vendors, team):

    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)
    _email_channel(api, admin_key)
    # Given Slack is switched off for the workspace, and Bob's only chat address is on Slack
    assert api.post("/api/plugins/slack/disable", headers=auth(admin_key)).status_code == 200
    incident = save_incident()
    enqueue(_page(incident.id, [{"kind": "person", "id": team["bob"].id}]))
    notify_env.poller.drain()
    # Then nothing reaches Slack, and Bob is paged by email instead
    assert vendors.to("/slack/api/chat.postMessage") == []
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["channel_type"], entry["status"], entry["recipient"]["address"]) == (
        "email",
        "sent",
        "email:bob@example.com",
    )


def test_a_person_whose_chat_address_is_refused_for_good_is_paged_by_email_instead(
    api, notify_env, admin_key, vendors, team
):

    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)
    _email_channel(api, admin_key)
    # Given Bob's bound Slack user no longer exists (he left the Slack workspace; Slack refuses for good)
    vendors.fail("/slack/api/chat.postMessage", 200, times=1, body={"ok": False, "error": "channel_not_found"})
    incident = save_incident()
    # When Bob is paged
    enqueue(_page(incident.id, [{"kind": "person", "id": team["bob"].id}]))
    notify_env.poller.drain()
    # Then the Slack message is given up and Bob gets the page by email, at his address only
    by_type = {e["channel_type"]: e for e in _logs(api, admin_key, incident_id=incident.id)}
    assert by_type["slack"]["status"] == "gave_up"
    assert (by_type["email"]["status"], by_type["email"]["recipient"]["address"]) == ("sent", "email:bob@example.com")
    # And a person whose direct message arrives gets no email (Alice)
    enqueue(_page(incident.id, [{"kind": "person", "id": team["alice"].id}], generation="1-0"))
    notify_env.poller.drain()
    alice = [
        e for e in _logs(api, admin_key, incident_id=incident.id) if e["recipient"]["person_id"] == team["alice"].id
    ]
    assert [(e["channel_type"], e["status"]) for e in alice] == [("slack", "sent")]


def test_a_page_nobody_can_receive_is_on_the_timeline(api, notify_env, admin_key, vendors, team):
    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)  # no email channel: Carol cannot be reached
    incident = save_incident()
    enqueue(_page(incident.id, [{"kind": "person", "id": team["carol"].id}]))
    notify_env.poller.drain()
    assert vendors.to("/slack/api/chat.postMessage") == []
    timeline = api.get(f"/api/incidents/{incident.id}/timeline", headers=auth(admin_key)).json()
    items = timeline.get("items", timeline) if isinstance(timeline, dict) else timeline
    assert any(i["type"] == "page_unreachable" and team["carol"].id in i["message"] for i in items)


def test_a_slack_page_that_fails_three_times_is_dead_lettered_and_replays(api, notify_env, admin_key, vendors, team):
    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)
    incident = save_incident()
    vendors.fail("/slack/api/chat.postMessage", 500, times=3)
    enqueue(_page(incident.id, [{"kind": "person", "id": team["bob"].id}]))
    notify_env.poller.drain()
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "dead" and entry["recipient"]["person_id"] == team["bob"].id
    [letter] = api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    assert letter["kind"] == "notify" and letter["source"] == "slack" and "HTTP 500" in letter["error"]
    replayed = api.post(f"/api/webhooks/dead-letter/{letter['id']}/replay", headers=auth(admin_key))
    assert replayed.status_code == 200 and replayed.json()["delivery_revived"] is True, replayed.text
    notify_env.poller.drain()
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "sent"
    assert [p.body["channel"] for p in vendors.to("/slack/api/chat.postMessage")][-1] == "U0G9QF9C6"


def test_the_acknowledge_button_of_a_page_acknowledges_as_the_bound_person(
    api, notify_env, admin_key, vendors, team, chat_apps
):  # noqa: F811
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.incidents import IncidentRepository

    slack_channel(api, admin_key, vendors)
    # An incident an alert opened: reading it whole would read the alerts table, which chat is not granted
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    enqueue(_page(incident.id, [{"kind": "person", "id": team["bob"].id}]))
    notify_env.poller.drain()
    [post] = vendors.to("/slack/api/chat.postMessage")
    [actions] = [b for b in post.body["blocks"] if b["type"] == "actions"]
    # When Bob presses the page's Acknowledge button (a signed Slack interactivity request)
    body = slack_form(json.loads(actions["elements"][0]["value"]), user="U0G9QF9C6")
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then the incident is acknowledged by Bob, by name
    assert response.status_code == 200 and response.json()["text"] == f"You acknowledged {incident.id}."
    assert IncidentRepository().get(incident.id).acknowledged_by == team["bob"].label


def test_once_acknowledged_every_page_card_a_person_got_says_who_instead_of_its_button(
    api, notify_env, admin_key, vendors, team, chat_apps
):  # noqa: F811
    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)
    lark_channel(api, admin_key, vendors)
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    # Given pages by direct message: Alice on Slack and Lark, Bob on Slack, and Bob again at the next step
    alice, bob = {"kind": "person", "id": team["alice"].id}, {"kind": "person", "id": team["bob"].id}
    enqueue(_page(incident.id, [alice, bob]))
    enqueue(_page(incident.id, [bob], generation="1-0"))
    notify_env.poller.drain()
    posts = {(p.body["channel"], p.body["text"]): p for p in vendors.to("/slack/api/chat.postMessage")}
    assert len(posts) == 2 and len(vendors.to("/slack/api/chat.postMessage")) == 3
    [lark_page] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    # When Bob acknowledges from his first page's button
    [post] = [p for p in vendors.to("/slack/api/chat.postMessage") if p.body["channel"] == "U0G9QF9C6"][:1]
    [actions] = [b for b in post.body["blocks"] if b["type"] == "actions"]
    body = slack_form(json.loads(actions["elements"][0]["value"]), user="U0G9QF9C6")
    assert api.post("/slack/interactivity", content=body, headers=slack_headers(body)).status_code == 200
    notify_env.poller.drain()
    # Then each of the three Slack page cards is updated in place: no button, who acknowledged
    sent = {(to, ts) for (to, ts) in vendors.slack_messages if to in ("U0ALICE01", "U0G9QF9C6")}
    updates = [r.body for r in vendors.to("/slack/api/chat.update")]
    assert {(u["channel"], u["ts"]) for u in updates} == sent and len(updates) == 3, updates
    for update in updates:
        assert not [b for b in update["blocks"] if b["type"] == "actions"], update
        [note] = [b["elements"][0]["text"] for b in update["blocks"] if b["type"] == "context"]
        assert note.startswith(f"Acknowledged by Bob Li ({team['bob'].id}) at "), note
        assert update["text"].startswith("[CRITICAL] Page: ")  # the card keeps its content
    # And Alice's Lark page card too
    [patch] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "PATCH"]
    assert patch.path.endswith("/" + next(m for m, v in vendors.lark_messages.items() if "receive_id" in v))
    card = json.loads(patch.body["content"])
    assert not [e for e in card["elements"] if e["tag"] == "action"] and lark_page.body["receive_id"] == "ou_alice"
    # And the acknowledgement posted nothing new; the delivery log names the person of each update
    assert len(vendors.to("/slack/api/chat.postMessage")) == 3
    logged = [e for e in _logs(api, admin_key, incident_id=incident.id) if e["event"] == "incident.acknowledged"]
    assert sorted(e["recipient"]["person_id"] for e in logged) == sorted([team["alice"].id] * 2 + [team["bob"].id] * 2)
    # And once it resolves, the page cards say that instead
    resolved = api.post(f"/api/incidents/{incident.id}/resolve", headers=auth(admin_key))
    assert resolved.status_code == 200, resolved.text
    notify_env.poller.drain()
    updates = [r.body for r in vendors.to("/slack/api/chat.update")][3:]
    assert {(u["channel"], u["ts"]) for u in updates} == sent and len(updates) == 3, updates
    for update in updates:
        [note] = [b["elements"][0]["text"] for b in update["blocks"] if b["type"] == "context"]
        assert note.startswith("Resolved by "), note


EMAIL_LINK_SECRET = "email-link-secret-for-tests"


@pytest.fixture
def email_links(notify_env, monkeypatch):
    """Email channels that carry signed links (a link secret and the public URL)."""
    from pagerless.chat import apps

    monkeypatch.setenv("PAGERLESS_EMAIL_LINK_SECRET", EMAIL_LINK_SECRET)
    monkeypatch.setenv("PAGERLESS_PUBLIC_URL", "https://pagerless.example.com")
    apps.reset()
    yield
    apps.reset()


def _emails() -> list:
    """Every email SES has sent."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def test_an_email_page_carries_an_acknowledge_link_whose_post_acknowledges(
    api, notify_env, admin_key, team, email_links
):
    import re

    from pagerless.outbox.jobs import enqueue

    _email_channel(api, admin_key)
    # An incident an alert opened: reading it whole would read the alerts table, which chat is not granted
    incident = save_incident(source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    # Given Carol, who has only an email address, is paged
    enqueue(_page(incident.id, [{"kind": "person", "id": team["carol"].id}]))
    notify_env.poller.drain()
    [sent] = [m for m in _emails() if "carol@example.com" in str(m.destinations)]
    link = re.search(r"Acknowledge: https://pagerless\.example\.com(/email/approvals/\S+)", str(sent.body))[1]
    # When the link is opened (a mail scanner would do the same), nothing happens
    page = api.get(link)
    assert page.status_code == 200 and "Acknowledge" in page.text and "Carol Wu" in page.text
    assert not api.get(f"/api/incidents/{incident.id}", headers=auth(admin_key)).json()["acknowledged"]
    # Then only the page's POST acknowledges, as Carol
    done = api.post(link)
    assert done.status_code == 200, done.text
    after = api.get(f"/api/incidents/{incident.id}", headers=auth(admin_key)).json()
    assert after["acknowledged"] is True and "Carol" in after["acknowledged_by"]
    assert "Already acknowledged" in api.get(link).text


def test_without_a_public_url_an_email_page_carries_no_link_to_an_address_nobody_reaches(
    api, notify_env, admin_key, team, monkeypatch
):
    from pagerless.chat import apps
    from pagerless.outbox.jobs import enqueue

    # Given a link secret, but PAGERLESS_PUBLIC_URL empty, as a deployed stack's PublicUrl left at its default
    monkeypatch.setenv("PAGERLESS_EMAIL_LINK_SECRET", EMAIL_LINK_SECRET)
    monkeypatch.setenv("PAGERLESS_PUBLIC_URL", "")
    apps.reset()
    _email_channel(api, admin_key)
    incident = save_incident(source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    # When Carol is paged by email
    enqueue(_page(incident.id, [{"kind": "person", "id": team["carol"].id}]))
    notify_env.poller.drain()
    apps.reset()
    # Then the page reaches her, without an Acknowledge link (it pointed at http://127.0.0.1:8080 on AWS)
    [sent] = [m for m in _emails() if "carol@example.com" in str(m.destinations)]
    assert "/email/approvals/" not in str(sent.body) and "127.0.0.1" not in str(sent.body)


def test_without_a_public_url_set_an_approval_email_carries_no_link_to_the_loopback(
    api, notify_env, admin_key, team, monkeypatch
):
    from pagerless.chat import apps
    from pagerless.chat.email_links import configured
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given a link secret and no PAGERLESS_PUBLIC_URL at all, as in a container started without one
    monkeypatch.setenv("PAGERLESS_EMAIL_LINK_SECRET", EMAIL_LINK_SECRET)
    monkeypatch.delenv("PAGERLESS_PUBLIC_URL", raising=False)
    apps.reset()
    _email_channel(api, admin_key, "approvers", ["carol@example.com"])
    api.put("/api/notifications/routes", headers=auth(admin_key), json={"default_rules": {"critical": ["approvers"]}})
    incident = save_incident()
    # When an approval request reaches Carol by email
    enqueue(
        NotifyJob(
            workspace="default",
            event="approval.requested",
            incident_id=incident.id,
            generation="apr-1",
            data={"approval_id": "2026-12-02T10:00:00#abcd1234", "expires_at": "2026-12-02T10:30:00+00:00"},
        )
    )
    notify_env.poller.drain()
    # Then links are off and her email goes without them (they pointed at http://127.0.0.1:8080)
    assert not configured()
    apps.reset()
    [sent] = [m for m in _emails() if "carol@example.com" in str(m.destinations)]
    assert "/email/approvals/" not in str(sent.body) and "127.0.0.1" not in str(sent.body)


def test_an_approval_email_gives_each_known_person_their_own_signed_links(
    api, notify_env, admin_key, team, email_links
):
    import re

    from pagerless.chat.email_links import verify
    from pagerless.outbox.jobs import NotifyJob, enqueue

    channel = _email_channel(api, admin_key, "approvers", ["carol@example.com", "oncall@example.com"])
    api.put("/api/notifications/routes", headers=auth(admin_key), json={"default_rules": {"critical": ["approvers"]}})
    incident = save_incident()
    # Given an approval request routed to an email channel whose first address is Carol's
    enqueue(
        NotifyJob(
            workspace="default",
            event="approval.requested",
            incident_id=incident.id,
            generation="apr-1",
            data={"approval_id": "2026-12-02T10:00:00#abcd1234", "expires_at": "2026-12-02T10:30:00+00:00"},
        )
    )
    notify_env.poller.drain()
    messages = _emails()
    carol = [m for m in messages if "carol@example.com" in str(m.destinations)]
    others = [m for m in messages if "oncall@example.com" in str(m.destinations)]
    # Then Carol's own email carries her signed links, and the list's address gets the plain message
    assert len(carol) == 1 and len(others) == 1, (channel, [str(m.destinations) for m in messages])
    token = re.search(r"Approve: https://pagerless\.example\.com/email/approvals/(\S+)", str(carol[0].body))[1]
    link = verify(token, key=EMAIL_LINK_SECRET, now=0)
    assert (link.person_id, link.decision, link.approval_id) == (
        team["carol"].id,
        "approve",
        "2026-12-02T10:00:00#abcd1234",
    )
    assert "/email/approvals/" not in str(others[0].body)


def test_a_chinese_approval_email_carries_chinese_links_that_say_so_in_their_signature(
    api, notify_env, admin_key, team, email_links
):
    import re

    from pagerless.chat.email_links import verify
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given an approval request routed to a Chinese email channel whose address is Carol's
    channel = _email_channel(api, admin_key, "approvers-zh", ["carol@example.com"])
    changed = api.put(
        f"/api/notifications/channels/{channel['id']}", headers=auth(admin_key), json={"config": {"language": "zh"}}
    )
    assert changed.status_code == 200, changed.text
    api.put(
        "/api/notifications/routes", headers=auth(admin_key), json={"default_rules": {"critical": ["approvers-zh"]}}
    )
    incident = save_incident()
    enqueue(
        NotifyJob(
            workspace="default",
            event="approval.requested",
            incident_id=incident.id,
            generation="apr-zh",
            data={"approval_id": "2026-12-02T10:00:00#abcd1234", "expires_at": "2026-12-02T10:30:00+00:00"},
        )
    )
    notify_env.poller.drain()
    # Then her email's links are labelled in Chinese, the expiry is readable, and each link's signed claims say
    # Chinese (its confirm page and answer are Chinese: tests/functional/chat/test_email_approvals.py)
    [carol] = _emails()
    body = str(carol.body)
    assert "过期时间：2026-12-02 10:30 UTC" in body, body
    links = dict(re.findall(r"(批准|拒绝): https://pagerless\.example\.com/email/approvals/([\w-]+\.[\w-]+)", body))
    assert set(links) == {"批准", "拒绝"}, body
    assert {verify(token, key=EMAIL_LINK_SECRET, now=0).language for token in links.values()} == {"zh"}


def _dana_and_erin():
    """Dana has a phone contact (a mainland number, as written by a person); Erin has none."""
    from pagerless.people.service import PeopleService

    people = PeopleService()
    dana = people.create(
        "default",
        name="Dana Zhou",
        email="dana@example.com",
        role="operator",
        contacts=[{"kind": "phone", "value": "+86 138-0013-8000"}],
    )
    erin = people.create("default", name="Erin Xu", email="erin@example.com", role="operator")
    return dana, erin


def _signed_ding_channel(api, key, vendors) -> dict:
    """A DingTalk group robot that signs its requests (secret SECding, token t1)."""
    vendors.bot_secrets["t1"] = "SECding"
    url = f"{vendors.base_url}/robot/send?access_token=t1"
    return create_channel(api, key, "ops-ding", "dingtalk", {"webhook_url": url, "secret": "SECding"})


def test_a_dingtalk_group_paged_with_the_on_call_person_mentions_them_by_phone(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    dana, erin = _dana_and_erin()  # erin has no phone
    ding = _signed_ding_channel(api, admin_key, vendors)
    incident = save_incident()
    # When a step pages the team's DingTalk group and the on-call people (the schedule resolved to them)
    targets = [{"kind": "channel", "id": ding["id"]}, {"kind": "person", "id": dana.id}]
    enqueue(_page(incident.id, targets + [{"kind": "person", "id": erin.id}]))
    notify_env.poller.drain()
    # Then the group's message @-mentions the one with a phone, as DingTalk mentions: the mobile number in
    # at.atMobiles (a mainland number as DingTalk holds it, without +86) and "@<number>" in the text;
    # never everyone
    [request] = vendors.to("/robot/send")
    assert request.body["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    text = request.body["markdown"]["text"]
    assert text.startswith("### [CRITICAL] Page: PaymentsApiHighErrorRate &lt;!channel&gt;\n\n@13800138000\n\n")
    [entry] = [e for e in _logs(api, admin_key, incident_id=incident.id) if e["channel_type"] == "dingtalk"]
    assert entry["status"] == "sent"


def _unreachable(api, key, incident_id: str) -> list[dict]:
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(key)).json()
    items = timeline.get("items", timeline) if isinstance(timeline, dict) else timeline
    return [i for i in items if i["type"] == "page_unreachable"]


def test_a_wecom_group_paged_mentions_the_paged_people_by_phone_after_the_card(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    dana, erin = _dana_and_erin()
    url = f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"
    wecom = create_channel(api, admin_key, "ops-wecom", "wecom", {"webhook_url": url})
    incident = save_incident()
    # When a step pages the team's WeCom group and the on-call people
    targets = [{"kind": "channel", "id": wecom["id"]}, {"kind": "person", "id": dana.id}]
    enqueue(_page(incident.id, targets + [{"kind": "person", "id": erin.id}]))
    notify_env.poller.drain()
    # Then the markdown card goes out as before, and a short text message after it @-mentions the one with a
    # phone (WeCom's markdown cannot mention by phone; its text message can: mentioned_mobile_list), never @all
    card, mention = vendors.to("/cgi-bin/webhook/send")
    assert card.body["msgtype"] == "markdown"
    assert card.body["markdown"]["content"].startswith('**<font color="warning">[CRITICAL] Page: ')
    assert mention.body["msgtype"] == "text"
    assert mention.body["text"]["mentioned_mobile_list"] == ["13800138000"]
    assert "@all" not in json.dumps(mention.body)
    assert mention.body["text"]["content"].startswith("[CRITICAL] Page: PaymentsApiHighErrorRate <!channel>")
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert (entry["status"], entry["attempts"]) == ("sent", 1)


def test_a_wecom_mention_that_fails_is_retried_without_sending_the_card_again(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    dana, _ = _dana_and_erin()
    url = f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"
    wecom = create_channel(api, admin_key, "ops-wecom", "wecom", {"webhook_url": url})
    incident = save_incident()
    # Given WeCom takes the card and then has a passing outage
    original = vendors._wecom
    answers = iter([None, (503, {"error": "busy"}, {})])

    def wecom_then_busy(req):
        answer = next(answers, None)
        return answer or original(req)

    vendors._wecom = wecom_then_busy
    enqueue(_page(incident.id, [{"kind": "channel", "id": wecom["id"]}, {"kind": "person", "id": dana.id}]))
    notify_env.poller.drain()
    # Then the card went out once and the mention twice (the 503, then sent)
    kinds = [r.body["msgtype"] for r in vendors.to("/cgi-bin/webhook/send")]
    assert kinds == ["markdown", "text", "text"]
    [entry] = _logs(api, admin_key, incident_id=incident.id)
    assert entry["status"] == "sent"


def test_a_teams_group_paged_mentions_the_paged_people_by_their_email(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    dana, erin = _dana_and_erin()
    teams = create_channel(api, admin_key, "ops-teams", "teams", {"webhook_url": f"{vendors.base_url}/workflows/w1"})
    incident = save_incident()
    # When a step pages the team's Teams channel and the on-call people
    targets = [{"kind": "channel", "id": teams["id"]}, {"kind": "person", "id": dana.id}]
    enqueue(_page(incident.id, targets + [{"kind": "person", "id": erin.id}]))
    notify_env.poller.drain()
    # Then the card @-mentions both by their email as their UPN: "<at>name</at>" in a text block, and a mention
    # entity for each in msteams.entities, as Teams' incoming webhooks take it
    [request] = vendors.to("/workflows/")
    card = request.body["attachments"][0]["content"]
    assert card["body"][1] == {"type": "TextBlock", "text": "<at>Dana Zhou</at> <at>Erin Xu</at>", "wrap": True}
    assert card["msteams"]["entities"] == [
        {"type": "mention", "text": "<at>Dana Zhou</at>", "mentioned": {"id": "dana@example.com", "name": "Dana Zhou"}},
        {"type": "mention", "text": "<at>Erin Xu</at>", "mentioned": {"id": "erin@example.com", "name": "Erin Xu"}},
    ]
    # And nobody is on the timeline as unreachable: the delivered card named them both
    assert _unreachable(api, admin_key, incident.id) == []


def test_a_person_reached_only_by_a_group_mention_is_not_unreachable(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    dana, erin = _dana_and_erin()
    ding = _signed_ding_channel(api, admin_key, vendors)
    incident = save_incident()
    # When a page to the DingTalk group names Dana (a phone, no chat address) and Erin (neither), with no email channel
    targets = [{"kind": "channel", "id": ding["id"]}, {"kind": "person", "id": dana.id}]
    enqueue(_page(incident.id, targets + [{"kind": "person", "id": erin.id}]))
    notify_env.poller.drain()
    # Then Dana was reached (the delivered group message @-mentioned her) and only Erin is unreachable
    [entry] = _unreachable(api, admin_key, incident.id)
    assert entry["data"]["person_ids"] == [erin.id]


def test_a_stored_phone_that_is_not_one_is_not_mentioned_and_does_not_count_as_reaching(
    api, notify_env, admin_key, vendors
):
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.people import PERSON_SK, PeopleRepository

    dana, erin = _dana_and_erin()
    # Given Erin's stored contacts hold a phone that is not one (left by a restore of the table, or an older
    # version's looser checks: the people API refuses it)
    repository = PeopleRepository()
    record = repository.get(f"person#{erin.id}", PERSON_SK)
    record.data = {**record.data, "contacts": [{"kind": "phone", "value": "ask the front desk"}]}
    repository.replace(record)
    ding = _signed_ding_channel(api, admin_key, vendors)
    incident = save_incident()
    # When a page to the DingTalk group names Dana and Erin, with no email channel
    targets = [{"kind": "channel", "id": ding["id"]}, {"kind": "person", "id": dana.id}]
    enqueue(_page(incident.id, targets + [{"kind": "person", "id": erin.id}]))
    notify_env.poller.drain()
    # Then the group mentions Dana's number only: no mention of a "number" DingTalk cannot resolve
    [request] = vendors.to("/robot/send")
    assert request.body["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    # And Erin, whom nothing reached, is on the timeline as unreachable
    [entry] = _unreachable(api, admin_key, incident.id)
    assert entry["data"]["person_ids"] == [erin.id]


def test_a_group_mention_that_was_not_delivered_does_not_count_as_reaching(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue

    dana, _ = _dana_and_erin()
    ding = create_channel(
        api, admin_key, "ops-ding", "dingtalk", {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1"}
    )
    incident = save_incident()
    # Given the robot's token is refused for good
    vendors.fail("/robot/send", 200, times=1, body={"errcode": 300001, "errmsg": "token is not exist"})
    enqueue(_page(incident.id, [{"kind": "channel", "id": ding["id"]}, {"kind": "person", "id": dana.id}]))
    notify_env.poller.drain()
    # Then Dana, whom nothing reached, is on the timeline as unreachable
    [entry] = _unreachable(api, admin_key, incident.id)
    assert entry["data"]["person_ids"] == [dana.id]


def test_a_person_unreachable_is_on_the_timeline_once_however_often_the_job_runs(
    api, notify_env, admin_key, vendors, team
):
    from pagerless.outbox.jobs import enqueue

    slack = slack_channel(api, admin_key, vendors)  # no email channel: Carol cannot be reached
    incident = save_incident()
    # Given the page to the Slack group fails until it is dead (it is then replayed), and the queue delivers
    # the job twice
    vendors.fail("/slack/api/chat.postMessage", 500, times=3)
    page = _page(incident.id, [{"kind": "channel", "id": slack["id"]}, {"kind": "person", "id": team["carol"].id}])
    enqueue(page)
    enqueue(page)
    notify_env.poller.drain()
    [letter] = api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    replayed = api.post(f"/api/webhooks/dead-letter/{letter['id']}/replay", headers=auth(admin_key))
    assert replayed.status_code == 200, replayed.text
    notify_env.poller.drain()
    assert [e["status"] for e in _logs(api, admin_key, incident_id=incident.id)] == ["sent"]
    # Then Carol is on the timeline as unreachable once, not once per run of the job
    [entry] = _unreachable(api, admin_key, incident.id)
    assert entry["data"]["person_ids"] == [team["carol"].id]


def test_people_whose_group_mention_was_still_retried_when_the_queue_gave_up_are_unreachable(
    api, notify_env, admin_key, vendors
):
    import boto3

    from pagerless import settings
    from pagerless.outbox.jobs import enqueue
    from tests.fakes.chat_vendors import TEAMS_CONNECTOR_ERROR
    from tests.functional.notify.conftest import make_due, notify_queue_messages

    dana, erin = _dana_and_erin()
    url = f"{vendors.base_url}/webhookb2/0e1c@72f9/IncomingWebhook/5d1a/9c2b"
    teams = create_channel(api, admin_key, "ops-teams", "teams", {"webhook_url": url})
    incident = save_incident()
    # Given Teams throttles the connector (no email channel, no chat address: the card's @-mentions are the only
    # way the page reaches Dana and Erin), so the job waits on the queue with its mention still to be retried
    vendors.fail("/webhookb2/", 200, times=100, body=TEAMS_CONNECTOR_ERROR.format(status=429).encode())
    targets = [{"kind": "channel", "id": teams["id"]}, {"kind": "person", "id": dana.id}]
    enqueue(_page(incident.id, targets + [{"kind": "person", "id": erin.id}]))
    notify_env.poller.drain()
    assert _unreachable(api, admin_key, incident.id) == []
    # When the queue gives up on the job (its redrive policy moves it to NotifyDLQ, as after repeated failures)
    [message] = notify_queue_messages()
    make_due(message)
    sqs = boto3.client("sqs")
    [received] = sqs.receive_message(QueueUrl=settings.workflow().notify_queue_url)["Messages"]
    sqs.send_message(QueueUrl=settings.workflow().notify_dlq_url, MessageBody=received["Body"])
    sqs.delete_message(QueueUrl=settings.workflow().notify_queue_url, ReceiptHandle=received["ReceiptHandle"])
    notify_env.poller.drain()
    [letter] = api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    assert "gave up after the notify queue's retries" in letter["error"]
    # Then the mention that was never delivered reached nobody: both are on the timeline as unreachable, once
    [entry] = _unreachable(api, admin_key, incident.id)
    assert entry["data"]["person_ids"] == [dana.id, erin.id]


def test_a_wecom_page_with_mentions_takes_a_rate_slot_per_message_it_sends(
    api, notify_env, admin_key, vendors, monkeypatch
):
    import time

    from pagerless import settings
    from pagerless.outbox.jobs import enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_MAX_WAIT_SECONDS", "0")  # a full minute goes back to the queue
    settings.reset()
    dana, _ = _dana_and_erin()
    url = f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"
    wecom = create_channel(api, admin_key, "ops-wecom", "wecom", {"webhook_url": url})
    incident = save_incident()
    # When 11 pages to the WeCom group, each @-mentioning Dana (a card and a text message: 22 messages), come
    # within a minute
    minute = int(time.time() // 60)
    for n in range(11):
        targets = [{"kind": "channel", "id": wecom["id"]}, {"kind": "person", "id": dana.id}]
        enqueue(_page(incident.id, targets, generation=f"0-{n}"))
    notify_env.poller.drain(max_rounds=5)
    # Then the group is not pushed over WeCom's 20 messages a minute (its 45009): 10 pages went out whole, the
    # eleventh waits for the next minute
    assert max(vendors.wecom_minutes.values()) <= 20, vendors.wecom_minutes
    statuses = sorted(e["status"] for e in _logs(api, admin_key, incident_id=incident.id))
    if int(time.time() // 60) == minute:  # the minute did not turn during the run
        assert len(vendors.to("/cgi-bin/webhook/send")) == 20
        assert statuses == ["failed"] + ["sent"] * 10


def test_a_page_to_120_people_nobody_can_receive_puts_each_on_the_timeline_once(api, notify_env, admin_key, vendors):
    from pagerless.outbox.jobs import enqueue
    from pagerless.people.service import PeopleService

    slack_channel(api, admin_key, vendors)  # no email channel: people with only an email cannot be reached
    people = PeopleService()
    crowd = [
        people.create("default", name=f"Person {n}", email=f"person{n}@example.com", role="operator").id
        for n in range(120)
    ]
    incident = save_incident()
    # Given a page to 120 people, none of whom any channel reaches, which the queue delivers twice
    page = _page(incident.id, [{"kind": "person", "id": p} for p in crowd])
    enqueue(page)
    notify_env.poller.drain()
    enqueue(page)
    notify_env.poller.drain()
    # Then every one of them is on the timeline as unreachable, once (more than one transaction's 100 items)
    noted = [p for entry in _unreachable(api, admin_key, incident.id) for p in entry["data"]["person_ids"]]
    assert sorted(noted) == sorted(crowd)
    # And the job did not fail over it (it would have gone to the dead-letter store)
    assert api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"] == []


def test_an_approval_email_to_an_address_written_with_its_name_carries_that_persons_links(
    api, notify_env, admin_key, team, email_links
):
    import re

    from pagerless.chat.email_links import verify
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given an email channel whose address is written as a mail client writes it, the name before it
    _email_channel(api, admin_key, "approvers", ["Carol Wu <carol@example.com>"])
    api.put("/api/notifications/routes", headers=auth(admin_key), json={"default_rules": {"critical": ["approvers"]}})
    incident = save_incident()
    # When an approval is requested
    enqueue(
        NotifyJob(
            workspace="default",
            event="approval.requested",
            incident_id=incident.id,
            generation="apr-1",
            data={"approval_id": "2026-12-02T10:00:00#abcd1234", "expires_at": "2026-12-02T10:30:00+00:00"},
        )
    )
    notify_env.poller.drain()
    # Then Carol's email carries her own signed links (the address was looked up as written: nobody's)
    [carol] = [m for m in _emails() if "carol@example.com" in str(m.destinations)]
    token = re.search(r"Approve: https://pagerless\.example\.com/email/approvals/(\S+)", str(carol.body))[1]
    assert verify(token, key=EMAIL_LINK_SECRET, now=0).person_id == team["carol"].id


def test_a_page_card_of_an_episode_before_a_reopen_stays_as_its_resolve_left_it(
    api, notify_env, admin_key, vendors, team, chat_apps
):  # noqa: F811
    from datetime import UTC, datetime

    from pagerless.outbox.jobs import enqueue
    from pagerless.store.incidents import IncidentRecord

    slack_channel(api, admin_key, vendors)
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    # Given Alice paged by direct message for the incident's first episode, which then resolved
    enqueue(_page(incident.id, [{"kind": "person", "id": team["alice"].id}]))
    notify_env.poller.drain()
    assert api.post(f"/api/incidents/{incident.id}/resolve", headers=auth(admin_key)).status_code == 200
    notify_env.poller.drain()
    [alice_card] = [key for key in vendors.slack_messages if key[0] == "U0ALICE01"]
    assert "Resolved by " in json.dumps(vendors.slack_messages[alice_card])
    # When the incident reopens and its new escalation pages Bob (the page names the reopen it is for)
    reopened_at = datetime.now(UTC)
    incident.refresh()
    incident.update(actions=[IncidentRecord.status.set("open"), IncidentRecord.reopened_at.set(reopened_at)])
    reopen_page = _page(incident.id, [{"kind": "person", "id": team["bob"].id}], generation="r1:0-0")
    reopen_page.data["reopened_at"] = reopened_at.isoformat()
    enqueue(reopen_page)
    notify_env.poller.drain()
    [bob_card] = [key for key in vendors.slack_messages if key[0] == "U0G9QF9C6"]
    assert vendors.slack_messages[bob_card]["text"].startswith("[CRITICAL] Reopened page: ")  # one prefix
    # And Bob acknowledges it
    assert api.post(f"/api/incidents/{incident.id}/acknowledge", headers=auth(admin_key)).status_code == 200
    notify_env.poller.drain()
    # Then Bob's card says who acknowledged it, and Alice's card of the closed episode still says it resolved
    assert "Acknowledged by " in json.dumps(vendors.slack_messages[bob_card])
    edits = [r.body for r in vendors.to("/slack/api/chat.update") if (r.body["channel"], r.body["ts"]) == alice_card]
    assert len(edits) == 1 and "Resolved by " in json.dumps(vendors.slack_messages[alice_card]), edits


def _take_resolves(runtime) -> list[str]:
    """The incident.resolved jobs waiting on the NotifyQueue, taken off it (their bodies, to deliver late)."""
    from pagerless import settings

    sqs, url = runtime.client("sqs"), settings.workflow().notify_queue_url
    held, others = [], []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            (held if json.loads(message["Body"])["event"] == "incident.resolved" else others).append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    for body in others:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    return held


def _late_resolve(api, notify_env, admin_key, vendors, team, *, strip_episode: bool = False):
    """An incident announced in a Slack channel, Alice paged for it by direct message, resolved by hand; its
    resolve's job held up until the incident reopened (its Slack card, the resolve's job, the incident)."""
    from datetime import UTC, datetime

    from pagerless import settings
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.incidents import IncidentRecord
    from tests.functional.notify.conftest import route_all

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    enqueue(_page(incident.id, [{"kind": "person", "id": team["alice"].id}]))
    notify_env.poller.drain()
    [alice_card] = [key for key in vendors.slack_messages if key[0] == "U0ALICE01"]
    assert api.post(f"/api/incidents/{incident.id}/resolve", headers=auth(admin_key)).status_code == 200
    [late] = _take_resolves(notify_env)
    job = json.loads(late)
    if strip_episode:  # as an older version queued it
        job["data"].pop("episode", None)
    incident.refresh()
    incident.update(actions=[IncidentRecord.status.set("open"), IncidentRecord.reopened_at.set(datetime.now(UTC))])
    # When the resolve's job arrives after the reopen
    notify_env.client("sqs").send_message(QueueUrl=settings.workflow().notify_queue_url, MessageBody=json.dumps(job))
    notify_env.poller.drain()
    return alice_card, incident, job


def test_a_late_resolve_closes_its_own_episodes_page_cards_and_says_nothing_after_the_reopen(
    api, notify_env, admin_key, vendors, team, chat_apps
):  # noqa: F811
    # Given Alice paged for the incident's first episode; its resolve's job arrives after a reopen
    alice_card, incident, job = _late_resolve(api, notify_env, admin_key, vendors, team)
    # Then Alice's page card of the resolved episode says it resolved, its button gone
    assert "Resolved by " in json.dumps(vendors.slack_messages[alice_card])
    assert not [b for b in vendors.slack_messages[alice_card]["blocks"] if b["type"] == "actions"]
    # And no "resolved" message reaches the channel after the reopen
    posts = [r.body for r in vendors.to("/slack/api/chat.postMessage") if r.body["channel"] == "C0OPS"]
    assert not [p for p in posts if p["text"].startswith("[RESOLVED]")], posts
    # And the delivery log says why the resolve was not said there
    [skipped] = [
        e
        for e in _logs(api, admin_key, incident_id=incident.id)
        if e["event"] == "incident.resolved" and not e["recipient"]
    ]
    assert skipped["status"] == "skipped", skipped
    assert "reopened" in skipped["last_error"] and "after this resolve" in skipped["last_error"], skipped
    assert job["data"]["episode"] is None  # the job named the episode it resolved: the first opening


def test_a_late_resolve_job_of_an_older_version_naming_no_episode_still_speaks(
    api, notify_env, admin_key, vendors, team, chat_apps
):  # noqa: F811
    # Given the same late resolve, its job naming no episode (queued by a version before the episode)
    alice_card, incident, _ = _late_resolve(api, notify_env, admin_key, vendors, team, strip_episode=True)
    # Then it is delivered as before: its message in the channel, and no card edited (the incident is open now)
    posts = [r.body for r in vendors.to("/slack/api/chat.postMessage") if r.body["channel"] == "C0OPS"]
    assert [p for p in posts if p["text"].startswith("[RESOLVED]")], posts
    assert "Resolved by " not in json.dumps(vendors.slack_messages[alice_card])


def test_a_resolve_whose_notice_was_never_queued_and_went_stale_still_closes_its_episodes_page_cards(
    api, notify_env, admin_key, vendors, team, chat_apps
):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    from pagerless.incidents import notice_sweep
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.sweeps import NOTICE, NoticeMarker
    from tests.functional.intake.test_notice_outbox import sqs_refusing
    from tests.functional.notify.conftest import route_all

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    # Given Alice paged by direct message for the incident's first episode
    enqueue(_page(incident.id, [{"kind": "person", "id": team["alice"].id}]))
    notify_env.poller.drain()
    [alice_card] = [key for key in vendors.slack_messages if key[0] == "U0ALICE01"]
    # And the incident resolved by hand while SQS refused its notice (its marker left for the sweep)
    with sqs_refusing("SendMessage") as refused:
        assert api.post(f"/api/incidents/{incident.id}/resolve", headers=auth(admin_key)).status_code == 200
    assert refused == ["SendMessage"]
    [marker] = NoticeMarker.query(NOTICE, NoticeMarker.sk.startswith(f"{incident.id}|"))
    # And the incident reopened before the sweep came
    incident.refresh()
    incident.update(actions=[IncidentRecord.status.set("open"), IncidentRecord.reopened_at.set(datetime.now(UTC))])
    # When the sweep finds the resolve's notice owed
    swept = notice_sweep.sweep(now=marker.at + timedelta(seconds=151))
    notify_env.poller.drain()
    # Then the resolve is not said after the reopen, but Alice's page card of the episode it ended is closed
    assert swept == [{"incident_id": incident.id, "event": "incident.resolved", "notice": "superseded: cards closed"}]
    assert "Resolved by " in json.dumps(vendors.slack_messages[alice_card])
    assert not [b for b in vendors.slack_messages[alice_card]["blocks"] if b["type"] == "actions"]
    posts = [r.body for r in vendors.to("/slack/api/chat.postMessage") if r.body["channel"] == "C0OPS"]
    assert not [p for p in posts if p["text"].startswith("[RESOLVED]")], posts
    assert list(NoticeMarker.query(NOTICE, NoticeMarker.sk.startswith(f"{incident.id}|"))) == []


def test_a_resolve_whose_notice_was_never_queued_closes_its_episodes_page_cards_after_a_second_resolve(
    api, notify_env, admin_key, vendors, team, chat_apps
):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    from pagerless.incidents import notice_sweep
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.sweeps import NOTICE, NoticeMarker
    from tests.functional.intake.test_notice_outbox import sqs_refusing
    from tests.functional.notify.conftest import route_all

    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident(status="open", source="alertmanager", fingerprint="5f0e2c1d9a8b7c6d")
    # Given Alice paged by direct message for the incident's first episode
    enqueue(_page(incident.id, [{"kind": "person", "id": team["alice"].id}]))
    notify_env.poller.drain()
    [alice_card] = [key for key in vendors.slack_messages if key[0] == "U0ALICE01"]
    # And the incident resolved by hand while SQS refused its notice, reopened, and resolved again while SQS still
    # refused
    for _ in range(2):
        incident.refresh()
        if incident.status == "resolved":
            incident.update(
                actions=[IncidentRecord.status.set("open"), IncidentRecord.reopened_at.set(datetime.now(UTC))]
            )
        with sqs_refusing("SendMessage") as refused:
            assert api.post(f"/api/incidents/{incident.id}/resolve", headers=auth(admin_key)).status_code == 200
        assert refused == ["SendMessage"]
    markers = list(NoticeMarker.query(NOTICE, NoticeMarker.sk.startswith(f"{incident.id}|")))
    # When the sweep finds the resolves' notices owed
    swept = notice_sweep.sweep(now=max(m.at for m in markers) + timedelta(seconds=151))
    notify_env.poller.drain()
    # Then Alice's page card of the first episode is closed, its button gone, and the channel hears of the resolve once
    assert [s["notice"] for s in swept] == ["superseded: cards closed", "queued"]
    assert "Resolved by " in json.dumps(vendors.slack_messages[alice_card])
    assert not [b for b in vendors.slack_messages[alice_card]["blocks"] if b["type"] == "actions"]
    posts = [r.body for r in vendors.to("/slack/api/chat.postMessage") if r.body["channel"] == "C0OPS"]
    assert len([p for p in posts if p["text"].startswith("[RESOLVED]")]) == 1, posts
    assert list(NoticeMarker.query(NOTICE, NoticeMarker.sk.startswith(f"{incident.id}|"))) == []
