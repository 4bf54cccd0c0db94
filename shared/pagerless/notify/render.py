"""Templates: admin-written Jinja2 in an immutable sandbox, alert text only ever as data.

A template is ``{title_template, body_template}`` with seed 001's placeholders (``{{severity}}``,
``{{title}}``, ``{{message}}``, ``{{hostname}}``, ...). Only the template is compiled; every
value in the context is escaped for the channel first (Slack mrkdwn, Lark lark_md, ...), so an
alert saying ``<!channel>`` or ``<at user_id="all">`` arrives as text. Rendering is bounded: what one operation may
build and the work of one render (its loop turns and calls, what it builds in all, its time: `pagerless.notify.sandbox`),
and the output, which stops at a size cap.
"""

import re
from collections.abc import Callable
from functools import cache

from jinja2 import TemplateError, TemplateSyntaxError

from pagerless.domain.errors import UnprocessableError, ValidationError
from pagerless.notify import defaults, sandbox
from pagerless.notify.channels.base import Code
from pagerless.notify.sandbox import BoundedSandbox

MAX_TITLE = 300
MAX_BODY = 12000
MAX_TEMPLATE = 20000


@cache
def environment() -> BoundedSandbox:
    return BoundedSandbox(autoescape=False)


def compile_template(source: str, field: str):
    """``source`` compiled; a template that cannot be (too long, a syntax error) is an `UnprocessableError` (422)
    naming ``field`` and, for a syntax error, its line, as a template that fails to render is (`render_one`): a
    template's content refused is one status, the one FastAPI gives a request body it cannot use."""
    if len(source) > MAX_TEMPLATE:
        raise UnprocessableError(f"{field} is longer than {MAX_TEMPLATE} characters", details=[{"field": field}])
    try:
        return environment().from_string(source)
    except TemplateSyntaxError as exc:
        raise UnprocessableError(
            f"{field} is not a valid template: {exc.message} (line {exc.lineno})",
            details=[{"field": field, "line": exc.lineno}],
        ) from exc
    except TemplateError as exc:
        raise UnprocessableError(f"{field} is not a valid template: {exc}", details=[{"field": field}]) from exc


def render_one(source: str, context: dict, *, cap: int, field: str) -> str:
    """Render ``source`` with ``context``; output stops at ``cap`` characters (marked with …). A template that fails
    is an `UnprocessableError` naming ``field`` and the template's line where it failed, when known."""
    template = compile_template(source, field)
    parts: list[str] = []
    size = 0
    try:
        with sandbox.budget():
            for chunk in template.generate(context):
                parts.append(chunk)
                size += len(chunk)
                if size > cap:
                    break
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError, RuntimeError) as exc:
        # what a template does wrong (a RecursionError is a RuntimeError, a KeyError a LookupError) is its author's
        # error, said as one (a 422 where it is saved or previewed, the sender's fallback to the default template),
        # never a crash
        line = template_line(exc)
        where = f" (line {line})" if line else ""
        raise UnprocessableError(
            f"{field} failed to render: {type(exc).__name__}: {exc}{where}",
            details=[{"field": field, **({"line": line} if line else {})}],
        ) from exc
    text = "".join(parts)
    return text if len(text) <= cap else text[: cap - 1] + "…"


def template_line(exc: BaseException) -> int | None:
    """The template's line where ``exc`` was raised: Jinja rewrites a render's traceback so that its frames in the
    template (``<template>``) carry the template's line numbers; the innermost one is where it failed."""
    line, frame = None, exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == "<template>":
            line = frame.tb_lineno
        frame = frame.tb_next
    return line


def escaped_context(data: dict, escape: Callable[[str], str]) -> dict:
    """Every string in ``data`` (nested too) escaped for the channel; keys and numbers as they are."""

    def walk(value):
        if isinstance(value, str):
            return escape(value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return {k: walk(v) for k, v in data.items()}


def render(template: dict, data: dict, escape: Callable[[str], str]) -> tuple[str, str]:
    context = escaped_context(data, escape)
    title = _title(template, context)
    body = render_one(template["body_template"], context, cap=MAX_BODY, field="body_template")
    return title, body.strip()


def render_title(template: dict, data: dict, escape: Callable[[str], str]) -> str:
    """The title alone, as `render` makes it."""
    return _title(template, escaped_context(data, escape))


def _title(template: dict, context: dict) -> str:
    return " ".join(render_one(template["title_template"], context, cap=MAX_TITLE, field="title_template").split())


_MARK = "\ue000\ue001\ue000"  # private-use characters: no escape, filter or alert text writes them
# the mark alone on a line, between an opening fence (``` with an info string or none) and a closing one
_FENCED_MARK = re.compile(r"(?:^|\n)(`{3,})[^`\n]*\n" + _MARK + r"\n(`{3,})[ \t]*(?:\n|$)")


def split_code(template: dict, data: dict, escape: Callable[[str], str], body: str, field: str = "diff") -> Code | None:
    """``body`` (what `render` made of ``template``) split around ``data[field]`` where the template fences it on
    lines of its own (the default templates' dry run), for a channel that shows it in a code element. None where
    the template puts it anywhere else, or uses it beyond printing it (the split would not give ``body`` back)."""
    value = data.get(field)
    if not isinstance(value, str) or not value:
        return None
    context = {**escaped_context(data, escape), field: _MARK}
    try:
        marked = render_one(template["body_template"], context, cap=MAX_BODY, field="body_template").strip()
    except ValidationError:  # the template does more with the diff than print it
        return None
    found = _FENCED_MARK.search(marked)
    if (
        found is None
        or marked.count(_MARK) != 1
        or len(found.group(2)) < len(found.group(1))
        or marked.replace(_MARK, escape(value)) != body
    ):
        return None
    return Code(before=marked[: found.start()].strip(), code=value, after=marked[found.end() :].strip())


def default_template(event: str, language: str = "en") -> dict:
    table = defaults.ZH if language.lower().startswith("zh") else defaults.EN
    title, body = table.get(event) or table["incident.opened"]
    return {
        "id": f"default-{language}-{event}",
        "name": f"default ({language})",
        "event": event,
        "title_template": title,
        "body_template": body,
        "is_default": True,
        "language": language,
    }
