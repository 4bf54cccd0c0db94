"""What a postmortem draft is written from and how its sections read the record: the incident's facts
(`PostmortemFacts`, gathered by `reports.postmortems`), durations (time to acknowledge and to resolve, from the last
reopen if any; "12 min" as people say it), actions and their outcomes, the timeline's entries of a kind, and record
text as Markdown text (alert text makes no link, emphasis or HTML of its own). The draft (`reports.postmortem_draft`)
and its lessons (`reports.postmortem_lessons`) both read the record through these.
"""

from dataclasses import dataclass, field
from datetime import date

from pagerless.clock import parse_time
from pagerless.reports.markdown import markdown_text
from pagerless.reports.postmortem_paging import paging
from pagerless.reports.postmortem_phrases import said


@dataclass(frozen=True)
class PostmortemFacts:
    # id, title, severity, service, namespace, first_seen, acknowledged_at, resolved_at, reopened_at,
    # waiting_for_acknowledgement_since, resolving_since (the last reopen, else first_seen), alert_count (with its
    # correlated incidents' alerts), correlated_incidents, resolved_by
    incident: dict
    diagnosis: dict | None
    actions: list[dict]
    approvals: list[dict]  # requested_at, decided_at, status, decided_by, comment
    timeline: list[dict]  # at, type, actor, message
    slo_impact: list[dict]  # slo_name, budget_consumed_minutes, budget_consumed_percent
    owners: list[str] = field(default_factory=list)
    today: date | None = None
    responses: list[dict] = field(default_factory=list)  # at, by: people's responses (reports.responses), oldest first
    escalations: list[dict] = field(default_factory=list)  # policy, pages [{at, targets, held, held_sent}]: this firing
    covering_policy: str | None = None  # the escalation policy that covers its service and severity now
    language: str = "en"  # what the draft is written in: en or zh
    zone: str = "UTC"  # the report settings' time zone: a Chinese draft's times are said in it


def minutes(start: str | None, end: str | None) -> float | None:
    """Minutes from ``start`` to ``end`` (ISO times), to two places; None without both."""
    if not start or not end:
        return None
    return round((parse_time(end) - parse_time(start)).total_seconds() / 60, 2)


def after(start: str | None, end: str | None, language: str) -> str:
    """How long from ``start`` to ``end``, as people say it: "35 s", "12 min", "3.5 h"."""
    seconds = (parse_time(end) - parse_time(start)).total_seconds() if start and end else None
    return said("after", language, seconds=seconds)


def time_to_acknowledge(incident: dict) -> float | None:
    """Minutes from the start of the wait (the last reopen, if any) to the acknowledgement."""
    return minutes(incident.get("waiting_for_acknowledgement_since"), incident.get("acknowledged_at"))


def time_to_resolve(incident: dict) -> float | None:
    """Minutes from the start of the work (the last reopen, if any) to the resolve."""
    return minutes(incident.get("resolving_since"), incident.get("resolved_at"))


def md(value: object) -> str:
    """A value from the record as text inside a section's Markdown."""
    return markdown_text(str(value))


def action_name(action: dict) -> str:
    """The action's name, as Markdown text."""
    plan = action.get("plan") or {}
    return md(action.get("action") or (plan.get("action") or {}).get("action") or "action")


def action_outcome(action: dict) -> str:
    """How the action ended, as recorded (its status, outcome or result); ``unknown`` when none is."""
    for key in ("status", "outcome", "result"):
        if action.get(key) not in (None, ""):
            return str(action[key])
    return "unknown"


def action_line(action: dict, language: str, rollback: bool | None = None) -> str:
    """The action and its outcome; a rollback says so (unless ``rollback`` is False: a list of rollbacks)."""
    return said(
        "action_line",
        language,
        action=action_name(action),
        outcome=md(action_outcome(action)),
        rollback=bool(action.get("rollback")) if rollback is None else rollback,
    )


def entries(facts: PostmortemFacts, kind: str) -> list[dict]:
    """The timeline's entries of ``kind``, oldest first."""
    return [e for e in facts.timeline if e.get("type") == kind]


def sentence(entry: dict) -> str:
    """The entry's message as a clause, in Markdown text."""
    return md(str(entry.get("message") or "").strip().rstrip("."))


def paging_of(facts: PostmortemFacts):
    """Who was paged for the incident and how they answered (`reports.postmortem_paging`)."""
    return paging(facts.incident, facts.escalations, facts.responses, facts.covering_policy)
