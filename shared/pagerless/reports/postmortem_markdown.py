"""A postmortem document as Markdown (what the postmortem API answers for Markdown), its headings in the document's
language (``language``: en or zh; a document drafted before it had one is English)."""

from pagerless.domain.phrases import language_of
from pagerless.reports.markdown import markdown_text
from pagerless.reports.postmortem_phrases import HEADINGS, word


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
    lines += [_row((_cell(row["metric"]), _cell(row["value"]))) for row in document["impact_table"]]
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
