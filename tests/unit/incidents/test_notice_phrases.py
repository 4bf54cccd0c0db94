"""How a workflow run went (a fix applied, a resolution, an escalation's reason, a channel test) is data said in
English and Chinese: the English is the text Pagerless has always stored and sent, the Chinese says the same facts
with full-width punctuation, and what Kubernetes wrote is quoted as it came."""

import json
import re

import pytest

from pagerless.incidents import notice_phrases
from pagerless.incidents.notice_phrases import NOTICES, english, phrase, shown

HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,.:;!?()]|[,:;!?()][\u4e00-\u9fff]")
K8S = 'admission webhook "limits.example.com" denied the request: memory limit 512Mi exceeds 384Mi'

UNHEALTHY = phrase(
    "still_unhealthy",
    checks=2,
    reasons=["pod payments/api-1 not Ready (CrashLoopBackOff)"],
    cause=phrase("will_roll_back", action="patch_resources", rule="approve.default").model_dump(),
)
# every code, with the facts its producer gives it
SAID = [
    phrase("fix_applied", action="patch_resources", status="succeeded", message="m", changes="memory: 256Mi → 512Mi"),
    phrase("fix_applied", action="patch_resources", status="rejected", message=f"422: {K8S}", changes=""),
    phrase("resolved_verified", action="patch_resources", cause_text="x", cause=phrase("healthy_cleared", held="h")),
    phrase("resolved_by", by="Alice Chen"),
    phrase("resolved_by", by="its source (every alert resolved)"),
    phrase("policy_refused", action="restart_pod", rule="freeze.window", reason="a change freeze is on"),
    phrase("changed_since", action="patch_resources", differences=[{"field": "memory", "was": "1", "now": "2"}]),
    phrase("fix_failed", action="patch_resources", status="rejected", message=f"422: {K8S}"),
    phrase("fix_unrecorded", action="restart_pod"),
    phrase("healthy_after_grace", held="h", alerts_open=1, grace=600),
    UNHEALTHY,
    phrase("cannot_roll_back", action="restart_pod"),
    phrase("rollback_not_allowed", rule="deny.prod", reason="r"),
    phrase("rollback_needs_approval", rule="approve.default"),
    phrase("not_rolled_back", why="w", fix="cordon_node", cause_text="c", cause=None),
    phrase("rolled_back", status="succeeded", cause_text=english(UNHEALTHY), cause=UNHEALTHY.model_dump()),
    phrase("rolled_back", status=None, unknown="u", unknown_phrase=None, cause_text="c", cause=None),
    phrase("approval_timed_out", timeout=600),
    phrase("step_failed", error="States.Timeout", cause_text=""),
    phrase("severity_raised", **{"from": "warning", "to": "critical", "source": "alertmanager"}),
    phrase("channel_test", channel="ops-lark"),
    phrase("test_notification"),
    phrase("healthy_cleared", held="the workload is healthy"),
    phrase("will_roll_back", action="patch_resources", rule="approve.default"),
    phrase("rollback_unrecorded", action="patch_resources"),
]


def test_every_code_is_said():
    assert {s.code for s in SAID} == set(NOTICES.entries)


@pytest.mark.parametrize("said", SAID, ids=lambda s: s.code)
def test_every_notice_is_said_in_chinese_with_full_width_punctuation(said):
    # When a phrase is said in Chinese, as stored (JSON) and read back
    stored = json.loads(json.dumps(notice_phrases.data(said)))
    chinese = NOTICES.render(stored, "zh")
    # Then it is Chinese, with no half-width punctuation beside a Chinese character (quoted Kubernetes text aside)
    assert chinese and re.search(r"[\u4e00-\u9fff]", chinese), chinese
    assert not HALF_WIDTH.search(chinese.replace(K8S, "")), chinese
    assert NOTICES.render(stored, "en") == english(said)


