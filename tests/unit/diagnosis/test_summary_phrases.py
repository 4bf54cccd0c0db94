"""The diagnosis summary and the proposal's reason are data (a code and its facts) said in English and Chinese: the
English is what the engine and the planner store, the Chinese is said from the same facts, for every category of
the taxonomy."""

import json
from pathlib import Path

import pytest

from pagerless.diagnosis import summaries
from pagerless.diagnosis.categories import category_label
from pagerless.diagnosis.engine import run_diagnosis
from pagerless.diagnosis.taxonomy import category_ids
from pagerless.domain.phrases import Catalog
from pagerless.remediation import reasons
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.planner import Workload, plan_diagnosis

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
CJK = range(0x4E00, 0xA000)


def _chinese(text: str) -> bool:
    return any(ord(c) in CJK for c in text)


def test_every_taxonomy_category_is_said_in_chinese():
    assert set(summaries.CAUSES_ZH) == set(category_ids())
    assert set(summaries.SUMMARIES.entries) == set(category_ids())


@pytest.mark.parametrize("name", ["oom_killed_payments.json", "bad_deploy_crash_after_rollout.json"])
def test_the_stored_summary_is_the_english_of_its_phrase_and_the_chinese_says_the_same_facts(name):
    # Given a scenario's analyzers' diagnosis
    diagnosis = run_diagnosis(json.loads((SCENARIOS / name).read_text("utf-8")))
    # When its phrase is said, as stored (JSON) and read back
    stored = json.loads(json.dumps(diagnosis.summary_phrase.model_dump(mode="json")))
    english, chinese = summaries.render(stored, "en"), summaries.render(stored, "zh-CN")
    # Then the English is the summary the API gives, and the Chinese names the same category, place and time
    assert english == diagnosis.summary
    words = category_label(diagnosis.category, "zh")
    assert _chinese(chinese) and chinese.startswith(f"{words}：{summaries.CAUSES_ZH[diagnosis.category]}")
    assert diagnosis.category not in chinese  # the category in words, not its id
    assert summaries.where(diagnosis.target, "zh") in chinese and "Where:" not in chinese


def test_the_english_summary_names_the_category_in_words_not_its_id():
    # Given the OOM scenario's analyzers' diagnosis
    diagnosis = run_diagnosis(json.loads((SCENARIOS / "oom_killed_payments.json").read_text("utf-8")))
    # Then the English it stores opens with the category's words, as the console and the cards name it
    assert diagnosis.summary.startswith("Out of memory (OOMKilled): "), diagnosis.summary
    assert "oom_killed" not in diagnosis.summary


@pytest.mark.parametrize("name", ["oom_killed_payments.json", "bad_deploy_crash_after_rollout.json"])
def test_a_summary_stored_before_the_category_was_said_in_words_is_said_from_its_phrase_in_both_languages(name):
    # Given a diagnosis stored by an older release: its English opened with the category's id
    diagnosis = run_diagnosis(json.loads((SCENARIOS / name).read_text("utf-8")))
    phrase = json.loads(json.dumps(diagnosis.summary_phrase.model_dump(mode="json")))
    words = category_label(diagnosis.category)
    old = diagnosis.summary.replace(f"{words}: ", f"{diagnosis.category}: ", 1)
    assert old.startswith(f"{diagnosis.category}: ") and old != diagnosis.summary
    stored = {"category": diagnosis.category, "summary": old, "summary_phrase": phrase}
    # When it is read in English and in Chinese
    english, chinese = summaries.said(stored, "en"), summaries.said(stored, "zh")
    # Then the English names the category in words, and the Chinese is said from the same phrase
    assert english == diagnosis.summary and english.startswith(f"{words}: "), english
    assert chinese == summaries.render(phrase, "zh") and chinese.startswith(category_label(diagnosis.category, "zh"))
    # And an abstention stored so reads the same way
    lead = {"category": "volume_full", "score": 0.2, "finding": "x"}
    abstained = summaries.insufficient("disk full", 0.35, lead).model_dump(mode="json")
    old = "insufficient_evidence: the snapshot for 'disk full' shows no conclusive fault signal (no failing "
    old += "containers, scheduling, node, storage or error-log pattern tied to the alert). The strongest hint, "
    old += "volume_full (0.20), is below the 0.35 threshold: x. Collect metrics, traces or longer logs before acting."
    stored = {"category": "insufficient_evidence", "summary": old, "summary_phrase": abstained}
    assert summaries.said(stored, "en").startswith("Not enough evidence: "), summaries.said(stored, "en")
    assert summaries.said(stored, "zh").startswith("证据不足：")


