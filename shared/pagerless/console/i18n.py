"""The console's languages: English (the source strings) and Chinese, through Babel catalogs.

``locales/<lang>/LC_MESSAGES/messages.po`` is the catalog people edit; the compiled ``.mo`` beside
it is committed (``pybabel compile -d shared/pagerless/console/locales``), and a unit test keeps
the two in step. Beside the templates' strings it holds the codes pages show in words (statuses,
roles) and the console's own refusals (``web.said``: an expired form, a policy that is not valid). The
user picks the language; it is kept in the ``pl_lang`` cookie. A code's English words are in
`pagerless.console.labels` (the ``label`` filter), and timeline entries are said from their kind and
data in the page's language (the ``say`` filter, `pagerless.reports.timeline_phrases`), its kind and Pagerless's
own actors in words (``kind``, ``actor``).

Times are shown in the browser's time zone: console.js keeps it (an IANA name, from ``Intl``) in
the ``pl_tz`` cookie, and pages render in it, with its UTC offset; UTC until the cookie is set or
when it names no zone.

Jinja2 is imported when a page is first rendered, and Babel only for the Chinese catalog (English
is the templates' own text) or a time that is not a datetime: importing the console's handler
takes neither, and an English page neither Babel (docs/performance.md, section 4).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from pagerless.clock import UTC_NAMES, known_zone, parse_time
from pagerless.console import labels

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment

HERE = Path(__file__).resolve().parent
COMPILED = "compiled_templates"  # the layer's templates as modules (shared/layer_templates.py)
LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"


def pick(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


_EVIDENCE_DETAIL = 4000  # what the page shows of an evidence line's detail: whole, where a card cuts it at 300


@cache
def translations(lang: str) -> NullTranslations:
    """The catalog of ``lang``; English, the templates' own strings, has none (the standard library's
    ``NullTranslations`` gives every string back as it is, as Babel's does)."""
    if lang == DEFAULT:
        return NullTranslations()
    from babel.support import Translations

    return Translations.load(str(HERE / "locales"), [lang], domain="messages")


def zone(cookie: str | None) -> str:
    """The time zone pages are shown in: the ``pl_tz`` cookie's, if it names one; else UTC."""
    cookie = unquote(cookie or "")
    if cookie and len(cookie) <= 64 and cookie not in UTC_NAMES:
        try:
            return known_zone(cookie)
        except ValueError:
            pass
    return "UTC"


