"""Time, in one place: the clock every module reads and the one lenient timestamp parser.

``parse_time`` reads what vendors, Kubernetes and our own records write: RFC 3339 / ISO 8601
(``Z``, ``z``, ``+hh:mm`` or ``+hhmm`` offsets, any number of fraction digits; no offset means
UTC) and epoch numbers in seconds, milliseconds, microseconds or nanoseconds (the magnitude tells
which). Absent, empty, unreadable values and Go's zero time give None: a bad timestamp never
rejects the rest of a payload. The strict parser of API time filters is ``api.timefilter``.
"""

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

_GO_ZERO_TIME = re.compile(r"^0001-01-01T00:00:00(\.0+)?(Z|[+-]00:?00)?$")
_EPOCH = re.compile(r"^\d+(\.\d+)?$")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


# Names the zone database holds that are no IANA zone: the server's own zone (it differs between
# Lambda and a laptop), tzcode's placeholder, its POSIX rules file, and the two copies of the database
# some systems keep (posix/..., right/...: the latter counts leap seconds).
_NOT_ZONES = frozenset({"localtime", "factory", "posixrules"})
_NOT_ZONE_FOLDERS = ("posix/", "right/")


# The pydantic validation context of a document read back from the store.
STORED = {"stored": True}
# What a stored `localtime` is read as: the zone it named where Pagerless runs (AWS Lambda's is UTC)
SERVER_ZONE = "UTC"


@cache
def read_localtime_as_utc() -> None:
    """Say once per process that a stored zone `localtime` is read as UTC (this module is below the
    observability one: the standard logger, which Lambda's runtime and the test logs both collect)."""
    logging.getLogger(__name__).warning(
        "a stored time zone 'localtime' is read as UTC (what it is on AWS Lambda); set an IANA zone to change it"
    )


def stored_zone(value: str) -> str:
    """A time zone as a stored document is read: `localtime`, saved before it was refused, follows the
    zone of the machine reading it (UTC on Lambda, a laptop's own elsewhere), so it is read as UTC on
    every machine, and said once; any other as stored."""
    if value.casefold() != "localtime":
        return value
    read_localtime_as_utc()
    return SERVER_ZONE


def known_zone(value: str, *, stored: bool = False) -> str:
    """``value`` if it names an IANA time zone, else ValueError (for a pydantic validator's message).
    ZoneInfo raises several types for a bad key: ZoneInfoNotFoundError, ValueError for a malformed
    one, and OSError for a folder of the database ("America"); it accepts the names in _NOT_ZONES
    and its folders, which are refused here, except in a ``stored`` document: one saved before they
    were refused still loads (its routes, policy or reports keep working; `localtime` as UTC:
    `stored_zone`). The one check of a zone every area uses."""
    from zoneinfo import ZoneInfo

    if stored:
        value = stored_zone(value)
    folded = value.casefold()
    if not stored and (folded in _NOT_ZONES or folded.startswith(_NOT_ZONE_FOLDERS)):
        raise ValueError(f"{value!r} is not an IANA time zone: name one, such as Europe/Berlin or UTC")
    try:
        ZoneInfo(value)
    except (KeyError, ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def zone_field(value: str, info) -> str:
    """`known_zone` as a pydantic field validator; a model validated with context STORED is stored."""
    return known_zone(value, stored=bool(info.context and info.context.get("stored")))


# When the running Lambda invocation is cut off (a time.monotonic() value); None outside one.
_invocation_deadline: ContextVar[float | None] = ContextVar("invocation_deadline", default=None)


@contextmanager
def invocation(remaining_seconds: float | None) -> Iterator[None]:
    """Within: the running invocation may last ``remaining_seconds`` more (the Lambda context's
    remaining time; None: no limit known)."""
    deadline = None if remaining_seconds is None else time.monotonic() + remaining_seconds
    token = _invocation_deadline.set(deadline)
    try:
        yield
    finally:
        _invocation_deadline.reset(token)


def invocation_seconds_left() -> float | None:
    """Seconds before the running Lambda invocation is cut off; None outside one (tests, the CLI)."""
    deadline = _invocation_deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def until_stale(claimed_at: datetime | None, stale_after: timedelta, now: datetime) -> float:
    """Seconds (at least 1) until a claim taken at ``claimed_at`` may be taken over: when a retry
    succeeds even if the holder of the claim has died."""
    if claimed_at is None:
        return stale_after.total_seconds()
    return max(1.0, (claimed_at + stale_after - now).total_seconds())


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from RFC 3339 text, a datetime or an epoch number; None if absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    raw = str(value).strip()
    if not raw or _GO_ZERO_TIME.match(raw):
        return None
    if _EPOCH.match(raw):
        return _from_epoch(float(raw))
    iso = raw.replace("Z", "+00:00").replace("z", "+00:00")
    iso = _COMPACT_OFFSET.sub(r"\1:\2", _FRACTION.sub(r"\1", iso))
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# The names of UTC itself: a card "in" one of them reads as a card in no zone does (``... 14:03 UTC``)
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "Etc/UCT", "UCT"})


def reading_zone(value: Any) -> str | None:
    """The zone a stored setting names for people to read times in (a channel's ``timezone``, a person's), or None
    for UTC: absent, a name of UTC itself, or one the zone database no longer holds (a stored value is never a
    reason to fail a message; `known_zone` refused it when it was written)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        zone = known_zone(value, stored=True)
    except ValueError:
        return None
    return None if zone in UTC_NAMES else zone


def display_time(value: Any, zone: str | None = None) -> str:
    """``value`` (anything `parse_time` reads) as a person reads it: to the minute, the zone named. In UTC
    (``zone`` None or a name of UTC: `reading_zone`) ``2026-12-06 14:03 UTC``; in another zone its wall clock and
    its offset from UTC, ``2026-12-06 22:03 UTC+08:00`` (Asia/Shanghai), which no reader can take for another
    zone, as an abbreviation can ("CST" is China's and America's), and which reads the same in an English and a
    Chinese card. The API and the vendors' own fields keep RFC 3339. Text that is no time comes back unchanged."""
    moment = parse_time(value)
    if moment is None:
        return "" if value is None else str(value)
    zone = reading_zone(zone)
    if zone is None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(zone))
    offset = local.utcoffset() or timedelta()
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return local.strftime("%Y-%m-%d %H:%M") + f" UTC{sign}{hours:02d}:{minutes:02d}"


def _from_epoch(number: float) -> datetime | None:
    # Seconds, milliseconds (Opsgenie createdAt, New Relic, CI tools) or nanoseconds (Opsgenie
    # updatedAt): the first unit that gives a plausible year is the one.
    if number <= 0:
        return None
    for divisor in (1, 1e3, 1e6, 1e9):
        seconds = number / divisor
        if seconds < 1e11:
            try:
                return datetime.fromtimestamp(seconds, tz=UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None