def test_a_summary_stored_without_a_phrase_names_its_category_in_words_and_keeps_the_rest():
    # Given a diagnosis stored before summaries had phrases, and a model's summary
    old = {"category": "oom_killed", "summary": "oom_killed: Container api was OOMKilled. Where: payments/api."}
    model = {"category": "oom_killed", "summary": "The api ran out of memory.", "summary_phrase": None}
    # Then the old one's id is said in words in both languages, the rest as stored; the model's is as it wrote it
    assert summaries.said(old, "en") == "Out of memory (OOMKilled): Container api was OOMKilled. Where: payments/api."
    assert summaries.said(old, "zh") == "内存不足被终止：Container api was OOMKilled. Where: payments/api."
    assert summaries.said(model, "zh") == summaries.said(model, "en") == "The api ran out of memory."
    # And a summary opening with a category no words exist for stays as stored
    unknown = {"category": "disk_gone", "summary": "disk_gone: the disk went away."}
    assert summaries.said(unknown, "zh") == "disk_gone: the disk went away."


def test_an_abstention_is_said_in_chinese_too():
    phrase = summaries.insufficient("disk full", 0.35, {"category": "volume_full", "score": 0.2, "finding": "x"})
    english = summaries.render(phrase, "en")
    assert english.startswith("Not enough evidence: the snapshot for 'disk full'"), english
    assert "The strongest hint, Volume full, scored 0.20, below the 0.35 threshold: x." in english, english
    assert "insufficient_evidence" not in english and "volume_full" not in english
    chinese = summaries.render(phrase, "zh")
    assert "证据不足" in chinese and "“disk full”" in chinese and "0.35" in chinese
    assert "最强的线索是 卷空间已满（" in chinese and "volume_full" not in chinese  # the lead's category in words


def test_the_planners_reason_is_said_in_chinese_from_its_facts():
    # Given the OOMKilled diagnosis's memory plan
    scenario = json.loads((SCENARIOS / "oom_killed_payments.json").read_text("utf-8"))
    diagnosis = run_diagnosis(scenario)
    [deployment] = [d for d in scenario["cluster"]["deployments"]["items"] if d["metadata"]["name"] == "payments-api"]
    [plan, *_] = [p for p in plan_diagnosis(diagnosis, Workload(deployment, [])) if isinstance(p, ActionPlan)]
    # Then its English reason is its phrase's, and the Chinese says the same container, deployment and limits
    assert plan.why is not None and reasons.render(plan.why, "en") == plan.reason
    assert reasons.render(plan.why, "zh") == (
        f"将 payments-api 中容器 {plan.action.container} 的内存限制从 {plan.inverse.memory_limit} 提高到 "
        f"{plan.action.memory_limit}：它在 {plan.inverse.memory_limit} 时被 OOMKilled"
    )


def test_every_reason_code_renders_in_both_languages():
    facts = {
        "node": "n1",
        "pod": "p1",
        "deployment": "d1",
        "container": "c1",
        "current": "1",
        "new": "2",
        "to": 3,
        "wanted": 4,
        "action": "scale_deployment",
        # why a remediation became no action (reasons.NOT_PLANNED)
        "verb": "drain",
        "remediation": "fix_command",
        "namespace": "ns1",
        "cap": "8Gi",
        "hpa": "h1",
        "min": 2,
        "max": 10,
        "asked": "three",
        "items": [{"remediation": "fix_command", "reason": "r", "reason_phrase": {"code": "no_namespace"}}],
        # a runbook step's card
        "runbook": "CrashLoopBackOff triage",
        "step": "Rollout restart",
        # why a chosen action ran nothing (a dry run's, a policy's)
        "status": "failure",
        "message": "admission webhook denied the request",
        "rule": "no-drain",
        "reason": "draining nodes needs a person",
        # a runbook step whose action cannot be built (the model's error, quoted)
        "error": "context has no field 'replicas'",
        # why the executor sent nothing (executor.refusal)
        "decided": "plan-1",
        "plan": "plan-2",
        # a target name from the alert's labels that is no Kubernetes name (reasons "not_a_name")
        "field": "namespace",
        "value": 'payments"} or vector(1) #',
        # a caller's dependency that is down (remediation.dependency)
        "caller": "checkout",
        "dependency": "cart-redis",
        "source": "replicaset",
        "detail": "cart-redis-7b9f6d8c4",
        "replicas": 2,
        "available": 0,
    }
    for code in reasons.REASONS.entries:
        phrase = reasons.reason(code, **facts)
        assert reasons.render(phrase, "en") and _chinese(reasons.render(phrase, "zh")), code


