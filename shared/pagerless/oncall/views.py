"""What the on-call API answers: who is on call now (seed 002's shape), a rendered schedule, and
who an escalation would page when."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pagerless.domain.errors import ValidationError
from pagerless.oncall import lookup, schedules
from pagerless.oncall.policies import plan
from pagerless.oncall.service import OncallService

MAX_RANGE = timedelta(days=366)


def shift_public(shift: schedules.Shift, zone: ZoneInfo) -> dict:
    return {
        "start": shift.start.astimezone(zone).isoformat(),
        "end": shift.end.astimezone(zone).isoformat(),
        "person_id": shift.person_id,
        "layer": shift.layer,
        "rotation_index": shift.rotation_index,
        "override_id": shift.override_id,
    }


def rendered(service: OncallService, workspace: str, schedule_id: str, start: datetime, end: datetime) -> dict:
    if end <= start or end - start > MAX_RANGE:
        raise ValidationError("end must be after start and at most 366 days later", details=[{"field": "end"}])
    schedule = service.schedule(workspace, schedule_id)
    zone = ZoneInfo(schedule.timezone)
    return {
        "schedule_id": schedule.id,
        "name": schedule.name,
        "timezone": schedule.timezone,
        "start": start.astimezone(zone).isoformat(),
        "end": end.astimezone(zone).isoformat(),
        "shifts": [shift_public(s, zone) for s in schedules.render(schedule, start, end)],
    }


def current(
    service: OncallService, workspace: str, *, schedule_id: str | None, service_name: str | None, at: datetime
) -> dict:
    """Seed 002's `/oncall/current`: service, oncall, team, escalation_contact, week_number, rotation_index."""
    if bool(schedule_id) == bool(service_name):
        raise ValidationError(
            "give exactly one of schedule or service", details=[{"field": "schedule"}, {"field": "service"}]
        )
    docs = (
        [service.get_schedule(workspace, schedule_id)]
        if schedule_id
        else service.schedules_for_service(workspace, service_name)
    )
    doc, others = docs[0], docs[1:]  # others: schedules stored listing the service too, before that was refused
    schedule = service.schedule(workspace, doc["id"])
    shift = lookup.on_call(schedule, at)
    zone = ZoneInfo(schedule.timezone)
    name = service_name or next(iter(doc.get("services") or []), None)
    return {
        "service": name,
        "oncall": shift.person_id if shift else None,
        "team": doc.get("team"),
        "escalation_contact": _escalation_contact(service, workspace, name, shift, at),
        "week_number": at.astimezone(zone).isocalendar().week,
        "rotation_index": shift.rotation_index if shift else None,
        "schedule_id": doc["id"],
        "schedule_name": doc["name"],
        "layer": shift.layer if shift else None,
        "override_id": shift.override_id if shift else None,
        "shift_start": shift.start.astimezone(zone).isoformat() if shift else None,
        "shift_end": shift.end.astimezone(zone).isoformat() if shift and shift.end else None,  # None: no handoff ahead
        "at": at.astimezone(zone).isoformat(),
        # True when schedules stored before one service had one schedule list it too: the oldest answers, the
        # others are named, so the answer never depends on their names and nobody takes it as the only one
        "ambiguous": bool(others),
        "other_schedules": [{"schedule_id": d["id"], "schedule_name": d["name"]} for d in others],
    }


def _escalation_contact(service: OncallService, workspace: str, name: str | None, shift, at: datetime) -> str | None:
    """The first person the service's critical policy reaches after the on-call person."""
    policy = service.select_policy(workspace, name, "critical") if name else None
    if policy is None:
        return None
    oncall = shift.person_id if shift else None
    for step in range(len(policy.steps)):
        for resolved in service.resolve_step(workspace, policy, step, at, critical=True):
            for person in resolved.persons:
                if person != oncall:
                    return person
    return None


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
        return {**base, "policy": None, "current_level": None, "levels": [], "next": None}
    opened = now - timedelta(minutes=minutes_elapsed)
    levels, offset = [], 0
    for page in plan(policy):
        at = opened + timedelta(seconds=offset)
        resolved = service.resolve_step(workspace, policy, page.step, at, critical=severity == "critical")
        at_seconds = offset
        # as the engine does: a step that reaches nobody (nobody on call) is not waited on
        if any(r.reached for r in resolved):
            offset += policy.steps[page.step].delay_seconds
        levels.append(
            {
                "level": page.step + 1,
                "repeat": page.repeat,
                "at_minutes": round(at_seconds / 60, 2),
                "at": at.isoformat(),
                "status": "paged" if at <= now else "upcoming",
                "targets": [
                    {"kind": r.target.kind, "id": r.target.id, "persons": list(r.persons), "held": list(r.held)}
                    | ({"missing": True} if r.missing else {})  # a channel the policy names that no longer exists
                    for r in resolved
                ],
            }
        )
    paged = [level for level in levels if level["status"] == "paged"]
    upcoming = next((level for level in levels if level["status"] == "upcoming"), None)
    return {
        **base,
        "policy": {"id": policy.id, "name": policy.name, "repeat": policy.repeat},
        "current_level": paged[-1]["level"] if paged else None,
        "levels": levels,
        "next": None
        if upcoming is None
        else {
            "level": upcoming["level"],
            "repeat": upcoming["repeat"],
            "in_minutes": round(upcoming["at_minutes"] - minutes_elapsed, 2),
        },
    }
