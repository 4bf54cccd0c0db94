"""People write to the chat bot (signed Lark im.message.receive_v1 and Slack Events API events, built on the
fixtures' app, tenant and user ids): help, an incident's status, who is on call, and ack, in English or Chinese
(帮助 / 状态 / 值班 / 确认). The bot answers in the language of the command, through the app's notification channel
(the fake vendors), with the button path's identity and role rules: an unbound user is told how to bind."""

import json
import re
import time
import uuid

import pytest

from pagerless.chat import lark, slack
from pagerless.domain.actors import full_width
from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID, LARK_BOT_OPEN_ID
from tests.functional.chat.conftest import FIXTURES, HALF_WIDTH, LARK_APP, SLACK_APP, SLACK_SECRET, lark_headers
from tests.functional.notify.conftest import (
    lark_channel,
    route_all,
    save_incident,
    slack_channel,
    vendors,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.functional

SLACK_ACK = json.loads((FIXTURES / "slack" / "block_actions_incident_ack_authored.json").read_text())
LARK_CLICK = json.loads((FIXTURES / "lark" / "card_action_trigger_v2_ack_button.json").read_text())
SLACK_TEAM, ALICE_SLACK = SLACK_ACK["team"]["id"], SLACK_ACK["user"]["id"]
ALICE_LARK = LARK_CLICK["event"]["operator"]["open_id"]
INCIDENT = "INC-20261202-0042"


@pytest.fixture
def bot(runtime, monkeypatch, vendors, api, admin_key):  # noqa: F811
    """The Lark app the fake Lark knows and the fixtures' Slack app; their notification channels (the bot replies
    through them); Alice (operator) bound on both, Victor (viewer) on Slack, Bob (operator) on Lark."""
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import PeopleService

    monkeypatch.setenv("PAGERLESS_LARK_APP_ID", LARK_APP_ID)
    monkeypatch.setenv("PAGERLESS_LARK_ENCRYPT_KEY", LARK_APP.encrypt_key)
    monkeypatch.setenv("PAGERLESS_LARK_VERIFICATION_TOKEN", LARK_APP.verification_token)
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    apps.ChatAppService().register("default", "slack", SLACK_APP, secrets={"signing_secret": SLACK_SECRET})
    lark_channel(api, admin_key, vendors)
    slack_channel(api, admin_key, vendors)
    people, identities = PeopleService(), ChatIdentityService()
    alice = people.create("default", name="Alice Chen", email="alice@example.com", role="operator")
    victor = people.create("default", name="Victor Viewer", email="victor@example.com", role="viewer")
    bob = people.create("default", name="Bob Li", email="bob@example.com", role="operator")
    identities.bind("default", "slack", SLACK_TEAM, ALICE_SLACK, alice.id, actor="test")
    identities.bind("default", "slack", SLACK_TEAM, "U0VIEWER1", victor.id, actor="test")
    identities.bind("default", "lark", LARK_APP_ID, ALICE_LARK, alice.id, actor="test")
    identities.bind("default", "lark", LARK_APP_ID, "ou_bob", bob.id, actor="test")
    save_incident(INCIDENT)
    yield {"alice": alice, "victor": victor, "bob": bob}
    apps.reset()
    chat_routes.chat_apps.cache_clear()


def _to_lark_bot(  # noqa: F811
    api, vendors, text: str, *, open_id: str = ALICE_LARK, root_id: str = "", chat_type="p2p", mentions=()
) -> str | None:
    """Write ``text`` to the Lark bot (an encrypted, signed im.message.receive_v1 with the fixture's header; in a
    group chat with ``mentions``, Lark's message.mentions); the bot's reply, if it made one."""
    message_id = f"om_{uuid.uuid4().hex[:12]}"
    event = {
        "schema": "2.0",
        "header": {**LARK_CLICK["header"], "event_id": uuid.uuid4().hex, "event_type": "im.message.receive_v1"},
        "event": {
            "sender": {"sender_id": {"open_id": open_id}, "sender_type": "user", "tenant_key": "736588c9260f175d"},
            "message": {
                "message_id": message_id,
                "chat_id": LARK_CLICK["event"]["context"]["open_chat_id"],
                "chat_type": chat_type,
                "message_type": "text",
                "content": json.dumps({"text": text}, ensure_ascii=False),
                "mentions": list(mentions),
                **({"root_id": root_id, "parent_id": root_id} if root_id else {}),
            },
        },
    }
    event["header"]["app_id"] = LARK_APP_ID
    plain = json.dumps(event, ensure_ascii=False).encode()
    body = json.dumps({"encrypt": lark.encrypt(plain, LARK_APP.encrypt_key, uuid.uuid4().bytes)}).encode()
    answered = api.post("/lark/event", content=body, headers=lark_headers(body))
    assert answered.status_code == 200, answered.text
    replies = [m for m in vendors.lark_messages.values() if m.get("reply_to") == message_id]
    return json.loads(replies[0]["content"])["text"] if replies else None


def _slack_event(text: str, *, user: str = ALICE_SLACK, kind: str = "message", **extra) -> dict:
    """An Events API event_callback from the fixture's team and app: a direct message, or a mention."""
    event = {"type": kind, "user": user, "text": text, "ts": f"{time.time():.6f}", "channel": "D0ALICE", **extra}
    if kind == "message":
        event["channel_type"] = "im"
    else:
        event["channel"] = SLACK_ACK["channel"]["id"]
    return {
        "token": SLACK_ACK["token"],
        "team_id": SLACK_TEAM,
        "api_app_id": SLACK_ACK["api_app_id"],
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
    }


def _to_slack_bot(api, vendors, data: dict) -> list[dict]:  # noqa: F811
    """Send a signed Slack event; the bot's replies to its conversation."""
    body = json.dumps(data).encode()
    timestamp = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": slack.sign(SLACK_SECRET, timestamp, body),
    }
    answered = api.post("/slack/interactivity", content=body, headers=headers)
    assert answered.status_code == 200, answered.text
    channel = data["event"]["channel"]
    return [m for (to, _), m in vendors.slack_messages.items() if to == channel and "blocks" not in m]