def test_the_english_is_the_text_pagerless_stored_before():
    # a reason holding another says it in English as it was given (the verification's reason, cut to 1000)
    cut = phrase("rolled_back", status="failed", cause_text="still unhealthy after…", cause=UNHEALTHY.model_dump())
    assert english(cut) == "the fix did not work (still unhealthy after…); rollback failed"
    assert english(SAID[7]) == f"patch_resources did not succeed (rejected): 422: {K8S}"
    assert english(SAID[15]) == (
        "the fix did not work (still unhealthy after 2 checks: pod payments/api-1 not Ready (CrashLoopBackOff); "
        "will try to roll back patch_resources (policy approve.default)); rolled back"
    )
    assert english(SAID[17]) == "nobody approved or rejected the proposal within 600s; nothing ran"
    assert english(SAID[18]) == "workflow step failed: States.Timeout: "
    assert english(SAID[20]) == "Pagerless can reach ops-lark."
    raised = phrase("severity_raised", **{"from": "warning", "to": "critical", "source": "grafana", "child": "INC-2"})
    assert english(raised) == "severity raised from warning to critical by grafana (its correlated incident INC-2)"
    # a critical child raising its warning parent: the child named, the severities in Chinese words
    assert NOTICES.render(raised, "zh") == "关联事件 INC-2 的告警（来源 grafana）将严重程度从 警告 提升到 严重"


def test_a_failure_quotes_kubernetes_as_it_came_and_says_the_rest_in_chinese():
    chinese = NOTICES.render(SAID[7], "zh")
    assert chinese == f"patch_resources 未成功（被 API 服务器拒绝）：422: {K8S}"
    assert NOTICES.render(SAID[15], "zh") == (
        "修复没有生效（经过 2 次检查仍不健康（pod payments/api-1 not Ready (CrashLoopBackOff)）；"
        "将尝试回滚 patch_resources（策略 approve.default））；已回滚"
    )


def test_a_resolve_by_the_source_names_it_as_the_source_resolves_say_it():
    from pagerless.incidents.source_resolves import SOURCE_ANNOUNCED_BY

    assert NOTICES.render(phrase("resolved_by", by=SOURCE_ANNOUNCED_BY), "zh") == "所有告警已在源头恢复，事件已解决"


def test_text_is_said_from_its_phrase_only_while_it_is_the_phrases_english():
    said = notice_phrases.data(SAID[17])
    stored = english(SAID[17])
    # the phrase's English, whole or cut to a length by its producer, is said in Chinese
    assert shown(stored, said, "zh") == "600 秒内无人批准或拒绝该提议，未执行任何操作"
    assert shown(stored[:20], said, "zh-CN") == "600 秒内无人批准或拒绝该提议，未执行任何操作"
    # English stays as stored; text someone else wrote (a custom test message) stays as written
    assert shown(stored, said, "en") == stored
    assert shown("hello from the API", notice_phrases.data(phrase("test_notification")), "zh") == "hello from the API"
    assert shown(stored, None, "zh") == stored


def test_an_applied_fixs_changes_say_their_own_words_in_chinese():
    # Given a fix whose diff sets a field that was unset (`remediation.diff.render`)
    changes = "metadata.annotations.restartedAt: (unset) → 2026-12-07T10:00:00Z"
    said = phrase("fix_applied", action="rollout_restart", status="succeeded", message="m", changes=changes)
    # Then the Chinese line says "(unset)" in Chinese, the field and values as Kubernetes writes them
    assert NOTICES.render(said, "zh") == (
        "已执行 rollout_restart：metadata.annotations.restartedAt: （未设置） → 2026-12-07T10:00:00Z"
    )


