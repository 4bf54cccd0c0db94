"""What the on-call API answers: who is on call now (seed 002's shape), a rendered schedule, and
who an escalation would page when. Each person id comes with the person's display name beside it (``oncall`` and
``oncall_name``, ``person_id`` and ``person_name``): the ids stay as they were, for the API's callers; a person
deleted since is named by their id (`person_names`)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pagerless.domain.errors import ValidationError
from pagerless.oncall import lookup, schedules
from pagerless.oncall.policies import plan
from pagerless.oncall.resolution import resolve_step
from pagerless.oncall.service import OncallService
from pagerless.oncall.step_reads import StepReads

MAX_RANGE = timedelta(days=366)


def person_names(workspace: str) -> Callable[[str | None], str | None]:
    """``name(person_id)``: the person's display name, their id if they were deleted since, None for None; each
    person read once."""
    from pagerless.people.service import PeopleService

    people, known = PeopleService(), {}

    def name(person_id: str | None) -> str | None:
        if person_id is None:
            return None
        if person_id not in known:
            found = people.find(workspace, person_id)
            known[person_id] = found.name if found is not None else person_id
        return known[person_id]

    return name


def shift_public(shift: schedules.Shift, zone: ZoneInfo, name: Callable[[str | None], str | None]) -> dict:
    return {
        "start": shift.start.astimezone(zone).isoformat(),
        "end": shift.end.astimezone(zone).isoformat(),
        "person_id": shift.person_id,
        "person_name": name(shift.person_id),
        "layer": shift.layer,
        "rotation_index": shift.rotation_index,
        "override_id": shift.override_id,
    }


def rendered(
    service: OncallService, workspace: str, schedule_id: str, start: datetime, end: datetime, *, whole: bool = False
) -> dict:
    """The final schedule from ``start`` to ``end``; ``whole``: its first and last shifts keep their real handoffs
    rather than being cut at the range (the console's list, which shows when the shift on call now began)."""
    if end <= start or end - start > MAX_RANGE:
        raise ValidationError("end must be after start and at most 366 days later", details=[{"field": "end"}])
    schedule = service.schedule(workspace, schedule_id)
    zone = ZoneInfo(schedule.timezone)
    name = person_names(workspace)
    return {
        "schedule_id": schedule.id,
        "name": schedule.name,
        "timezone": schedule.timezone,
        "start": start.astimezone(zone).isoformat(),
        "end": end.astimezone(zone).isoformat(),
        "shifts": [
            shift_public(s, zone, name)
            for s in (lookup.render_whole if whole else schedules.render)(schedule, start, end)
        ],
    }


def current(
    service: OncallService,
    workspace: str,
    *,
    schedule_id: str | None,
    service_name: str | None,
    at: datetime,
    stored: dict | None = None,
    names: Callable[[str | None], str | None] | None = None,
) -> dict:
    """Seed 002's `/oncall/current`: service, oncall, team, escalation_contact, week_number, rotation_index.
    ``stored``: the schedule ``schedule_id`` as read already, and ``names``: `person_names`, kept between the
    answers of one reply (the chat's ``oncall`` lists every schedule), so that nothing is read twice for it."""
    if bool(schedule_id) == bool(service_name):
        raise ValidationError(
            "give exactly one of schedule or service", details=[{"field": "schedule"}, {"field": "service"}]
        )
    if stored is not None:
        docs = [stored]
    elif schedule_id:
        docs = [service.get_schedule(workspace, schedule_id)]
    else:
        docs = service.schedules_for_service(workspace, service_name)
    doc, others = docs[0], docs[1:]  # others: schedules stored listing the service too, before that was refused
    schedule = service.schedule(workspace, doc["id"])
    shift = lookup.on_call(schedule, at)
    zone = ZoneInfo(schedule.timezone)
    name = service_name or next(iter(doc.get("services") or []), None)
    contact = _escalation_contact(service, workspace, name, shift, at)
    person_name = names or person_names(workspace)
    under, upcoming = lookup.beneath(schedule, at, shift), lookup.next_handoff(schedule, at)
    return {
        "service": name,
        "oncall": shift.person_id if shift else None,
        "oncall_name": person_name(shift.person_id if shift else None),
        "team": doc.get("team"),
        "escalation_contact": contact,
        "escalation_contact_name": person_name(contact),
        "week_number": at.astimezone(zone).isocalendar().week,
        "rotation_index": shift.rotation_index if shift else None,
        "schedule_id": doc["id"],
        "schedule_name": doc["name"],
        "timezone": schedule.timezone,  # the zone of the times below
        "layer": shift.layer if shift else None,
        "override_id": shift.override_id if shift else None,
        "shift_start": shift.start.astimezone(zone).isoformat() if shift else None,
        "shift_end": shift.end.astimezone(zone).isoformat() if shift and shift.end else None,  # None: no handoff ahead
        "at": at.astimezone(zone).isoformat(),
        # the next shift of someone else (after a gap with nobody on call, the first shift after it); None: none ahead
        "next_oncall": upcoming.person_id if upcoming else None,
        "next_oncall_name": person_name(upcoming.person_id if upcoming else None),
        "next_start": upcoming.start.astimezone(zone).isoformat() if upcoming else None,
        # True when another person is on call at ``at`` too, under the answer (two layers with people at once,
        # overlapping overrides: `overlapping` names them), or when schedules stored before one service had one
        # schedule list it too (the oldest answers, `other_schedules` names the others): nobody takes it as the
        # only answer
        "ambiguous": bool(others) or bool(under),
        "overlapping": [
            {
                "person_id": s.person_id,
                "person_name": person_name(s.person_id),
                "layer": s.layer,
                "override_id": s.override_id,
            }
            for s in under
        ],
        "other_schedules": [{"schedule_id": d["id"], "schedule_name": d["name"]} for d in others],
    }


def _escalation_contact(service: OncallService, workspace: str, name: str | None, shift, at: datetime) -> str | None:
    """The first person the service's critical policy reaches after the on-call person."""
    policy = service.select_policy(workspace, name, "critical") if name else None
    if policy is None:
        return None
    oncall = shift.person_id if shift else None
    for step in range(len(policy.steps)):
        for resolved in resolve_step(workspace, policy, step, at, critical=True):
            for person in resolved.persons:
                if person != oncall:
                    return person
    return None


def _target_public(resolved, name: Callable[[str | None], str | None]) -> dict:
    """One target of a preview's level: whom it reaches (ids, and names beside them), whom quiet hours hold back
    and until when (their page is sent then), and why a channel reaches nobody."""
    out = {
        "kind": resolved.target.kind,
        "id": resolved.target.id,
        "persons": list(resolved.persons),
        "person_names": [name(p) for p in resolved.persons],
        "held": list(resolved.held),
        "held_names": [name(p) for p in resolved.held],
    }
    if resolved.target.kind == "person":
        out["name"] = name(resolved.target.id)
    if resolved.held_until is not None:
        out["held_until"] = resolved.held_until.isoformat()
    if resolved.missing:  # a channel the policy names that no longer exists
        out["missing"] = True
    if resolved.unusable:  # a channel disabled, or of a type switched off: it reaches nobody
        out["unusable"] = resolved.unusable
    if resolved.deleted:  # a person deleted since (a stored policy's or on-call's): they are paged by nobody
        out["deleted"] = True
    return out


def escalation_preview(
    service: OncallService,
    workspace: str,
    *,
    service_name: str | None,
    severity: str,
    minutes_elapsed: float,
    now: datetime,
) -> dict:
    """Who the policy for (service, severity) pages when, counted from an incident opened
    ``minutes_elapsed`` ago; each step's targets are resolved at the moment it fires."""
    policy = service.select_policy(workspace, service_name, severity)
    base = {"service": service_name, "severity": severity, "minutes_elapsed": minutes_elapsed}
    if policy is None:
        return {**base, "policy": None, "current_level": None, "current_repeat": None, "levels": [], "next": None}
    opened = now - timedelta(minutes=minutes_elapsed)
    levels, offset, name, reads = [], 0, person_names(workspace), StepReads()
    for page in plan(policy):
        at = opened + timedelta(seconds=offset)
        resolved = resolve_step(workspace, policy, page.step, at, critical=severity == "critical", reads=reads)
        at_seconds = offset
        # as the engine does: a step that reaches nobody (nobody on call, a channel gone, disabled or switched off)
        # is not waited on
        if any(r.reached for r in resolved):
            offset += policy.steps[page.step].delay_seconds
        levels.append(
            {
                "level": page.step + 1,
                "repeat": page.repeat,
                "at_minutes": round(at_seconds / 60, 2),
                "at": at.isoformat(),
                "status": "paged" if at <= now else "upcoming",
                "targets": [_target_public(r, name) for r in resolved],
            }
        )
    paged = [level for level in levels if level["status"] == "paged"]
    upcoming = next((level for level in levels if level["status"] == "upcoming"), None)
    return {
        **base,
        "policy": {"id": policy.id, "name": policy.name, "repeat": policy.repeat},
        "current_level": paged[-1]["level"] if paged else None,
        "current_repeat": paged[-1]["repeat"] if paged else None,  # which round of the steps (0: the first)
        # every step of every round paged: the escalation ended, nobody else is paged until someone acknowledges
        "ended": bool(paged) and upcoming is None,
        "levels": levels,
        "next": None
        if upcoming is None
        else {
            "level": upcoming["level"],
            "repeat": upcoming["repeat"],
            "in_minutes": round(upcoming["at_minutes"] - minutes_elapsed, 2),
        },
    }


def escalations_named(workspace: str, items: list[dict]) -> list[dict]:
    """The escalations (`engine.status_of`) as a person reads them, their ids kept: each with ``names`` (id -> name of
    each person or API key its reason and pages name) and ``reason_text`` (its reason, "acknowledged by …", with each
    id shown as "name (id)"), resolved when read as the timeline's are (`incidents.timeline_names`)."""
    from pagerless.incidents import timeline_names

    entries = [
        {
            "message": item["reason"] or "",
            "actor": "",
            "data": {
                "targets": [t for page in item["pages"] for t in page.get("targets") or []],
                "held": [p for page in item["pages"] for p in page.get("held") or []],
            },
        }
        for item in items
    ]
    said = timeline_names.named(workspace, entries)
    return [{**item, "names": s["names"], "reason_text": s["text"]} for item, s in zip(items, said, strict=True)]
