"""A postmortem draft's timeline: one line per entry. In Chinese each entry is said as the console says it
(`reports.timeline_phrases`): its kind and Pagerless's own actors in words, its message from its kind and data (what
people wrote as written, an entry the catalogue cannot say as stored), its time in the report zone. English keeps
the stored message and the ISO time, as drafts always had.
"""

from pagerless.chat.wording import INCIDENT_STATUS_ZH
from pagerless.clock import display_time
from pagerless.diagnosis.categories import category_label
from pagerless.incidents.notice_phrases import SEVERITY_ZH, STATUS_ZH
from pagerless.reports.markdown import markdown_text
from pagerless.reports.postmortem_phrases import said
from pagerless.reports.timeline_phrases import actor_word, kind_word, say

# the codes an entry's phrase shows in words (a status's from and to, an action's status, a severity raised)
_CODES_ZH = {**STATUS_ZH, **INCIDENT_STATUS_ZH, **SEVERITY_ZH, "analyzers": "规则分析器"}


def _label_zh(code: str) -> str:
    return _CODES_ZH.get(str(code)) or category_label(code, "zh")


def _line_zh(entry: dict, zone: str) -> str:
    code = str(entry.get("actor_id") or "")
    actor = actor_word(code, "zh") if actor_word(code, "zh") != code else entry.get("actor", "system")
    message = say({**entry, "actor": code, "actor_label": entry.get("actor")}, "zh", _label_zh)
    return said(
        "timeline_entry",
        "zh",
        at=display_time(entry["at"], zone),
        type=markdown_text(kind_word(str(entry["type"]), "zh")),
        actor=markdown_text(str(actor)),
        message=markdown_text(message),
    )


def timeline_lines(entries: list[dict], language: str, zone: str) -> list[str]:
    """The draft's timeline in ``language``: each entry's time, kind, actor and message (Markdown text)."""
    if language == "zh":
        return [_line_zh(e, zone) for e in entries]
    return [
        said(
            "timeline_entry",
            language,
            at=e["at"],
            type=markdown_text(str(e["type"])),
            actor=markdown_text(str(e.get("actor", "system"))),
            message=markdown_text(str(e.get("message") or "")),
        )
        for e in entries
    ]
