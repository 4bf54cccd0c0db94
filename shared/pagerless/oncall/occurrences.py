"""A layer's rrule occurrences (naive wall times) with their counts, found without walking from the
rotation's start where the rule allows it.

Whose turn it is depends on how many occurrences came before, and walking the rule from its start
costs what the rotation's age is: an hourly rotation since 2020 is 50,000 occurrences. A rule that
is FREQ=HOURLY, DAILY or WEEKLY with only INTERVAL, COUNT or UNTIL (and WKST, which changes nothing
without BYDAY) has its occurrences at a fixed *wall-time* step from the start: dateutil fills in the
BYxxx parts from the start (same minute, hour, weekday) and works on naive wall times, so the n-th
occurrence is ``start + n * step`` and the one before a wall time is one floor division away. DST
does not enter here: occurrences are naive wall times and the schedule gives them the zone
afterwards (`schedules.localize`), as it does for counted ones. Any other rule (BYDAY, BYMONTHDAY,
MONTHLY, both COUNT and UNTIL, a form this parser does not know) is counted as before: its
occurrences are not a fixed step apart, and a wrong count would page the wrong person.
tests/unit/oncall/test_occurrences.py compares both ways at many instants.
"""

import calendar
import math
import re
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import count, takewhile
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

_UNTIL = re.compile(r"(?<![A-Z])UNTIL=([^;]*)", re.IGNORECASE)
UNTIL_FORMS = (
    "rrule UNTIL must be a UTC date-time YYYYMMDDTHHMMSSZ (RFC 5545), "
    "or YYYYMMDDTHHMMSS or YYYYMMDD in the schedule's time zone"
)
_STEPS = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}


def local_rrule(rrule: str, zone: ZoneInfo) -> str:
    """The rule with a UTC UNTIL rewritten as the zone's wall time of that moment (occurrences are
    naive wall times); ValueError naming the accepted forms for an UNTIL of any other shape."""
    match = _UNTIL.search(rrule)
    if match is None:
        return rrule
    value = match.group(1).upper()
    if not re.fullmatch(r"\d{8}(T\d{6}Z?)?", value):
        raise ValueError(UNTIL_FORMS)
    if not value.endswith("Z"):
        return rrule
    try:
        moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(UNTIL_FORMS) from exc
    local = moment.astimezone(zone).strftime("%Y%m%dT%H%M%S")
    return rrule[: match.start(1)] + local + rrule[match.end(1) :]


def turnless(rrule: str) -> bool:
    """Whether the rule names no turn: an INTERVAL or a COUNT below 1 (or not a number). dateutil takes
    them, and then repeats the start for ever (INTERVAL=0), fails while counting (INTERVAL=-1), or gives
    no occurrence (COUNT=0). The API refuses them; a stored one has no handoffs (see `occurrences`)."""
    for pair in rrule.upper().split(";"):
        name, _, value = pair.partition("=")
        if name.strip() in ("INTERVAL", "COUNT") and not (value.strip().isdigit() and int(value) >= 1):
            return True
    return False


NEVER = (
    "rrule never hands over: no date has its BYMONTH, BYMONTHDAY, BYYEARDAY and BYDAY, or the rule's "
    "INTERVAL steps over every one (a part the rule leaves out is the rotation start's, as RFC 5545 says)"
)
NOT_FOUND = (
    "rrule has no handover that can be found from the rotation start: it never hands over, or too rarely to look "
    "up (a BYSETPOS past the times of a period, a BYWEEKNO no year has, or an INTERVAL that steps over every BYDAY "
    "and BYHOUR)"
)
_TIME_PARTS = {"BYHOUR": 23, "BYMINUTE": 59, "BYSECOND": 59}
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_LAST_YEAR = 9999  # dateutil stops there (datetime.MAXYEAR)
_LEAP_CYCLE = 400  # Gregorian years repeat which of them are leap years every 400 years (4,800 months)


def time_parts_out_of_range(rrule: str) -> str | None:
    """The first BYHOUR, BYMINUTE or BYSECOND value out of range, named; dateutil takes them and
    then fails at the first lookup."""
    for pair in rrule.upper().split(";"):
        name, _, values = pair.partition("=")
        top = _TIME_PARTS.get(name.strip())
        for value in values.split(",") if top is not None else ():
            if not (value.strip().isdigit() and int(value) <= top):
                return f"rrule {name.strip()} values must be whole numbers from 0 to {top}"
    return None