def _opened_roots(api, vendors, admin_key, runtime) -> tuple[str, str]:  # noqa: F811
    """The incident's opened message sent to every channel: (the Slack root's ts, the Lark root's message id)."""
    from pagerless.outbox.jobs import NotifyJob, enqueue

    channels = api.get("/api/notifications/channels", headers=auth(admin_key)).json()
    route_all(api, admin_key, *[c["id"] for c in channels])
    enqueue(NotifyJob("default", "incident.opened", incident_id=INCIDENT))
    runtime.poller.drain()
    slack_root = next(ts for (to, ts), m in vendors.slack_messages.items() if to == "C0OPS" and "blocks" in m)
    lark_root = next(m for m, sent in vendors.lark_messages.items() if sent.get("receive_id") == "oc_fakechat")
    return slack_root, lark_root


def _acknowledged_by() -> str | None:
    from pagerless.store.incidents import IncidentRepository

    return IncidentRepository().get(INCIDENT).acknowledged_by


def test_help_answers_in_the_language_asked_even_before_binding(bot, api, vendors):  # noqa: F811
    chinese = _to_lark_bot(api, vendors, "帮助", open_id="ou_stranger")
    english = _to_lark_bot(api, vendors, "help", open_id="ou_stranger")
    assert "状态 <事件编号>" in chinese and "值班 [服务]" in chinese and "确认 <事件编号>" in chinese
    assert "绑定 <邮箱>" in chinese and not HALF_WIDTH.search(chinese), chinese
    assert "status <incident id>" in english and "oncall [service]" in english and "bind <email>" in english
    # and what the bot does not understand is answered with the help, in the message's language
    assert "状态 <事件编号>" in _to_lark_bot(api, vendors, "你好，出什么事了", open_id="ou_stranger")


