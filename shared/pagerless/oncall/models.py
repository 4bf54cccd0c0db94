"""The documents users write (schedules, overrides, policies, quiet hours), validated, and their
conversion to the pure resolution types."""

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pagerless.clock import known_zone, parse_time
from pagerless.domain.schema_docs import documented
from pagerless.oncall import policies, schedules
from pagerless.oncall.occurrences import (
    NEVER,
    NOT_FOUND,
    findable,
    local_rrule,
    never_occurs,
    time_parts_out_of_range,
    turnless,
)

# Dates and moments a schedule can be resolved at: lookups step days and weeks past what they are
# given, which Python's datetime cannot do near year 1 or 9999 (every lookup then failed, so a
# schedule holding such a date paged nobody).
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)
RANGE = "must be from 1970-01-01 and before 3000-01-01"


def _supported_moment(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(RANGE)
    return value


def _supported_date(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(RANGE)
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_supported_moment)]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Name = Field(min_length=1, max_length=200)
PersonId = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.@:+-]+$")


def _zone(value: str) -> str:
    return known_zone(value)


def _wall_time(whose: str):
    """A validator: a local time is wall time in ``whose`` zone, so an offset ("09:00+08:00",
    "09:00Z") is refused rather than dropped; resolution would otherwise ignore it, or fail."""

    def check(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError(f"a local wall time in the {whose} time zone, without an offset")
        return value

    return classmethod(check)


class RestrictionIn(BaseModel):
    days: list[Weekday] = Field(default_factory=lambda: list(schedules.WEEKDAYS), min_length=1)
    start: time
    end: time

    _local = field_validator("start", "end")(_wall_time("schedule's"))


class LayerIn(BaseModel):
    name: str = Name
    participants: list[str] = Field(min_length=1, max_length=100, description="person ids, in rotation order")
    rotation_start: Annotated[date, AfterValidator(_supported_date)] = Field(
        description="the local date of the first handoff"
    )
    handoff_time: time = Field(default=time(9, 0), description="local wall time of each handoff, e.g. 09:00")
    rrule: str = Field(default="FREQ=WEEKLY", max_length=500, description="RFC 5545 RRULE of the handoffs")
    restrictions: list[RestrictionIn] = Field(default_factory=list, max_length=20)

    _local = field_validator("handoff_time")(_wall_time("schedule's"))

    @field_validator("participants")
    @classmethod
    def _participants(cls, value: list[str]) -> list[str]:
        for person in value:
            if not person or len(person) > 200 or not all(c.isalnum() or c in "_.@:+-" for c in person):
                raise ValueError(f"invalid person id {person!r}")
        return value

    @field_validator("rrule")
    @classmethod
    def _rrule(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip().removeprefix("RRULE:")
        if "DTSTART" in value.upper() or "FREQ=" not in value.upper():
            raise ValueError("rrule needs FREQ and no DTSTART (rotation_start and handoff_time give the start)")
        checked = local_rrule(value, ZoneInfo("UTC"))  # ValueError naming UNTIL's forms
        if turnless(checked):
            raise ValueError("rrule INTERVAL and COUNT must be whole numbers of at least 1")
        if message := time_parts_out_of_range(checked):
            raise ValueError(message)
        # the rule's start: a part the rule leaves out (a YEARLY rule's day) is the start's
        start = datetime.combine(
            info.data.get("rotation_start", date(2026, 1, 1)), info.data.get("handoff_time", time())
        )
        try:
            rule = rrulestr(checked, dtstart=start)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"invalid rrule: {exc}") from exc
        if never_occurs(checked, start):
            raise ValueError(NEVER)
        if not findable(rule, start):
            raise ValueError(NOT_FOUND)
        if value.upper().find("FREQ=SECONDLY") >= 0 or value.upper().find("FREQ=MINUTELY") >= 0:
            raise ValueError("rotations hand over at most hourly")
        return value


class ScheduleIn(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "name": "payments primary",
                "timezone": "Europe/Berlin",
                "services": ["payments-api"],
                "layers": [
                    {
                        "name": "weekly",
                        "participants": ["per_1a2b3c4d", "per_5e6f7a8b"],
                        "rotation_start": "2026-03-02",
                        "handoff_time": "09:00",
                        "rrule": "FREQ=WEEKLY",
                    }
                ],
            },
            name="The schedule's name.",
            team="The team it belongs to.",
        )
    )
    name: str = Name
    timezone: str = Field(description="IANA zone the handoffs and restrictions are in, e.g. Europe/Berlin")
    team: str | None = Field(default=None, max_length=200)
    services: list[str] = Field(default_factory=list, max_length=100, description="services this schedule covers")
    layers: list[LayerIn] = Field(min_length=1, max_length=10, description="later layers win where both have someone")

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _zone(v)))


