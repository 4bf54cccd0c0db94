"""Seed 002's `POST /bot/interact` answers a Chinese question in Chinese and any other in English, with the same
fields (reply, incident_id, incidents, applied). The analyzers' diagnosis summary and the planner's reason are said
in Chinese from their phrases."""

import json

import pytest

from tests.functional.chat.conftest import HALF_WIDTH
from tests.functional.notify.conftest import save_incident
from tests.functional.notify.test_chinese_card_phrases import _oom_diagnosis_and_proposal

pytestmark = pytest.mark.functional

INCIDENT = "INC-20261202-0060"


@pytest.fixture
def oom_incident(runtime):
    """An open payments-api incident with the OOMKilled scenario's real diagnosis and memory plan."""
    diagnosis, proposal = _oom_diagnosis_and_proposal()
    record = save_incident(INCIDENT)
    record.diagnosis, record.proposal = diagnosis, proposal
    record.save()
    return {"diagnosis": diagnosis, "proposal": proposal}


def _ask(api, key: str, message: str, incident_id: str | None = None) -> dict:
    body = {"message": message, **({"incident_id": incident_id} if incident_id else {})}
    answered = api.post("/bot/interact", headers={"X-API-Key": key}, json=body)
    assert answered.status_code == 200, answered.text
    assert set(answered.json()) == {"reply", "incident_id", "incidents", "applied"}
    return answered.json()


def test_a_chinese_question_is_answered_in_chinese(api, admin_key, oom_incident):
    # When an engineer asks about the incident in Chinese
    answer = _ask(api, admin_key, "这个事件怎么样了？", INCIDENT)
    # Then the answer is Chinese: its status, the analyzers' summary and the planner's reason in Chinese
    reply = answer["reply"]
    assert reply.startswith(f"{INCIDENT}（严重）") and "状态：诊断中" in reply, reply
    assert "容器超出内存限制" in reply and "位置：payments/payments-api" in reply, reply
    assert "将 payments-api 中容器 api 的内存限制从 256Mi 提高到 512Mi" in reply, reply
    assert "Where:" not in reply and oom_incident["proposal"]["reason"] not in reply, reply
    assert not HALF_WIDTH.search(reply.split("证据：")[0]), reply
    assert (answer["incident_id"], answer["applied"]) == (INCIDENT, False)


def test_an_english_question_is_answered_in_english_as_before(api, admin_key, oom_incident):
    reply = _ask(api, admin_key, "What is wrong?", INCIDENT)["reply"]
    assert reply.startswith(f"{INCIDENT} (critical)") and " is diagnosing." in reply, reply
    assert oom_incident["diagnosis"]["summary"] in reply and oom_incident["proposal"]["reason"] in reply


def test_a_chinese_question_naming_a_service_finds_its_incident_and_says_so_in_chinese(api, admin_key, oom_incident):
    # When asked about a service in Chinese, and about a service nothing is open for
    found = _ask(api, admin_key, "payments-api 出了什么问题？")
    nothing = _ask(api, admin_key, "checkout 有事吗？")
    # Then the first describes the incident in Chinese, the second lists what is open, in Chinese
    assert found["incident_id"] == INCIDENT and found["reply"].startswith(f"{INCIDENT}（严重）")
    assert nothing["incident_id"] is None and nothing["incidents"] == [INCIDENT]
    assert nothing["reply"] == f"没有与之相符的未关闭事件。当前有 1 个未关闭事件：{INCIDENT} payments-api 诊断中。"


def test_a_question_naming_an_incident_by_its_id_is_about_that_incident(api, admin_key, oom_incident):
    # Given a second incident open on another service
    other = save_incident("INC-20261202-0061")
    other.service, other.namespace, other.title = "checkout", "shop", "CheckoutLatencyHigh"
    other.save()
    # When people ask about an incident by the id a card showed them, without the incident_id field
    chinese = _ask(api, admin_key, f"{INCIDENT} 现在怎么样？")
    english = _ask(api, admin_key, "what about inc-20261202-0061?")
    # Then each answer is about the incident named, not "nothing matches" and a list of what is open
    assert chinese["incident_id"] == INCIDENT and chinese["incidents"] == [INCIDENT], chinese
    assert chinese["reply"].startswith(f"{INCIDENT}（严重）") and "状态：诊断中" in chinese["reply"], chinese
    assert english["incident_id"] == "INC-20261202-0061", english
    assert english["reply"].startswith("INC-20261202-0061 (critical) CheckoutLatencyHigh on checkout"), english