def test_status_describes_the_incident_in_the_commands_language(bot, api, vendors):  # noqa: F811
    chinese = _to_lark_bot(api, vendors, f"状态 {INCIDENT}")
    assert chinese.startswith(f"{INCIDENT}（严重）") and "状态：诊断中" in chinese, chinese
    assert not re.search(r"\d\d:\d\dZ", chinese), chinese  # a time named in UTC (no zone known), not as stored
    # the category in words, as the console shows it (not the stored oom_killed)
    assert "诊断：内存不足被终止，置信度 92%" in chinese and "建议修复：patch_resources" in chinese, chinese
    english = _to_lark_bot(api, vendors, f"status {INCIDENT.lower()}")
    assert english.startswith(f"{INCIDENT} (critical)") and "is diagnosing." in english, english
    assert "Diagnosis: Out of memory (OOMKilled) at 92%" in english, english
    assert _to_lark_bot(api, vendors, "状态 INC-20200101-0001") == "找不到事件 INC-20200101-0001。"
    assert _to_lark_bot(api, vendors, "status") == "Name the incident, e.g. status INC-20260311-0042."


def test_an_unbound_user_is_told_how_to_bind_and_nothing_is_read_or_changed(bot, api, vendors, admin_key):  # noqa: F811
    # Lark: send 绑定 <email>
    chinese = _to_lark_bot(api, vendors, f"确认 {INCIDENT}", open_id="ou_stranger")
    assert "尚未关联" in chinese and "绑定 <你的邮箱>" in chinese and INCIDENT not in chinese, chinese
    english = _to_lark_bot(api, vendors, f"status {INCIDENT}", open_id="ou_stranger")
    assert 'Send "bind <your email>"' in english and "diagnos" not in english, english
    # Slack: a link request waits for an admin, as an unbound click's does
    [reply] = _to_slack_bot(api, vendors, _slack_event(f"ack {INCIDENT}", user="U0STRANGER"))
    assert "is not linked to a Pagerless person" in reply["text"], reply
    pending = api.get("/api/chat-identities", params={"status": "pending"}, headers=auth(admin_key)).json()["items"]
    assert [(p["provider"], p["user"]) for p in pending] == [("slack", "U0STRANGER")]
    assert _acknowledged_by() is None


def test_ack_acknowledges_as_the_bound_person_with_the_buttons_rules(bot, api, vendors, admin_key):  # noqa: F811
    # Given Victor, a viewer: his ack is refused as his button click would be
    [refused] = _to_slack_bot(api, vendors, _slack_event(f"ack {INCIDENT}", user="U0VIEWER1"))
    assert "your Pagerless role is viewer; to acknowledge you need operator" in refused["text"], refused
    assert _acknowledged_by() is None
    # When Bob writes 确认 to the Lark bot
    chinese = _to_lark_bot(api, vendors, f"确认 {INCIDENT}", open_id="ou_bob")
    # Then the incident is acknowledged by Bob, through the incidents service, and he is told so in Chinese
    assert chinese == f"你已确认 {INCIDENT}。"
    assert _acknowledged_by() == bot["bob"].label
    audit = api.get("/api/audit-logs", params={"action": "CHAT lark"}, headers=auth(admin_key)).json()["items"]
    assert any(a["action"] == "CHAT lark acknowledge" and a["actor"] == bot["bob"].label for a in audit), audit
    # And Alice, mentioning the Slack bot in a channel, hears that in English, in the thread of her message
    event = _slack_event(f"<@U0PAGERLESS> ack {INCIDENT}", kind="app_mention")
    [reply] = _to_slack_bot(api, vendors, event)
    assert "already acknowledged by" in reply["text"] and bot["bob"].name in reply["text"], reply
    assert reply["thread_ts"] == event["event"]["ts"]


