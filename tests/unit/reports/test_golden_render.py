"""Golden files for the hand-built SVG charts and the rendered reports (HTML, Markdown; English, Chinese).

The files in tests/golden/reports/ were rendered once and reviewed; a change to the output must be a
deliberate one: rerun with UPDATE_GOLDEN=1 and review the diff.
"""

import json
import os
import xml.etree.ElementTree as ET

import pytest

from pagerless.domain.errors import ValidationError
from pagerless.reports import data, svg
from pagerless.reports.render import render
from tests.conftest import ROOT
from tests.unit.reports.history import APPROVALS, END, INCIDENTS, START

GOLDEN = ROOT / "tests" / "golden" / "reports"
DAYS = ["03-04", "03-05", "03-06", "03-07", "03-08", "03-09", "03-10"]
# a March calendar-month SLO spending evenly has 100 × (1 − d/31) % left as day d ends
EVEN = [round(100 * (1 - d / 31), 2) for d in range(4, 11)]
SLOS = [
    {
        "slo_name": "payments-api-availability",
        "service": "payments-api",
        "target": 0.999,
        "budget_remaining_percent": 61.5,
        "alert_level": "warning",
        "burn_down": [
            {"at": f"2026-{d}T16:00:00+00:00", "remaining_percent": p, "even_percent": e}
            for d, p, e in zip(DAYS, [96.0, 92.5, 90.0, 81.0, 74.5, 70.0, 61.5], EVEN, strict=True)
        ],
    }
]


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{name} has no golden file: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


def report() -> dict:
    return data.build(
        workspace="default",
        report_type="daily",
        start=START,
        end=END,
        zone="Asia/Shanghai",
        incidents=INCIDENTS,
        approvals=APPROVALS,
        slos=SLOS,
    )