def test_a_phrase_that_cannot_be_said_gives_none_and_a_catalog_needs_both_languages():
    assert summaries.render({"code": "no_such_category", "params": {}}, "zh") is None
    assert reasons.render({"code": "restart_pod", "params": {}}, "zh") is None  # its pod is missing
    assert reasons.render(None, "zh") is None
    with pytest.raises(ValueError, match="without a rendering"):
        Catalog({"x": {"en": lambda p: "x"}})


def test_why_nothing_was_planned_is_said_in_chinese_from_the_facts_the_english_says():
    from pagerless.workflow.propose import why_nothing

    # Given a diagnosis whose remediations the planner cannot carry out (its deployment could not be read)
    diagnosis = run_diagnosis(json.loads((SCENARIOS / "oom_killed_payments.json").read_text("utf-8")))
    planned = plan_diagnosis(diagnosis, Workload())
    not_automated = [
        {"remediation": p.remediation, "reason": p.reason, "reason_phrase": p.why.model_dump()} for p in planned
    ]
    assert not_automated and not any(isinstance(p, ActionPlan) for p in planned)
    # When the proposal's reason is said from its phrase, as stored (JSON) and read back
    stored = json.loads(json.dumps(reasons.nothing_planned(not_automated).model_dump(mode="json")))
    proposal = {"reason": why_nothing(not_automated), "reason_phrase": stored}
    # Then the English is the reason the planner always gave, and the Chinese says each remediation's reason
    assert reasons.render(stored, "en") == proposal["reason"]
    assert "deployment payments/payments-api could not be read" in proposal["reason"]
    chinese = reasons.said(proposal, "zh")
    assert "无法读取 Deployment payments/payments-api" in chinese and "could not be read" not in chinese, chinese
    # And a reason someone wrote (no phrase, or not the phrase's English) stays as written
    assert reasons.said({**proposal, "reason": "waiting for the DBA"}, "zh") == "waiting for the DBA"


def test_a_summarys_times_are_said_in_the_readers_zone_when_one_is_known():
    from pagerless.notify.context import shown

    # Given the OOM scenario's diagnosis, whose summary stores when the fault began in UTC
    diagnosis = run_diagnosis(json.loads((SCENARIOS / "oom_killed_payments.json").read_text("utf-8")))
    stored = diagnosis.summary_phrase.model_dump(mode="json")
    assert "Z." in diagnosis.summary.split("Evidence:")[0], diagnosis.summary
    # When it is said to a reader in Shanghai, and to one whose zone is not known
    shanghai = summaries.said({"summary": diagnosis.summary, "summary_phrase": stored}, "zh", "Asia/Shanghai")
    unknown = summaries.said({"summary": diagnosis.summary, "summary_phrase": stored}, "zh")
    # Then Shanghai's reads its own wall clock, the zone named; without a zone UTC, named (not "…Z", as stored)
    assert "UTC+08:00。" in shanghai and "Z。" not in shanghai.split("证据：")[0], shanghai
    assert " UTC。" in unknown.split("证据：")[0] and "Z。" not in unknown.split("证据：")[0], unknown
    assert summaries.said({"summary": diagnosis.summary, "summary_phrase": stored}, "en") == diagnosis.summary
    # And a Chinese channel in Shanghai says it so (the card's context)
    card = shown({"summary": diagnosis.summary, "summary_phrase": stored}, "zh", "Asia/Shanghai")
    assert card["summary"] == shanghai


def test_every_taxonomy_remediation_is_said_in_both_languages():
    import json as _json

    from pagerless.diagnosis.categories import REMEDIATIONS, remediation_label

    taxonomy = _json.loads((Path(summaries.__file__).parent / "taxonomy.json").read_text("utf-8"))
    assert set(REMEDIATIONS.entries) == {r["id"] for r in taxonomy["remediations"]}
    for code in REMEDIATIONS.entries:
        assert remediation_label(code) != code and _chinese(remediation_label(code, "zh")), code
    assert remediation_label("patch_resources", "zh") == "patch_resources"  # an action's name, as it is
