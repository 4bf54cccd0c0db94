"""Who responded to an incident, and when: one definition for the incident metrics (seed 002's
``time_to_first_response_minutes``) and the postmortem's lessons (`reports.postmortem_lessons`).

A response is the acknowledgement (also one made in the source: ``acknowledged_at``) or a timeline entry
written by a person: an approval decided, a comment, an action run by hand. Entries Pagerless writes itself
(``MACHINE_ACTORS``: intake, the workflow, the escalation engine paging people, notification notices, runbook
steps), a webhook's and the incident's own monitor's (which raises its severity) are not. Only responses since
the first alert, or the last reopen, count (`domain.incidents.responding_since`): a response before the reopen
answered the previous firing, not this one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pagerless.clock import parse_time

# Timeline actors that are Pagerless itself, not a person responding: intake, the workflow, the escalation
# engine paging people (`oncall.engine.ACTOR`), notification failures and runbook steps.
MACHINE_ACTORS = frozenset({"", "system", "workflow", "intake", "escalation", "notify", "runbook"})


@dataclass(frozen=True)
class Response:
    at: datetime
    actor: str  # the person's id, as the timeline entry (or the acknowledgement) names them
    actor_name: str = ""  # their name when the entry was written, if it keeps one


def by_a_person(actor: str | None, source: str | None) -> bool:
    """Whether a timeline entry by ``actor`` is a person's, on an incident whose monitor is ``source``."""
    actor = actor or ""
    return actor not in MACHINE_ACTORS and actor != (source or None) and not actor.startswith("webhook")


def responses(
    timeline: Iterable[dict],
    *,
    since: datetime,
    acknowledged_at: datetime | None,
    acknowledged_by: str | None = None,
    source: str | None = None,
) -> list[Response]:
    """The responses to an incident since ``since``, oldest first. ``timeline``: its entries as dicts with
    ``at`` (ISO text or datetime), ``actor`` (the id) and, optionally, ``actor_name``; the acknowledgement is named
    as the timeline names the one who made it."""
    timeline = list(timeline)
    names = {str(e.get("actor")): str(e["actor_name"]) for e in timeline if e.get("actor_name")}
    found = [
        Response(at, str(entry.get("actor")), str(entry.get("actor_name") or ""))
        for entry in timeline
        if by_a_person(entry.get("actor"), source)
        and (at := entry["at"] if isinstance(entry["at"], datetime) else parse_time(entry["at"])) >= since
    ]
    if acknowledged_at is not None and acknowledged_at >= since:
        found.append(Response(acknowledged_at, acknowledged_by or "", names.get(acknowledged_by or "", "")))
    return sorted(found, key=lambda r: r.at)