class OverrideIn(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"person_id": "per_5e6f7a8b", "start": "2026-03-14T18:00:00+01:00", "end": "2026-03-15T09:00:00+01:00"},
            person_id="Who is on call instead.",
            start="When the override starts (with a time zone).",
            end="When it ends (with a time zone).",
        )
    )
    person_id: str = PersonId
    start: Moment
    end: Moment

    @model_validator(mode="after")
    def _order(self) -> "OverrideIn":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class TargetIn(BaseModel):
    kind: Literal["person", "schedule", "channel"]
    id: str = Field(min_length=1, max_length=200)


class StepIn(BaseModel):
    delay_seconds: int = Field(ge=1, le=7 * 86400, description="wait after paging this step before the next")
    targets: list[TargetIn] = Field(min_length=1, max_length=20)


class PolicyIn(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "name": "payments critical",
                "steps": [
                    {"delay_seconds": 900, "targets": [{"kind": "schedule", "id": "sch_primary"}]},
                    {"delay_seconds": 900, "targets": [{"kind": "person", "id": "per_1a2b3c4d"}]},
                ],
                "repeat": 1,
                "services": ["payments-api"],
                "severities": ["critical"],
            },
            name="The policy's name.",
            steps="Who is paged, in order, each after its delay.",
        )
    )
    name: str = Name
    steps: list[StepIn] = Field(min_length=1, max_length=20)
    repeat: int = Field(default=0, ge=0, le=10, description="how many more times to run all steps")
    services: list[str] = Field(default_factory=list, max_length=100, description="empty: every service")
    severities: list[Literal["critical", "high", "warning", "info"]] = Field(
        default_factory=lambda: list(policies.DEFAULT_SEVERITIES), description="empty: every severity"
    )


class QuietHoursIn(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"timezone": "Asia/Shanghai", "start": "22:00", "end": "07:30"},
            timezone="IANA time zone of the quiet hours.",
            start="Local time they start.",
            end="Local time they end (may be after midnight).",
        )
    )
    timezone: str
    start: time
    end: time

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _zone(v)))
    _local = field_validator("start", "end")(_wall_time("quiet hours'"))

    @model_validator(mode="after")
    def _not_empty(self) -> "QuietHoursIn":
        if self.start == self.end:
            raise ValueError("start and end are the same time: the quiet hours would hold nothing back")
        return self


def _time(value: str) -> time:
    # Documents stored before offsets were refused may carry one: the time is the zone's wall time.
    return time.fromisoformat(value).replace(tzinfo=None)


def _within(moment: datetime) -> datetime:
    """A stored moment brought into the supported range (one stored before the range was checked: an
    override "for ever", until 9999-12-31, now lasts until 3000), so lookups can step past it."""
    return min(max(moment, EARLIEST), LATEST)


def to_schedule(doc: dict, overrides: list[dict] = ()) -> schedules.Schedule:
    layers = tuple(
        schedules.Layer(
            name=layer["name"],
            participants=tuple(layer["participants"]),
            rotation_start=min(date.fromisoformat(layer["rotation_start"]), LATEST.date()),
            handoff_time=_time(layer["handoff_time"]),
            rrule=layer["rrule"],
            restrictions=tuple(
                schedules.Restriction(_time(r["start"]), _time(r["end"]), tuple(r["days"]))
                for r in layer.get("restrictions") or []
            ),
        )
        for layer in doc["layers"]
    )
    return schedules.Schedule(
        doc["id"],
        doc["name"],
        doc["timezone"],
        layers,
        tuple(  # oldest first: where overrides overlap, the newest wins (the store lists them by id)
            schedules.Override(o["id"], o["person_id"], _within(parse_time(o["start"])), _within(parse_time(o["end"])))
            for o in sorted(overrides, key=lambda o: o.get("created_at") or "")
        ),
    )


def to_policy(doc: dict) -> policies.Policy:
    return policies.Policy(
        id=doc["id"],
        name=doc["name"],
        repeat=int(doc.get("repeat", 0)),
        steps=tuple(
            policies.Step(int(s["delay_seconds"]), tuple(policies.Target(t["kind"], t["id"]) for t in s["targets"]))
            for s in doc["steps"]
        ),
        services=tuple(doc.get("services") or ()),
        severities=tuple(doc.get("severities") or ()),
        created_at=doc.get("created_at", ""),
    )


def to_quiet_hours(doc: dict | None) -> policies.QuietHours | None:
    if not doc:
        return None
    return policies.QuietHours(doc["timezone"], _time(doc["start"]), _time(doc["end"]))