def _date_parts(rrule: str, start: datetime) -> dict[str, list] | None:
    """The rule's FREQ, INTERVAL and date parts as RFC 5545 reads them from ``start`` (dateutil alike): without
    BYWEEKNO, BYYEARDAY, BYMONTHDAY or BYDAY, a YEARLY rule takes its month and day from the start, a MONTHLY one
    its day, a WEEKLY one its weekday. None for a rule this reading does not know (it is then not judged)."""
    parts: dict[str, str] = {}
    for pair in rrule.upper().split(";"):
        name, sep, value = pair.partition("=")
        if not sep or name.strip() in parts:
            return None
        parts[name.strip()] = value.strip()
    try:
        read = {
            "FREQ": [parts.get("FREQ", "")],
            "INTERVAL": [int(parts.get("INTERVAL", "1"))],
            **{
                name: [int(v) for v in parts[name].split(",")]
                for name in ("BYMONTH", "BYMONTHDAY", "BYYEARDAY")
                if name in parts
            },
        }
        if "BYDAY" in parts:  # "MO", "-1FR": the weekday (a daily rule's n is none of its business)
            read["BYDAY"] = [_WEEKDAYS.index(v.strip().lstrip("+-0123456789")) for v in parts["BYDAY"].split(",")]
    except ValueError:
        return None
    if "BYEASTER" in parts or read["INTERVAL"][0] < 1:
        return None
    if not {"BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY"} & set(parts):
        if read["FREQ"][0] == "YEARLY":
            read.setdefault("BYMONTH", [start.month])
            read["BYMONTHDAY"] = [start.day]
        elif read["FREQ"][0] == "MONTHLY":
            read["BYMONTHDAY"] = [start.day]
        elif read["FREQ"][0] == "WEEKLY":
            read["BYDAY"] = [start.weekday()]
    return read


def _months_with_a_date(parts: dict[str, list]) -> dict[bool, set[int]]:
    """The months (1-12) of a leap year (True) and of a common one (False) that hold a date passing the rule's
    month, month-day and year-day parts: a date's parts are the same in every leap year, and in every common
    year."""
    months, ydays = parts.get("BYMONTH"), parts.get("BYYEARDAY")
    days = parts.get("BYMONTHDAY") or ()
    found: dict[bool, set[int]] = {True: set(), False: set()}
    for year in (2024, 2025):  # one leap year, one common year
        year_length, yday = 365 + calendar.isleap(year), 0
        for month in range(1, 13):
            month_length = calendar.monthrange(year, month)[1]
            for day in range(1, month_length + 1):
                yday += 1
                if months and month not in months:
                    continue
                if days and day not in days and day - month_length - 1 not in days:
                    continue
                if ydays and yday not in ydays and yday - year_length - 1 not in ydays:
                    continue
                found[calendar.isleap(year)].add(month)
    return found


