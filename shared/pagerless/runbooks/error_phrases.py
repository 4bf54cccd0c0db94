"""A runbook job's overall error as a phrase (`pagerless.domain.phrases`): the English is the job's ``error`` as
stored and returned (unchanged), the phrase (``result.error_phrase``) says the same facts in Chinese on the console's
job page. What it says: why the run ended (it could not start; a step did not succeed, failed its verify or its check;
the policy refused a step; nobody approved it in time; a person rejected it; it was interrupted, stopped or its
execution lost; an error, and what became of its rollback) and each step left applied (``not rolled back: step
(why)``). A part Pagerless did not word (an exception's text, a cluster's message, a person's comment) is quoted as
it came; a job stored before phrases (no ``error_phrase``, or one that does not say its stored error) reads as stored.
"""

from collections.abc import Mapping

from pagerless.domain.phrases import Catalog, Phrase, language_of
from pagerless.remediation.action_phrases import STATUS_ZH
from pagerless.remediation.check_phrases import message_in

# why a wait for an approval ended with nothing to end it (`runbooks.lost_waits`)
LOST_WAIT = "its execution was no longer running, so nothing ended the wait"
_WAS_ZH = {"pending": "等待启动", "running": "运行中"}


def _status(value) -> str:
    """An action's outcome status in words (未成功, 被 API 服务器拒绝); one without words as it is, set apart."""
    return STATUS_ZH.get(str(value)) or f" {value}"


def _start_en(p) -> str:
    why = "not found in the cluster" if p.get("status") == 404 else f"unreadable: {p['status']} {p['reason']}"
    return f"deployment {p['namespace']}/{p['deployment']} {why}; nothing ran"


def _message_zh(p) -> str:
    """A step's message: a refusal Pagerless worded (``said``, `remediation.reasons`) in Chinese, else as it came."""
    from pagerless.remediation.reasons import render

    said = p.get("said")
    if said and render(said, "en") == p["message"]:
        return render(said, "zh") or p["message"]
    return p["message"]


def _undone_zh(status) -> str:
    """How a step's rollback ended, in words (成功, 无变更); one without words as it is."""
    return STATUS_ZH.get(str(status), str(status))


def _timed_out_zh(p) -> str:
    return f"{p['step']}：无人及时审批" + ("；其执行已不再运行，没有任何东西结束这次等待" if p.get("lost") else "")


def _after_stop_zh(p) -> str:
    return f"步骤 {p['step']} 在运行停止后才结束（{STATUS_ZH.get(p['status'], p['status'])}），未经验证，也未回滚"


def _start_zh(p) -> str:
    place = f"{p['namespace']}/{p['deployment']}"
    if p.get("status") == 404:
        return f"集群中找不到 Deployment {place}，未执行任何操作"
    return f"无法读取 Deployment {place}（{p['status']} {p['reason']}），未执行任何操作"


