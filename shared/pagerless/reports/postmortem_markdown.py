"""A postmortem document as Markdown (what the postmortem API answers for Markdown)."""

from pagerless.reports.markdown import markdown_text


def _cell(value) -> str:
    return "—" if value is None else markdown_text(str(value))


def to_markdown(document: dict) -> str:
    """The postmortem as Markdown: its title and tables hold text (alert text cannot add a heading, a row or
    markup to them); its sections are prose people write in Markdown, as they wrote it."""
    s = document["sections"]
    lines = [
        f"# {markdown_text(document['title'])}",
        "",
        f"Status: {document.get('status', 'draft')} · version {document.get('version', 1)}",
        "",
        "## Summary",
        s["summary"],
        "",
        "## Impact",
        s["impact"],
        "",
        "| Metric | Value |",
        "|---|---|",
    ]
    lines += [f"| {_cell(row['metric'])} | {_cell(row['value'])} |" for row in document["impact_table"]]
    for key, title in (
        ("root_causes", "Root causes"),
        ("trigger", "Trigger"),
        ("detection", "Detection"),
        ("resolution", "Resolution"),
    ):
        lines += ["", f"## {title}", s[key]]
    lines += [
        "",
        "## Action items",
        "",
        "| ID | Kind | Description | Owner | Due | Status |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        "| " + " | ".join(_cell(i[k]) for k in ("id", "kind", "description", "owner", "due_date", "status")) + " |"
        for i in document["action_items"]
    ]
    lessons = s["lessons_learned"]
    for key, title in (
        ("went_well", "What went well"),
        ("went_wrong", "What went wrong"),
        ("got_lucky", "Where we got lucky"),
    ):
        lines += ["", f"### {title}", *([f"- {x}" for x in lessons.get(key, [])] or ["- —"])]
    lines += ["", "## Timeline"] + [f"- {e}" for e in s["timeline"]]
    return "\n".join(lines) + "\n"
