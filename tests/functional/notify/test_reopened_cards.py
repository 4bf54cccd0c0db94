"""A reopened incident's cards in Slack and the Lark app: the thread's first message and the opened cards, closed by
the resolve, read open again (their Acknowledge button back), whether the reopen is a flap or not; a flap's quiet
resolve closes them again; an acknowledgement after a reopen edits every one of them. Through the real intake API with
Alertmanager's payloads, the fake Slack and Lark (tests/fakes/chat_vendors.py)."""

import json

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import fixture_json, make_key, post_alert, workflows_done
from tests.functional.notify.conftest import lark_channel, route_all, save_incident, slack_channel

pytestmark = pytest.mark.functional

FIRING = "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json"  # startsAt 08:21:37.123Z
RESOLVED = "alertmanager/authored_k8s_resolved_same_fingerprint.json"  # endsAt 08:47:07.123Z


def _refire() -> dict:
    """The alert's next episode, started after the resolve."""
    payload = fixture_json(FIRING)
    payload["alerts"][0]["startsAt"] = "2024-05-14T08:52:07.5Z"
    return payload


def _resolved_again() -> dict:
    """The next episode's resolve."""
    payload = fixture_json(RESOLVED)
    payload["alerts"][0]["startsAt"] = "2024-05-14T08:52:07.5Z"
    payload["alerts"][0]["endsAt"] = "2024-05-14T08:55:07.5Z"
    return payload


@pytest.fixture
def chats(api, admin_key, vendors):
    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    return vendors


def _opened(api, runtime, chats) -> tuple[str, str, str]:
    """An incident opened by the Alertmanager alert, announced in both chats and resolved by its source: its id, and
    the Slack ``ts`` and Lark ``message_id`` of the thread's first message (its opened card)."""
    ingest = make_key("ingest")
    incident_id = post_alert(api, ingest, "alertmanager", fixture_json(FIRING)).json()["alerts"][0]["incident_id"]
    workflows_done(runtime, 1)
    runtime.poller.drain()
    root_ts = next(ts for (to, ts), body in chats.slack_messages.items() if to == "C0OPS" and "thread_ts" not in body)
    root_id = next(m for m, sent in chats.lark_messages.items() if sent.get("receive_id") == "oc_fakechat")
    post_alert(api, ingest, "alertmanager", fixture_json(RESOLVED))
    runtime.poller.drain()
    assert not _slack_buttons(chats, root_ts) and not _lark_buttons(chats, root_id)  # closed by the resolve
    return incident_id, root_ts, root_id


def _slack_card(vendors, ts: str) -> dict:
    """The Slack message as it reads now (what the fake holds: its last edit Slack took, else as sent)."""
    return vendors.slack_messages["C0OPS", ts]


def _slack_buttons(vendors, ts: str) -> list:
    return [b for b in _slack_card(vendors, ts)["blocks"] if b["type"] == "actions"]


def _lark_card(vendors, message_id: str) -> dict:
    return json.loads(vendors.lark_messages[message_id]["content"])


def _lark_buttons(vendors, message_id: str) -> list:
    return [e for e in _lark_card(vendors, message_id)["elements"] if e["tag"] == "action"]


def test_a_reopen_opens_the_threads_first_message_again_and_an_acknowledgement_then_closes_every_card(
    api, runtime, notify_env, admin_key, chats
):
    # Given an incident announced in a Slack channel and a Lark chat, resolved by its source
    incident_id, root_ts, root_id = _opened(api, runtime, chats)
    # When its alert fires again and it reopens (its new run announcing it)
    again = post_alert(api, make_key("ingest"), "alertmanager", _refire()).json()["alerts"][0]
    assert (again["incident_id"], again["action"]) == (incident_id, "reopened"), again
    workflows_done(runtime, 2)
    runtime.poller.drain()
    # Then the thread's first message reads open again in both chats, with its Acknowledge button
    [slack_buttons] = _slack_buttons(chats, root_ts)
    assert [e["action_id"] for e in slack_buttons["elements"]][:1] == ["pl_ack"], slack_buttons
    assert not [b for b in _slack_card(chats, root_ts)["blocks"] if b["type"] == "context" and "Resolved" in str(b)]
    colour = _lark_card(chats, root_id)["header"]["template"]
    assert _lark_buttons(chats, root_id) and colour == "yellow"  # its severity's, no longer a resolve's green
    reopen_ts = next(
        ts for (to, ts), body in chats.slack_messages.items() if body.get("reply_broadcast") and to == "C0OPS"
    )
    # When someone acknowledges it
    assert api.post(f"/api/incidents/{incident_id}/acknowledge", headers=auth(admin_key)).status_code == 200
    runtime.poller.drain()
    # Then no card of the incident is left with a live Acknowledge button: the first message, and the reopen's card
    for ts in (root_ts, reopen_ts):
        assert not _slack_buttons(chats, ts), ts
        notes = [b["elements"][0].get("text", "") for b in _slack_card(chats, ts)["blocks"] if b["type"] == "context"]
        assert [n for n in notes if n.startswith("Acknowledged by ")], notes
    lark_cards = [m for m, sent in chats.lark_messages.items() if sent.get("receive_id") == "oc_fakechat"]
    assert len(lark_cards) == 2 and not [m for m in lark_cards if _lark_buttons(chats, m)]


