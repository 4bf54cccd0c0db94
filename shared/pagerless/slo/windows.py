"""An SLO's window and objective as the budget maths takes them, and the budget figures as the API gives them."""

from datetime import datetime
from fractions import Fraction

from pagerless.slo import budget as maths
from pagerless.slo.spec import BudgetingMethod, SloDocument


def objective_of(slo: SloDocument) -> maths.Objective:
    objective = slo.spec.objectives[0]
    timeslices = slo.spec.budgeting_method is BudgetingMethod.TIMESLICES
    return maths.Objective(
        target=Fraction(str(objective.target)),
        timeslices=timeslices,
        time_slice_target=Fraction(str(objective.time_slice_target)) if timeslices else None,
    )


def window_of(slo: SloDocument, now: datetime, *, ended: bool = False) -> tuple[datetime, datetime, Fraction]:
    """The SLO's window at ``now``; ``ended``: as a period ending at ``now`` left it (a calendar month that
    ends at ``now`` is that month, not the next one's empty start)."""
    window = slo.window
    if window.is_rolling:
        return maths.rolling_window(now, slo.window_days())
    zone = window.calendar.time_zone if window.calendar else "UTC"
    return maths.calendar_month(now, zone, ended=ended)


def window_days(minutes: Fraction) -> int:
    """Seed 002's ``window_days`` of a window this long: a rolling window's days; a calendar month's own (28 to 31;
    the hour a DST change adds or takes leaves it whole)."""
    return round(minutes / 1440)


def even_percent(status: maths.BudgetStatus) -> Fraction:
    """The budget an even spend (burn rate 1 over the SLO's window) leaves at the status's end: what its elapsed part
    does not use of the whole window's (a calendar month's line runs from 100 % on its first day to 0 % at its end)."""
    return (1 - status.elapsed_minutes / status.window_minutes) * 100 if status.window_minutes else Fraction(0)


def rounded(value: Fraction | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def elapsed(status: maths.BudgetStatus) -> dict:
    """The budget of the window's elapsed part (from its start, or the SLO's when later) against what it spent."""
    total = status.elapsed_budget_minutes
    remaining = total - status.consumed_minutes
    return {
        "start": status.elapsed_start.isoformat(),
        "minutes": int(status.elapsed_minutes),
        "budget_total_minutes": rounded(total, 2),
        "budget_remaining_minutes": rounded(remaining, 2),
        "budget_remaining_percent": rounded(remaining / total * 100, 2) if total else None,
    }
