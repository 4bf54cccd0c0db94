"""On-call: schedules, overrides, who is on call, rendered shifts, iCal export, quiet hours."""

from datetime import datetime, timedelta
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from pagerless.api.conditional import CONDITIONAL_PUT, CREATED, READ, IfMatchDep, tagged
from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep, OperatorDep, ViewerDep
from pagerless.clock import utcnow
from pagerless.domain.preconditions import FIRST_VERSION
from pagerless.oncall import ical, views
from pagerless.oncall.models import Moment, OverrideIn, QuietHoursIn, ScheduleIn
from pagerless.oncall.service import OncallService

router = APIRouter(tags=["oncall"], route_class=DeferredRoute)


@cache
def oncall_service() -> OncallService:
    return OncallService()


OncallDep = Annotated[OncallService, Depends(oncall_service)]
At = Annotated[Moment | None, Query(description="a moment with its offset; default now")]
Start = Annotated[Moment | None, Query(description="range start with offset; default now")]
End = Annotated[Moment | None, Query(description="range end with offset; default start + 14 days")]


def _range(start: datetime | None, end: datetime | None, days: int = 14) -> tuple[datetime, datetime]:
    start = start or utcnow()
    return start, end or start + timedelta(days=days)


@router.get("/oncall/current")  # seed 002's own path
@router.get("/api/oncall/current")
def current_oncall(
    principal: ViewerDep,
    service: OncallDep,
    schedule: str | None = None,
    service_name: Annotated[str | None, Query(alias="service")] = None,
    at: At = None,
) -> dict:
    """Who is on call for a schedule or a service at a moment (seed 002's shape plus the shift)."""
    return views.current(
        service, principal.workspace, schedule_id=schedule, service_name=service_name, at=at or utcnow()
    )


@router.get("/api/oncall/schedules")
def list_schedules(principal: ViewerDep, service: OncallDep) -> dict:
    """Schedules of the workspace."""
    return {"items": service.list_schedules(principal.workspace)}


@router.post("/api/oncall/schedules", status_code=201, responses=CREATED)
def create_schedule(body: ScheduleIn, principal: AdminDep, service: OncallDep, response: Response) -> dict:
    """Create a schedule (timezone, layers with rotations and restrictions); answers its ETag."""
    return tagged(response, service.create_schedule(principal.workspace, body, principal.key_id), FIRST_VERSION)


@router.get("/api/oncall/schedules/{schedule_id}", responses=READ)
def get_schedule(schedule_id: str, principal: ViewerDep, service: OncallDep, response: Response) -> dict:
    """One schedule, with its ETag."""
    return tagged(response, *service.read_schedule(principal.workspace, schedule_id))


@router.put("/api/oncall/schedules/{schedule_id}", responses=CONDITIONAL_PUT)
def update_schedule(
    schedule_id: str,
    body: ScheduleIn,
    principal: AdminDep,
    service: OncallDep,
    if_match: IfMatchDep,
    response: Response,
) -> dict:
    """Replace a schedule's definition (its overrides stay); with If-Match, only the version read."""
    return tagged(
        response, *service.update_schedule(principal.workspace, schedule_id, body, principal.key_id, if_match)
    )


@router.delete("/api/oncall/schedules/{schedule_id}", status_code=204)
def delete_schedule(schedule_id: str, principal: AdminDep, service: OncallDep) -> Response:
    """Delete a schedule and its overrides (409 while a policy targets it)."""
    service.delete_schedule(principal.workspace, schedule_id)
    return Response(status_code=204)


@router.get("/api/oncall/schedules/{schedule_id}/shifts")
def schedule_shifts(
    schedule_id: str, principal: ViewerDep, service: OncallDep, start: Start = None, end: End = None
) -> dict:
    """The final schedule for a range: layers, restrictions and overrides resolved into shifts."""
    start, end = _range(start, end)
    return views.rendered(service, principal.workspace, schedule_id, start, end)


@router.get(
    "/api/oncall/schedules/{schedule_id}/ical",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def schedule_ical(
    schedule_id: str, principal: ViewerDep, service: OncallDep, start: Start = None, end: End = None
) -> Response:
    """The final schedule as an iCalendar (RFC 5545) feed, one event per shift."""
    start, end = _range(start or utcnow() - timedelta(days=7), end, days=35)
    views.rendered(service, principal.workspace, schedule_id, start, end)  # validates the range
    schedule = service.schedule(principal.workspace, schedule_id)
    shifts = ical.feed_shifts(schedule, start, end)
    name = views.person_names(principal.workspace)
    body = ical.calendar(schedule.id, schedule.name, shifts, now=utcnow(), person_name=name)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{schedule.id}.ics"'},
    )


@router.get("/api/oncall/schedules/{schedule_id}/overrides")
def list_overrides(schedule_id: str, principal: ViewerDep, service: OncallDep) -> dict:
    """Overrides of a schedule, by start."""
    return {"items": service.list_overrides(principal.workspace, schedule_id)}


@router.post("/api/oncall/schedules/{schedule_id}/overrides", status_code=201)
def create_override(schedule_id: str, body: OverrideIn, principal: OperatorDep, service: OncallDep) -> dict:
    """Let a person cover a window of the schedule."""
    return service.create_override(principal.workspace, schedule_id, body, principal.key_id)


@router.delete("/api/oncall/schedules/{schedule_id}/overrides/{override_id}", status_code=204)
def delete_override(schedule_id: str, override_id: str, principal: OperatorDep, service: OncallDep) -> Response:
    """Remove an override."""
    service.delete_override(principal.workspace, schedule_id, override_id)
    return Response(status_code=204)


@router.get("/api/oncall/quiet-hours/{person_id}", responses=READ)
def get_quiet_hours(person_id: str, principal: ViewerDep, service: OncallDep, response: Response) -> dict:
    """A person's quiet hours (non-critical pages are held back in them), with their ETag."""
    return tagged(response, *service.read_quiet_hours(principal.workspace, person_id))


@router.put("/api/oncall/quiet-hours/{person_id}", responses=CONDITIONAL_PUT)
def put_quiet_hours(
    person_id: str,
    body: QuietHoursIn,
    principal: OperatorDep,
    service: OncallDep,
    if_match: IfMatchDep,
    response: Response,
) -> dict:
    """Set a person's quiet hours (local times in their timezone); with If-Match, only over the version read."""
    return tagged(response, *service.put_quiet_hours(principal.workspace, person_id, body, if_match))


@router.delete("/api/oncall/quiet-hours/{person_id}", status_code=204)
def delete_quiet_hours(person_id: str, principal: OperatorDep, service: OncallDep) -> Response:
    """Remove a person's quiet hours."""
    service.delete_quiet_hours(principal.workspace, person_id)
    return Response(status_code=204)