def test_oncall_says_who_is_on_call_for_a_service_or_every_schedule(bot, api, vendors, admin_key):  # noqa: F811
    # Given a schedule covering payments-api with Alice on call
    schedule = {
        "name": "payments primary",
        "timezone": "UTC",
        "services": ["payments-api"],
        "layers": [{"name": "weekly", "participants": [bot["alice"].id], "rotation_start": "2026-01-05"}],
    }
    created = api.post("/api/oncall/schedules", json=schedule, headers=auth(admin_key))
    assert created.status_code == 201, created.text
    # When people ask the bot
    chinese = _to_lark_bot(api, vendors, "值班 payments-api")
    english = _to_lark_bot(api, vendors, "oncall")
    unknown = _to_lark_bot(api, vendors, "值班 checkout")
    # Then it names her, in the language asked
    assert chinese == "现在值班：\npayments primary：Alice Chen", chinese
    assert english == "On call now:\npayments primary: Alice Chen", english
    assert unknown == "没有值班表负责服务 checkout。"


def test_a_slack_retry_is_answered_once_and_the_bots_own_messages_not_at_all(bot, api, vendors):  # noqa: F811
    event = _slack_event("帮助")
    assert len(_to_slack_bot(api, vendors, event)) == 1
    assert len(_to_slack_bot(api, vendors, event)) == 1  # Slack's retry of the same event_id
    echo = _slack_event("Pagerless bot commands:", bot_id="B0PAGERLESS")
    echo["event"]["channel"] = "D0ECHO"
    assert _to_slack_bot(api, vendors, echo) == []


def test_commands_are_understood_as_people_write_them_without_spaces_or_with_punctuation(bot, api, vendors):  # noqa: F811
    # Chinese is written without a space after the command word
    status = _to_lark_bot(api, vendors, f"状态{INCIDENT}")
    assert status.startswith(f"{INCIDENT}（严重）") and "状态：诊断中" in status, status
    # a sentence ends with its punctuation, a colon may follow the command
    assert _to_lark_bot(api, vendors, f"状态：{INCIDENT.lower()}？").startswith(f"{INCIDENT}（严重）")
    assert _to_lark_bot(api, vendors, "确认一下") == "请写明事件编号，例如：确认 INC-20260311-0042。"
    assert _to_lark_bot(api, vendors, f"确认 {INCIDENT}。", open_id="ou_bob") == f"你已确认 {INCIDENT}。"
    assert _acknowledged_by() == bot["bob"].label


def test_status_says_who_acknowledged_the_incident(bot, api, vendors):  # noqa: F811
    # Given Bob acknowledged the incident from Lark
    assert _to_lark_bot(api, vendors, f"确认 {INCIDENT}", open_id="ou_bob") == f"你已确认 {INCIDENT}。"
    # When Alice asks for its status, in either language
    chinese, english = _to_lark_bot(api, vendors, f"状态 {INCIDENT}"), _to_lark_bot(api, vendors, f"status {INCIDENT}")
    # Then she reads that someone is on it, and who (not only that it is still diagnosing)
    assert f"状态：诊断中。已由 {full_width(bot['bob'].label)} 确认。诊断" in chinese, chinese
    assert f"is diagnosing. Acknowledged by {bot['bob'].label}. Diagnosis" in english, english


def test_alert_text_in_a_lark_answer_mentions_nobody(bot, api, vendors):  # noqa: F811
    # Given an incident whose alert title carries Lark's @-everyone tag (alert text is anyone's to write)
    from pagerless.store.incidents import IncidentRecord, IncidentRepository

    IncidentRepository().get(INCIDENT).update(actions=[IncidentRecord.title.set('Disk full <at user_id="all"></at>')])
    # When someone asks the Lark bot for its status
    answer = _to_lark_bot(api, vendors, f"状态 {INCIDENT}")
    # Then the answer shows the title, but as text: no tag Lark would read as a mention of the whole group
    assert answer.startswith(f"{INCIDENT}（严重）Disk full <"), answer
    assert "<at" not in answer and 'user_id="all"' in answer, answer


