"""An incident's messages in Slack and Lark: its first message is the root, the later ones replies in its thread."""

import json

import pytest

from tests.functional.notify.conftest import (
    create_channel,
    lark_channel,
    lark_channel_config,
    route_all,
    save_incident,
    slack_channel,
)

pytestmark = pytest.mark.functional


def _notify(incident_id: str, event: str, generation: str = "0", data: dict | None = None) -> None:
    from pagerless.outbox.jobs import NotifyJob, enqueue

    enqueue(NotifyJob("default", event, incident_id=incident_id, generation=generation, data=data or {}))


def _slack_posts(vendors) -> list[dict]:
    return [r.body for r in vendors.to("/slack/api/chat.postMessage")]


def _lark_sends(vendors) -> list:
    return [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]


def test_later_messages_of_an_incident_reply_in_the_thread_of_its_first(api, notify_env, admin_key, vendors):
    # Given an incident announced in a Slack channel and a Lark chat, and a webhook channel beside them
    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    hook = create_channel(
        api, admin_key, "ops-bot", "lark_bot", {"webhook_url": f"{vendors.base_url}/open-apis/bot/v2/hook/hooktoken"}
    )
    route_all(api, admin_key, slack["id"], lark["id"], hook["id"])
    incident = save_incident()
    _notify(incident.id, "incident.opened")
    notify_env.poller.drain()
    # When its diagnosis, and then its resolution, are said
    _notify(incident.id, "incident.diagnosed")
    notify_env.poller.drain()
    _notify(incident.id, "incident.resolved", "resolved-1", {"message": "resolved by alice"})
    notify_env.poller.drain()
    # Then Slack got the opened message on its own, and the two others as replies in its thread (not broadcast)
    root, diagnosed, resolved = _slack_posts(vendors)
    assert "thread_ts" not in root
    root_ts = next(iter(vendors.slack_messages))[1]  # the first posted (the resolve edited it since)
    assert diagnosed["thread_ts"] == root_ts and diagnosed["channel"] == "C0OPS"
    assert resolved["thread_ts"] == root_ts and "reply_broadcast" not in resolved
    assert resolved["text"].startswith("[RESOLVED]")
    # And Lark got the opened card in the chat, and the others as thread replies to it
    first, *replies = _lark_sends(vendors)
    assert first.path == "/open-apis/im/v1/messages" and first.body["receive_id"] == "oc_fakechat"
    root_id = next(m for m, sent in vendors.lark_messages.items() if sent.get("receive_id") == "oc_fakechat")
    assert [r.path for r in replies] == [f"/open-apis/im/v1/messages/{root_id}/reply"] * 2
    assert all(r.body["reply_in_thread"] is True and r.body["msg_type"] == "interactive" for r in replies)
    assert "receive_id" not in replies[0].body
    assert json.loads(replies[1].body["content"])["header"]["template"] == "green"
    # And the Lark custom bot, a webhook that cannot thread, got three messages as before
    assert len(vendors.to("/open-apis/bot/v2/hook/hooktoken")) == 3
    # And the delivery log says each reply's root
    from pagerless.store.deliveries import DeliveryRepository

    records = DeliveryRepository().for_incident("default", incident.id)
    # (the resolve's edit of the root is a delivery too, with the root's own ref: not a reply)
    refs = {
        (d.channel_type, d.event): d.provider_ref
        for d in records
        if "root" in (d.provider_ref or {}) or d.event == "incident.opened"
    }
    assert refs["slack", "incident.resolved"]["root"] == root_ts
    assert refs["lark", "incident.diagnosed"]["root"] == root_id
    assert "root" not in refs["slack", "incident.opened"]


