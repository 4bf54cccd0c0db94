"""A report's Markdown read in a CommonMark renderer with GFM tables (what the API's ``format=markdown`` and
chat clients read it in): alert text in it stays text, in its own cell. The e-mail's text part is read as plain
text: alert text shows there as written, without Markdown's escapes."""

from datetime import UTC, datetime, timedelta
from html import escape

import boto3
import pytest
from markdown_it import MarkdownIt

from pagerless.reports.render import TEXT
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


def _yesterday_with_markup(incident_id: str, service: str) -> datetime:
    """Yesterday's incident of ``service`` whose alert title holds Markdown, HTML, a link, an image and a
    second line, its source a backtick: the start of yesterday."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    seed_incident(
        incident_id,
        service=service,
        severity="high",
        opened=start + timedelta(hours=9),
        resolved=start + timedelta(hours=9) + minutes(20),
        title=f"{TITLE}\n{SECOND_LINE}",
        source="alert`manager",
    )
    return start


def _daily_report(api, start: datetime, headers: dict, **options):
    """Generate the report of the day that begins at ``start``."""
    period = {"period_start": start.isoformat(), "period_end": (start + timedelta(days=1)).isoformat()}
    return api.post("/api/reports/generate", json={"report_type": "daily", **period, **options}, headers=headers)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_alert_text_with_markdown_stays_text_in_its_cell(api, language):
    t = TEXT[language]
    # Given yesterday's incident whose alert title holds Markdown, HTML, a link, an image and a second line
    start = _yesterday_with_markup("INC-MD1", "pay*ments_api")
    operator = auth(make_key("operator"))
    made = _daily_report(api, start, operator)
    assert made.status_code == 200, made.text
    # When its Markdown (in English or Chinese) is read in a CommonMark renderer with GFM tables
    report_id = made.json()["id"]
    text = api.get(f"/api/reports/{report_id}", params={"format": "markdown", "lang": language}, headers=operator).text
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)
    # Then the noisy alerts table has one row of four cells: the source and the title as they were written
    # (the line break a space), the counts
    assert _table_after(tokens, t["noisy"]) == [["alert`manager", f"{TITLE} {SECOND_LINE}", "1", "1"]]
    assert _table_after(tokens, t["by_service"]) == [["pay*ments_api", "1"]]
    # And the alert wrote no heading, link or image of its own anywhere in the report
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert SECOND_LINE.lstrip("# ") not in " ".join(headings), headings
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    assert "<a " not in html and "<img" not in html and "<b>" not in html and "<em>" not in html, html


@pytest.fixture
def sent_mails():
    """What the reports' SES client was asked to send (moto's SES keeps only one part of a message)."""
    from pagerless.reports import mail

    sent = []

    def record(params, **_):
        sent.append(params["Message"])

    events = mail._ses().meta.events
    events.register("before-parameter-build.ses.SendEmail", record)
    yield sent
    events.unregister("before-parameter-build.ses.SendEmail", record)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_report_emails_text_part_reads_alert_text_as_written(api, admin_key, monkeypatch, sent_mails, language):
    # Given reports e-mailed to on-call (in English or Chinese) through SES with a verified sender
    boto3.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress="reports@example.com")
    monkeypatch.setenv("PAGERLESS_REPORTS_EMAIL_FROM", "reports@example.com")
    put = api.put(
        "/api/reports/settings",
        json={"language": language, "email_to": ["oncall@example.com"]},
        headers=auth(admin_key),
    )
    assert put.status_code == 200, put.text
    # and yesterday's incident whose alert title holds Markdown's markup characters and a second line
    start = _yesterday_with_markup("INC-MD2", "checkout_api*5")
    # When the day's report is generated and e-mailed
    made = _daily_report(api, start, auth(admin_key), deliver=True)
    assert made.status_code == 200, made.text
    [message] = sent_mails
    text, html = message["Body"]["Text"]["Data"], message["Body"]["Html"]["Data"]
    # Then the plain-text part shows the alert's source, title (its line break a space) and service as written,
    # with no Markdown escapes for a reader of plain text to see
    lines = text.splitlines()
    assert f"| alert`manager | {TITLE} {SECOND_LINE} | 1 | 1 |" in lines, text
    assert "| checkout_api*5 | 1 |" in lines, text
    # And the HTML part shows them as text too
    assert f"<td>{escape(TITLE + chr(10) + SECOND_LINE)}</td>" in html, html
    assert "<td>checkout_api*5</td>" in html, html
    # And the report's Markdown keeps its escapes
    markdown = api.get(f"/api/reports/{made.json()['id']}", params={"format": "markdown"}, headers=auth(admin_key))
    assert "| checkout_api\\*5 | 1 |" in markdown.text, markdown.text