def _environment(loader: BaseLoader) -> Environment:
    """The settings every console template is compiled with: autoescape on for every template,
    new-style gettext (the translations are installed per language, after)."""
    from jinja2 import Environment, select_autoescape

    env = Environment(
        loader=loader,
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.newstyle_gettext = True  # what install_gettext_translations(newstyle=True) sets: it changes the code
    # |tojson (a channel's config, a job's context) shows Chinese as written, not as JSON's \u escapes; it still
    # escapes <, >, & and ' for HTML
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    env.globals["asset"] = asset
    env.filters["when"] = lambda value: _when(value, "en_US", UTC)  # per language and zone in `environment`
    _speak(env, DEFAULT, NullTranslations())  # per language in `environment`
    return env


def _speak(env: Environment, lang: str, catalog: NullTranslations, zone: str | None = None) -> None:
    """The filters that put what is stored into words in ``lang``: ``label`` (a code: ``awaiting_approval``
    is "Awaiting approval", 待审批), ``say`` (a timeline entry, from its kind and data:
    `pagerless.reports.timeline_phrases`, imported with the first entry said), and ``summary`` and ``reason``
    (a diagnosis's summary, a proposal's reason: said from their phrases as the Chinese cards say them,
    `pagerless.diagnosis.summaries`, `pagerless.remediation.reasons`; a model's summary as it wrote it), ``evidence``
    and ``evidence_source`` (an evidence line's detail and source as the cards say them: a line Pagerless wrote itself
    from its phrase, in Chinese what was found quoted once and the source's kind in words:
    `pagerless.diagnosis.evidence_phrases`), ``described``
    and ``dry_run`` (a proposal's action described, its dry run's line: `pagerless.remediation.action_phrases`),
    ``policy_reason`` (a stored decision's reason, `pagerless.remediation.policy_phrases`), ``step_message`` (a
    runbook run's step's message), ``job_error`` (a job's error: `pagerless.runbooks.error_phrases`), ``engine_note`` (why a
    postmortem was not polished, `pagerless.reports.postmortem_phrases`) and ``aside`` (a name or a note in
    parentheses after what it explains: full-width in Chinese)."""

    def label(code):
        return labels.label(code, catalog.gettext, lang)

    def job_label(code):
        return labels.job_label(code, catalog.gettext)

    def say(entry: dict) -> str:
        from pagerless.reports.timeline_phrases import say

        return say(entry, lang, label)

    def kind(code: str) -> str:
        """A timeline entry's kind in words (工作流启动, "Workflow started"); the page keeps the code in its title."""
        from pagerless.reports.timeline_phrases import kind_word

        return kind_word(str(code or ""), lang)

    def actor(entry: dict) -> str:
        """Who an entry names: Pagerless's own parts in words (工作流, "Workflow"), a person by name (id)."""
        from pagerless.reports.timeline_phrases import actor_word

        code = str(entry.get("actor") or "")
        said = actor_word(code, lang)
        return said if said != code else str(entry.get("actor_label") or code)

    def summary(diagnosis: dict) -> str:
        from pagerless.diagnosis.summaries import said

        return said(diagnosis or {}, lang, zone)  # its times in the page's zone

    def evidence(item: dict) -> str:
        """What an evidence line found, as the cards say it after its source (`evidence_phrases.detail_shown`)."""
        from pagerless.diagnosis.evidence_phrases import detail_shown

        return detail_shown(item if isinstance(item, dict) else {}, lang, _EVIDENCE_DETAIL)

    def evidence_source(item: dict) -> tuple[str, str, str]:
        """An evidence line's source as the cards say it, in three parts: the kind in words (日志; none in English),
        the place, which the page sets as code, and a note after it in words (a previous container's log:
        `evidence_phrases.source_parts`)."""
        from pagerless.diagnosis.evidence_phrases import source_parts

        return source_parts(str((item if isinstance(item, dict) else {}).get("source") or ""), lang)

    def reason(proposal: dict) -> str:
        from pagerless.remediation.reasons import said

        return said(proposal or {}, lang)

    def described(proposal: dict) -> str:
        from pagerless.remediation.action_phrases import description

        action = proposal.get("action")
        name = (action.get("action") or action.get("type") or "") if isinstance(action, dict) else action
        return description(str(name or ""), proposal.get("description") or "", lang)

    def dry_run(checked: dict) -> str:
        from pagerless.remediation.action_phrases import dry_run_line

        return dry_run_line(checked, lang)

    def policy_reason(decision: dict) -> str:
        from pagerless.remediation.policy_phrases import decision_reason

        return decision_reason(decision, lang)

    def step_message(step: dict) -> str:
        """A run's step's stored message, said from its phrases where it has them (a check's ``said``, a refusal's
        ``message_phrase``: `pagerless.remediation.check_phrases`, `pagerless.remediation.reasons`)."""
        message = str(step.get("message") or "")
        if lang == "en" or not message:
            return message
        if step.get("message_phrase"):
            from pagerless.remediation.reasons import render

            said = step["message_phrase"]
            return render(said, lang) or message if render(said, "en") == message else message
        from pagerless.remediation.check_phrases import message_in

        return message_in(message, step.get("said"), lang)

    def job_error(job: dict) -> str:
        from pagerless.runbooks.error_phrases import shown

        return shown(job, lang)

    def engine_note(engine: dict) -> str:
        from pagerless.reports.postmortem_phrases import engine_note

        return engine_note(engine, lang)

    def pm_metric(code: str) -> str:
        """A postmortem impact row's metric as its Markdown names it (严重程度 in Chinese; English keeps the code)."""
        from pagerless.reports.postmortem_markdown import metric

        return metric(str(code), lang)

    def pm_word(code: str) -> str:
        """A postmortem's code (an action item's kind, a severity) in words in Chinese, as its Markdown and the
        cards say it (缓解, 严重); English keeps the code."""
        from pagerless.incidents.notice_phrases import SEVERITY_ZH
        from pagerless.reports.postmortem_markdown import word

        said = word(str(code), lang)
        return SEVERITY_ZH.get(said, said) if lang == "zh" else said

    def aside(labelled: str) -> str:
        """Who (a `label`: ``name (id)``) in parentheses after what they did: full-width in Chinese, the id's too."""
        if lang == "zh":
            from pagerless.domain.actors import full_width

            return f"（{full_width(str(labelled))}）"
        return f" ({labelled})"

    env.globals["colon"] = "：" if lang == "zh" else ": "  # after a label: Chinese punctuation is full-width
    env.filters["label"] = label
    env.filters["job_label"] = job_label
    env.filters["say"] = say
    env.filters["kind"] = kind
    env.filters["evidence"] = evidence
    env.filters["evidence_source"] = evidence_source
    env.filters["actor"] = actor
    env.filters["summary"] = summary
    env.filters["reason"] = reason
    env.filters["described"] = described
    env.filters["dry_run"] = dry_run
    env.filters["aside"] = aside
    env.filters["policy_reason"] = policy_reason
    env.filters["engine_note"] = engine_note
    env.filters["pm_metric"] = pm_metric
    env.filters["pm_word"] = pm_word
    env.filters["step_message"] = step_message
    env.filters["job_error"] = job_error


@cache
def asset(name: str) -> str:
    """A console asset's address, versioned by its content: browsers keep an asset a day
    (``vendored_asset``), so a new release's pages name new addresses and get their own assets at once."""
    import hashlib

    digest = hashlib.sha256((HERE / "static" / name).read_bytes()).hexdigest()[:12]
    return f"/console/static/{name}?v={digest}"


def source_environment() -> Environment:
    """The templates from their source, compiled when loaded (what `shared/layer_templates.py` compiles)."""
    from jinja2 import FileSystemLoader

    return _environment(FileSystemLoader(str(HERE / "templates")))


@cache
def environment(lang: str, zone: str = "UTC") -> Environment:
    """A Jinja2 environment per language and time zone (``zone``: a checked IANA name). In the
    Lambda layer its templates are the modules the build compiled (``COMPILED``); in a checkout,
    their source."""
    from jinja2 import ModuleLoader

    compiled = HERE / COMPILED
    env = _environment(ModuleLoader(str(compiled))) if compiled.is_dir() else source_environment()
    env.install_gettext_translations(translations(lang), newstyle=True)
    _speak(env, lang, translations(lang), zone)
    locale = "zh_Hans_CN" if lang == "zh" else "en_US"
    tzinfo = UTC if zone == "UTC" else ZoneInfo(zone)
    env.filters["when"] = lambda value: _when(value, locale, tzinfo)
    return env


def _when(value, locale: str, tzinfo) -> str:
    """A time as pages show it: ``yyyy-MM-dd HH:mm:ss`` in ``tzinfo``, then " UTC" or its offset
    (``+08:00``). Babel's ``format_datetime`` with those patterns, whose output is the same in every
    locale (Latin digits, no names): a datetime is formatted here as Babel formats it, anything else
    (a timestamp, a date) is left to Babel."""
    if not value:
        return ""
    if isinstance(value, str):
        value = parse_time(value) or value
        if isinstance(value, str):
            return value
    if not isinstance(value, datetime):
        return _babel_when(value, locale, tzinfo)
    local = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(tzinfo)
    shown = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    if tzinfo is UTC:
        return shown + " UTC"
    return f"{shown} {_offset(local)}"


def _offset(local: datetime) -> str:
    """Babel's ``xxx``: the UTC offset as ``+HH:MM`` (seconds of an offset dropped, as Babel does)."""
    offset = local.utcoffset()
    seconds = offset.days * 24 * 60 * 60 + offset.seconds
    sign = "-" if seconds < 0 else "+"
    hours, seconds = divmod(abs(seconds), 3600)
    return f"{sign}{hours:02d}:{seconds // 60:02d}"


def _babel_when(value, locale: str, tzinfo) -> str:
    from babel.dates import format_datetime

    if tzinfo is UTC:
        return format_datetime(value, "yyyy-MM-dd HH:mm:ss", tzinfo=UTC, locale=locale) + " UTC"
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss xxx", tzinfo=tzinfo, locale=locale)
