"""The Claude investigator: a bounded tool-use loop that starts from the analyzers' diagnosis."""

import logging
import time
from collections.abc import Callable
from typing import Any

from pagerless.clock import invocation_seconds_left
from pagerless.diagnosis.llm.backend import SnapshotBackend, ToolBackend
from pagerless.diagnosis.llm.pricing import UsageMeter, price_for
from pagerless.diagnosis.llm.prompts import first_user_message, incident_context, stable_prefix
from pagerless.diagnosis.llm.redact import redact_text
from pagerless.diagnosis.llm.settings import LlmSettings, get_llm_settings
from pagerless.diagnosis.llm.submission import (
    SUBMIT_TOOL,
    SubmittedDiagnosis,
    parse_submission,
    submit_tool_definition,
    to_diagnosis,
)
from pagerless.diagnosis.llm.tool import ToolStatus
from pagerless.diagnosis.llm.tools import KnowledgeSearchFn, SimilarIncidentsFn, Toolset, build_toolset
from pagerless.diagnosis.llm.transport import LlmUnavailableError, anthropic_client, create_message
from pagerless.diagnosis.models import Diagnosis, LlmUsage

logger = logging.getLogger(__name__)

EPHEMERAL = {"type": "ephemeral"}
STANDS = "the analyzers' diagnosis stands"
# Inside a Lambda invocation, the investigation ends this long before the function's timeout, so
# that the step can still store the analyzers' diagnosis (a timed-out step stores nothing).
RESERVE_SECONDS = 10.0

ClientFactory = Callable[[LlmSettings], Any]