PARTS = Catalog(
    {
        # the run cannot start: the Deployment whose replica count it reads (runbooks.engine._replicas_now)
        "run_not_started": {"en": _start_en, "zh": _start_zh},
        # a step left applied: why its rollback did not run (runbooks.endings)
        "rollback_not_built": {
            "en": lambda p: f"its rollback cannot be built: {p['error']}",
            "zh": lambda p: f"无法构建它的回滚操作：{p['error']}",
        },
        "rollback_denied": {
            "en": lambda p: f"its rollback was denied by rule {p['rule']}",
            "zh": lambda p: f"它的回滚被策略规则 {p['rule']} 拒绝",
        },
        "rollback_ended": {  # it ran and did not take (the cluster refused it, the connection dropped)
            "en": lambda p: f"its rollback {p['status']}: {p['message']}",
            "zh": lambda p: f"它的回滚{_status(p['status'])}：{p['message']}",
        },
        "interrupted": {
            "en": lambda p: "it was interrupted while it ran; it may have changed the cluster",
            "zh": lambda p: "它在运行时被中断，可能已改动集群",
        },
        "lost_wait": {  # its approval's wait ended with no execution left to roll it back (runbooks.lost_waits)
            "en": lambda p: f"{LOST_WAIT} to roll it back",
            "zh": lambda p: "其执行已不再运行，无法回滚它",
        },
        # the steps a run that stopped early rolled back before it ended (runbooks.endings: its JobFailed entry)
        "earlier_rolled_back": {
            "en": lambda p: (
                "earlier steps rolled back: " + ", ".join(f"{u['step']} ({u['status']})" for u in p["undone"])
            ),
            "zh": lambda p: (
                "此前的步骤已回滚：" + "、".join(f"{u['step']}（{_undone_zh(u['status'])}）" for u in p["undone"])
            ),
        },
        # why the run ended (runbooks.engine, runbooks.endings, jobs.service)
        "step_failed": {  # its action ran and did not succeed
            "en": lambda p: f"{p['step']} did not succeed ({p['status']}): {p['message']}",
            "zh": lambda p: f"步骤 {p['step']} 未成功（{STATUS_ZH.get(p['status'], p['status'])}）：{_message_zh(p)}",
        },
        "verify_failed": {
            "en": lambda p: f"{p['step']} failed its verify: {p['message']}",
            "zh": lambda p: f"步骤 {p['step']} 未通过验证：{message_in(p['message'], p.get('said'), 'zh')}",
        },
        "check_failed": {
            "en": lambda p: f"{p['step']}: {p['message']}; the run stops before its next step",
            "zh": lambda p: (
                f"检查 {p['step']} 未通过：{message_in(p['message'], p.get('said'), 'zh')}；运行在下一步之前停止"
            ),
        },
        "step_refused": {"en": lambda p: p["message"], "zh": _message_zh},  # the policy's, or it cannot be built
        "step_interrupted": {
            "en": lambda p: (
                f"{p['step']}: an earlier attempt was interrupted while it ran; it is not run twice "
                "(it may have changed the cluster)"
            ),
            "zh": lambda p: f"{p['step']}：之前的一次尝试在运行时被中断；它不会再运行一次（可能已改动集群）",
        },
        "timed_out": {
            "en": lambda p: f"{p['step']}: nobody approved it in time" + (f"; {LOST_WAIT}" if p.get("lost") else ""),
            "zh": _timed_out_zh,
        },
        "rejected": {
            "en": lambda p: f"{p['step']} rejected by {p['by']}" + (f": {p['comment']}" if p.get("comment") else ""),
            "zh": lambda p: f"{p['step']} 被 {p['by']} 拒绝" + (f"：{p['comment']}" if p.get("comment") else ""),
        },
        "rollback_failed_too": {
            "en": lambda p: f"its rollback failed too ({p['error']})",
            "zh": lambda p: f"它的回滚也失败了（{p['error']}）",
        },
        "rollback_unfinished": {
            "en": lambda p: f"the rollback did not finish, still applied: {', '.join(p['steps'])}",
            "zh": lambda p: f"回滚未完成，仍保持已应用：{'、'.join(p['steps'])}",
        },
        "stopped": {"en": lambda p: f"stopped by {p['by']}", "zh": lambda p: f"已被 {p['by']} 停止"},
        "in_flight_at_stop": {
            "en": lambda p: f"{p['step']} was applying its action when stopped (in flight): it may still take effect",
            "zh": lambda p: f"停止时步骤 {p['step']} 正在执行它的操作：它仍可能生效",
        },
        "unverified_at_stop": {
            "en": lambda p: (
                f"{p['step']} was applied and not yet verified: it stays applied (a stop rolls nothing back)"
            ),
            "zh": lambda p: f"步骤 {p['step']} 已应用但尚未验证：它保持已应用（停止不会回滚任何操作）",
        },
        "after_stop": {
            "en": lambda p: f"{p['step']}: {p['status']} after the job was stopped, not verified and not rolled back",
            "zh": _after_stop_zh,
        },
        "execution_lost": {  # its execution ended and no step recorded the end (jobs.service)
            "en": lambda p: f"its execution ended {p['ended']} while the job was {p['was']}; nothing recorded its end",
            "zh": lambda p: (
                f"任务{_WAS_ZH.get(p['was'], p['was'])}时，它的执行以 {p['ended']} 结束；没有任何步骤记录这次结束"
            ),
        },
        "execution_gone": {  # a step's approval decided after its run's execution ended (workflow.runbook_steps)
            "en": lambda p: "its execution is no longer running (a restart of pagerless dev ends every execution)",
            "zh": lambda p: "它的执行已不再运行（重启 pagerless dev 会结束所有执行）",
        },
        "replay_it": {"en": lambda p: "replay it", "zh": lambda p: "请重放它"},
        "execution_replayed": {
            "en": lambda p: "its execution was lost (a restart); replayed",
            "zh": lambda p: "它的执行已丢失（重启），已重放",
        },
        "execution_not_started": {
            "en": lambda p: f"its execution could not be started ({p['why']})",
            "zh": lambda p: f"它的执行无法启动（{p['why']}）",
        },
    },
    "job error part",
)


