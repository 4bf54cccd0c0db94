"""Shift handoff: the digest (seed 002's `/digest/handoff`) and the scheduled announcement that
tells the incoming on-call person their shift starts, once per handoff."""

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pagerless.clock import display_time, utcnow
from pagerless.domain.incidents import ACTIVE_STATUSES
from pagerless.oncall import handoff_changes, lookup, models
from pagerless.outbox.jobs import NotifyJob, enqueue
from pagerless.store.handoffs import claim_handoff, claim_off_call, deleted_overrides, handoff_claims, told_on_call
from pagerless.store.oncall import SCHEDULES, DocumentRepository, OverrideRepository

PENDING_LISTED = 50  # the newest pending approvals the digest lists; the summary counts them all
OPEN_LISTED = 10  # the open incidents a handoff message lists; the digest's summary counts them all
DIGEST_HOURS = 12  # the window of the digest a handoff message summarises
LOOKBACK = handoff_changes.LOOKBACK


def _incident(i) -> dict:
    return {
        "id": i.id,
        "title": i.title,
        "severity": i.severity,
        "status": i.status,
        "service": i.service,
        "namespace": i.namespace,
        "acknowledged": bool(i.acknowledged),
        "correlated_incidents": int(i.child_count or 0),  # a storm's children, counted with it
        "created_at": i.created_at.isoformat(),
        "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
    }


def _oncall(workspace: str, now: datetime) -> list[dict]:
    from pagerless.oncall.views import person_names

    out, name = [], person_names(workspace)
    overrides = OverrideRepository()
    for doc in sorted(DocumentRepository(SCHEDULES).list(workspace), key=lambda d: d["name"]):
        schedule = models.to_schedule(doc, overrides.list(workspace, doc["id"]))
        zone = ZoneInfo(schedule.timezone)
        current = lookup.on_call(schedule, now)
        nxt = lookup.next_handoff(schedule, now)
        out.append(
            {
                "schedule_id": doc["id"],
                "schedule_name": doc["name"],
                "team": doc.get("team"),
                "current": current.person_id if current else None,
                "current_name": name(current.person_id if current else None),
                "current_until": current.end.astimezone(zone).isoformat() if current and current.end else None,
                "next": nxt.person_id if nxt else None,
                "next_name": name(nxt.person_id if nxt else None),
                "next_starts_at": nxt.start.astimezone(zone).isoformat() if nxt else None,
            }
        )
    return out


def digest(workspace: str, hours: int, now: datetime | None = None) -> dict:
    """What happened in the last ``hours``, what is still open (however long ago it opened), what waits for a
    decision, who is next. A storm is one incident: its correlated children count with their root."""
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.store.reports import active_roots, incidents_opened

    now = now or utcnow()
    since = now - timedelta(hours=hours)
    opened = incidents_opened(workspace, since, now + timedelta(seconds=1))
    in_shift = sorted((i for i in opened if not i.parent_id), key=lambda i: i.created_at, reverse=True)
    still_open = active_roots(workspace)
    approvals = ApprovalRepository()
    records, more = approvals.list(workspace, "pending", limit=PENDING_LISTED, cursor=None)
    pending = [record.to_public() for record in records]
    # the newest are listed; the count is of them all, so what is not listed is said, not dropped
    pending_count = approvals.count(workspace, "pending") if more else len(pending)
    resolved = [i for i in in_shift if i.status not in ACTIVE_STATUSES]
    return {
        "workspace_id": workspace,
        "hours": hours,
        "generated_at": now.isoformat(),
        "window_start": since.isoformat(),
        "window_end": now.isoformat(),
        "summary": {
            "opened": len(in_shift),
            "resolved_of_opened": len(resolved),
            "open": len(still_open),
            "unacknowledged": sum(1 for i in still_open if not i.acknowledged),
            "critical_open": sum(1 for i in still_open if i.severity == "critical"),
            "pending_approvals": pending_count,
        },
        "incidents": [_incident(i) for i in in_shift],
        "open_incidents": [_incident(i) for i in still_open],
        "pending_approvals": [
            {k: a.get(k) for k in ("incident_id", "approval_id", "requested_at", "expires_at")}
            | {"action": (a.get("proposal") or {}).get("action")}
            for a in pending
        ],
        "pending_approvals_not_listed": max(0, pending_count - len(pending)),
        "oncall": _oncall(workspace, now),
    }


def announce_handoffs(now: datetime | None = None) -> dict:
    """Tell each incoming on-call person their shift started (once per handoff, however often this runs), and who an
    override deleted in force, a swap or an edit of the schedule mid-shift took off call that they are
    (`handoff_changes`)."""
    now = now or utcnow()
    overrides, announced, deleted = OverrideRepository(), [], deleted_overrides()
    for workspace, doc in DocumentRepository(SCHEDULES).list_all():
        stored = overrides.list(workspace, doc["id"])
        schedule = models.to_schedule(doc, stored)
        handoffs = lookup.handoffs_between(schedule, now - LOOKBACK, now + timedelta(seconds=1))
        changes = handoff_changes.planned(handoffs, doc, stored, now) + handoff_changes.edited(schedule, doc, now)
        notes = deleted.get((workspace, doc["id"]), [])
        changes += handoff_changes.deletions(doc, stored, notes, now - LOOKBACK, now)
        changes += handoff_changes.late_override(doc, stored, now - LOOKBACK, now)
        for change in changes:
            announced += _tell(workspace, schedule, change, now)
    return {"announced": announced}