def test_a_service_is_found_however_its_name_is_written_and_an_ambiguous_word_is_asked_about(api, admin_key, runtime):
    # Given open incidents of payments-api and payments-worker
    save_incident(INCIDENT)
    _save_with_service("INC-20261202-0061", "payments-worker")
    # When the service is written in another case, with a space, an underscore, or as one word
    for said in ("What is wrong with Payments-API?", "payments api 怎么了？", "PAYMENTS_API down?", "paymentsapi?"):
        found = _ask(api, admin_key, said)
        # Then it names payments-api, and only it
        assert (found["incident_id"], found["incidents"]) == (INCIDENT, [INCIDENT]), (said, found)
    # And a word that starts both names is answered with the question which one, in the language asked
    english, chinese = _ask(api, admin_key, "is payments broken?"), _ask(api, admin_key, "payments 出事了吗")
    assert english["incident_id"] is None and sorted(english["incidents"]) == [INCIDENT, "INC-20261202-0061"]
    assert english["reply"].startswith("Which service do you mean? payments-api, payments-worker"), english
    assert chinese["reply"].startswith("你指的是哪个服务？payments-api、payments-worker"), chinese
    # And a word that starts one name only finds that one
    _save_with_service("INC-20261202-0062", "search-api")
    assert _ask(api, admin_key, "search is slow")["incidents"] == ["INC-20261202-0062"]


def _save_with_service(incident_id: str, service: str) -> None:
    record = save_incident(incident_id)
    record.service = service
    record.save()


def test_why_no_fix_was_proposed_is_said_in_the_language_of_the_question(api, admin_key, runtime):
    from pagerless.diagnosis.engine import run_diagnosis
    from pagerless.remediation.actions import NoAction
    from pagerless.remediation.planner import Workload, plan_diagnosis
    from pagerless.remediation.reasons import nothing_planned
    from pagerless.workflow.propose import why_nothing
    from tests.functional.notify.test_chinese_card_phrases import SCENARIOS

    # Given an incident the planner proposed nothing for: its deployment could not be read (as Propose stores it)
    diagnosis = run_diagnosis(json.loads((SCENARIOS / "oom_killed_payments.json").read_text("utf-8")))
    not_automated = [
        {"remediation": p.remediation, "reason": p.reason, "reason_phrase": p.why.model_dump()}
        for p in plan_diagnosis(diagnosis, Workload())
        if isinstance(p, NoAction)
    ]
    record = save_incident(INCIDENT, status="diagnosed")
    record.diagnosis = diagnosis.model_dump(mode="json")
    record.proposal = {
        "status": "no_action",
        "route": "none",
        "not_automated": not_automated,
        "reason": why_nothing(not_automated),
        "reason_phrase": nothing_planned(not_automated).model_dump(mode="json"),
    }
    record.save()
    # When it is asked about in Chinese and in English
    chinese = _ask(api, admin_key, "这个事件怎么样了？", INCIDENT)["reply"]
    english = _ask(api, admin_key, "What is wrong?", INCIDENT)["reply"]
    # Then each says why no fix was proposed, in its language
    assert "未提出修复：" in chinese and "无法读取 Deployment payments/payments-api" in chinese, chinese
    assert "could not be read" not in chinese and not HALF_WIDTH.search(chinese.split("证据：")[0]), chinese
    assert f" No fix proposed: {record.proposal['reason']}." in english, english


def test_the_answer_does_not_call_a_resolved_incident_flapping(api, admin_key, oom_incident):
    from pagerless.store.incidents import IncidentRecord, IncidentRepository

    # Given the incident flapped and its source resolved it
    IncidentRepository().get(INCIDENT).update(
        actions=[IncidentRecord.status.set("resolved"), IncidentRecord.flapping.set(True)]
    )
    # When asked about it, in English and in Chinese
    english, chinese = _ask(api, admin_key, "What is wrong?", INCIDENT), _ask(api, admin_key, "怎么样了？", INCIDENT)
    # Then both say it is resolved, and neither that it is flapping: its flap mark stays after the resolve (the
    # incidents/ code reads it at the resolve and at the next reopen), but nothing flaps while it is resolved
    assert " is resolved." in english["reply"] and "Flapping" not in english["reply"], english
    assert "状态：已解决。" in chinese["reply"] and "抖动" not in chinese["reply"], chinese