def test_status_and_ack_in_an_incidents_thread_need_no_id(bot, api, vendors, admin_key, runtime):  # noqa: F811
    # Given the incident's opened message in the Slack channel and the Lark chat (the roots of its threads)
    slack_root, lark_root = _opened_roots(api, vendors, admin_key, runtime)
    # When Alice mentions the bot in the Slack thread with a bare "ack"
    event = _slack_event("<@U0PAGERLESS> ack", kind="app_mention", thread_ts=slack_root)
    event["event"]["channel"] = "C0OPS"
    [reply] = _to_slack_bot(api, vendors, event)
    # Then the thread's incident is acknowledged as her, and she is told so in the thread
    assert reply["text"] == f"You acknowledged {INCIDENT}." and reply["thread_ts"] == slack_root, reply
    assert _acknowledged_by() == bot["alice"].label
    # And Bob, writing 状态 in the Lark thread, reads that incident's status
    status = _to_lark_bot(api, vendors, "@_user_1 状态", open_id="ou_bob", root_id=lark_root)
    assert status.startswith(f"{INCIDENT}（严重）") and "确认" in status, status
    # And outside any incident's thread, the id is still asked for
    assert (
        _to_lark_bot(api, vendors, "状态", root_id="om_someone_elses")
        == "请写明事件编号，例如：状态 INC-20260311-0042。"
    )


def _mention(key: str, open_id: str, name: str) -> dict:
    """An entry of Lark's message.mentions, as im.message.receive_v1 carries it."""
    ids = {"open_id": open_id, "union_id": "on_" + open_id[3:], "user_id": ""}
    return {"key": key, "id": ids, "name": name, "tenant_key": "736588c9260f175d"}


def test_in_a_group_the_bots_act_only_when_mentioned(bot, api, vendors):  # noqa: F811
    # Given a Lark app that reads every message of its groups
    bob = _mention("@_user_1", "ou_bob", "Bob Li")
    pagerless = _mention("@_user_1", LARK_BOT_OPEN_ID, "Pagerless")
    # When people chat in the group, about an incident, or mentioning somebody else
    assert _to_lark_bot(api, vendors, "午饭吃什么？", chat_type="group") is None
    assert _to_lark_bot(api, vendors, f"status {INCIDENT}", chat_type="group") is None
    assert _to_lark_bot(api, vendors, f"@_user_1 确认 {INCIDENT}", chat_type="group", mentions=[bob]) is None
    assert _acknowledged_by() is None
    # Then the bot says nothing; mentioned, it answers the command written after its mention
    answered = _to_lark_bot(api, vendors, f"@_user_1 确认 {INCIDENT}", chat_type="group", mentions=[pagerless])
    assert answered == f"你已确认 {INCIDENT}。" and _acknowledged_by() == bot["alice"].label
    both = [_mention("@_user_1", "ou_bob", "Bob Li"), _mention("@_user_2", LARK_BOT_OPEN_ID, "Pagerless")]
    assert _to_lark_bot(api, vendors, "@_user_2 help @_user_1", chat_type="group", mentions=both).startswith(
        "Pagerless bot commands"
    )
    # And a direct message needs no mention
    assert _to_lark_bot(api, vendors, f"status {INCIDENT}").startswith(f"{INCIDENT} (critical)")
    # And in Slack a channel's message is not the bot's (it answers direct messages and app_mention only)
    chatter = _slack_event(f"status {INCIDENT}")
    chatter["event"].update(channel="C0CHATTER", channel_type="channel")
    assert _to_slack_bot(api, vendors, chatter) == []


