"""Alert text in a postmortem's Markdown, read in a CommonMark renderer: the title and the action
items' cells hold it whole, the drafted prose and Claude's polished prose make no link, image,
emphasis, code, HTML, heading or list item of it."""

import json
import re
from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.fakes.anthropic_api import message, text_block
from tests.functional.intake.conftest import make_key
from tests.functional.slo.history import minutes, seed_incident
from tests.functional.slo.postmortems import DIAGNOSIS, claude, incident  # noqa: F401

pytestmark = pytest.mark.functional


def test_alert_text_in_a_postmortem_stays_in_its_title_and_its_cells(api):
    from markdown_it import MarkdownIt

    # Given an incident whose title and diagnosed remediation hold a table's cell end, Markdown and a line break
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM9",
        service="pay|ments",
        severity="high",
        opened=opened,
        resolved=opened + minutes(10),
        title="Disk *full* | see [runbook](https://evil.example)\n## Injected",
        diagnosis={**DIAGNOSIS, "remediations": ["scale `up` | now\n| AI-9 | forged | row |"]},
    )
    operator = auth(make_key("operator"))
    assert api.post("/api/incidents/INC-PM9/postmortem", headers=operator).status_code == 201
    # When its Markdown is read in a CommonMark renderer with GFM tables
    text = api.get("/api/incidents/INC-PM9/postmortem", params={"format": "markdown"}, headers=operator).text
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    # Then the title is one heading, of the title's words (the sections are prose people edit, in Markdown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[1] == "Summary", headings
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<h1>Postmortem: Disk *full* | see [runbook](https://evil.example) ## Injected</h1>" in html, html
    # And every action item is one row of six cells, the remediation as written in its description
    rows, row = [], None
    for token in tokens[next(i for i, t in enumerate(tokens) if t.content == "Action items") :]:
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            rows.append(row)
        elif token.type == "table_close":
            break
        elif token.type == "inline" and row is not None:
            row.append("".join(c.content for c in token.children))
    assert all(len(r) == 6 for r in rows) and [r[0] for r in rows[1:]] == [f"AI-{n}" for n in range(1, len(rows))]
    assert rows[1][2] == "Make 'scale `up` | now | AI-9 | forged | row |' for pay|ments a reviewed runbook step", rows


PM_TITLE = "Disk full on [db](https://evil.example) **now** <b>x</b> `rm -rf` ![i](https://evil.example/i.png)"


def _inline_texts(tokens) -> list[str]:
    """Each paragraph's, list item's and heading's text, as a reader sees it (markup would be other tokens)."""
    return [
        "".join(c.content for c in t.children if c.type in ("text", "softbreak")) for t in tokens if t.type == "inline"
    ]


def test_alert_text_in_a_postmortems_drafted_prose_stays_text(api):
    from markdown_it import MarkdownIt

    from pagerless.store.timeline import append_timeline

    # Given an incident whose alert title, service, source, diagnosis and fix hold Markdown, HTML and a line break,
    # and an escalation whose message quotes the alert
    opened = align(utcnow()) - timedelta(hours=2)
    title = f"{PM_TITLE}\n- injected item"
    seed_incident(
        "INC-PM10",
        service="pay*ments*",
        severity="high",
        opened=opened,
        acknowledged=opened + minutes(2),
        resolved=opened + minutes(10),
        resolved_by="workflow",
        title=title,
        source="alert`manager",
        diagnosis={**DIAGNOSIS, "category": "oom_[killed]", "summary": "It ran out of **memory** <i>again</i>"},
        actions=[{"action": "patch_<resources>", "status": "succeeded", "source": "workflow"}],
    )
    append_timeline(
        "INC-PM10", opened + minutes(5), "escalated", actor="system", message=f"paged about {title}", data={}
    )
    operator = auth(make_key("operator"))
    assert api.post("/api/incidents/INC-PM10/postmortem", headers=operator).status_code == 201
    # When its Markdown is read in a CommonMark renderer with GFM tables
    text = api.get("/api/incidents/INC-PM10/postmortem", params={"format": "markdown"}, headers=operator).text
    md = MarkdownIt("commonmark").enable("table")
    html = md.render(text)
    # Then the drafted prose makes no link, image, emphasis, code, HTML or list item of its own
    for markup in ("<a ", "<img", "<strong>", "<em>", "<code>", "<b>", "<i>", "<li>injected item"):
        assert markup not in html, (markup, html)
    # And reads the alert's words as written (the line break a space)
    one_line = f"{PM_TITLE} - injected item"
    texts = _inline_texts(md.parse(text))
    assert f"High incident on pay*ments*: {one_line}. Resolved after 10.0 minutes." in texts, texts
    assert one_line in texts, texts  # the trigger
    assert "It ran out of **memory** <i>again</i>" in texts, texts  # the root causes
    assert f"Alert from alert`manager at {opened.isoformat()}." in texts, texts  # the detection
    assert "patch_<resources> (succeeded)" in texts, texts  # the resolution
    assert f"The incident was escalated to people: paged about {one_line}." in texts, texts
    assert any(t.endswith(f"escalated (system): paged about {one_line}") for t in texts), texts  # the timeline
    assert "The diagnosis named the cause: oom_[killed], with confidence 0.9." in texts, texts


def test_alert_text_that_starts_a_section_opens_no_heading_or_list(api):
    from markdown_it import MarkdownIt

    # Given an incident whose title reads as a heading and whose diagnosis reads as a numbered list item
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM11",
        service="payments",
        severity="high",
        opened=opened,
        resolved=opened + minutes(10),
        title="# Disk full",
        diagnosis={**DIAGNOSIS, "summary": "1. The disk filled up"},
    )
    operator = auth(make_key("operator"))
    assert api.post("/api/incidents/INC-PM11/postmortem", headers=operator).status_code == 201
    # When its Markdown is read in a CommonMark renderer
    text = api.get("/api/incidents/INC-PM11/postmortem", params={"format": "markdown"}, headers=operator).text
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    # Then the trigger and the root causes are paragraphs of their words, not a heading and a list
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "Disk full" not in headings and not any(t.type == "ordered_list_open" for t in tokens), headings
    texts = _inline_texts(tokens)
    assert "# Disk full" in texts and "1. The disk filled up" in texts, texts


