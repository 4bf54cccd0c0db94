"""The Chinese catalog covers every console string and its committed .mo matches the .po."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

pytestmark = pytest.mark.unit
CONSOLE = Path(__file__).resolve().parents[3] / "shared" / "pagerless" / "console"
PO = CONSOLE / "locales" / "zh" / "LC_MESSAGES" / "messages.po"


def _template_strings() -> set[str | tuple[str, ...]]:
    """Each ``_()`` string, and each ``ngettext()`` pair (singular, plural), of the templates."""
    method_map = [("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}
    return {
        message if isinstance(message, str) else tuple(message)
        for _, _, message, *_ in extract_from_dir(str(CONSOLE), method_map, options)
    }


def _translated(catalog, message: str | tuple[str, ...]) -> bool:
    entry = catalog.get(message if isinstance(message, str) else message[0])
    if entry is None:
        return False
    if isinstance(message, tuple):  # a plural: the catalog has it as one, with every form translated
        return entry.pluralizable and entry.id == message and all(entry.string)
    return bool(entry.string)


def test_every_template_string_has_a_chinese_translation():
    catalog = read_po(PO.open("rb"))
    strings = _template_strings()
    assert len(strings) > 50 and any(isinstance(s, tuple) for s in strings)
    missing = sorted(str(s) for s in strings if not _translated(catalog, s))
    assert not missing, f"add these to {PO} and run pybabel compile: {missing}"


def _entries(catalog) -> dict:
    """id -> translation; a plural's as tuples (read_mo gives them as lists, read_po as tuples)."""

    def hashable(value):
        return value if isinstance(value, str) else tuple(value)

    return {hashable(m.id): hashable(m.string) for m in catalog if m.id}


def test_committed_mo_matches_the_po():
    po = _entries(read_po(PO.open("rb")))
    mo = _entries(read_mo(PO.with_suffix(".mo").open("rb")))
    assert po == mo, "run: pybabel compile -d shared/pagerless/console/locales -D messages"


def test_pages_render_in_both_languages_with_autoescape():
    from pagerless.console import i18n

    for lang, word in (("en", "Sign in"), ("zh", "登录")):
        env = i18n.environment(lang)
        html = env.get_template("login.html").render(
            lang=lang,
            languages=i18n.LANGUAGES,
            csrf_token="t",
            me=None,
            path="/console/login",
            next="/console/x<y",
            error=None,
            sso=True,
        )
        assert word in html and "/console/x&lt;y" in html


def test_language_is_picked_from_cookie_then_browser():
    from pagerless.console.i18n import pick

    assert pick("zh", "en-US") == "zh"
    assert pick(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick("fr", "fr-FR") == "en"
