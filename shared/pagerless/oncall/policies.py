"""Escalation policies (pure): steps with a delay and targets, a repeat count, which incidents a
policy covers, and who a step pages at a given moment.

A policy runs its steps in order: step 0 is paged at once, each step's ``delay_seconds`` is the
time to wait after paging it before the next step (none after a step that reached nobody: the
engine and the preview go on at once); after the last step the whole list runs again
``repeat`` more times. Which incidents a policy covers is decided by one function,
:func:`select_policy`, so that notification routes can name a policy later without touching the
engine: today a policy matches on service and severity (an empty list matches all), the most
specific match wins (service named > any service), then the oldest policy.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pagerless.domain.severity import Severity

TARGET_KINDS = ("person", "schedule", "channel")
DEFAULT_SEVERITIES = (Severity.CRITICAL.value, Severity.HIGH.value)


@dataclass(frozen=True)
class Target:
    kind: str  # person | schedule | channel
    id: str


@dataclass(frozen=True)
class Step:
    delay_seconds: int
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Policy:
    id: str
    name: str
    steps: tuple[Step, ...]
    repeat: int = 0
    services: tuple[str, ...] = ()  # empty: every service
    severities: tuple[str, ...] = DEFAULT_SEVERITIES  # empty: every severity
    created_at: str = ""


@dataclass(frozen=True)
class QuietHours:
    """A person's local window in which non-critical pages are held back."""

    timezone: str
    start: time
    end: time

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, at: datetime) -> datetime:
        """When the quiet hours that hold ``at`` end (in UTC): the first moment after ``at`` that `contains` no
        longer holds. A window past midnight ends on the next local day when ``at`` is before midnight; an end
        that a DST change skips (02:30 on a spring-forward night) is the moment the clocks jump past it; one
        that happens twice (autumn) is its first, or its second for a moment between the two (the repeated hour
        is back in the quiet hours: the first is past)."""
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone)
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        wall = datetime.combine(day, self.end, tzinfo=zone)  # fold 0: an autumn end's first occurrence
        end = wall.astimezone(UTC)
        if end <= at:  # ``at`` is in the repeated hour, after the end's first occurrence
            return wall.replace(fold=1).astimezone(UTC)
        if end.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
            return end
        return self._gap_end(wall)

    def _gap_end(self, wall: datetime) -> datetime:
        """The moment the clocks jump past ``wall``, a wall time a spring-forward change skips: between its two
        readings (the offset before the change and the one after), the first second out of the quiet hours."""
        low, high = wall.replace(fold=1).astimezone(UTC), wall.replace(fold=0).astimezone(UTC)
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            low, high = (middle, high) if self.contains(middle) else (low, middle)
        return high.replace(microsecond=0)


@dataclass(frozen=True)
class Page:
    """One planned page: step ``step`` of round ``repeat``, ``at_seconds`` after the escalation began."""

    step: int
    repeat: int
    at_seconds: int
    targets: tuple[Target, ...]

    @property
    def generation(self) -> str:
        return f"{self.step}-{self.repeat}"


@dataclass(frozen=True)
class Cursor:
    step: int
    repeat: int


FIRST = Cursor(0, 0)


def select_policy(policies: Iterable[Policy], service: str | None, severity: str) -> Policy | None:
    """The policy an incident of ``service`` and ``severity`` escalates through, or None."""
    matching = [
        p
        for p in policies
        if (not p.severities or severity in p.severities) and (not p.services or (service or "") in p.services)
    ]
    matching.sort(key=lambda p: (0 if p.services else 1, p.created_at, p.id))
    return matching[0] if matching else None


def plan(policy: Policy, start: Cursor = FIRST) -> list[Page]:
    """Every page the policy sends from ``start`` on, with its offset from the escalation's start."""
    pages, offset = [], 0
    cursor: Cursor | None = start
    while cursor is not None:
        step = policy.steps[cursor.step]
        pages.append(Page(cursor.step, cursor.repeat, offset, step.targets))
        offset += step.delay_seconds
        cursor = following(policy, cursor)
    return pages


def following(policy: Policy, cursor: Cursor) -> Cursor | None:
    """The step after ``cursor``, or None when the policy (with its repeats) is exhausted."""
    if cursor.step + 1 < len(policy.steps):
        return Cursor(cursor.step + 1, cursor.repeat)
    if cursor.repeat < policy.repeat:
        return Cursor(0, cursor.repeat + 1)
    return None


@dataclass(frozen=True)
class Resolved:
    """Who a target reaches at a moment: persons (schedules resolved), or the channel itself."""

    target: Target
    persons: tuple[str, ...] = ()
    held: tuple[str, ...] = field(default=())  # persons held back by their quiet hours
    held_until: datetime | None = None  # when the quiet hours of the person held back end (their page is sent then)
    missing: bool = False  # a channel target that names no channel (deleted since the policy named it)
    unusable: str = ""  # why a channel target that names channels sends through none: disabled, type switched off
    deleted: bool = False  # a person the target names (or the schedule's on call) who was deleted since

    @property
    def reached(self) -> bool:
        """Whether the target reaches anyone: a person (held back by quiet hours, paged when they end, too) or a
        channel that exists and may send."""
        if self.target.kind == "channel":
            return not self.missing and not self.unusable
        return bool(self.persons or self.held)


def resolve_targets(
    targets: Iterable[Target],
    at: datetime,
    *,
    on_call: Callable[[str, datetime], str | None],
    quiet_hours: Callable[[str], QuietHours | None],
    critical: bool,
    channel_exists: Callable[[str], bool] = lambda _: True,
    channel_unusable: Callable[[str], str] = lambda _: "",
    person_deleted: Callable[[str], bool] = lambda _: False,
) -> list[Resolved]:
    """Resolve persons through schedules at ``at``; hold back non-critical pages in quiet hours, until they end. A
    channel target that ``channel_exists`` says names no channel is `Resolved.missing`, and one whose channels may
    not send (``channel_unusable`` says why: disabled, its type switched off) is `Resolved.unusable`: either
    reaches nobody. So does a person ``person_deleted`` says was deleted (`Resolved.deleted`): a running
    escalation pages through its copy of the policy, which may name a person the policy no longer does."""
    resolved = []
    for target in targets:
        if target.kind == "channel":
            missing = not channel_exists(target.id)
            resolved.append(Resolved(target, missing=missing, unusable="" if missing else channel_unusable(target.id)))
            continue
        person = target.id if target.kind == "person" else on_call(target.id, at)
        if person is None:
            resolved.append(Resolved(target))
            continue
        if person_deleted(person):
            resolved.append(Resolved(target, deleted=True))
            continue
        quiet = None if critical else quiet_hours(person)
        if quiet is not None and quiet.contains(at):
            resolved.append(Resolved(target, held=(person,), held_until=quiet.ends_after(at)))
        else:
            resolved.append(Resolved(target, persons=(person,)))
    return resolved


def job_targets(resolved: Iterable[Resolved]) -> list[dict]:
    """The NotifyJob targets: each person once, channels as channels (not a missing or unusable one), in order."""
    out, seen = [], set()
    for item in resolved:
        if item.missing or item.unusable:
            continue
        entries = (
            [("person", p) for p in item.persons] if item.target.kind != "channel" else [("channel", item.target.id)]
        )
        for kind, ident in entries:
            if (kind, ident) not in seen:
                seen.add((kind, ident))
                out.append({"kind": kind, "id": ident})
    return out
