"""An SLO's budget over time, from its stored buckets: the burn-down a report and the console chart show, the
even-spend line beside it, and the budget an incident's spans spent (a postmortem's impact); and the two marks
every budget read starts from (`marks`).

Where a window's elapsed part starts (`budget.elapsed_from`) depends on the SLO's start, and that is read the
same way by every reader: its creation, or its earliest stored bucket when that is earlier, whatever range of
buckets the reader reads (a quiet stretch is no data, not a later start). So a burn-down point, the even line
computed for a report stored without it, and the budget as evaluated at that moment agree.
"""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from pagerless.clock import parse_time
from pagerless.slo import budget as maths
from pagerless.slo.spec import SloDocument
from pagerless.slo.windows import even_percent, objective_of, rounded, window_of
from pagerless.store.slos import SloRecord, SloRepository

LONGEST_LOOKBACK = timedelta(minutes=max(maths.LOOKBACKS.values()))


FIRST_BUCKET = (
    "first_bucket"  # the state's start of the earliest bucket stored (None: none is), kept by each evaluation
)
AS_STORED = object()  # `marks`' earliest bucket: as the SLO's state keeps it


def marks(
    repository: SloRepository, workspace: str, name: str, *, first_bucket=AS_STORED, record: SloRecord | None = None
) -> tuple[datetime | None, datetime | None]:
    """The end of the last bucket evaluated (None before the first evaluation), and the SLO's start: when it was
    created, or its earliest stored bucket when that is earlier (its first evaluation reads its window back).

    The earliest bucket is the one each evaluation keeps in the SLO's state with the buckets it wrote (one read of
    the definition, no query of its buckets); ``first_bucket`` gives it instead (the evaluation writing it), and a
    state kept before it was (no such key) has it read from the buckets. ``record``: the definition, already read."""
    record = record or repository.get(workspace, name)
    first = earliest_bucket(repository, workspace, name, record.state) if first_bucket is AS_STORED else first_bucket
    started = min(record.created_at, first) if first and record.created_at else record.created_at or first
    return parse_time((record.state or {}).get("last_bucket_end")), started


def earliest_bucket(repository: SloRepository, workspace: str, name: str, state: dict | None) -> datetime | None:
    """The start of the SLO's earliest stored bucket as its state keeps it, or read from the buckets when the state
    does not say (kept before it did, or buckets put by hand)."""
    if FIRST_BUCKET in (state or {}):
        return parse_time(state[FIRST_BUCKET])
    return repository.first_bucket(workspace, name)


def as_of(moment: datetime, last: datetime | None) -> datetime:
    """``moment``, or the end of the last bucket evaluated when that is earlier: the schedule reads each bucket
    up to 5 minutes after it ends, and a bucket not read yet is no bucket without errors (the 5-minute burn
    rate would read 0, and the alert level ok, while the SLO burns)."""
    return min(moment, last) if last else moment


def burn_down(repository: SloRepository, workspace: str, slo: SloDocument, moments: list[datetime]) -> list[dict]:
    """Budget remaining (%) as it stood at each moment, each the end of a day (from the stored buckets): a
    calendar month that ends at a moment is the month shown there; with what an even spend over the SLO's window
    would have left then (``even_percent``)."""
    if not moments:
        return []
    last, started = marks(repository, workspace, slo.name)  # a day still running stands as far as it was evaluated
    moments = [as_of(moment, last) for moment in moments]
    first_start = window_of(slo, moments[0], ended=True)[0].astimezone(UTC)
    rows = repository.buckets(workspace, slo.name, min(first_start, moments[0] - LONGEST_LOOKBACK), moments[-1])
    buckets = [maths.Bucket(moment, Fraction(good), Fraction(total)) for moment, good, total in rows]
    objective = objective_of(slo)
    points = []
    for moment in moments:
        status = maths.evaluate(buckets, objective, window_of(slo, moment, ended=True), started)
        points.append(
            {
                "at": moment.isoformat(),
                "remaining_percent": rounded(status.remaining_fraction * 100, 2),
                "even_percent": rounded(even_percent(status), 2),
            }
        )
    return points


def even_line(repository: SloRepository, workspace: str, slo: SloDocument, moments: list[datetime]) -> list[float]:
    """`burn_down`'s ``even_percent`` at each moment, without reading the window's buckets (a report stored
    before its points had it): the SLO's window there, from the SLO's start (`marks`), as the burn-down has it."""
    started = marks(repository, workspace, slo.name)[1]
    objective = objective_of(slo)
    return [
        rounded(even_percent(maths.evaluate([], objective, window_of(slo, moment, ended=True), started)), 2)
        for moment in moments
    ]


def impact(repository: SloRepository, workspace: str, slo: SloDocument, spans: list[tuple[datetime, datetime]]) -> dict:
    """Budget the SLO spent in ``spans`` (each [start, end), oldest first; an incident's open periods): the
    consumed minutes of the buckets in any of them (each bucket once), against the window that ends at the
    last span's end (what a postmortem's impact table shows)."""
    start, end = spans[0][0], spans[-1][1]
    window = window_of(slo, end)
    window_start = window[0].astimezone(UTC)
    rows = repository.buckets(workspace, slo.name, min(window_start, maths.align(start)), window[1] + maths.BUCKET)
    buckets = [maths.Bucket(moment, Fraction(good), Fraction(total)) for moment, good, total in rows]
    objective = objective_of(slo)
    budget = window[2] * objective.allowed
    in_window = [b for b in buckets if window_start <= b.start < window[1]]
    during = [b for b in buckets if any(maths.align(s) <= b.start < e for s, e in spans)]
    if objective.timeslices:
        spent = maths.consumed_minutes(during, objective, Fraction(0))
    else:  # the span's bad events against the window's events, as the window's budget counts them
        started = marks(repository, workspace, slo.name)[1]
        ran = window[1] - maths.elapsed_from(buckets, window_start, window[1], started)
        total = sum((b.total for b in in_window), Fraction(0))
        bad = sum((b.bad for b in during), Fraction(0))
        spent = bad / total * Fraction(int(ran.total_seconds()), 60) if total else Fraction(0)
    return {
        "slo_name": slo.name,
        "budget_consumed_minutes": rounded(spent, 2),
        "budget_consumed_percent": rounded(spent / budget * 100, 2) if budget else 0.0,
    }
