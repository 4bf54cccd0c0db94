"""A stored report's data rendered to HTML, Markdown or JSON, in English or Chinese.

The renderers only format: every number comes from `reports.data`. HTML is escaped throughout and
embeds the SVG charts; Markdown is plain tables for chat. An e-mail's text part is the Markdown's layout
with its values as written: a person reads it as plain text, where Markdown's escapes would show.
"""

import json
from collections.abc import Callable
from datetime import timedelta
from html import escape
from zoneinfo import ZoneInfo

from pagerless.clock import parse_time
from pagerless.diagnosis.categories import category_label
from pagerless.domain.errors import ValidationError
from pagerless.reports import svg
from pagerless.reports.markdown import markdown_text, one_line

FORMATS = ("json", "html", "markdown")
LANGUAGES = ("en", "zh")

TEXT = {
    "en": {
        "daily": "Daily incident report",
        "weekly": "Weekly incident report",
        "period": "Period",
        "no_incidents": "No incidents in this period.",
        "total": "Incidents",
        "mtta": "MTTA",
        "mttr": "MTTR",
        "minutes": "min",
        "by_severity": "By severity",
        "by_service": "By service",
        "severity": "Severity",
        "service": "Service",
        "count": "Count",
        "noisy": "Top noisy alerts",
        "source": "Source",
        "title": "Alert",
        "alerts": "Alerts",
        "resolution": "Who fixed it",
        "automatic": "Automatically (Pagerless)",
        "recovered": "Recovered on its own",
        "people": "By people",
        "unresolved": "Unresolved",
        "approvals": "Approval latency",
        "decided": "Decided",
        "mean": "Mean",
        "median": "Median",
        "max": "Max",
        "slo": "SLO status",
        "slo_name": "SLO",
        "remaining": "Budget left",
        "level": "Alert level",
        "patterns": "Recurring patterns",
        "pattern": "Pattern",
        "occurrences": "Occurrences",
        "per_day": "Incidents per day",
        "trend": "MTTA / MTTR trend (min)",
        "burn": "Error budget burn-down",
        "none": "none",
    },
    "zh": {
        "lang": "zh",
        "daily": "每日事件报告",
        "weekly": "每周事件报告",
        "period": "周期",
        "no_incidents": "本周期内没有事件。",
        "total": "事件数",
        "mtta": "平均确认时间",
        "mttr": "平均恢复时间",
        "minutes": "分钟",
        "by_severity": "按严重级别",
        "by_service": "按服务",
        "severity": "严重级别",
        "service": "服务",
        "count": "数量",
        "noisy": "最嘈杂的告警",
        "source": "来源",
        "title": "告警",
        "alerts": "告警数",
        "resolution": "修复方式",
        "automatic": "自动修复（Pagerless）",
        "recovered": "自行恢复",
        "people": "人工修复",
        "unresolved": "未解决",
        "approvals": "审批耗时",
        "decided": "已决定",
        "mean": "平均",
        "median": "中位数",
        "max": "最长",
        "slo": "SLO 状态",
        "slo_name": "SLO",
        "remaining": "剩余预算",
        "level": "告警级别",
        "patterns": "重复出现的模式",
        "pattern": "模式",
        "occurrences": "次数",
        "per_day": "每日事件数",
        "trend": "MTTA / MTTR 趋势（分钟）",
        "burn": "错误预算燃尽图",
        "none": "无",
    },
}


def _check(fmt: str, lang: str) -> None:
    if fmt not in FORMATS:
        raise ValidationError(f"format is one of {', '.join(FORMATS)}", details=[{"field": "format"}])
    if lang not in LANGUAGES:
        raise ValidationError(f"lang is one of {', '.join(LANGUAGES)}", details=[{"field": "lang"}])


def _value(value, t: dict, unit: str = "") -> str:
    if value is None:
        return t["none"]
    return f"{value} {unit}".strip()


def _level(code: str, t: dict) -> str:
    """A severity or an SLO's alert level in the report's words (a Chinese report says 严重, as the cards do)."""
    if t.get("lang") != "zh":
        return code
    from pagerless.incidents.notice_phrases import SEVERITY_ZH

    return {**SEVERITY_ZH, "ok": "正常"}.get(code, code)


def _pattern(pattern: str, t: dict) -> str:
    """A recurring pattern: a diagnosis category in Chinese words in a Chinese report, else as stored (a masked
    title, or the English report's category code)."""
    return category_label(pattern, "zh") if t.get("lang") == "zh" else pattern