def _tell(workspace: str, schedule, change: handoff_changes.Change, now: datetime) -> list[dict]:
    """The messages the change owes, each queued once: to whoever is on call now (and to the person told first of
    the same handoff, off call since a late swap), and to whoever is off call, when they are to be told: only a
    person told they were on call for the shift they leave (a swap made and deleted between two runs, or a late swap
    over a shift nobody announced, leaves them nothing to be told of: no claim of theirs from that shift's start to
    now, or its end if earlier)."""
    outgoing = change.outgoing
    if change.tell_outgoing and outgoing is not None:
        # told of any moment of the shift they leave, up to now: an override deleted after the off-call moment (a
        # late swap's start, an edit's new shift) may have told them they were on call from a later moment
        until = min(outgoing.end, now) if outgoing.end else now
        if not told_on_call(workspace, schedule.id, outgoing.person_id, outgoing.start, until):
            if change.only_if_told:
                return []
            change = replace(change, tell_outgoing=False)
    told, incoming = [], change.incoming
    if incoming is not None:
        on = _on_call(workspace, schedule, outgoing, incoming, now, quiet=change.quiet)
        if on is not None:
            told.append(on)
            off_at = handoff_changes.moment(incoming.start, change.made, now)  # not before the swap was made
            for claim in handoff_claims(workspace, schedule.id, incoming.start):  # a late swap: told first, now off
                if claim.get("person_id") != incoming.person_id and not claim.get("quiet"):  # quiet: told off
                    told += _off_call(workspace, schedule, claim["person_id"], off_at, incoming)
    if change.tell_outgoing and outgoing is not None:
        told += _off_call(workspace, schedule, outgoing.person_id, change.at, incoming or change.instead)
    return told


def _on_call(workspace: str, schedule, outgoing, incoming, now: datetime, quiet: bool = False) -> dict | None:
    """Tell ``incoming``'s person they are on call from its start; None if they were told already. ``quiet``: the
    handoff is claimed (told, for the off-call that follows in the same run) but no message is sent."""
    whole = lookup.on_call(schedule, incoming.start) or incoming  # not cut at ``now``
    data = {
        "schedule_id": schedule.id,
        "schedule_name": schedule.name,
        "person_id": incoming.person_id,
        "previous_person_id": outgoing.person_id if outgoing else None,
        "starts_at": incoming.start.isoformat(),
        "ends_at": whole.end.isoformat() if whole.end else None,  # None: no handoff ahead
    }
    # once per handoff and incoming person: a late override from the same moment is told to its person too
    if not claim_handoff(workspace, schedule.id, incoming.start, incoming.person_id, data | {"quiet": quiet}):
        return None
    if quiet:
        return None
    enqueue(
        NotifyJob(
            workspace=workspace,
            event="oncall.handoff",
            generation=f"{schedule.id}@{incoming.start.isoformat()}@{incoming.person_id}",
            targets=[{"kind": "person", "id": incoming.person_id}],
            data=_announcement(workspace, data, digest(workspace, DIGEST_HOURS, now)),
        )
    )
    return data


def _off_call(workspace: str, schedule, person_id: str, at: datetime, incoming) -> list[dict]:
    """Tell ``person_id`` once that they are off call from ``at`` (``[]`` if they were told already)."""
    from pagerless.oncall.views import person_names

    data = handoff_changes.off_call(schedule, person_id, at, incoming, person_names(workspace))
    if not claim_off_call(workspace, schedule.id, at, person_id, data):
        return []
    enqueue(
        NotifyJob(
            workspace=workspace,
            event="oncall.handoff",
            generation=f"{schedule.id}@{at.isoformat()}@{person_id}@off",
            targets=[{"kind": "person", "id": person_id}],
            data=data,
        )
    )
    return [data]


def _announcement(workspace: str, handoff: dict, shift_digest: dict) -> dict:
    """The ``oncall.handoff`` job's data: the handoff, who hands over (by name), the digest's summary and the open
    incidents it lists (the first `OPEN_LISTED`, the rest counted). ``title`` and ``message`` say it in a line of
    plain English (UTC times) for a workspace template that shows only those; the built-in templates show the
    fields, in the reader's language and time zone."""
    from pagerless.people.service import PeopleService

    previous = handoff["previous_person_id"]
    person = PeopleService().find(workspace, previous) if previous else None
    previous_name = person.name if person is not None else previous
    still_open = shift_digest["open_incidents"]
    until = f" until {display_time(handoff['ends_at'])}" if handoff["ends_at"] else ""
    return {
        **handoff,
        "previous_person_name": previous_name,
        "digest": shift_digest["summary"],
        "digest_hours": shift_digest["hours"],
        "open_incidents": [
            {k: i[k] for k in ("id", "title", "severity", "status", "service", "acknowledged")}
            for i in still_open[:OPEN_LISTED]
        ],
        "open_incidents_not_listed": max(0, len(still_open) - OPEN_LISTED),
        "title": f"On-call handoff: {handoff['schedule_name']}",
        "message": f"You are on call for {handoff['schedule_name']} from {display_time(handoff['starts_at'])}{until}"
        + (f", taking over from {previous_name}." if previous_name else "."),
    }