def test_a_policys_reason_and_a_checks_reasons_are_said_in_chinese_inside_chinese_lines():
    from datetime import UTC, datetime

    from pagerless.remediation.actions import ActionPlan, RestartPod
    from pagerless.remediation.policy import Policy, PolicyContext, evaluate
    from pagerless.remediation.verify import VerificationResult, _unhealthy, pod_why

    # Given a policy that denies the fix's namespace, and a check that found a pod not Ready
    plan = ActionPlan.of(RestartPod(namespace="payments", pod="api-1"), "restart_pod", "r", target={})
    decision = evaluate(plan, Policy(denied_namespaces=["payments"]), PolicyContext(now=datetime.now(UTC)))
    pod = {"metadata": {"name": "api-1"}, "status": {"phase": "Running", "containerStatuses": []}}
    checked = _unhealthy(pod_why([pod], datetime.now(UTC)))
    # When the escalation's lines are said (stored as JSON and read back)
    refused = phrase("policy_refused", action="restart_pod", **notice_phrases.decided_by_policy(decision))
    denied = phrase("rollback_not_allowed", **notice_phrases.decided_by_policy(decision))
    unhealthy = phrase("still_unhealthy", checks=2, **notice_phrases.found_unhealthy(checked), cause=None)
    said = {s.code: json.loads(json.dumps(notice_phrases.data(s))) for s in (refused, denied, unhealthy)}
    # Then the Chinese says the policy's reason and the check's reason in Chinese
    assert NOTICES.render(said["policy_refused"], "zh") == (
        "策略已不再允许执行 restart_pod（规则 denied_namespace：命名空间 payments 被禁止），未执行任何操作"
    )
    assert (
        NOTICES.render(said["rollback_not_allowed"], "zh")
        == "策略规则 denied_namespace 不允许回滚：命名空间 payments 被禁止"
    )
    assert NOTICES.render(said["still_unhealthy"], "zh").startswith(
        "经过 2 次检查仍不健康（Pod api-1 未就绪（Running））"
    )
    # And the English is what it was
    assert english(refused) == (
        "the policy no longer allows restart_pod (rule denied_namespace): namespace payments is denied; nothing ran"
    )
    assert english(unhealthy).startswith("still unhealthy after 2 checks: pod api-1 not Ready (Running); ")
    # And a reason with no phrase (a drain's, a stored one from before) is quoted in English
    plain = VerificationResult(healthy=False, reasons=["drain of n1 incomplete"])
    quoted = phrase("still_unhealthy", checks=1, **notice_phrases.found_unhealthy(plain), cause=None)
    assert "（drain of n1 incomplete）" in NOTICES.render(quoted, "zh")


def test_an_executor_refusal_on_the_fix_card_is_said_from_its_stored_phrase():
    from pagerless.remediation.actions import ActionPlan, RestartPod
    from pagerless.remediation.executor import execute
    from pagerless.remediation.policy import Decision

    # Given the executor refusing a fix nobody approved (it sends nothing: no cluster is reached)
    plan = ActionPlan.of(RestartPod(namespace="payments", pod="api-1"), "restart_pod", "r", target={})
    decision = Decision(allowed=True, requires_approval=True, rule="approve.default", reason="r", plan_id=plan.id)
    outcome = execute(plan, None, decision, approved_by=None)
    assert outcome.status == "refused" and outcome.message_phrase, outcome
    # When the workflow's fix card and its escalation say it (as `workflow.remediate` builds them, stored as JSON)
    facts = {"action": "restart_pod", "status": outcome.status, "message": outcome.message}
    card = phrase("fix_applied", **facts, message_said=outcome.message_phrase, changes="")
    failed = phrase("fix_failed", **facts, message_said=outcome.message_phrase)
    said = [json.loads(json.dumps(notice_phrases.data(s))) for s in (card, failed)]
    # Then a Chinese channel reads the refusal in Chinese, and the English is what it was
    for stored in said:
        assert NOTICES.render(stored, "zh").endswith("：策略要求审批（规则 approve.default），但无人批准"), stored
    assert english(card) == "restart_pod: refused. the policy requires approval (approve.default) and nobody approved"
    # And a message that is not the phrase's English (cut, or stored before) is quoted as it came
    cut = phrase("fix_failed", **{**facts, "message": "the policy requires"}, message_said=outcome.message_phrase)
    assert NOTICES.render(cut, "zh").endswith("：the policy requires")
