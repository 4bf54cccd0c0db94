"""The console's languages: English (the source strings) and Chinese, through Babel catalogs.

``locales/<lang>/LC_MESSAGES/messages.po`` is the catalog people edit; the compiled ``.mo`` beside
it is committed (``pybabel compile -d shared/pagerless/console/locales``), and a unit test keeps
the two in step. The user picks the language; it is kept in the ``pl_lang`` cookie.
"""

from datetime import UTC
from functools import cache
from pathlib import Path

from babel.dates import format_datetime
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pagerless.clock import parse_time

HERE = Path(__file__).resolve().parent
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


@cache
def translations(lang: str) -> NullTranslations:
    if lang == DEFAULT:
        return NullTranslations()
    return Translations.load(str(HERE / "locales"), [lang], domain="messages")


@cache
def environment(lang: str) -> Environment:
    """A Jinja2 environment per language; autoescape is on for every template."""
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    locale = "zh_Hans_CN" if lang == "zh" else "en_US"
    env.filters["when"] = lambda value: _when(value, locale)
    return env


def _when(value, locale: str) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = parse_time(value) or value
        if isinstance(value, str):
            return value
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss", tzinfo=UTC, locale=locale) + " UTC"