CHARTS = {
    "incidents_per_day.svg": lambda: svg.bar_chart("Incidents per day", DAYS, [3, 0, 5, 2, 8, 1, 4]),
    "mtta_mttr_trend.svg": lambda: svg.line_chart(
        "MTTA / MTTR trend (min)",
        DAYS,
        {"MTTA": [4.0, None, 6.5, 3.0, 12.0, 2.0, 6.67], "MTTR": [35.0, None, 48.0, 20.0, 95.5, 15.0, 30.67]},
    ),
    "budget_burn_down.svg": lambda: svg.burn_down(
        "Error budget burn-down", DAYS, [96.0, 92.5, 90.0, 81.0, 74.5, 70.0, 61.5], EVEN
    ),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_svg_charts_match_their_golden_files(name):
    text = CHARTS[name]()
    ET.fromstring(text)  # well-formed XML
    check(name, text)


def test_bars_are_proportional_to_their_values():
    root = ET.fromstring(CHARTS["incidents_per_day.svg"]())
    bars = [
        r
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if r.find("{http://www.w3.org/2000/svg}title") is not None
    ]
    heights = [float(b.get("height")) for b in bars]
    # the axis tops at 8 (the nice maximum for 8): 8 incidents fill the plot, 4 half of it
    assert heights[4] == pytest.approx(svg.PLOT_H, abs=0.1) and heights[1] == 0
    assert heights[6] == pytest.approx(svg.PLOT_H / 2, abs=0.1)
    assert heights[2] / heights[0] == pytest.approx(5 / 3, rel=0.01)


def test_the_even_spend_line_follows_the_slos_window_not_the_reports_days():
    # Given a week's burn-down of a March calendar-month SLO (4 to 10 March)
    root = ET.fromstring(CHARTS["budget_burn_down.svg"]())
    # Then the dashed even-spend line is at what an even spend of the month leaves each day (87 % to 68 %),
    # not a line from 100 % on the week's first day to 0 % on its last
    [line] = [p for p in root.iter("{http://www.w3.org/2000/svg}polyline") if p.get("stroke-dasharray")]
    heights = [float(point.split(",")[1]) for point in line.get("points").split()]
    assert heights == [pytest.approx(svg.TOP + svg.PLOT_H * (1 - e / 100), abs=0.1) for e in EVEN]
    assert not [x for x in root.iter("{http://www.w3.org/2000/svg}line") if x.get("stroke-dasharray")]


def test_a_one_day_burn_down_shows_its_budget():
    # Given a daily report's burn-down: one point, and an overspent SLO's
    kept = ET.fromstring(svg.burn_down("Error budget burn-down", ["12-07"], [72.0]))
    spent = ET.fromstring(svg.burn_down("Error budget burn-down", ["12-07"], [-32.13]))
    # Then each draws its point, which tells its value; the overspent one on the 0 % line
    [point] = kept.iter("{http://www.w3.org/2000/svg}circle")
    assert float(point.get("cy")) == pytest.approx(svg.TOP + svg.PLOT_H * 0.28, abs=0.1)
    assert point.find("{http://www.w3.org/2000/svg}title").text == "12-07: 72%"
    [point] = spent.iter("{http://www.w3.org/2000/svg}circle")
    assert float(point.get("cy")) == pytest.approx(svg.TOP + svg.PLOT_H, abs=0.1)
    assert point.find("{http://www.w3.org/2000/svg}title").text == "12-07: -32.1%"


@pytest.mark.parametrize(
    ("fmt", "lang", "name"),
    [
        ("html", "en", "daily_en.html"),
        ("html", "zh", "daily_zh.html"),
        ("markdown", "en", "daily_en.md"),
    ],
)
def test_reports_match_their_golden_files(fmt, lang, name):
    check(name, render(report(), fmt, lang))


def test_no_incident_report_says_so_in_both_languages():
    empty = data.build(
        workspace="default",
        report_type="daily",
        start=START,
        end=END,
        zone="Asia/Shanghai",
        incidents=[],
        approvals=[],
        slos=[],
    )
    assert "No incidents in this period." in render(empty, "html", "en")
    assert "本周期内没有事件。" in render(empty, "markdown", "zh")
    assert json.loads(render(empty, "json"))["no_incidents"] is True


def test_html_escapes_what_it_shows():
    from dataclasses import replace

    hostile = [replace(INCIDENTS[0], title="<script>alert(1)</script>")]
    html = render(
        data.build(
            workspace="default",
            report_type="daily",
            start=START,
            end=END,
            zone="UTC",
            incidents=hostile,
            approvals=[],
            slos=[],
        ),
        "html",
        "en",
    )
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_unknown_format_or_language_is_refused():
    with pytest.raises(ValidationError):
        render(report(), "pdf", "en")
    with pytest.raises(ValidationError):
        render(report(), "html", "fr")


def test_a_report_stored_before_points_had_dates_labels_its_burn_down_with_local_days():
    from datetime import UTC, datetime, timedelta

    from pagerless.reports.render import TEXT, charts

    # Given a New York daily report of 2026-03-10 stored with UTC burn-down moments and no point dates
    start = datetime(2026, 3, 10, 4, tzinfo=UTC)  # 00:00 EDT
    stored = data.build(
        workspace="default",
        report_type="daily",
        start=start,
        end=start + timedelta(days=1),
        zone="America/New_York",
        incidents=[],
        approvals=[],
        slos=[{**SLOS[0], "burn_down": [{"at": "2026-03-11T04:00:00+00:00", "remaining_percent": 61.5}]}],
    )
    # When it is rendered
    burn_down = charts(stored, TEXT["en"])[-1]
    # Then its point carries the local day it closes, not the UTC day of the moment
    assert ">03-10</text>" in burn_down and ">03-11</text>" not in burn_down


def test_a_chinese_report_says_severities_alert_levels_and_categories_in_words():
    # Given the week's report, with critical, high and warning incidents, an SLO at its warning level and OOM kills
    # recurring; When it is rendered in Chinese
    text = render(report(), "markdown", "zh")
    # Then its tables say them as the Chinese cards and console do, not by their codes
    assert "| 严重 | 2 |" in text and "| 高 | 1 |" in text and "| 警告 | 1 |" in text, text
    assert "| payments-api-availability | payments-api | 61.5% | 警告 |" in text, text
    assert "| 内存不足被终止" in text and "oom_killed" not in text and "critical" not in text, text
    # And the English report keeps the codes' own words
    english = render(report(), "markdown", "en")
    assert "| critical | 2 |" in english and "| oom_killed | 2 | payments-api |" in english, english