def test_a_threads_incident_is_found_however_many_messages_were_sent_since(bot, api, vendors, admin_key, runtime):  # noqa: F811
    # Given the incident's opened message in the Slack channel and the Lark chat
    from pagerless.clock import utcnow
    from pagerless.store.deliveries import SENT, DeliveryRecord

    slack_root, lark_root = _opened_roots(api, vendors, admin_key, runtime)
    # And a busy workspace: 600 messages of other incidents delivered since
    with DeliveryRecord.batch_write() as batch:
        for n in range(600):
            at = utcnow().isoformat()
            batch.save(
                DeliveryRecord(
                    f"dlv-busy-{n:04d}",
                    workspace="default",
                    created_key=f"{at}#dlv-busy-{n:04d}",
                    incident_key=f"default#INC-20261203-{n:04d}",
                    incident_id=f"INC-20261203-{n:04d}",
                    event="incident.opened",
                    channel_id="ch-busy",
                    channel_type="slack",
                    status=SENT,
                    provider_ref={"channel": "C0OPS", "ts": f"1700000000.{n:06d}"},
                )
            )
    # When Bob asks for the status with a bare 状态 in the Lark thread, and Alice acks in the Slack thread
    status = _to_lark_bot(api, vendors, "状态", open_id="ou_bob", root_id=lark_root)
    event = _slack_event("<@U0PAGERLESS> ack", kind="app_mention", thread_ts=slack_root)
    event["event"]["channel"] = "C0OPS"
    [reply] = _to_slack_bot(api, vendors, event)
    # Then both are about the thread's incident
    assert status.startswith(f"{INCIDENT}（严重）"), status
    assert reply["text"] == f"You acknowledged {INCIDENT}.", reply
    assert _acknowledged_by() == bot["alice"].label


def test_status_says_that_the_incident_is_flapping(bot, api, vendors):  # noqa: F811
    # Given an open incident whose alert keeps resolving and firing again (marked flapping at its reopen)
    from pagerless.store.incidents import IncidentRecord, IncidentRepository

    IncidentRepository().get(INCIDENT).update(
        actions=[IncidentRecord.status.set("open"), IncidentRecord.flapping.set(True)]
    )
    # When Alice asks for its status, in either language
    chinese, english = _to_lark_bot(api, vendors, f"状态 {INCIDENT}"), _to_lark_bot(api, vendors, f"status {INCIDENT}")
    # Then she reads that it is flapping, and that paging waits until its alert holds firing
    assert "告警反复恢复又触发（抖动），持续触发后才会呼叫。" in chinese, chinese
    assert "Flapping: its alert keeps resolving and firing again; paging waits until it holds firing." in english
    # And once its source resolved it (the flap mark stays on the incident), status says it is resolved, not flapping
    IncidentRepository().get(INCIDENT).update(actions=[IncidentRecord.status.set("resolved")])
    chinese, english = _to_lark_bot(api, vendors, f"状态 {INCIDENT}"), _to_lark_bot(api, vendors, f"status {INCIDENT}")
    assert "状态：已解决。" in chinese and "抖动" not in chinese, chinese
    assert " is resolved." in english and "Flapping" not in english, english


def test_status_says_when_the_fault_began_in_the_askers_time_zone(bot, api, vendors):  # noqa: F811
    # Given 王芳 in Shanghai, bound on Lark, and an incident whose diagnosis says when the fault began (stored in UTC)
    from pagerless.diagnosis import summaries
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import PeopleService
    from pagerless.store.incidents import IncidentRecord, IncidentRepository

    wang = PeopleService().create(
        "default", name="王芳", email="wangfang@example.cn", role="operator", timezone="Asia/Shanghai"
    )
    ChatIdentityService().bind("default", "lark", LARK_APP_ID, "ou_wang", wang.id, actor="test")
    said = summaries.found(
        "oom_killed",
        finding="container api was OOMKilled (exit code 137)",
        where={"namespace": "payments", "workload": "payments-api"},
        since="2026-12-07T16:22:00+00:00",
    )
    diagnosis = {"category": "oom_killed", "confidence": 0.9, "summary": summaries.render(said, "en")}
    diagnosis["summary_phrase"] = said.model_dump(mode="json")
    IncidentRepository().get(INCIDENT).update(actions=[IncidentRecord.diagnosis.set(diagnosis)])
    # When she, and Alice (who chose no zone), ask the bot for the incident's status
    status = _to_lark_bot(api, vendors, f"状态 {INCIDENT}", open_id="ou_wang")
    alices = _to_lark_bot(api, vendors, f"状态 {INCIDENT}")
    # Then she reads the fault's start on her wall clock, the zone named, as her cards and pages say it
    assert "开始于：2026-12-08 00:22 UTC+08:00" in status and "16:22 UTC" not in status, status
    # And Alice reads it in UTC, named
    assert "开始于：2026-12-07 16:22 UTC" in alices, alices


