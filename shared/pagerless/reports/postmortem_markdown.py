"""A postmortem document as Markdown (what the postmortem API answers for Markdown), its headings in the document's
language (``language``: en or zh; a document drafted before it had one is English)."""

from pagerless.clock import display_time
from pagerless.domain.phrases import language_of
from pagerless.incidents.notice_phrases import SEVERITY_ZH
from pagerless.reports.markdown import markdown_text

# the Markdown's headings and fixed words, per language (the Chinese: the console's words for the same headings)
HEADINGS = {
    "en": {
        "status": "Status: {status} · version {version}",
        "summary": "Summary",
        "impact": "Impact",
        "metric_value": ("Metric", "Value"),
        "root_causes": "Root causes",
        "trigger": "Trigger",
        "detection": "Detection",
        "resolution": "Resolution",
        "action_items": "Action items",
        "item_columns": ("ID", "Kind", "Description", "Owner", "Due", "Status"),
        "went_well": "What went well",
        "went_wrong": "What went wrong",
        "got_lucky": "Where we got lucky",
        "timeline": "Timeline",
    },
    "zh": {
        "status": "状态：{status} · 第 {version} 版",
        "summary": "概要",
        "impact": "影响",
        "metric_value": ("指标项", "值"),
        "root_causes": "根本原因",
        "trigger": "触发因素",
        "detection": "发现方式",
        "resolution": "解决过程",
        "action_items": "改进项",
        "item_columns": ("编号", "类型", "描述", "负责人", "截止日期", "状态"),
        "went_well": "做得好的地方",
        "went_wrong": "出问题的地方",
        "got_lucky": "侥幸之处",
        "timeline": "时间线",
    },
}
# the codes the Markdown shows in words in Chinese (a document's status, an action item's kind and status: the
# console's words for them); English shows the codes as they are
WORDS_ZH = {
    "draft": "草稿",
    "published": "已发布",
    "mitigate": "缓解",
    "prevent": "预防",
    "process": "流程",
    "open": "待处理",
    "in_progress": "进行中",
    "done": "已完成",
    "wont_do": "不做",
}


# the impact table's metrics, as the Chinese Markdown names them (the JSON keeps the codes; English shows them)
METRICS_ZH = {
    "severity": "严重程度",
    "service": "服务",
    "started_at": "开始时间",
    "acknowledged_at": "确认时间",
    "reopened_at": "重新打开时间",
    "resolved_at": "解决时间",
    "time_to_acknowledge_minutes": "确认用时（分钟）",
    "time_to_resolve_minutes": "解决用时（分钟）",
    "alerts": "告警数",
    "alert_deliveries": "告警投递次数",
    "correlated_incidents": "关联事件数",
}
SLO_SPENT = "slo_budget_spent:"


def word(code: str, language: str) -> str:
    """A code the Markdown shows (a status, a kind) in ``language``'s words."""
    return WORDS_ZH.get(code, code) if language_of(language) == "zh" else code


def metric(code: str, language: str) -> str:
    """An impact table's metric as the Markdown names it in ``language``."""
    if language_of(language) != "zh":
        return code
    if code.startswith(SLO_SPENT):
        return f"SLO {code.removeprefix(SLO_SPENT)} 消耗的预算"
    return METRICS_ZH.get(code, code)


def _value(row: dict, language: str, zone: str | None):
    """An impact row's value as the Markdown shows it: the severity in words in Chinese (严重), as the cards say it;
    a time (``started_at``, ...) as people read it in ``zone``, the document's (``2026-12-07 16:00 UTC+08:00``), as
    its timeline says its times; a document drafted before it kept its zone (None) shows them as stored (ISO)."""
    if row["metric"] == "severity" and language_of(language) == "zh":
        return SEVERITY_ZH.get(str(row["value"]), row["value"])
    if zone and row["metric"].endswith("_at") and isinstance(row["value"], str) and row["value"]:
        return display_time(row["value"], zone)
    return row["value"]


def _cell(value) -> str:
    return "—" if value is None else markdown_text(str(value))


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def to_markdown(document: dict) -> str:
    """The postmortem as Markdown: its title and tables hold text (alert text cannot add a heading, a row or
    markup to them); its sections are prose people write in Markdown, as they wrote it."""
    lang = language_of(document.get("language"))
    h, s = HEADINGS[lang], document["sections"]
    status = word(document.get("status", "draft"), lang)
    lines = [
        f"# {markdown_text(document['title'])}",
        "",
        h["status"].format(status=status, version=document.get("version", 1)),
        "",
        f"## {h['summary']}",
        s["summary"],
        "",
        f"## {h['impact']}",
        s["impact"],
        "",
        _row(h["metric_value"]),
        "|---|---|",
    ]
    zone = document.get("timezone")
    lines += [
        _row((_cell(metric(row["metric"], lang)), _cell(_value(row, lang, zone)))) for row in document["impact_table"]
    ]
    for key in ("root_causes", "trigger", "detection", "resolution"):
        lines += ["", f"## {h[key]}", s[key]]
    lines += ["", f"## {h['action_items']}", "", _row(h["item_columns"]), "|---|---|---|---|---|---|"]
    lines += [
        _row(
            _cell(word(i[k], lang) if k in ("kind", "status") else i[k])
            for k in ("id", "kind", "description", "owner", "due_date", "status")
        )
        for i in document["action_items"]
    ]
    lessons = s["lessons_learned"]
    for key in ("went_well", "went_wrong", "got_lucky"):
        lines += ["", f"### {h[key]}", *([f"- {x}" for x in lessons.get(key, [])] or ["- —"])]
    lines += ["", f"## {h['timeline']}"] + [f"- {e}" for e in s["timeline"]]
    return "\n".join(lines) + "\n"
