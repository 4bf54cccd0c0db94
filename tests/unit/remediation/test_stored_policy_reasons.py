"""A policy decision is stored with its reason's phrase beside the English, so a line said later from what was
stored (a blocked proposal's reason on a Chinese card or page) says the policy's reason in Chinese; a decision
stored before the phrase was kept is said in its English."""

import pytest

from pagerless.remediation import policy_phrases, reasons
from tests.unit.remediation.test_policy import PATCH, decide

pytestmark = pytest.mark.unit


def test_a_stored_decision_keeps_its_reasons_phrase_and_is_said_in_chinese_from_it():
    # Given a decision the denied namespaces rule made, stored as the workflow stores it
    stored = policy_phrases.stored(decide(PATCH, denied_namespaces=["payments"], autonomy="auto"))
    # Then the English is as before and the phrase is beside it
    assert stored["reason"] == "namespace payments is denied"
    assert stored["reason_phrase"] == {"code": "denied_namespace", "params": {"namespace": "payments"}}
    # And the reason read back later is Chinese for a Chinese reader, English for an English one
    assert policy_phrases.decision_reason(stored, "zh") == "命名空间 payments 被禁止"
    assert policy_phrases.decision_reason(stored, "en") == "namespace payments is denied"
    # And a blocked proposal's reason said from it (incident.no_fix, the incident page) says it in Chinese
    blocked = reasons.reason(
        "blocked_by_policy", rule=stored["rule"], reason=stored["reason"], why=stored["reason_phrase"]
    )
    assert reasons.render(blocked, "zh") == "被策略规则 denied_namespace 阻止：命名空间 payments 被禁止；未执行任何操作"
    assert (
        reasons.render(blocked, "en")
        == "blocked by policy rule denied_namespace: namespace payments is denied; nothing ran"
    )


def test_a_decision_stored_without_its_phrase_keeps_its_english():
    # Given a decision stored before its phrase was kept (no reason_phrase)
    old = {"allowed": False, "rule": "denied_namespace", "reason": "namespace payments is denied"}
    # Then it is said in English whatever the reader's language
    assert policy_phrases.decision_reason(old, "zh") == "namespace payments is denied"
    blocked = reasons.reason("blocked_by_policy", rule=old["rule"], reason=old["reason"], why=None)
    assert (
        reasons.render(blocked, "zh")
        == "被策略规则 denied_namespace 阻止：namespace payments is denied；未执行任何操作"
    )
    # And a phrase whose English is no longer the stored reason (edited since) is not said either
    edited = {
        **old,
        "reason": "edited by hand",
        "reason_phrase": {"code": "denied_namespace", "params": {"namespace": "x"}},
    }
    assert policy_phrases.decision_reason(edited, "zh") == "edited by hand"


def test_an_action_limits_words_are_said_in_chinese_from_the_bounds_it_goes_past():
    from tests.unit.remediation.test_policy import _patch, _scale

    # Given plans past the default action limits
    too_many = decide(_scale(1000), autonomy="auto")
    too_much = decide(_patch(memory_limit="64Gi", cpu_limit="16"), autonomy="auto")
    # Then the English is as before, and a Chinese reader reads each bound in Chinese words
    assert too_many.reason == "scale_deployment to 1000 replicas exceeds action_limits.max_replicas 20"
    assert policy_phrases.reason_in(too_many.reason, too_many.why, "zh") == (
        "超出操作上限：副本数 1000 超过上限 20（action_limits.max_replicas）"
    )
    assert policy_phrases.reason_in(too_much.reason, too_much.why, "zh") == (
        "超出操作上限：内存限制 64Gi 超过上限 8Gi（action_limits.max_memory_limit）；"
        "CPU 限制 16 超过上限 8（action_limits.max_cpu_limit）"
    )
    # And a phrase stored before the bounds were kept quotes the English words
    old = {"code": "action_limits", "params": {"over": too_many.reason}}
    assert policy_phrases.reason_in(too_many.reason, old, "zh") == f"超出操作上限（action_limits）：{too_many.reason}"


def test_a_checks_message_is_kept_with_its_phrases_and_said_in_chinese_from_them():
    from pagerless.remediation import check_phrases as checks

    # Given what a drain's check found on a node still schedulable with pods left (as drain.check_drained says it)
    found = checks.said(checks.check("schedulable", node="n-1"), checks.check("pods_left", pods=["a/p-1", "b/p-2"]))
    # Then its English is as before, and a Chinese reader reads it in Chinese
    assert found["message"] == "node n-1 is schedulable; 2 pod(s) still on it: a/p-1, b/p-2"
    assert (
        checks.message_in(found["message"], found["said"], "zh")
        == "节点 n-1 仍可调度；节点上仍有 2 个 Pod：a/p-1、b/p-2"
    )
    drained = checks.said(checks.check("drained", node="n-1", stay=1))
    assert (
        checks.message_in(drained["message"], drained["said"], "zh")
        == "节点 n-1 已封锁并排空（保留 1 个 DaemonSet/镜像 Pod）"
    )
    # And a message stored without phrases, or no longer theirs, is shown as stored
    assert checks.message_in(found["message"], None, "zh") == found["message"]
    assert checks.message_in("edited", found["said"], "zh") == "edited"
    assert checks.message_in(found["message"], found["said"], "en") == found["message"]


def test_a_runbooks_certificate_and_revision_checks_are_said_in_chinese():
    from pagerless.remediation import check_phrases as checks

    expiring = checks.said(
        checks.check("certificates_expiring", expiring={"api-tls": 3.25, "old": None}, total=4, days=14)
    )
    assert expiring["message"] == "2 of 4 certificates expire within 14 days: api-tls (3.2 days), old (unreadable)"
    assert checks.message_in(expiring["message"], expiring["said"], "zh") == (
        "4 个证书中有 2 个将在 14 天内过期：api-tls（3.2 天）、old（无法读取）"
    )
    revision = checks.said(checks.check("revision", workload="payments/api", revision="7", images=["api:1.2"]))
    assert revision["message"] == "payments/api at revision 7: api:1.2"
    assert checks.message_in(revision["message"], revision["said"], "zh") == "payments/api 当前为修订版本 7：api:1.2"
