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

A route that could never deliver is refused when it is written, not found out at the next incident: a severity
that is not one of Pagerless's (``critical``, ``high``, ``warning``, ``info``: an alert's ``P1`` or ``sev2`` is
read as one of them at intake, and the route must name that one), and a channel reference that names no channel
(`unresolved`). Routes read back from the store are taken as they are (``context=STORED``).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pagerless.clock import zone_field
from pagerless.domain.severity import Severity, severity_of
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

    @field_validator("severity")
    @classmethod
    def _severities(cls, value: list[str], info) -> list[str]:
        if info.context and info.context.get("stored"):
            return value
        bad = [s for s in value if s.lower() not in SEVERITIES]
        if bad:
            raise ValueError("; ".join(_not_a_severity(s) for s in bad))
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


def pick(channels: list[dict], refs: list[str]) -> list[dict]:
    """Channels named by id, by name, or by type (every channel of that type), in order, once each."""
    chosen: list[dict] = []
    for ref in refs:
        for channel in channels:
            if names(ref, channel) and channel not in chosen:
                chosen.append(channel)
    return chosen


def names(ref: str, channel: dict) -> bool:
    """Whether a route's channel reference names ``channel``: its id, its name, or its type."""
    return ref in (channel["id"], channel["name"], channel["channel_type"])


def unresolved(route_set: RouteSet, channels: list[dict]) -> list[dict]:
    """Each channel reference of the routes that names none of ``channels``: ``{"route", "name", "loc",
    "channel", "message"}``, ``loc`` as pydantic locates a field (``("routes", 0, "channels", 1)``), ``message``
    what a routes document naming it is told."""
    known = "; channels are " + ", ".join(f"{c['name']} ({c['channel_type']}, {c['id']})" for c in channels)
    return [
        {
            "route": i,
            "name": route.name,
            "loc": ("routes", i, "channels", n),
            "channel": ref,
            "message": f"no channel has the id, name or type {ref!r}"
            + (known if channels else "; there are no channels (POST /api/notifications/channels)"),
        }
        for i, route in enumerate(route_set.routes)
        for n, ref in enumerate(route.channels)
        if not any(names(ref, c) for c in channels)
    ]


def sends_nowhere(problems: list[dict]) -> str | None:
    """What `unresolved`'s ``problems`` in stored routes mean, in one sentence (None: there are none)."""
    if not problems:
        return None
    said = [
        f"route {p['route']}" + (f" ({p['name']})" if p["name"] else "") + f" names {p['channel']!r}" for p in problems
    ]
    return "; ".join(said) + ": no channel has that id, name or type, so nothing is sent there"


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
    """Seed 002's ``{"default_rules": {sev: [channels]}, "service_overrides": {svc: {sev: [...]}}}``; a
    pydantic ValidationError names the route (``routes.<n>...``) that `seed_field` names in the document."""
    return RouteSet.model_validate(seed_document(document))


def seed_document(document: dict) -> dict:
    """The seed shaped ``document`` as a ``{"routes": [...]}`` one."""
    return {
        "routes": [
            {"name": name, "channels": channels, "match": match} for _, name, match, channels in _seed_rules(document)
        ]
    }


def seed_field(document: dict, loc: tuple) -> str:
    """Where in the seed shaped ``document`` the compiled route at ``loc`` (``("routes", n, ...)``) came from:
    ``default_rules.critical``, ``service_overrides.payments.critical.0`` for its first channel."""
    rules = list(_seed_rules(document))
    if len(loc) < 2 or loc[0] != "routes" or not isinstance(loc[1], int) or loc[1] >= len(rules):
        return ".".join(str(p) for p in loc)
    field = rules[loc[1]][0]
    return f"{field}.{loc[3]}" if loc[2:3] == ("channels",) and len(loc) > 3 else field


def seed_shape_problems(document: dict) -> list[dict]:
    """What keeps a seed shaped ``document`` from being read at all: ``default_rules`` must map severities to
    channel lists, ``service_overrides`` services to such maps (each problem: its field and a message)."""

    def rules(value, field: str) -> list[dict]:
        if not isinstance(value, dict):
            return [{"field": field, "message": "must be an object of severity: [channels]"}]
        return [
            {"field": f"{field}.{severity}", "message": "must be a list of channels"}
            for severity, channels in value.items()
            if not isinstance(channels, list)
        ]

    problems = rules(document.get("default_rules") or {}, "default_rules")
    overrides = document.get("service_overrides") or {}
    if not isinstance(overrides, dict):
        return [
            *problems,
            {"field": "service_overrides", "message": "must be an object of service: {severity: [channels]}"},
        ]
    for service, value in overrides.items():
        problems += rules(value or {}, f"service_overrides.{service}")
    return problems


def _seed_rules(document: dict):
    """(field, route name, match, channels) of each seed rule, overrides first, in the document's order."""
    for service, rules in (document.get("service_overrides") or {}).items():
        for severity, channels in (rules or {}).items():
            match = {"service": [service], "severity": [severity]}
            yield f"service_overrides.{service}.{severity}", f"{service}/{severity}", match, channels
    for severity, channels in (document.get("default_rules") or {}).items():
        yield f"default_rules.{severity}", f"default/{severity}", {"severity": [severity]}, channels


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


SEVERITIES = tuple(s.value for s in Severity)


def _not_a_severity(value: str) -> str:
    """Why ``value`` is no severity of a route, and the ones there are; a vendor's word for one says which."""
    means = severity_of(value)
    told = f" (an alert's {value!r} is read as {means.value}: write that)" if means is not None else ""
    return f"{value!r} is not a Pagerless severity{told}; severities are {', '.join(SEVERITIES)}"


def _minutes(value: str) -> int:
    try:
        hours, minutes = value.split(":")
        total = int(hours) * 60 + int(minutes)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not HH:MM") from exc
    if not 0 <= total <= 24 * 60 or not 0 <= int(minutes) < 60:
        raise ValueError(f"{value!r} is not HH:MM")
    return total


__all__ = [
    "SEVERITIES",
    "Route",
    "RouteSet",
    "TimeInterval",
    "from_seed",
    "names",
    "resolve",
    "seed_document",
    "seed_field",
    "sends_nowhere",
    "to_seed",
    "unresolved",
]
