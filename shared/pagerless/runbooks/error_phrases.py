"""A runbook job's overall error as a phrase (`pagerless.domain.phrases`): the English is the job's ``error`` as
stored and returned (unchanged), the phrase (``result.error_phrase``) says the same facts in Chinese on the console's
job page. What it says: why the run ended (a run that could not start: its Deployment not found or unreadable) and
each step left applied (``not rolled back: step (why)``). A part Pagerless did not word (an exception's text, a step's
own reason) is quoted in English; a job stored before phrases (no ``error_phrase``) reads as stored.
"""

from collections.abc import Mapping

from pagerless.domain.phrases import Catalog, Phrase, language_of
from pagerless.remediation.action_phrases import STATUS_ZH


def _status(value) -> str:
    """An action's outcome status in words (未成功, 被 API 服务器拒绝); one without words as it is, set apart."""
    return STATUS_ZH.get(str(value)) or f" {value}"


def _start_en(p) -> str:
    why = "not found in the cluster" if p.get("status") == 404 else f"unreadable: {p['status']} {p['reason']}"
    return f"deployment {p['namespace']}/{p['deployment']} {why}; nothing ran"


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


def _error_zh(p) -> str:
    reason = p.get("reason") or ""
    if p.get("error") and reason.startswith(f"{p['error']}: "):  # an error's name, then what it said
        reason = f"{p['error']}：{_said(reason[len(p['error']) + 2 :], p.get('said'), 'zh')}"
    else:
        reason = _said(reason, p.get("said"), "zh")
    missed = [f"未回滚：{m['step']}（{_said(m['reason'], m.get('said'), 'zh')}）" for m in p.get("missed") or []]
    return "；".join(part for part in (reason, *missed) if part)


ERRORS = Catalog({"job_error": {"en": _error_en, "zh": _error_zh}}, "job error")


def job_error(reason: str, missed: list[dict], *, error: str = "", said: dict | None = None) -> dict:
    """A job's error as stored: ``reason`` (its English; ``error``: the name of the error it opens with, ``said``:
    the phrase of what follows it, or of all of it) and each step left applied (``missed``: step, reason, said)."""
    left = [{"step": m["step"], "reason": m["reason"], "said": m.get("said")} for m in missed]
    params = {"reason": reason, "error": error, "said": said, "missed": left}
    return Phrase(code="job_error", params=params).model_dump(mode="json")


def shown(job: Mapping, language: str) -> str:
    """A job's ``error`` in ``language``: said from its phrase while the stored English is still the phrase's."""
    stored = str(job.get("error") or "")
    said = (job.get("result") or {}).get("error_phrase")
    if language_of(language) == "en" or not stored or not said or ERRORS.render(said, "en") != stored:
        return stored
    return ERRORS.render(said, language) or stored
