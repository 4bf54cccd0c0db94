"""A reopen's page says it reopened once in its title: before, it stacked two prefixes ("Page: Reopened: …",
"呼叫：已重新打开：…")."""

import pytest

from pagerless.notify import render


@pytest.mark.parametrize(
    ("language", "reopened_at", "title"),
    [
        ("en", None, "[CRITICAL] Page: Disk full"),
        ("en", "2026-12-02 09:30 UTC", "[CRITICAL] Reopened page: Disk full"),
        ("zh", None, "【critical】呼叫：Disk full"),
        ("zh", "2026-12-02 09:30 UTC", "【critical】呼叫（已重新打开）：Disk full"),
    ],
)
def test_a_pages_title_has_one_prefix_whether_or_not_it_reopened(language, reopened_at, title):
    # Given a page of an incident, first opened at 00:00 (and reopened, or not)
    ctx = {"severity": "critical", "title": "Disk full", "message": "m", "incident_id": "INC-1", "service": "s"}
    ctx.update(opened_at="2026-12-02 00:00 UTC", reopened_at=reopened_at)
    # When the built-in template renders it
    said, body = render.render(render.default_template("escalation.page", language), ctx, lambda s: s)
    # Then its title names what it is once; the body says when it reopened
    assert said == title
    assert (reopened_at in body) if reopened_at else ("Opened" in body or "开始时间" in body), body


@pytest.mark.parametrize(
    ("event", "title"),
    [
        ("incident.opened", "【严重】Disk full"),
        ("incident.diagnosed", "【严重】已诊断：Disk full"),
        ("escalation.page", "【严重】呼叫：Disk full"),
        ("incident.no_fix", "【严重】无自动修复：Disk full"),
    ],
)
def test_a_chinese_cards_title_says_the_severity_in_words(event, title):
    from pagerless.notify import context

    # Given a critical incident's notice, as a Chinese channel shows it (and an English one)
    ctx = {"severity": "critical", "title": "Disk full", "message": "m", "incident_id": "INC-1", "service": "s"}
    ctx.update(opened_at="2026-12-02 00:00 UTC", reason="r")
    # When the built-in templates render it
    said, _ = render.render(render.default_template(event, "zh"), context.shown(ctx, "zh"), lambda s: s)
    english, _ = render.render(render.default_template(event, "en"), context.shown(ctx, "en"), lambda s: s)
    # Then the Chinese title says 严重, as the console and the bot do, and the English one keeps CRITICAL
    assert said == title
    assert english.startswith("[CRITICAL] ")
