"""A runbook job's overall error is said in Chinese from the phrase stored beside it (`runbooks.error_phrases`): the
English is the error as stored; a job stored before the phrase, or whose error no longer is the phrase's English,
reads as stored."""

import json
import re

from pagerless.runbooks.error_phrases import ERRORS, PARTS, job_error, part, shown

HALF_WIDTH = re.compile(r"[\u4e00-\u9fff][,.:;!?()]|[,:;!?()][\u4e00-\u9fff]")


def _job(reason: str, missed: list[dict], **said) -> dict:
    stored = json.loads(json.dumps(job_error(reason, missed, **said)))
    return {"error": ERRORS.render(stored, "en"), "result": {"error_phrase": stored}}


def test_a_run_that_could_not_start_is_said_in_chinese():
    facts = {"namespace": "shop", "deployment": "cart"}
    for status, reason, english, chinese in (
        (404, "Not Found", "not found in the cluster", "集群中找不到 Deployment shop/cart，未执行任何操作"),
        (
            403,
            "Forbidden",
            "unreadable: 403 Forbidden",
            "无法读取 Deployment shop/cart（403 Forbidden），未执行任何操作",
        ),
    ):
        said = part("run_not_started", **facts, status=status, reason=reason)
        job = _job(f"RunStartError: {PARTS.render(said, 'en')}", [], error="RunStartError", said=said)
        assert job["error"] == f"RunStartError: deployment shop/cart {english}; nothing ran"
        assert shown(job, "en") == job["error"]
        assert shown(job, "zh") == f"RunStartError：{chinese}"


def test_the_steps_left_applied_are_said_in_chinese_each_from_its_phrase():
    # Given a run that ended with two steps left applied: one whose rollback cannot be built, one it denied
    built = part("rollback_not_built", error="context has no field 'replicas'")
    denied = part("rollback_denied", rule="deny.prod")
    missed = [
        {"step": "Scale out", "reason": PARTS.render(built, "en"), "said": built},
        {"step": "Raise memory", "reason": PARTS.render(denied, "en"), "said": denied},
        {"step": "Drain", "reason": "a reason from before the phrases"},
    ]
    job = _job("Raise memory: verify failed", missed)
    # Then the English is the error the job has always stored
    assert job["error"] == (
        "Raise memory: verify failed; not rolled back: Scale out (its rollback cannot be built: context has no "
        "field 'replicas'); not rolled back: Raise memory (its rollback was denied by rule deny.prod); "
        "not rolled back: Drain (a reason from before the phrases)"
    )
    # And the Chinese says each step left applied in Chinese, quoting what it cannot say
    chinese = shown(job, "zh-CN")
    assert "未回滚：Scale out（无法构建它的回滚操作：context has no field 'replicas'）" in chinese, chinese
    assert "未回滚：Raise memory（它的回滚被策略规则 deny.prod 拒绝）" in chinese, chinese
    assert "未回滚：Drain（a reason from before the phrases）" in chinese and "not rolled back" not in chinese
    assert not HALF_WIDTH.search(chinese.replace("Raise memory: verify failed", "")), chinese


def test_an_old_job_or_a_changed_error_reads_as_stored():
    said = part("run_not_started", namespace="shop", deployment="cart", status=404, reason="Not Found")
    job = _job(f"RunStartError: {PARTS.render(said, 'en')}", [], error="RunStartError", said=said)
    assert shown({"error": job["error"], "result": {}}, "zh") == job["error"]  # stored before the phrase
    assert shown({**job, "error": "stopped by user:alice"}, "zh") == "stopped by user:alice"
    assert shown({"error": None, "result": None}, "zh") == ""
