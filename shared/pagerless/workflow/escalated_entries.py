"""Whether an escalation of the workflow was said already: its `escalated` timeline entry, found by its key.

`outcomes.escalate` writes the entry once per idempotency key (``data.notice``: the execution and the reason, or the
caller's notice). Entries written before the key existed have none; a step retried across the deploy that added it
must not write a second entry for the escalation such an entry said. The stored data tells that much: an unkeyed
entry of the workflow with the same message (the reason, cut as it was written) written since the incident's latest
move to escalated (its `status_changed` entry) is this escalation's. The move and the entry are written by the same
attempt, one after the other; one execution works on an escalated incident (a newer run first reopens it, and its
escalation moves it again, later). Not told apart: a retry that gives another reason than the one the old entry
says (a rollback's, whose notice covers it) writes its own entry; so does one whose attempt died between the move
and its `status_changed` entry (no move of this episode to compare with: an older episode's would mislead)."""

from pagerless.incidents import timeline
from pagerless.workflow.incidents import ACTOR

ESCALATED = "escalated"


def said_before(incident, reason: str, notice: str) -> bool:
    """Whether ``incident``'s timeline holds the `escalated` entry of ``notice``, or an unkeyed one (written before
    the key existed) of the same escalation: the same reason, since its latest move to escalated."""
    if timeline.recorded_with(incident.id, ESCALATED, notice=notice):
        return True
    entries = timeline.timeline(incident.id, limit=None, incident=incident)
    moved = [e.at for e in entries if e.type == "status_changed" and (e.data or {}).get("to") == ESCALATED]
    if not moved:
        return False
    return any(_unkeyed(entry, reason) and entry.at >= moved[-1] for entry in entries)


def _unkeyed(entry, reason: str) -> bool:
    data = entry.data or {}
    return entry.type == ESCALATED and "notice" not in data and entry.actor == ACTOR and entry.message == reason[:1000]
