"""The Chinese catalog covers every console string and its committed .mo matches the .po."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

pytestmark = pytest.mark.unit
CONSOLE = Path(__file__).resolve().parents[3] / "shared" / "pagerless" / "console"
PO = CONSOLE / "locales" / "zh" / "LC_MESSAGES" / "messages.po"


def _template_strings() -> set[str]:
    method_map = [("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}
    return {
        message for _, _, message, *_ in extract_from_dir(str(CONSOLE), method_map, options) if isinstance(message, str)
    }


def test_every_template_string_has_a_chinese_translation():
    catalog = read_po(PO.open("rb"))
    strings = _template_strings()
    assert len(strings) > 50
    missing = sorted(s for s in strings if not (catalog.get(s) and catalog.get(s).string))
    assert not missing, f"add these to {PO} and run pybabel compile: {missing}"


def test_committed_mo_matches_the_po():
    po = {m.id: m.string for m in read_po(PO.open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo(PO.with_suffix(".mo").open("rb")) if m.id}
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
