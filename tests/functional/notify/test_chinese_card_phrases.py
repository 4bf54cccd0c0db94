"""A Chinese channel's approval card says the analyzers' diagnosis summary and the planner's reason in Chinese,
rendered from the phrases they are stored with (a code and its facts), while an English channel's card of the same
incident says them in English as stored. A model's summary stays as the model wrote it."""

import json
from pathlib import Path

import pytest

from tests.conftest import auth
from tests.functional.chat.conftest import HALF_WIDTH
from tests.functional.notify.conftest import lark_channel, route_all, save_incident, slack_channel
from tests.functional.notify.test_approval_cards import FakeStepFunctions

pytestmark = pytest.mark.functional

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _oom_diagnosis_and_proposal() -> tuple[dict, dict]:
    """The OOMKilled scenario's real diagnosis and memory plan, stored as the workflow stores them."""
    return _diagnosis_and_proposal("oom_killed_payments.json", "payments-api")


def _diagnosis_and_proposal(name: str, workload: str) -> tuple[dict, dict]:
    """A scenario's real diagnosis and the first plan for ``workload``, stored as the workflow stores them."""
    from pagerless.diagnosis.engine import run_diagnosis
    from pagerless.remediation.actions import ActionPlan
    from pagerless.remediation.planner import Workload, plan_diagnosis
    from pagerless.remediation.policy import Decision
    from pagerless.workflow.propose import describe

    scenario = json.loads((SCENARIOS / name).read_text("utf-8"))
    diagnosis = run_diagnosis(scenario)
    [deployment] = [d for d in scenario["cluster"]["deployments"]["items"] if d["metadata"]["name"] == workload]
    # ``workload``: the Deployment the plan acts on (a dependency's, when the diagnosis blames one)
    planned = plan_diagnosis(diagnosis, Workload(deployment, []), dependency=Workload(deployment, []))
    [plan, *_] = [p for p in planned if isinstance(p, ActionPlan)]
    decision = Decision(allowed=True, requires_approval=True, rule="approve.default", reason="-", plan_id=plan.id)
    return diagnosis.model_dump(mode="json"), describe(plan, decision)


