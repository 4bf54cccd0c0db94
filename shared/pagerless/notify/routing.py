"""Routes: which channels hear of which incident, first match wins unless a route says ``continue``.

A route matches on severity, service, namespace, labels and event (each optional; lists mean
"any of"); ``active_times`` restricts it to some hours, ``mute_times`` silences it (timezone
aware). Seed 002's shape (``default_rules`` by severity plus ``service_overrides``) is accepted
and compiled into routes: overrides first, then the defaults. Pure functions: no I/O here.

Jobs without an incident (``report.ready``, ``oncall.handoff``, ``test``) have severity ``info``
and no service, namespace or labels. So a route selects them when it has no severity, service,
namespace or label filter (a catch-all), or by naming them: ``match: {events: [report.ready]}``.
Put such an events route before the catch-all so reports go to their own channel; a route that
filters on severity (other than ``info``) or service never hears of a report.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pagerless.clock import zone_field
from pagerless.outbox.jobs import EVENTS

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class TimeInterval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    weekdays: list[str] = Field(default_factory=list, description="mon..sun; empty means every day")
    start: str = "00:00"
    end: str = "24:00"

    _zone = field_validator("timezone")(classmethod(lambda cls, value, info: zone_field(value, info)))

    @field_validator("weekdays")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = [d.lower()[:3] for d in value]
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"weekdays must be among {', '.join(WEEKDAYS)}")
        return days

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        _minutes(value)
        return value

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        if self.weekdays and WEEKDAYS[local.weekday()] not in self.weekdays:
            return False
        minute = local.hour * 60 + local.minute
        start, end = _minutes(self.start), _minutes(self.end)
        return start <= minute < end if start <= end else (minute >= start or minute < end)


class RouteMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: list[str] = Field(default_factory=list)
    service: list[str] = Field(default_factory=list)
    namespace: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    events: list[str] = Field(default_factory=list)

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        bad = [e for e in value if e not in EVENTS]
        if bad:
            raise ValueError(f"unknown events {bad}; known: {', '.join(EVENTS)}")
        return value


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = ""
    match: RouteMatch = Field(default_factory=RouteMatch)
    channels: list[str] = Field(default_factory=list, description="channel ids, names, or types")
    continue_: bool = Field(default=False, alias="continue")
    active_times: list[TimeInterval] = Field(default_factory=list)
    mute_times: list[TimeInterval] = Field(default_factory=list)


class RouteSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routes: list[Route] = Field(default_factory=list, max_length=200)


def matches(route: Route, facts: dict, at: datetime) -> bool:
    m = route.match
    if m.severity and str(facts.get("severity", "")).lower() not in [s.lower() for s in m.severity]:
        return False
    if m.service and facts.get("service") not in m.service:
        return False
    if m.namespace and facts.get("namespace") not in m.namespace:
        return False
    labels = facts.get("labels") or {}
    if any(labels.get(k) != v for k, v in m.labels.items()):
        return False
    if m.events and facts.get("event") not in m.events:
        return False
    if route.active_times and not any(i.contains(at) for i in route.active_times):
        return False
    return not any(i.contains(at) for i in route.mute_times)


def resolve(route_set: RouteSet, facts: dict, at: datetime | None = None) -> list[str]:
    """The channel references of the matching routes, in order, without repeats."""
    at = at or datetime.now(UTC)
    chosen: list[str] = []
    for route in route_set.routes:
        if matches(route, facts, at):
            chosen += [c for c in route.channels if c not in chosen]
            if not route.continue_:
                break
    return chosen


def from_seed(document: dict) -> RouteSet:
    """Seed 002's ``{"default_rules": {sev: [channels]}, "service_overrides": {svc: {sev: [...]}}}``."""
    routes: list[Route] = []
    for service, rules in (document.get("service_overrides") or {}).items():
        for severity, channels in (rules or {}).items():
            routes.append(
                Route(
                    name=f"{service}/{severity}",
                    channels=list(channels),
                    match=RouteMatch(service=[service], severity=[severity]),
                )
            )
    for severity, channels in (document.get("default_rules") or {}).items():
        routes.append(Route(name=f"default/{severity}", channels=list(channels), match=RouteMatch(severity=[severity])))
    return RouteSet(routes=routes)


def to_seed(route_set: RouteSet) -> dict:
    """The seed 002 view of the routes that fit it (severity, optionally with one service)."""
    default_rules: dict[str, list[str]] = {}
    overrides: dict[str, dict[str, list[str]]] = {}
    for route in route_set.routes:
        m = route.match
        if m.namespace or m.labels or m.events or route.active_times or route.mute_times or len(m.service) > 1:
            continue
        for severity in m.severity:
            if m.service:
                overrides.setdefault(m.service[0], {}).setdefault(severity, route.channels)
            else:
                default_rules.setdefault(severity, route.channels)
    return {"default_rules": default_rules, "service_overrides": overrides}


def _minutes(value: str) -> int:
    try:
        hours, minutes = value.split(":")
        total = int(hours) * 60 + int(minutes)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not HH:MM") from exc
    if not 0 <= total <= 24 * 60 or not 0 <= int(minutes) < 60:
        raise ValueError(f"{value!r} is not HH:MM")
    return total


__all__ = ["Route", "RouteSet", "TimeInterval", "from_seed", "resolve", "to_seed"]