class Investigator:
    """Refines the analyzers' diagnosis with Claude; without a key, or on any failure, returns it
    unchanged (``engine="analyzers"``) with a note saying why."""

    def __init__(
        self,
        settings: LlmSettings | None = None,
        client_factory: ClientFactory | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._client_factory = client_factory or anthropic_client
        self._client: Any = None
        self._sleep = sleep
        self._clock = clock
        # How the last investigation's calls to the model went: None when none was made (no key), else
        # {"ok": True} or {"ok": False, "error": why} (a wrong key, the API unreachable); /api/status shows it
        self.outcome: dict | None = None

    @property
    def settings(self) -> LlmSettings:
        if self._settings is None:
            self._settings = get_llm_settings()
        return self._settings

    def investigate(
        self,
        context: dict[str, Any],
        baseline: Diagnosis,
        *,
        knowledge: KnowledgeSearchFn | None = None,
        similar: SimilarIncidentsFn | None = None,
        backend: ToolBackend | None = None,
    ) -> Diagnosis:
        """Investigate one incident. ``context`` is a scenario dict; tools read it through
        ``backend`` (default ``SnapshotBackend(context)``); ``knowledge`` and ``similar`` add the
        knowledge-search and similar-incidents tools when given."""
        settings = _within_invocation(self.settings)
        if settings.api_key is None or not settings.api_key.get_secret_value():
            return _fallback(baseline, f"investigator skipped: no Anthropic API key configured; {STANDS}", None)
        meter = UsageMeter(
            settings.model,
            price_for(settings.model, settings.pricing),
            max_tokens=settings.max_tokens_per_incident,
            max_cost_usd=settings.max_cost_usd,
        )
        toolset = build_toolset(
            backend or SnapshotBackend(context),
            knowledge=knowledge,
            similar=similar,
            max_chars=settings.tool_output_max_chars,
        )
        try:
            client = self._get_client(settings)
        except ImportError as exc:
            return _fallback(
                baseline, f"investigator unavailable: {exc.name} is not installed (pagerless[llm]); {STANDS}", None
            )
        try:
            diagnosis = _Session(client, settings, toolset, meter, sleep=self._sleep, clock=self._clock).run(
                context, baseline
            )
        except LlmUnavailableError as exc:
            logger.warning("investigator unavailable", extra={"reason": exc.reason})
            self.outcome = {"ok": False, "error": f"unavailable ({redact_text(exc.reason)})"}
            return _fallback(baseline, f"investigator unavailable ({redact_text(exc.reason)}); {STANDS}", meter.usage)
        except Exception as exc:  # a bug here must not cost the incident its diagnosis
            logger.exception("investigator failed")
            self.outcome = {"ok": False, "error": f"failed ({type(exc).__name__})"}
            return _fallback(baseline, f"investigator failed ({type(exc).__name__}); {STANDS}", meter.usage)
        self.outcome = {"ok": True}
        return diagnosis

    def _get_client(self, settings: LlmSettings) -> Any:
        # Built once per Investigator, so a warm Lambda reuses the connection pool.
        if self._client is None:
            self._client = self._client_factory(settings)
        return self._client


class _Session:
    """One investigation: the conversation, the budget and the correction count."""

    def __init__(
        self,
        client: Any,
        settings: LlmSettings,
        toolset: Toolset,
        meter: UsageMeter,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        self._client = client
        self._settings = settings
        self._toolset = toolset
        self._meter = meter
        self._sleep = sleep
        self._clock = clock
        self._seen: list[str] = []  # everything the model was shown, to check its quotes against

    def run(self, context: dict[str, Any], baseline: Diagnosis) -> Diagnosis:
        settings, meter = self._settings, self._meter
        incident = incident_context(context, baseline)
        self._stable_prefix = stable_prefix(context)
        self._seen.append(incident)
        messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": first_user_message()}]}]
        corrections = 0
        deadline = self._clock() + settings.max_seconds
        for turn in range(1, settings.max_turns + 1):
            request = self._request(incident, messages)
            response = create_message(
                self._client, request, settings, deadline=deadline, sleep=self._sleep, clock=self._clock
            )
            meter.record(response.usage)
            if response.stop_reason == "refusal":
                return _fallback(baseline, f"investigator stopped: the model refused; {STANDS}", meter.usage)
            content = [block.to_dict(mode="json") for block in response.content] or [
                {"type": "text", "text": "(empty)"}
            ]
            tool_uses = [b for b in content if b.get("type") == "tool_use"]
            submit = next((b for b in tool_uses if b.get("name") == SUBMIT_TOOL), None)
            problem = None
            if submit is not None:
                submission, problem = parse_submission(submit.get("input"))
                if submission is not None:
                    return self._accept(submission, baseline)
            elif not tool_uses:
                problem = f"the turn ended (stop_reason={response.stop_reason}) without a call to {SUBMIT_TOOL}"
            if problem is not None:
                if corrections >= settings.max_corrections:
                    return _fallback(
                        baseline,
                        f"investigator output invalid after {corrections} correction(s): {redact_text(problem)}; {STANDS}",
                        meter.usage,
                    )
                corrections += 1
            if meter.exhausted:
                return _fallback(
                    baseline,
                    f"investigator stopped: per-incident budget reached ({meter.describe()}); {STANDS}",
                    meter.usage,
                )
            if turn == settings.max_turns:
                break
            messages.append({"role": "assistant", "content": content})
            messages.append({"role": "user", "content": self._answers(tool_uses, problem)})
        return _fallback(
            baseline,
            f"investigator stopped: turn limit ({settings.max_turns}) reached without a diagnosis; {STANDS}",
            meter.usage,
        )

    def _request(self, incident: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The Messages API request. Its prefix (tools, system prompt, incident context) is the same
        on every turn and carries the cache breakpoints; the conversation carries a moving one."""
        settings = self._settings
        tools = self._toolset.definitions() + [submit_tool_definition()]
        tools[-1] = {**tools[-1], "cache_control": EPHEMERAL}
        request: dict[str, Any] = {
            "model": settings.model,
            "max_tokens": settings.max_output_tokens,
            "system": [
                {"type": "text", "text": self._stable_prefix, "cache_control": EPHEMERAL},
                {
                    "type": "text",
                    "text": f"<incident_context>\n{incident}\n</incident_context>",
                    "cache_control": EPHEMERAL,
                },
            ],
            "tools": tools,
            # Current models reject a forced tool choice; a missing submit gets a corrective turn instead.
            "tool_choice": {"type": "auto"},
            "messages": _with_cache_marker(messages),
        }
        if settings.effort:
            request["output_config"] = {"effort": settings.effort}
        return request

    def _accept(self, submission: SubmittedDiagnosis, baseline: Diagnosis) -> Diagnosis:
        logger.info(
            "investigation finished", extra={"category": submission.category, "usage": self._meter.usage.model_dump()}
        )
        diagnosis = to_diagnosis(submission, baseline, self._meter.usage)
        diagnosis.notes += self._unverified_quotes([e.detail for e in submission.evidence])
        return diagnosis

    def _answers(self, tool_uses: list[dict[str, Any]], problem: str | None) -> list[dict[str, Any]]:
        """A tool_result for every tool_use of the last turn (the API requires all of them)."""
        correction = f"{problem}. Call {SUBMIT_TOOL} again with a corrected input." if problem else ""
        if not tool_uses:
            return [{"type": "text", "text": redact_text(correction)}]
        answers = []
        for use in tool_uses:
            if use.get("name") == SUBMIT_TOOL:
                text, is_error = correction, True
            else:
                result = self._toolset.invoke(use.get("name", ""), use.get("input") or {})
                text, is_error = self._toolset.render(result), result.status is ToolStatus.ERROR
                self._seen.append(text)
                logger.info("tool called", extra={"tool": use.get("name"), "status": result.status.value})
            answers.append(
                {"type": "tool_result", "tool_use_id": use["id"], "content": redact_text(text), "is_error": is_error}
            )
        return answers

    def _unverified_quotes(self, quotes: list[str]) -> list[str]:
        """A note when evidence is not quoted verbatim from what the model was shown (a hint of
        paraphrase or invention for the reviewer; the diagnosis is kept)."""
        shown = _normalize(" ".join(self._seen))
        missing = [q for q in quotes if _normalize(q) not in shown]
        if not missing:
            return []
        return [
            f"{len(missing)} of {len(quotes)} evidence quotes not found verbatim in the context or tool output, e.g. {missing[0][:120]!r}"
        ]


def _within_invocation(settings: LlmSettings) -> LlmSettings:
    """``settings`` with ``max_seconds`` cut to the running Lambda invocation's time left, less
    ``RESERVE_SECONDS`` (the workflow function's timeout may be shorter than ``max_seconds``)."""
    left = invocation_seconds_left()
    if left is None or left - RESERVE_SECONDS >= settings.max_seconds:
        return settings
    return settings.model_copy(update={"max_seconds": round(max(left - RESERVE_SECONDS, 0.0), 1)})


def _normalize(text: str) -> str:
    """``text`` as a quote is compared: the context's JSON escapes (a quote, ``<`` and ``>``, `prompts._json`)
    and its zero-width spaces (`prompts.untagged`) read as the characters they stand for."""
    for written, read in (('\\"', '"'), ("\\u003c", "<"), ("\\u003e", ">"), ("\u200b", "")):
        text = text.replace(written, read)
    return " ".join(text.lower().split())


def _with_cache_marker(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation with one moving cache breakpoint on its last block (tools and the two
    system blocks hold the other three of the four the API allows)."""
    marked = [dict(m) for m in messages]
    last = marked[-1]
    last["content"] = [*last["content"][:-1], {**last["content"][-1], "cache_control": EPHEMERAL}]
    return marked


def _fallback(baseline: Diagnosis, note: str, usage: LlmUsage | None) -> Diagnosis:
    return baseline.model_copy(update={"notes": [*baseline.notes, note], "usage": usage or baseline.usage})