def _cards(api, admin_key, vendors, notify_env, incident_id: str, diagnosis: dict, proposal: dict) -> tuple[str, str]:
    """The text of the English Slack card and of the Chinese Lark card of one approval of the incident."""
    from pagerless.workflow.approvals import ApprovalService

    slack, lark = slack_channel(api, admin_key, vendors), lark_channel(api, admin_key, vendors)
    changed = api.put(
        f"/api/notifications/channels/{lark['id']}", headers=auth(admin_key), json={"config": {"language": "zh"}}
    )
    assert changed.status_code == 200, changed.text
    route_all(api, admin_key, slack["id"], lark["id"])
    record = save_incident(incident_id)
    record.diagnosis, record.proposal = diagnosis, proposal
    record.save()
    ApprovalService(sfn=FakeStepFunctions()).request(
        incident_id, "default", task_token="tok", execution_arn="arn:x", timeout_seconds=600
    )
    notify_env.poller.drain()
    [post] = vendors.to("/slack/api/chat.postMessage")
    english = "\n".join(b["text"]["text"] for b in post.body["blocks"] if b["type"] == "section")
    [send] = [r for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    return english, send.body["content"]


def test_a_chinese_card_says_the_diagnosis_summary_and_the_reason_in_chinese(api, notify_env, admin_key, vendors):
    # Given an incident diagnosed by the analyzers (OOMKilled) with the planner's memory fix proposed
    diagnosis, proposal = _oom_diagnosis_and_proposal()
    assert diagnosis["summary_phrase"]["code"] == "oom_killed" and proposal["reason_phrase"]
    # When its approval card goes to an English Slack channel and a Chinese Lark channel
    english, chinese = _cards(api, admin_key, vendors, notify_env, "INC-20261202-0050", diagnosis, proposal)
    # Then the English card says them as stored
    assert diagnosis["summary"].split(" Evidence:")[0] in english.replace("&lt;", "<").replace("&gt;", ">")
    assert proposal["reason"] in english
    assert "Diagnosis: Out of memory (OOMKilled) (" in english, english  # the category as the console shows it
    # And the Chinese card says them in Chinese, from the same facts (names and quantities as Kubernetes writes them)
    plan = proposal["plan"]["action"]
    lark_text = json.loads(chinese)
    text = json.dumps(lark_text, ensure_ascii=False)
    assert "容器超出内存限制" in text and "位置：" in text, text
    assert "诊断：内存不足被终止（置信度" in text and "诊断：oom_killed" not in text, text  # the category in words
    assert f"将 payments-api 中容器 {plan['container']} 的内存限制从" in text and plan["memory_limit"] in text, text
    assert proposal["reason"] not in text and "Where:" not in text, text
    for line in (lark_text["elements"][0].get("content") or "").splitlines():
        assert not HALF_WIDTH.search(line.split("证据：")[0]), line


def test_a_models_summary_stays_as_the_model_wrote_it_on_a_chinese_card(api, notify_env, admin_key, vendors):
    # Given an incident whose diagnosis Claude wrote (no phrase), and a proposal with a reason someone wrote
    diagnosis = {
        "category": "oom_killed",
        "confidence": 0.9,
        "engine": "claude",
        "summary": "The api container ran out of memory under the Monday batch load.",
        "evidence": [],
    }
    proposal = {"action": "patch_resources", "reason": "raise the memory limit", "decision": {"rule": "r"}}
    # When its approval card goes to a Chinese channel
    _, chinese = _cards(api, admin_key, vendors, notify_env, "INC-20261202-0051", diagnosis, proposal)
    # Then the model's words and the written reason are shown as they came
    text = json.dumps(json.loads(chinese), ensure_ascii=False)
    assert "The api container ran out of memory under the Monday batch load." in text
    assert "raise the memory limit" in text


def test_a_chinese_card_says_the_evidence_pagerless_wrote_itself_in_chinese_and_quotes_as_found(
    api, notify_env, admin_key, vendors
):
    # Given an incident the analyzers could not conclude on: no pod of the alert's workload in the cluster read (a
    # line Pagerless wrote itself, with its phrase), beside a quote of what the cluster said
    from pagerless.diagnosis.engine import diagnose
    from tests.unit.diagnosis.kube import scenario

    diagnosis = json.loads(json.dumps(diagnose(scenario()).model_dump(mode="json")))
    quote = {"source": "event shop/checkout", "detail": "Back-off pulling image: not found"}
    diagnosis["evidence"] = [quote, *[e for e in diagnosis["evidence"] if e.get("said")]]
    assert diagnosis["evidence"][1]["detail"] == "no pods found for checkout in shop"
    proposal = {"action": "patch_resources", "reason": "raise the memory limit", "decision": {"rule": "r"}}
    # When its approval card goes to an English Slack channel and a Chinese Lark channel
    english, chinese = _cards(api, admin_key, vendors, notify_env, "INC-20261202-0052", diagnosis, proposal)
    text = json.dumps(json.loads(chinese), ensure_ascii=False)
    # Then the Chinese card says Pagerless's own line in Chinese, the quote as it was found
    assert "Pod shop：在 shop 中没有找到 checkout 的 Pod" in text and "no pods found" not in text, text
    assert "事件 shop/checkout：“Back-off pulling image: not found”" in text, text
    # And the English card keeps the stored English
    assert "pods shop: no pods found for checkout in shop" in english, english
    assert "event shop/checkout: Back-off pulling image: not found" in english, english


def test_a_chinese_card_says_each_kind_of_evidence_as_chinese_reads_it(api, notify_env, admin_key, vendors):
    # Given a real diagnosis citing a log line that ends in its own full stop and a Deployment's field (the checkout
    # scenario whose Redis was scaled to zero), with the Redis's scale-up proposed
    diagnosis, proposal = _diagnosis_and_proposal("dependency_redis_scaled_to_zero.json", "cart-redis")
    log, field = diagnosis["evidence"][:2]
    assert log["source"].startswith("log ") and log["detail"].endswith("Connection refused."), log
    assert field == {"source": "deployment shop/cart-redis/spec.replicas", "detail": "0"}, field
    # When its approval card goes to an English Slack channel and a Chinese Lark channel
    english, chinese = _cards(api, admin_key, vendors, notify_env, "INC-20261202-0053", diagnosis, proposal)
    content = json.loads(chinese)["elements"][0]["text"]["content"]
    lines = [line[2:] for line in content.splitlines() if line.startswith("- ")]
    # Then the Chinese card names each source's kind in Chinese, quotes the log line once in Chinese marks (its own
    # full stop inside them, nothing after), and gives the field's value as it is
    place = log["source"].removeprefix("log ")
    assert lines[:2] == [f"日志 {place}：“{log['detail']}”", "Deployment shop/cart-redis/spec.replicas：0"], lines
    # And the summary cites the same line quoted, so the sentence around it reads
    assert f"证据：“{log['detail']}”" in content, content
    assert not any(line.startswith(("log ", "deployment ")) or line.endswith("：") for line in lines), lines
    # And the English card keeps the stored lines
    assert f"{log['source']}: {log['detail']}" in english, english
    assert "deployment shop/cart-redis/spec.replicas: 0" in english, english
    # And both cards say the fix changes the dependency, not the service that was paged about
    assert "this changes cart-redis, not checkout" in english, english
    assert "此操作变更的是 cart-redis，而不是 checkout" in content, content