def part(code: str, **facts) -> dict:
    """A part of a job's error as stored (a phrase's dict)."""
    return Phrase(code=code, params=facts).model_dump(mode="json")


def _said(text: str, said: Mapping | None, language: str) -> str:
    """``text`` in ``language`` from its phrase ``said`` while ``text`` is still that phrase's English (whole, or cut
    to a length by its producer)."""
    english = PARTS.render(said, "en") if said else None
    if english and text and english.startswith(text):
        return PARTS.render(said, language) or text
    return text


def _error_en(p) -> str:
    missed = [f"not rolled back: {m['step']} ({m['reason']})" for m in p.get("missed") or []]
    return "; ".join(part for part in (p.get("reason") or "", *missed) if part)


def _tails(p, language: str) -> str:
    """What follows the reason (its rollback failed too, steps still applied, what a stop left): each a part."""
    said = [PARTS.render(t, language) for t in p.get("tails") or []]
    return "" if None in said else ("；" if language == "zh" else "; ").join(["", *said]) if said else ""


def _error_zh(p) -> str:
    reason, tails = p.get("reason") or "", _tails(p, "en")
    zh_tails = ""
    if tails and reason.endswith(tails):  # said apart from what it follows
        reason, zh_tails = reason[: -len(tails)], _tails(p, "zh")
    if p.get("error") and reason.startswith(f"{p['error']}: "):  # an error's name, then what it said
        reason = f"{p['error']}：{_said(reason[len(p['error']) + 2 :], p.get('said'), 'zh')}"
    else:
        reason = _said(reason, p.get("said"), "zh")
    missed = [f"未回滚：{m['step']}（{_said(m['reason'], m.get('said'), 'zh')}）" for m in p.get("missed") or []]
    return "；".join(part for part in (reason + zh_tails, *missed) if part)


ERRORS = Catalog({"job_error": {"en": _error_en, "zh": _error_zh}}, "job error")


def job_error(
    reason: str, missed: list[dict], *, error: str = "", said: dict | None = None, tails: list[dict] | None = None
) -> dict:
    """A job's error as stored: ``reason`` (its English; ``error``: the name of the error it opens with, ``said``:
    the phrase of what follows it, or of all of it; ``tails``: the parts it ends with, each after "; ") and each
    step left applied (``missed``: step, reason, said)."""
    left = [{"step": m["step"], "reason": m["reason"], "said": m.get("said")} for m in missed]
    params = {"reason": reason, "error": error, "said": said, "missed": left, "tails": tails or []}
    return Phrase(code="job_error", params=params).model_dump(mode="json")


def followed(error_phrase: Mapping | None, tail: dict) -> dict | None:
    """``error_phrase`` (a stored job error's) with ``tail`` after it (what a stop left applied); None without one."""
    if not error_phrase or error_phrase.get("code") != "job_error" or (english := PARTS.render(tail, "en")) is None:
        return None
    params = dict(error_phrase.get("params") or {})
    reason = "; ".join(part for part in (params.get("reason") or "", english) if part)
    return job_error(
        reason,
        params.get("missed") or [],
        error=params.get("error") or "",
        said=params.get("said"),
        tails=[*(params.get("tails") or []), tail],
    )


def told(said: dict, *tails: dict) -> tuple[str, dict]:
    """An error Pagerless words whole (a stop, a lost execution): its English and its phrase (``error_phrase``)."""
    reason = "; ".join(PARTS.render(p, "en") or "" for p in (said, *tails))
    return reason, job_error(reason, [], said=said, tails=list(tails))


def shown(job: Mapping, language: str) -> str:
    """A job's ``error`` in ``language``: said from its phrase while the stored English is still the phrase's."""
    stored = str(job.get("error") or "")
    said = (job.get("result") or {}).get("error_phrase")
    if language_of(language) == "en" or not stored or not said or ERRORS.render(said, "en") != stored:
        return stored
    return ERRORS.render(said, language) or stored
