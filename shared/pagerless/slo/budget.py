"""Error-budget maths: pure functions over 5-minute buckets, exact with `fractions.Fraction`.

A bucket is ``[start, start + 5m)`` with ``good`` and ``total`` event counts (``bad = total - good``).

- Budget total (minutes) = window length × (1 − target). A rolling window is 28 or 30 days; a
  calendar month is its own length in its time zone (28–31 days, DST included).
- Elapsed: the part of the window the SLO covers, to ``now``: from the window's start, or from the SLO's start when
  that is later. The SLO starts when it was created (``started``), or earlier at the first bucket its backfill read
  (an SLO created over a metric with history covers that history). A bucket without samples after the start is no
  data, not a later start: a quiet service's window starts where the window does. Without ``started`` (a bare
  calculation) the SLO starts at its first bucket.
- Occurrences: consumed minutes = bad / total × elapsed minutes: the error ratio so far, spent over the time so
  far (the workbook's "a burn rate of 14.4 for an hour spends 2 % of a 30-day budget"). Over a whole window this
  is bad / ((1 − target) × total) of the budget, the workbook's events-based budget; a new SLO's short burst is
  not spread over the whole window (one hour of 1 % errors against 99.9 % spends 0.6 minutes, not 10 × the budget).
- Timeslices: a 5-minute slice with data is bad when good/total < timeSliceTarget; consumed
  minutes = bad slices × 5. Slices without data are not counted against the budget.
- Remaining = total − consumed (negative when overspent; the percent is of the total). The elapsed part's
  budget is elapsed × (1 − target), against the same consumed minutes: how the time so far went.
- Burn rate over a lookback L: the error rate in the last L divided by (1 − target) — bad/total
  for occurrences, bad-slice minutes / L for timeslices. 1 spends the budget exactly by the window's end.
- ``burn_rate`` in the budget answer is the **1-hour** burn rate, and ``time_to_exhaustion_hours``
  = remaining / (burn_rate × (1 − target)) / 60: how long the remaining budget lasts if the last
  hour's burn continues (null when nothing burns, 0 when nothing remains).
- Alert level (Google SRE workbook, multiwindow multi-burn-rate): ``critical`` when the 1 h and 5 m
  burn rates both exceed 14.4, or the 6 h and 30 m both exceed 6; ``warning`` when the 3 d and 6 h
  both exceed 1, or when the budget is spent; otherwise ``ok``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

BUCKET = timedelta(minutes=5)
BUCKET_MINUTES = 5
LOOKBACKS: dict[str, int] = {"5m": 5, "30m": 30, "1h": 60, "6h": 360, "1d": 1440, "3d": 4320}
BURN_RATE_WINDOW = "1h"
PAGE_RULES = (("1h", "5m", Fraction(144, 10)), ("6h", "30m", Fraction(6)))
TICKET_RULES = (("3d", "6h", Fraction(1)),)


@dataclass(frozen=True)
class Bucket:
    start: datetime
    good: Fraction
    total: Fraction

    @property
    def bad(self) -> Fraction:
        return max(self.total - self.good, Fraction(0))


@dataclass(frozen=True)
class Objective:
    target: Fraction
    timeslices: bool = False
    time_slice_target: Fraction | None = None

    @property
    def allowed(self) -> Fraction:
        return 1 - self.target


@dataclass(frozen=True)
class BudgetStatus:
    window_start: datetime
    window_end: datetime
    window_minutes: Fraction
    elapsed_start: datetime
    total_minutes: Fraction
    consumed_minutes: Fraction
    good: Fraction
    total: Fraction
    burn_rates: dict[str, Fraction]
    alert_level: str

    @property
    def remaining_minutes(self) -> Fraction:
        return self.total_minutes - self.consumed_minutes

    @property
    def remaining_fraction(self) -> Fraction:
        return self.remaining_minutes / self.total_minutes if self.total_minutes else Fraction(0)

    @property
    def elapsed_minutes(self) -> Fraction:
        return Fraction(int((self.window_end - self.elapsed_start).total_seconds()), 60)

    @property
    def elapsed_budget_minutes(self) -> Fraction:
        """The budget of the elapsed part: its length × (1 − target)."""
        return self.total_minutes * self.elapsed_minutes / self.window_minutes if self.window_minutes else Fraction(0)

    @property
    def burn_rate(self) -> Fraction:
        return self.burn_rates[BURN_RATE_WINDOW]

    def time_to_exhaustion_hours(self, objective: Objective) -> Fraction | None:
        if self.remaining_minutes <= 0:
            return Fraction(0)
        if self.burn_rate <= 0:
            return None
        return self.remaining_minutes / (self.burn_rate * objective.allowed) / 60


def align(moment: datetime) -> datetime:
    """The start of the 5-minute bucket holding ``moment`` (UTC-aligned)."""
    seconds = int(moment.timestamp()) // 300 * 300
    return datetime.fromtimestamp(seconds, tz=moment.tzinfo)


def rolling_window(now: datetime, days: int) -> tuple[datetime, datetime, Fraction]:
    end = align(now)
    return end - timedelta(days=days), end, Fraction(days * 1440)


def calendar_month(now: datetime, zone: str, *, ended: bool = False) -> tuple[datetime, datetime, Fraction]:
    """This calendar month in ``zone``: its start, ``now`` (aligned), and the month's full length in minutes.
    ``ended``: the month of the instant before ``now`` (the budget as a period that ends at ``now`` left it: a
    day that ends at a month's first midnight was the previous month's last, not the new month's empty start)."""
    tz = ZoneInfo(zone)
    local = (now - timedelta(microseconds=1) if ended else now).astimezone(tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    # same-zone aware subtraction is wall-clock time; through UTC it is real time (DST months differ by an hour)
    length = Fraction(int((next_month.astimezone(UTC) - start.astimezone(UTC)).total_seconds()) // 60)
    return start, align(now), length


def slice_is_bad(bucket: Bucket, objective: Objective) -> bool:
    if bucket.total <= 0:
        return False
    return bucket.good / bucket.total < objective.time_slice_target


def consumed_minutes(buckets: Iterable[Bucket], objective: Objective, elapsed_minutes: Fraction) -> Fraction:
    """Budget minutes the buckets spent: bad slices × 5, or (occurrences) their error ratio × the elapsed minutes."""
    buckets = list(buckets)
    if objective.timeslices:
        return Fraction(BUCKET_MINUTES * sum(1 for b in buckets if slice_is_bad(b, objective)))
    total = sum((b.total for b in buckets), Fraction(0))
    if total <= 0:
        return Fraction(0)
    bad = sum((b.bad for b in buckets), Fraction(0))
    return bad / total * elapsed_minutes


def elapsed_from(buckets: list[Bucket], start: datetime, end: datetime, started: datetime | None = None) -> datetime:
    """Where the window's elapsed part starts: its start, or the SLO's start when that is later: ``started`` (its
    creation, aligned to its bucket) or its first bucket, whichever is earlier."""
    first = min((b.start for b in buckets), default=end)
    if started is not None:
        first = min(first, align(started))
    return min(max(start, first), end)


def burn_rate(buckets: Iterable[Bucket], objective: Objective, end: datetime, minutes: int) -> Fraction:
    """Error rate of the buckets in ``[end − minutes, end)`` over the allowed rate."""
    start = end - timedelta(minutes=minutes)
    inside = [b for b in buckets if start <= b.start < end]
    if objective.timeslices:
        bad_minutes = BUCKET_MINUTES * sum(1 for b in inside if slice_is_bad(b, objective))
        return Fraction(bad_minutes, minutes) / objective.allowed
    total = sum((b.total for b in inside), Fraction(0))
    if total <= 0:
        return Fraction(0)
    bad = sum((b.bad for b in inside), Fraction(0))
    return bad / total / objective.allowed


def alert_level(rates: dict[str, Fraction], remaining: Fraction) -> str:
    if any(rates[long] > factor and rates[short] > factor for long, short, factor in PAGE_RULES):
        return "critical"
    if any(rates[long] > factor and rates[short] > factor for long, short, factor in TICKET_RULES):
        return "warning"
    if remaining <= 0:
        return "warning"
    return "ok"


def evaluate(
    buckets: Iterable[Bucket],
    objective: Objective,
    window: tuple[datetime, datetime, Fraction],
    started: datetime | None = None,
) -> BudgetStatus:
    """The budget of one SLO over ``window`` (start, end, full length in minutes) from its buckets; ``started``: when
    the SLO was created (None: it starts at its first bucket)."""
    start, end, length = window
    buckets = [b for b in buckets if b.start < end]
    in_window = [b for b in buckets if b.start >= start]
    budget = length * objective.allowed
    elapsed_start = elapsed_from(buckets, start, end, started)
    elapsed = Fraction(int((end - elapsed_start).total_seconds()), 60)
    consumed = consumed_minutes(in_window, objective, elapsed)
    rates = {name: burn_rate(buckets, objective, end, minutes) for name, minutes in LOOKBACKS.items()}
    return BudgetStatus(
        window_start=start,
        window_end=end,
        window_minutes=length,
        elapsed_start=elapsed_start,
        total_minutes=budget,
        consumed_minutes=consumed,
        good=sum((b.good for b in in_window), Fraction(0)),
        total=sum((b.total for b in in_window), Fraction(0)),
        burn_rates=rates,
        alert_level=alert_level(rates, budget - consumed),
    )