def never_occurs(rrule: str, start: datetime) -> bool:
    """Whether the rule from ``start`` can have no occurrence at all, told without iterating it (dateutil
    walks a rule that never occurs to the year 9999: seconds of a lookup). Sound, not complete: True only
    when no calendar date passes its month, month-day and year-day parts; when a YEARLY or MONTHLY rule's
    INTERVAL steps from the start over every year or month that has one (29 February every fourth year from
    a common year: the years it reaches repeat which of them are leap years every 400 years, so one cycle
    tells); or when a daily rule stepping whole weeks never lands on its BYDAY. It reads the rule's text, with
    the parts RFC 5545 fills in from the start (a YEARLY rule's month and day, a MONTHLY one's day)."""
    parts = _date_parts(rrule, start)
    if parts is None:
        return False
    freq, interval = parts["FREQ"][0], parts["INTERVAL"][0]
    if freq == "DAILY" and interval % 7 == 0 and parts.get("BYDAY") and start.weekday() not in parts["BYDAY"]:
        return True
    months = _months_with_a_date(parts)
    if freq == "YEARLY":
        steps = _LEAP_CYCLE // math.gcd(interval, _LEAP_CYCLE)
        years = (start.year + k * interval for k in range(steps))
        return not any(months[calendar.isleap(y)] for y in takewhile(lambda y: y <= _LAST_YEAR, years))
    if freq == "MONTHLY":
        cycle = 12 * _LEAP_CYCLE
        first = start.year * 12 + start.month - 1
        reached = (divmod(first + k * interval, 12) for k in range(cycle // math.gcd(interval, cycle)))
        in_range = takewhile(lambda ym: ym[0] <= _LAST_YEAR, reached)
        return not any(month + 1 in months[calendar.isleap(year)] for year, month in in_range)
    return not (months[True] or months[False])


WALK_BUDGET = 100_000  # Python calls dateutil may make looking for a rule's first occurrence (0.3-0.8 s)


class _WalkTooLong(Exception):
    """Raised inside dateutil's walk by `findable`'s trace function once the walk's budget is spent."""


def findable(rule, start: datetime, budget: int = WALK_BUDGET) -> bool:
    """Whether dateutil finds the first occurrence of ``rule`` (a dateutil rrule made without ``cache``: an
    interrupted walk would leave a cached one half-filled) from ``start`` within ``budget`` Python calls.

    Where `never_occurs` cannot tell (a BYSETPOS past every period's set, a BYWEEKNO no year has, an hourly
    INTERVAL whose steps miss every BYDAY and BYHOUR), dateutil walks a rule without occurrences period by period
    to the year 9999 (an hourly rule hour by hour: minutes), and it checks UNTIL only against a candidate, so
    nothing in the rule bounds the walk. This budget does. It is counted in calls, through a trace function on
    this thread alone, not in time, so the answer is the same on any machine. A rotation a team uses is found in
    a few hundred calls (a 29 February that is a Monday: 81); a rule found past the budget is treated as never
    handing over."""
    calls = 0

    def spend(frame, event, arg):
        nonlocal calls
        calls += 1
        if calls > budget:
            raise _WalkTooLong
        return None  # no line events: calls only

    traced = sys.gettrace()  # a debugger's or coverage's, put back after
    sys.settrace(spend)
    try:
        return rule.after(start, inc=True) is not None
    except _WalkTooLong:
        return False
    finally:
        sys.settrace(traced)


def _regular(rrule: str, start: datetime) -> tuple[timedelta, int | None] | None:
    """(step, index of the last occurrence or None) of a fixed-step rule, else None."""
    parts: dict[str, str] = {}
    for pair in rrule.upper().split(";"):
        name, sep, value = pair.partition("=")
        if not sep or name in parts:
            return None
        parts[name] = value
    if not set(parts) <= {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"} or parts.get("FREQ") not in _STEPS:
        return None
    if "COUNT" in parts and "UNTIL" in parts:
        return None
    try:
        step = _STEPS[parts["FREQ"]] * int(parts.get("INTERVAL", "1"))
        if step <= timedelta(0):
            return None
        if "COUNT" in parts:
            last = int(parts["COUNT"]) - 1
            return (step, last) if last >= 0 else None
        if "UNTIL" in parts:
            value = parts["UNTIL"]
            until = datetime.strptime(value, "%Y%m%dT%H%M%S" if "T" in value else "%Y%m%d")
            return step, (until - start) // step if until >= start else -1
    except ValueError:
        return None
    return step, None


@dataclass(frozen=True)
class Occurrences:
    """The occurrences of one rule from one start; ``step`` is None where they must be counted."""

    rule: object  # dateutil rrule
    first: datetime
    step: timedelta | None
    last: int | None  # index of the last occurrence of a fixed-step rule (-1: none); None: no end

    def _from(self, index: int) -> Iterator[tuple[int, datetime]]:
        assert self.step is not None
        for n in count(max(index, 0)):
            if self.last is not None and n > self.last:
                return
            yield n, self.first + n * self.step

    def _first_not_before(self, naive: datetime) -> int:
        assert self.step is not None
        return max(0, -((self.first - naive) // self.step))

    def all(self) -> Iterator[tuple[int, datetime]]:
        return self._from(0) if self.step is not None else enumerate(self.rule)

    def since(self, naive: datetime) -> Iterator[tuple[int, datetime]]:
        """The last occurrence before ``naive`` (if any), then every one from ``naive`` on."""
        if self.step is not None:
            index = self._first_not_before(naive) - 1
            yield from self._from(index if self.last is None else min(index, self.last))
            return
        skipped = None
        for item in enumerate(self.rule):
            if item[1] < naive:
                skipped = item
                continue
            if skipped is not None:
                yield skipped
                skipped = None
            yield item
        if skipped is not None:
            yield skipped

    def before(self, naive: datetime, n: int) -> list[tuple[int, datetime]]:
        """The last ``n`` occurrences before ``naive``, oldest first."""
        if self.step is None:
            return list(deque(takewhile(lambda item: item[1] < naive, enumerate(self.rule)), maxlen=n))
        end = self._first_not_before(naive)
        if self.last is not None:
            end = min(end, self.last + 1)
        return [(i, self.first + i * self.step) for i in range(max(0, end - n), end)]


@lru_cache(maxsize=256)
def occurrences(rrule: str, dtstart: datetime, zone: str) -> Occurrences:
    """The occurrences of ``rrule`` from ``dtstart`` (naive wall time of ``zone``)."""
    local = local_rrule(rrule, ZoneInfo(zone))
    first = dtstart.replace(microsecond=0)  # as dateutil does
    # stored before the API refused it: no handoffs, rather than a lookup that fails, never ends,
    # or walks to the year 9999
    if turnless(local) or time_parts_out_of_range(local):
        return Occurrences((), first, None, None)
    if never_occurs(local, first):
        return Occurrences((), first, None, None)
    regular = _regular(local, first)
    if regular is None and not findable(rrulestr(local, dtstart=dtstart), first):  # a walk that would not end
        return Occurrences((), first, None, None)
    rule = rrulestr(local, dtstart=dtstart, cache=True)
    step, last = regular if regular is not None else (None, None)
    return Occurrences(rule, first, step, last)
