"""A report's Markdown read in a CommonMark renderer with GFM tables (what the API's ``format=markdown`` and
the e-mail's text part are read in): alert text in it stays text, in its own cell."""

from datetime import UTC, datetime, timedelta

import pytest
from markdown_it import MarkdownIt

from tests.conftest import auth
from tests.functional.intake.conftest import make_key
from tests.functional.slo.history import minutes, seed_incident

pytestmark = pytest.mark.functional

TITLE = "Disk *full* on `db-1` _now_ [runbook](https://evil.example) ![x](https://evil.example/t.png) <b>x</b> &amp; ~~y~~ | z\\"
SECOND_LINE = "# Injected heading"


def _table_after(tokens, heading: str) -> list[list[str]]:
    """The body rows (cell texts) of the table under ``heading``."""
    at = next(i for i, t in enumerate(tokens) if t.type == "inline" and t.content == heading)
    rows, row, inside = [], None, False
    for token in tokens[at:]:
        if token.type == "tbody_open":
            inside = True
        elif token.type == "tbody_close":
            return rows
        elif inside and token.type == "tr_open":
            row = []
        elif inside and token.type == "tr_close":
            rows.append(row)
        elif inside and token.type == "inline":
            row.append("".join(c.content for c in token.children if c.type in ("text", "softbreak")))
            kinds = {c.type for c in token.children} - {"text"}
            assert not kinds, f"markup in a cell: {kinds} from {token.content!r}"
    raise AssertionError(f"no table under {heading}")


def test_alert_text_with_markdown_stays_text_in_its_cell(api):
    # Given yesterday's incident whose alert title holds Markdown, HTML, a link, an image and a second line
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    seed_incident(
        "INC-MD1",
        service="pay*ments_api",
        severity="high",
        opened=start + timedelta(hours=9),
        resolved=start + timedelta(hours=9) + minutes(20),
        title=f"{TITLE}\n{SECOND_LINE}",
        source="alert`manager",
    )
    operator = auth(make_key("operator"))
    made = api.post(
        "/api/reports/generate",
        json={
            "report_type": "daily",
            "period_start": start.isoformat(),
            "period_end": (start + timedelta(days=1)).isoformat(),
        },
        headers=operator,
    )
    assert made.status_code == 200, made.text
    # When its Markdown is read in a CommonMark renderer with GFM tables
    text = api.get(f"/api/reports/{made.json()['id']}", params={"format": "markdown"}, headers=operator).text
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)
    # Then the noisy alerts table has one row of four cells: the source and the title as they were written
    # (the line break a space), the counts
    assert _table_after(tokens, "Top noisy alerts") == [["alert`manager", f"{TITLE} {SECOND_LINE}", "1", "1"]]
    assert _table_after(tokens, "By service") == [["pay*ments_api", "1"]]
    # And the alert wrote no heading, link or image of its own anywhere in the report
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert SECOND_LINE.lstrip("# ") not in " ".join(headings), headings
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    assert "<a " not in html and "<img" not in html and "<b>" not in html and "<em>" not in html, html