def _hold_back_resolves(runtime) -> list[str]:
    """Take the incident.resolved jobs off the NotifyQueue (their bodies, to deliver later); the others stay."""
    from pagerless import settings

    sqs, url = runtime.client("sqs"), settings.workflow().notify_queue_url
    held, others = [], []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            resolve = json.loads(message["Body"])["event"] == "incident.resolved"
            (held if resolve else others).append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    for body in others:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    return held


def test_a_resolve_whose_job_comes_after_the_reopen_leaves_the_reopened_cards_open(
    api, runtime, notify_env, admin_key, chats
):
    from pagerless import settings

    # Given an incident announced in a Slack channel and a Lark chat
    ingest = make_key("ingest")
    incident_id = post_alert(api, ingest, "alertmanager", fixture_json(FIRING)).json()["alerts"][0]["incident_id"]
    workflows_done(runtime, 1)
    runtime.poller.drain()
    root_ts = next(ts for (to, ts), body in chats.slack_messages.items() if to == "C0OPS" and "thread_ts" not in body)
    root_id = next(m for m, sent in chats.lark_messages.items() if sent.get("receive_id") == "oc_fakechat")
    # And resolved by its source, the resolve's notification job held up on its way
    post_alert(api, ingest, "alertmanager", fixture_json(RESOLVED))
    late = _hold_back_resolves(runtime)
    assert late
    # And reopened since (its alert fired again), the reopen delivered: the cards read open
    again = post_alert(api, ingest, "alertmanager", _refire()).json()["alerts"][0]
    assert (again["incident_id"], again["action"]) == (incident_id, "reopened"), again
    workflows_done(runtime, 2)
    runtime.poller.drain()
    assert _slack_buttons(chats, root_ts) and _lark_buttons(chats, root_id)
    # When the resolve's job arrives at last
    sqs = runtime.client("sqs")
    for body in late:
        sqs.send_message(QueueUrl=settings.workflow().notify_queue_url, MessageBody=body)
    runtime.poller.drain()
    # Then it closes no card: the incident is open again, and its cards say so, with their Acknowledge button
    assert _slack_buttons(chats, root_ts) and _lark_buttons(chats, root_id)
    assert _lark_card(chats, root_id)["header"]["template"] == "yellow"


def test_a_flaps_reopen_opens_the_cards_again_and_its_quiet_resolve_closes_them(
    api, runtime, notify_env, admin_key, chats, monkeypatch
):
    from pagerless import settings

    # Given alerts that flap from their first re-fire, and page only after holding firing for ten minutes
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_CYCLES", "1")
    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS", "600")
    settings.reset()
    # And an incident announced in both chats, resolved by its source
    incident_id, root_ts, root_id = _opened(api, runtime, chats)
    posted = len(chats.to("/slack/api/chat.postMessage"))
    # When its alert fires again: a flap, whose run holds its announcement back
    again = post_alert(api, make_key("ingest"), "alertmanager", _refire()).json()["alerts"][0]
    assert (again["incident_id"], again["action"]) == (incident_id, "reopened"), again
    assert api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()["flapping"] is True
    runtime.poller.drain()
    # Then the cards say it is open again all the same, with their Acknowledge button
    assert _slack_buttons(chats, root_ts) and _lark_buttons(chats, root_id)
    assert _lark_card(chats, root_id)["header"]["template"] == "yellow"  # its severity's, not a resolve's green
    # When the flap resolves again at its source (a resolve that is announced to nobody)
    post_alert(api, make_key("ingest"), "alertmanager", _resolved_again())
    runtime.poller.drain()
    # Then the cards are closed again, and nothing was posted in either chat for the flap
    assert not _slack_buttons(chats, root_ts) and not _lark_buttons(chats, root_id)
    assert _lark_card(chats, root_id)["header"]["template"] == "green"
    assert len(chats.to("/slack/api/chat.postMessage")) == posted