def _unescaped(text: str) -> str:
    """What a model that drops the draft's backslash escapes answers."""
    return re.sub(r"\\(.)", r"\1", text)


def _with_raw_markup(text: str) -> str:
    """What a model that writes its own link, image and HTML around the alert's words answers."""
    return f"{_unescaped(text)} See [the runbook](https://evil.example/rb) ![x](https://evil.example/x.png) <img src=x>"


def _answer_from(draft_prose: dict, rewrite) -> dict:
    return {
        **{k: rewrite(draft_prose[k]) for k in ("summary", "impact", "root_causes")},
        "lessons_learned": {k: [rewrite(x) for x in v] for k, v in draft_prose["lessons_learned"].items()},
    }


@pytest.mark.parametrize("rewrite", [_unescaped, _with_raw_markup], ids=["escapes-dropped", "raw-link-image-html"])
def test_alert_text_in_claudes_polished_prose_stays_text(api, claude, rewrite):
    from markdown_it import MarkdownIt

    # Given an incident whose alert title and diagnosis hold Markdown and HTML
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM11",
        service="payments-api",
        severity="high",
        opened=opened,
        acknowledged=opened + minutes(2),
        resolved=opened + minutes(10),
        title=PM_TITLE,
        diagnosis={**DIAGNOSIS, "category": "oom_[killed]", "summary": f"It ran out of memory: {PM_TITLE}"},
    )
    # And Claude answers with the draft's prose, its escapes dropped or with markup of its own added
    claude.respond_with(
        lambda request: message(
            text_block(json.dumps(_answer_from(json.loads(request.body["messages"][0]["content"]), rewrite)))
        )
    )
    operator = auth(make_key("operator"))
    # When the postmortem is drafted and read as Markdown
    created = api.post("/api/incidents/INC-PM11/postmortem", headers=operator)
    assert created.status_code == 201 and created.json()["engine"]["engine"] == "claude", created.text
    text = api.get("/api/incidents/INC-PM11/postmortem", params={"format": "markdown"}, headers=operator).text
    md = MarkdownIt("commonmark").enable("table")
    html = md.render(text)
    # Then the polished prose makes no link, image, emphasis, code or HTML
    for markup in ("<a ", "<img", "<strong>", "<em>", "<code>", "<b>"):
        assert markup not in html, (markup, html)
    # And reads the alert's words as written
    texts = _inline_texts(md.parse(text))
    assert any(t.startswith("High incident on payments-api: " + PM_TITLE) for t in texts), texts
    assert any(t.startswith(f"It ran out of memory: {PM_TITLE}") for t in texts), texts
    assert any(t.startswith("The diagnosis named the cause: oom_[killed]") for t in texts), texts
    if rewrite is _with_raw_markup:
        assert any(
            "See [the runbook](https://evil.example/rb) ![x](https://evil.example/x.png) <img src=x>" in t
            for t in texts
        ), texts


def test_claudes_prose_that_kept_the_escapes_is_the_drafts_markdown(api, claude):
    # Given an incident whose alert title holds Markdown and HTML, and Claude answering the draft's prose as sent
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM12",
        service="payments-api",
        severity="high",
        opened=opened,
        resolved=opened + minutes(10),
        title=PM_TITLE,
        diagnosis={**DIAGNOSIS, "summary": f"It ran out of memory: {PM_TITLE} a\\b &amp; 1\\. x"},
    )
    claude.respond_with(lambda request: message(text_block(request.body["messages"][0]["content"])))
    # When the postmortem is drafted
    pm = api.post("/api/incidents/INC-PM12/postmortem", headers=auth(make_key("operator"))).json()
    # Then its prose is the draft's, escapes and all
    sent = json.loads(claude.message_requests[-1].body["messages"][0]["content"])
    assert pm["engine"]["engine"] == "claude"
    assert {k: pm["sections"][k] for k in sent} == sent
    assert "\\[db\\](https://evil.example) \\*\\*now\\*\\* \\<b\\>" in pm["sections"]["summary"]
