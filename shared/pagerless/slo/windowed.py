"""A Prometheus SLI's ``{{window}}`` expression, checked as it is saved: Prometheus judges it only when it is read
(the evaluator's 5-minute buckets, the exported rules' windows), so a typo would be stored, and every evaluation and
the rule file would fail. Each window the SLO reads it over is substituted, and the result checked as PromQL's
structure has it: strings closed, brackets balanced and nested as PromQL nests them (nothing inside a label matcher
or a range), each range a duration (``[5m]``, a subquery's ``[1h:5m]``), and no duration left bare outside a range
or an ``offset`` (``{{window}}`` written where a number goes). What this does not see (a function's name, an
operator's operands) Prometheus still says at evaluation, kept on the SLO (`SloService.evaluate`)."""

import re

from pagerless.domain.errors import UnprocessableError
from pagerless.slo.rules import SLICE_WINDOW, WINDOWS
from pagerless.slo.spec import BudgetingMethod, SloDocument, SourceType

PLACEHOLDER = "{{window}}"
EVALUATOR_WINDOW = "5m"  # `slo.sources.prometheus`: one 5-minute bucket per point
_DURATION = r"(?:\d+(?:ms|s|m|h|d|w|y))+"
_RANGE = re.compile(rf"^\s*(?:{_DURATION}|\d+(?:\.\d+)?)\s*(?::\s*(?:{_DURATION})?\s*)?$")
_OFFSET = re.compile(rf"\boffset\s+-?{_DURATION}", re.IGNORECASE)
_BARE = re.compile(rf"(?<![\w.:]){_DURATION}(?![\w])")
_CLOSES = {")": "(", "]": "[", "}": "{"}


def windows(slo: SloDocument) -> tuple[str, ...]:
    """The windows ``{{window}}`` is read over: the evaluator's bucket, and the exported rules' (a Timeslices SLO's
    rules read the query over its 5-minute slice only)."""
    rules = (SLICE_WINDOW,) if slo.spec.budgeting_method is BudgetingMethod.TIMESLICES else WINDOWS
    return tuple(dict.fromkeys((EVALUATOR_WINDOW, *rules)))


def check(slo: SloDocument) -> None:
    """UnprocessableError (422) naming each Prometheus query whose ``{{window}}`` expression is no PromQL for a
    window the SLO reads it over, with that window and what is wrong."""
    ratio, details = slo.ratio, []
    for part in ("good", "bad", "total"):
        metric = getattr(ratio, part)
        if metric is None or metric.metric_source.type is not SourceType.PROMETHEUS:
            continue
        query = str(metric.metric_source.spec.get("query") or "").strip()
        if PLACEHOLDER not in query:
            continue
        for window in windows(slo):
            expression = query.replace(PLACEHOLDER, window)
            wrong = problem(expression)
            if wrong is not None:
                field = f"spec.indicator.spec.ratioMetric.{part}.metricSource.spec.query"
                details.append({"field": field, "window": window, "query": expression, "message": wrong})
                break
    if details:
        raise UnprocessableError("a Prometheus query is no PromQL once {{window}} is substituted", details=details)


def problem(expression: str) -> str | None:
    """What keeps ``expression`` from being PromQL, as far as its structure shows (None: nothing seen)."""
    if not expression.strip():
        return "the expression is empty"
    stack: list[tuple[str, int]] = []
    outside: list[str] = []  # the text outside strings and ranges, for the bare durations
    i = 0
    while i < len(expression):
        c = expression[i]
        if c in "\"'`":
            end = _string_end(expression, i)
            if end is None:
                return f"the string opened at character {i + 1} is not closed"
            outside.append(" ")
            i = end + 1
            continue
        if c in "([{":
            if stack and stack[-1][0] in "[{":
                return f"'{c}' at character {i + 1} is inside a {'range' if stack[-1][0] == '[' else 'label matcher'}"
            stack.append((c, i))
        elif c in _CLOSES:
            if not stack or stack[-1][0] != _CLOSES[c]:
                return f"'{c}' at character {i + 1} closes nothing opened"
            _, start = stack.pop()
            if c == "]" and not _RANGE.match(expression[start + 1 : i]):
                return f"[{expression[start + 1 : i]}] is no range: a duration (5m), or a subquery's 1h:5m"
        if not (stack and stack[-1][0] == "[") and c != "]":
            outside.append(c)
        i += 1
    if stack:
        opened, at = stack[-1]
        return f"'{opened}' at character {at + 1} is not closed"
    bare = _BARE.search(_OFFSET.sub(" ", "".join(outside)))
    if bare is not None:
        return f"the duration {bare.group(0)} stands outside a range (write {{{{window}}}} inside [ ])"
    return None


def _string_end(text: str, start: int) -> int | None:
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return None