def tables(data: dict, t: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, columns, rows) of every table, shared by HTML and Markdown."""
    resolution = data["resolution"]
    latency = data["approval_latency"]
    return [
        (
            t["by_severity"],
            [t["severity"], t["count"]],
            [[_level(k, t), str(v)] for k, v in data["by_severity"].items()],
        ),
        (t["by_service"], [t["service"], t["count"]], [[k, str(v)] for k, v in data["by_service"].items()]),
        (
            t["noisy"],
            [t["source"], t["title"], t["total"], t["alerts"]],
            [[r["source"], r["title"], str(r["incidents"]), str(r["alerts"])] for r in data["noisy_alerts"]],
        ),
        (
            t["resolution"],
            [t["resolution"], t["count"]],
            [[t[k], str(resolution[k])] for k in ("automatic", "recovered", "people", "unresolved")],
        ),
        (
            t["approvals"],
            [t["decided"], t["mean"], t["median"], t["max"]],
            [
                [
                    str(latency["count"]),
                    _value(latency["mean_minutes"], t, t["minutes"]),
                    _value(latency["median_minutes"], t, t["minutes"]),
                    _value(latency["max_minutes"], t, t["minutes"]),
                ]
            ],
        ),
        (
            t["slo"],
            [t["slo_name"], t["service"], t["remaining"], t["level"]],
            [
                [s["slo_name"], s["service"], f"{s['budget_remaining_percent']}%", _level(s["alert_level"], t)]
                for s in data["slo_status"]
            ],
        ),
        (
            t["patterns"],
            [t["pattern"], t["occurrences"], t["service"]],
            [
                [_pattern(p["pattern"], t), str(p["occurrences"]), ", ".join(p["services"])]
                for p in data["recurring_patterns"]
            ],
        ),
    ]


def charts(data: dict, t: dict) -> list[str]:
    days = [d["date"][5:] for d in data["per_day"]]
    out = [
        svg.bar_chart(t["per_day"], days, [d["incidents"] for d in data["per_day"]]),
        svg.line_chart(
            t["trend"],
            days,
            {
                t["mtta"]: [d["mtta_minutes"] for d in data["per_day"]],
                t["mttr"]: [d["mttr_minutes"] for d in data["per_day"]],
            },
        ),
    ]
    for slo in data["slo_status"]:
        points = slo.get("burn_down") or []
        if points:
            out.append(
                svg.burn_down(
                    f"{t['burn']}: {slo['slo_name']}",
                    [_closing_day(p, data["timezone"])[5:] for p in points],
                    [p["remaining_percent"] for p in points],
                    [p.get("even_percent") for p in points],
                )
            )
    return out


def _closing_day(point: dict, zone: str) -> str:
    """The local day a burn-down point closes (reports stored before points had ``date``: the day
    of the instant just before ``at``, which is that day's end or the period's)."""
    if point.get("date"):
        return point["date"]
    return (parse_time(point["at"]) - timedelta(microseconds=1)).astimezone(ZoneInfo(zone)).date().isoformat()


def period(data: dict) -> str:
    """The period in the report's own time zone: ``2026-03-10 00:00 → 2026-03-11 00:00 (Asia/Shanghai)``."""
    zone = ZoneInfo(data["timezone"])
    start, end = (
        parse_time(data[k]).astimezone(zone).strftime("%Y-%m-%d %H:%M") for k in ("period_start", "period_end")
    )
    return f"{start} → {end} ({data['timezone']})"


def first_day(data: dict) -> str:
    """The period's first day in the report's own time zone (its UTC start may be the day before)."""
    return parse_time(data["period_start"]).astimezone(ZoneInfo(data["timezone"])).date().isoformat()


def headline(data: dict, t: dict) -> str:
    if data["no_incidents"]:
        return t["no_incidents"]
    return (
        f"{t['total']}: {data['total_incidents']} · {t['mtta']}: {_value(data['mtta_minutes'], t, t['minutes'])}"
        f" · {t['mttr']}: {_value(data['mttr_minutes'], t, t['minutes'])}"
    )


def render(data: dict, fmt: str = "json", lang: str = "en") -> str:
    _check(fmt, lang)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    t = TEXT[lang]
    return _html(data, t, lang) if fmt == "html" else _markdown(data, t)


def render_text(data: dict, lang: str = "en") -> str:
    """The report as plain text (an e-mail's text part): the Markdown's layout, its values as written."""
    _check("markdown", lang)
    return _markdown(data, TEXT[lang], cell=one_line)


def _markdown(data: dict, t: dict, cell: Callable[[str], str] = markdown_text) -> str:
    lines = [f"# {t[data['report_type']]}", "", f"{t['period']}: {period(data)}", "", f"**{headline(data, t)}**", ""]
    for heading, columns, rows in tables(data, t):
        lines += [f"## {heading}", ""]
        if not rows:
            lines += [t["none"], ""]
            continue
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "---|" * len(columns))
        lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def _html(data: dict, t: dict, lang: str) -> str:
    title = escape(t[data["report_type"]])
    parts = [
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>',
        "<style>body{font-family:sans-serif;max-width:720px;margin:24px auto;color:#111}"
        "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d1d5db;padding:4px 8px;"
        "text-align:left}.empty{color:#6b7280}</style>\n</head>\n<body>",
        f"<h1>{title}</h1>",
        f"<p>{escape(t['period'])}: {escape(period(data))}</p>",
        f"<p><strong>{escape(headline(data, t))}</strong></p>",
    ]
    parts += [f"<figure>{chart}</figure>" for chart in charts(data, t)]
    for heading, columns, rows in tables(data, t):
        parts.append(f"<h2>{escape(heading)}</h2>")
        if not rows:
            parts.append(f'<p class="empty">{escape(t["none"])}</p>')
            continue
        head = "".join(f"<th>{escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)