def test_status_says_the_evidence_pagerless_wrote_itself_in_chinese_and_a_quote_as_found(bot, api, vendors):  # noqa: F811
    # Given an incident whose diagnosis cites, as its first evidence, a line Pagerless wrote itself (no pods found for
    # the dependency's workload, said from its phrase), and another whose first evidence quotes the cluster
    from pagerless.diagnosis import summaries
    from pagerless.diagnosis.evidence_phrases import said as evidence_said
    from pagerless.store.incidents import IncidentRecord, IncidentRepository

    def diagnosis_citing(evidence: dict) -> dict:
        said = summaries.found(
            "dependency_unavailable",
            finding="payments-api cannot reach ledger (3 log lines)",
            where={"namespace": "payments", "workload": "payments-api"},
            since="2026-12-07T16:22:00+00:00",
            evidence=evidence["detail"][:160],
        )
        return {
            "category": "dependency_unavailable",
            "confidence": 0.9,
            "summary": summaries.render(said, "en"),
            "summary_phrase": said.model_dump(mode="json"),
            "evidence": [evidence],
        }

    own = evidence_said("pods payments/ledger", "no_pods_for_workload").model_dump(mode="json")
    quote = {"source": "pod payments/ledger-1/status", "detail": "phase=Pending ledger: ready=False"}
    IncidentRepository().get(INCIDENT).update(actions=[IncidentRecord.diagnosis.set(diagnosis_citing(own))])
    # When Alice asks for its status in Chinese and in English
    chinese, english = _to_lark_bot(api, vendors, f"状态 {INCIDENT}"), _to_lark_bot(api, vendors, f"status {INCIDENT}")
    # Then the Chinese 证据 line says Pagerless's own line in Chinese; English keeps its stored English
    assert "证据：没有找到该工作负载的 Pod" in chinese and "no pods found" not in chinese, chinese
    assert "Evidence: no pods found for the workload" in english, english
    # And a quote of what the cluster said stays as found, in Chinese quotation marks
    IncidentRepository().get(INCIDENT).update(actions=[IncidentRecord.diagnosis.set(diagnosis_citing(quote))])
    assert "证据：“phase=Pending ledger: ready=False”。" in _to_lark_bot(api, vendors, f"状态 {INCIDENT}")


def test_status_quotes_a_log_line_as_evidence_so_the_chinese_sentence_ends_right(bot, api, vendors):  # noqa: F811
    # Given an incident with the real diagnosis of a scenario whose first evidence is a log line that ends in its own
    # full stop (checkout cannot reach a Redis scaled to zero)
    from pathlib import Path

    from pagerless.diagnosis.engine import run_diagnosis
    from pagerless.store.incidents import IncidentRecord, IncidentRepository

    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "dependency_redis_scaled_to_zero.json"
    diagnosis = run_diagnosis(json.loads(scenario.read_text("utf-8"))).model_dump(mode="json")
    line = diagnosis["evidence"][0]["detail"]
    assert line.endswith("Connection refused."), line
    IncidentRepository().get(INCIDENT).update(actions=[IncidentRecord.diagnosis.set(diagnosis)])
    # When Alice asks for its status in Chinese
    chinese = _to_lark_bot(api, vendors, f"状态 {INCIDENT}")
    # Then the 证据 quotes the line in Chinese marks, its full stop inside them, and the sentence ends after them
    assert f"证据：“{line}”。" in chinese, chinese
    assert f"{line}。" not in chinese and f"证据：{line}" not in chinese, chinese