def test_a_root_never_sent_leaves_the_next_message_on_its_own(api, notify_env, admin_key, vendors):
    # Given the opened message refused by Slack (an invalid token for the moment)
    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident = save_incident()
    vendors.fail("/slack/api/chat.postMessage", 200, body={"ok": False, "error": "channel_not_found"})
    _notify(incident.id, "incident.opened")
    notify_env.poller.drain()
    from pagerless.store.deliveries import DeliveryRepository

    assert [d.status for d in DeliveryRepository().for_incident("default", incident.id)] == ["gave_up"]
    # When the diagnosis and then the resolution are said
    _notify(incident.id, "incident.diagnosed")
    notify_env.poller.drain()
    _notify(incident.id, "incident.resolved", "resolved-1", {"message": "resolved by alice"})
    notify_env.poller.drain()
    # Then the diagnosis went top-level, as it did before threads, and became the root of the resolution
    _refused, diagnosed, resolved = _slack_posts(vendors)
    assert "thread_ts" not in diagnosed
    diagnosed_ts = next(iter(vendors.slack_messages))[1]  # the first posted (the resolve edited it since)
    assert resolved["thread_ts"] == diagnosed_ts


def test_a_page_to_the_channel_is_sent_on_its_own_not_hidden_in_the_thread(api, notify_env, admin_key, vendors):
    # Given an incident whose opened message is the root in the Slack channel
    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident = save_incident()
    _notify(incident.id, "incident.opened")
    notify_env.poller.drain()
    # When a page goes to the channel itself (an escalation step naming it)
    from pagerless.outbox.jobs import NotifyJob, enqueue

    enqueue(
        NotifyJob(
            "default",
            "escalation.page",
            incident_id=incident.id,
            generation="step-1",
            targets=[{"kind": "channel", "id": slack["id"]}],
        )
    )
    notify_env.poller.drain()
    # Then the page is a message of its own, where the channel sees it (a reply notifies only the thread's followers)
    root, page = _slack_posts(vendors)
    assert "thread_ts" not in root and "thread_ts" not in page
    assert page["text"].startswith("[CRITICAL] Page:")
    # And a later message still replies to the opened message, the root
    _notify(incident.id, "incident.diagnosed")
    notify_env.poller.drain()
    root_ts = next(ts for (channel, ts), body in vendors.slack_messages.items() if body is root)
    assert _slack_posts(vendors)[2]["thread_ts"] == root_ts


def test_a_root_deleted_in_the_chat_leaves_the_next_message_on_its_own(api, notify_env, admin_key, vendors):
    # Given an incident announced in Slack and Lark, whose opened messages were then deleted in each chat
    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident()
    _notify(incident.id, "incident.opened")
    notify_env.poller.drain()
    vendors.slack_deleted.update(vendors.slack_messages)  # Slack answers thread_not_found for a deleted thread_ts
    vendors.lark_recalled.update(vendors.lark_messages)
    # When its resolution is said
    _notify(incident.id, "incident.resolved", "resolved-1", {"message": "resolved by alice"})
    notify_env.poller.drain()
    # Then each vendor, refusing the reply, got the resolution as a message of its own: nothing failed
    *_, tried, resolved = _slack_posts(vendors)
    assert "thread_ts" in tried and "thread_ts" not in resolved and resolved["text"].startswith("[RESOLVED]")
    *_, refused, sent = _lark_sends(vendors)
    assert refused.path.endswith("/reply") and sent.path == "/open-apis/im/v1/messages"
    from pagerless.store.deliveries import DeliveryRepository

    deliveries = DeliveryRepository().for_incident("default", incident.id)
    assert {(d.channel_type, d.event, d.status) for d in deliveries if d.event == "incident.resolved"} == {
        ("slack", "incident.resolved", "sent"),
        ("lark", "incident.resolved", "sent"),
    }