def test_a_lark_reopen_note_that_failed_is_retried_without_posting_the_card_twice(api, notify_env, admin_key, vendors):
    from datetime import UTC, datetime

    from pagerless.incidents.workflow_events import record_workflow_started
    from pagerless.outbox.jobs import NotifyJob, enqueue
    from pagerless.store.incidents import IncidentRecord

    # Given an incident announced in a Lark chat and resolved
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, lark["id"])
    incident = save_incident(created_at=datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    enqueue(NotifyJob("default", "incident.opened", incident_id=incident.id))
    notify_env.poller.drain()
    [root_id] = list(vendors.lark_messages)
    # When it reopens, and Lark fails the note in the thread once (a 5xx)
    incident.update(actions=[IncidentRecord.reopened_at.set(datetime(2026, 12, 2, 9, 30, tzinfo=UTC))])
    vendors.fail(f"/open-apis/im/v1/messages/{root_id}/reply", 500)
    record_workflow_started(incident.id)
    notify_env.poller.drain()
    # Then the thread gets its note after all, and the chat the reopen's card once
    cards = [m for m, sent in vendors.lark_messages.items() if sent.get("receive_id") == "oc_fakechat"]
    notes = [m for m, sent in vendors.lark_messages.items() if sent.get("reply_to") == root_id]
    assert len(cards) == 2 and len(notes) == 1, vendors.lark_messages
    assert json.loads(vendors.lark_messages[notes[0]]["content"])["text"] == "Reopened: its new card is in the chat."


def _reopened(api, runtime, chats) -> tuple[str, str, str]:
    """`_opened`, and reopened since (its alert fired again), the reopen delivered."""
    incident_id, root_ts, root_id = _opened(api, runtime, chats)
    again = post_alert(api, make_key("ingest"), "alertmanager", _refire()).json()["alerts"][0]
    assert (again["incident_id"], again["action"]) == (incident_id, "reopened"), again
    workflows_done(runtime, 2)
    runtime.poller.drain()
    return incident_id, root_ts, root_id


def _logged(api, admin_key, incident_id: str, event: str) -> list[dict]:
    response = api.get("/api/notification-logs", headers=auth(admin_key), params={"incident_id": incident_id})
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["event"] == event]


def test_a_card_edit_that_would_not_change_what_the_card_shows_is_not_made(api, runtime, notify_env, admin_key, chats):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    # Given an incident announced in Slack and Lark, resolved and reopened: its cards read open again
    incident_id, root_ts, root_id = _reopened(api, runtime, chats)
    assert _slack_buttons(chats, root_ts) and _lark_buttons(chats, root_id)
    slack_edits = len(chats.to("/slack/api/chat.update"))
    lark_edits = len([r for r in chats.to("/open-apis/im/v1/messages") if r.method == "PATCH"])
    # When the reopen's card edit comes again (its notice sent a second time, under another generation)
    enqueue(NotifyJob("default", "incident.reopened", incident_id=incident_id, generation="said-again"))
    runtime.poller.drain()
    # Then neither Slack nor Lark is asked to edit a card: each shows that already (chat.update is rate-limited)
    assert len(chats.to("/slack/api/chat.update")) == slack_edits
    assert len([r for r in chats.to("/open-apis/im/v1/messages") if r.method == "PATCH"]) == lark_edits
    assert _slack_buttons(chats, root_ts) and _lark_buttons(chats, root_id)
    # And the delivery log says why, for each card
    again = [e for e in _logged(api, admin_key, incident_id, "incident.reopened") if e["generation"] == "said-again"]
    assert again and {(e["status"], e["last_error"]) for e in again} == {
        ("skipped", "not edited: the card shows this already")
    }, again


def test_a_card_edit_slack_throttles_with_retry_after_is_made_once_the_wait_is_over(
    api, runtime, notify_env, admin_key, chats
):
    from tests.functional.notify.conftest import make_due, notify_queue_messages, wait_over

    # Given an incident announced in Slack and Lark, resolved by its source: its cards closed
    incident_id, root_ts, root_id = _opened(api, runtime, chats)
    # When it reopens, and Slack answers the card's chat.update 429 with Retry-After: ten minutes
    chats.fail("/slack/api/chat.update", 429, times=1, headers={"Retry-After": "600"})
    again = post_alert(api, make_key("ingest"), "alertmanager", _refire()).json()["alerts"][0]
    assert again["action"] == "reopened", again
    workflows_done(runtime, 2)
    runtime.poller.drain()
    # Then the Slack edit is neither made nor dropped: it waits, its job back on the queue for it
    [edit] = [e for e in _logged(api, admin_key, incident_id, "incident.reopened") if e["channel_type"] == "slack"]
    assert edit["status"] == "failed" and "429" in edit["last_error"], edit
    assert not _slack_buttons(chats, root_ts) and _lark_buttons(chats, root_id)
    assert notify_queue_messages()
    # When the wait is over
    wait_over(edit["id"])
    for message in notify_queue_messages():
        make_due(message)
    runtime.poller.drain()
    # Then the Slack card reads open again, with its Acknowledge button
    [edit] = [e for e in _logged(api, admin_key, incident_id, "incident.reopened") if e["id"] == edit["id"]]
    assert edit["status"] == "sent", edit
    assert _slack_buttons(chats, root_ts)
