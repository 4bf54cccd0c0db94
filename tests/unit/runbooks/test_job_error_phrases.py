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


CJK = re.compile(r"[\u4e00-\u9fff]")
FACTS = {
    "step": "Raise memory",
    "status": "failed",
    "message": "the pod is not ready",
    "by": "per_0123456789ab",
    "comment": "",
    "error": "TypeError",
    "steps": ["Scale out", "Raise memory"],
    "undone": [{"step": "Scale out", "status": "succeeded"}],
    "ended": "TIMED_OUT",
    "was": "running",
    "why": "ThrottlingException",
    "namespace": "shop",
    "deployment": "cart",
    "reason": "Forbidden",
    "rule": "deny.prod",
}


def test_every_way_a_run_ends_is_said_in_chinese():
    from pagerless.remediation import reasons

    # a step refused (the policy's refusal, an action that cannot be built): said from its refusal's phrase
    refusal = reasons.reason("step_not_built", step="Raise memory", error="context has no field 'replicas'")
    refused = {"message": reasons.render(refusal, "en"), "said": refusal.model_dump(mode="json")}
    for code in PARTS.entries:
        said = json.loads(json.dumps(part(code, **{**FACTS, **(refused if code == "step_refused" else {})})))
        english, chinese = PARTS.render(said, "en"), PARTS.render(said, "zh")
        assert english and chinese and CJK.search(chinese), code
        english_words = {"succeed", "verify", "approved", "rejected", "stopped", "rollback", "execution", "applied"}
        assert not english_words & set(re.findall(r"[a-z]+", chinese)), (code, chinese)


def test_a_step_that_did_not_succeed_or_failed_its_verify_is_said_in_chinese_quoting_the_clusters_words():
    failed = part("step_failed", step="Raise memory", status="rejected", message="admission webhook denied it")
    job = _job(PARTS.render(failed, "en"), [], said=failed)
    assert job["error"] == "Raise memory did not succeed (rejected): admission webhook denied it"
    assert shown(job, "zh") == "步骤 Raise memory 未成功（被 API 服务器拒绝）：admission webhook denied it"
    verify = part("verify_failed", step="Raise memory", message="x" * 600)
    job = _job(PARTS.render(verify, "en")[:500], [], said=verify)  # cut, as the engine cuts it
    assert shown(job, "zh").startswith("步骤 Raise memory 未通过验证：xxx"), shown(job, "zh")


def test_an_error_and_what_became_of_its_rollback_are_said_in_chinese():
    # Given a run an error ended, whose rollback failed too and left two steps applied
    tails = [part("rollback_failed_too", error="TypeError"), part("rollback_unfinished", steps=["Scale out", "Drain"])]
    reason = "States.Timeout: the task timed out; its rollback failed too (TypeError); the rollback did not finish, "
    reason += "still applied: Scale out, Drain"
    job = _job(reason, [], error="States.Timeout", tails=tails)
    # Then the English is as stored, the Chinese says what became of the rollback, the error's text quoted
    assert job["error"] == reason
    assert shown(job, "zh") == (
        "States.Timeout：the task timed out；它的回滚也失败了（TypeError）；回滚未完成，仍保持已应用：Scale out、Drain"
    )


def test_a_stop_and_what_it_left_applied_are_said_in_chinese():
    from pagerless.runbooks.error_phrases import followed, told

    error, said = told(part("stopped", by="per_0123456789ab"), part("in_flight_at_stop", step="Scale out"))
    assert error == (
        "stopped by per_0123456789ab; Scale out was applying its action when stopped (in flight): it may still take "
        "effect"
    )
    job = {"error": error, "result": {"error_phrase": json.loads(json.dumps(said))}}
    assert shown(job, "zh") == "已被 per_0123456789ab 停止；停止时步骤 Scale out 正在执行它的操作：它仍可能生效"
    # And what the step in flight did after the stop is said after it
    after = followed(said, part("after_stop", step="Scale out", status="succeeded"))
    job = {"error": f"{error}; Scale out: succeeded after the job was stopped, not verified and not rolled back"}
    job["result"] = {"error_phrase": after}
    assert shown(job, "zh").endswith("；步骤 Scale out 在运行停止后才结束（成功），未经验证，也未回滚"), shown(
        job, "zh"
    )
    assert followed(None, part("after_stop", step="x", status="failed")) is None  # a stop stored before phrases