def test_a_reopen_replies_in_the_thread_and_is_also_shown_in_the_slack_channel(api, notify_env, admin_key, vendors):
    from datetime import UTC, datetime

    from pagerless.incidents.workflow_events import record_workflow_started
    from pagerless.store.incidents import IncidentRecord

    # Given an incident whose opened message is the root in the Slack channel, acknowledged and resolved since
    slack = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"])
    incident = save_incident(created_at=datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    _notify(incident.id, "incident.opened")
    notify_env.poller.drain()
    # When its alert fires again and it reopens: its new run announces it
    incident.update(actions=[IncidentRecord.reopened_at.set(datetime(2026, 12, 2, 9, 30, tzinfo=UTC))])
    record_workflow_started(incident.id)
    notify_env.poller.drain()
    # Then the reopen is a reply in the incident's thread that the channel sees too (the root still reads as it did
    # before the resolve: acknowledged, handled), as a new incident's message would be
    root, reopened = _slack_posts(vendors)
    root_ts = next(ts for (channel, ts), body in vendors.slack_messages.items() if body is root)
    assert reopened["text"].startswith("[CRITICAL] Reopened:"), reopened["text"]
    assert reopened["thread_ts"] == root_ts and reopened["reply_broadcast"] is True
    # And the thread's other messages stay in the thread only
    _notify(incident.id, "incident.diagnosed")
    notify_env.poller.drain()
    assert "reply_broadcast" not in _slack_posts(vendors)[2]


def test_after_a_deleted_root_the_message_sent_in_its_place_is_the_new_root(api, notify_env, admin_key, vendors):
    # Given an incident whose opened messages were deleted in Slack and Lark, its diagnosis then sent on its own
    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident()
    _notify(incident.id, "incident.opened")
    notify_env.poller.drain()
    vendors.slack_deleted.update(vendors.slack_messages)
    vendors.lark_recalled.update(vendors.lark_messages)
    _notify(incident.id, "incident.diagnosed")
    notify_env.poller.drain()
    diagnosed = _slack_posts(vendors)[-1]
    diagnosed_ts = next(ts for (channel, ts), body in vendors.slack_messages.items() if body is diagnosed)
    lark_diagnosed = next(m for m, sent in vendors.lark_messages.items() if m not in vendors.lark_recalled)
    slack_before, lark_before = len(_slack_posts(vendors)), len(_lark_sends(vendors))
    # When its resolution is said
    _notify(incident.id, "incident.resolved", "resolved-1", {"message": "resolved by alice"})
    notify_env.poller.drain()
    # Then it replies in the thread of the message that took the deleted root's place, at the first try: the
    # incident's later messages are together again, not each one on its own after a refused reply
    [resolved] = _slack_posts(vendors)[slack_before:]
    assert resolved["thread_ts"] == diagnosed_ts and resolved["text"].startswith("[RESOLVED]")
    [reply] = _lark_sends(vendors)[lark_before:]
    assert reply.path == f"/open-apis/im/v1/messages/{lark_diagnosed}/reply"


def test_a_resolve_closes_the_threads_first_message_and_a_lark_reopen_is_seen_in_the_chat(
    api, notify_env, admin_key, vendors
):
    from datetime import UTC, datetime

    from pagerless.incidents.workflow_events import record_workflow_started
    from pagerless.store.incidents import IncidentRecord

    # Given an incident announced in a Slack channel and a Lark chat, diagnosed in their threads
    slack = slack_channel(api, admin_key, vendors)
    lark = lark_channel(api, admin_key, vendors)
    route_all(api, admin_key, slack["id"], lark["id"])
    incident = save_incident(created_at=datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    _notify(incident.id, "incident.opened")
    notify_env.poller.drain()
    _notify(incident.id, "incident.diagnosed")
    notify_env.poller.drain()
    root_id = next(m for m, sent in vendors.lark_messages.items() if sent.get("receive_id") == "oc_fakechat")
    root_ts = next(ts for (to, ts), body in vendors.slack_messages.items() if to == "C0OPS" and "thread_ts" not in body)
    # When it resolves
    resolved_at = datetime(2026, 12, 2, 1, 15, tzinfo=UTC)
    incident.update(
        actions=[
            IncidentRecord.status.set("resolved"),
            IncidentRecord.resolved_by.set("alice"),
            IncidentRecord.resolved_at.set(resolved_at),
        ]
    )
    _notify(incident.id, "incident.resolved", "resolved-1", {"message": "resolved by alice"})
    notify_env.poller.drain()
    # Then besides the resolution in the threads, each thread's first message says it resolved, with no button left
    [update] = [r.body for r in vendors.to("/slack/api/chat.update")]
    assert (update["channel"], update["ts"]) == ("C0OPS", root_ts)
    assert not [b for b in update["blocks"] if b["type"] == "actions"]
    [note] = [b["elements"][0]["text"] for b in update["blocks"] if b["type"] == "context"]
    assert note.startswith("Resolved by alice at 2026-12-02 01:15"), note
    [patch] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "PATCH"]
    assert patch.path == f"/open-apis/im/v1/messages/{root_id}"
    card = json.loads(patch.body["content"])
    assert not [e for e in card["elements"] if e["tag"] == "action"] and card["header"]["template"] == "green"
    # When it reopens, its new run announcing it
    incident.update(actions=[IncidentRecord.reopened_at.set(datetime(2026, 12, 2, 9, 30, tzinfo=UTC))])
    record_workflow_started(incident.id)
    notify_env.poller.drain()
    # Then the Lark chat sees the reopen's card on its own, and the thread a note pointing to it
    sends = _lark_sends(vendors)
    card_sent, note_sent = sends[-2:]
    assert card_sent.path == "/open-apis/im/v1/messages" and card_sent.body["receive_id"] == "oc_fakechat"
    assert json.loads(card_sent.body["content"])["header"]["title"]["content"].startswith("[CRITICAL] Reopened:")
    assert note_sent.path == f"/open-apis/im/v1/messages/{root_id}/reply" and note_sent.body["reply_in_thread"]
    assert json.loads(note_sent.body["content"])["text"] == "Reopened: its new card is in the chat."
    # And the thread keeps its root: the next message replies there
    _notify(incident.id, "incident.diagnosed", "again")
    notify_env.poller.drain()
    assert _lark_sends(vendors)[-1].path == f"/open-apis/im/v1/messages/{root_id}/reply"


@pytest.mark.parametrize(
    ("resolved_by", "language", "said"),
    [
        ("source", "en", "Resolved by its source (every alert cleared) at 2026-12-02 01:15 UTC"),
        ("source", "zh", "告警源头（所有告警已恢复） 于 2026-12-02 09:15 UTC+08:00 解决"),
        ("workflow", "en", "Resolved by the workflow (fix verified) at 2026-12-02 01:15 UTC"),
        ("workflow", "zh", "工作流（修复已验证） 于 2026-12-02 09:15 UTC+08:00 解决"),
    ],
    ids=["source-en", "source-zh", "workflow-en", "workflow-zh"],
)
def test_a_card_closed_by_a_resolve_no_person_made_says_what_resolved_it(
    api, notify_env, admin_key, vendors, resolved_by, language, said
):
    from datetime import UTC, datetime

    from pagerless.store.incidents import IncidentRecord

    # Given an incident announced in a Lark chat (Chinese in Asia/Shanghai, or English in UTC)
    config = {"language": language, "timezone": "Asia/Shanghai"} if language == "zh" else {}
    lark = create_channel(
        api,
        admin_key,
        "ops-lark",
        "lark",
        {**lark_channel_config(vendors), **config},
    )
    route_all(api, admin_key, lark["id"])
    incident = save_incident(created_at=datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    _notify(incident.id, "incident.opened")
    notify_env.poller.drain()
    # When every alert cleared at its source, or the workflow verified its fix (no person resolved it)
    incident.update(
        actions=[
            IncidentRecord.status.set("resolved"),
            IncidentRecord.resolved_by.set(resolved_by),
            IncidentRecord.resolved_at.set(datetime(2026, 12, 2, 1, 15, tzinfo=UTC)),
        ]
    )
    _notify(incident.id, "incident.resolved", "resolved-1", {"message": "resolved"})
    notify_env.poller.drain()
    # Then the opened card says what resolved it, not "source 于 … 解决" / "Resolved by source" as if a person had
    [patch] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "PATCH"]
    card = json.loads(patch.body["content"])
    [note] = [e["elements"][0]["content"] for e in card["elements"] if e["tag"] == "note"]
    assert note == said
