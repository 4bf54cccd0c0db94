"""Report figures against an independent calculation: seeded random incident histories (reopens, acknowledgements,
resolves, incidents spanning two periods) around day boundaries in Asia/Shanghai and America/New_York across its
DST changes; each report the API generates is compared with plain Python over the raw episodes."""

import random
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import auth
from tests.functional.slo.history import seed_episodes

pytestmark = pytest.mark.functional

FIVE = timedelta(minutes=5)
RESOLVERS = ("person", "workflow", "source")
SEVERITIES = ("critical", "high", "medium")


@dataclass(frozen=True)
class Episode:
    start: datetime
    acknowledged: datetime | None
    resolved: datetime | None


@dataclass(frozen=True)
class History:
    id: str
    severity: str
    service: str
    resolved_by: str
    episodes: tuple[Episode, ...]


def local_midnight(day: date, zone: str) -> datetime:
    """The day's first instant in ``zone``, in UTC (as the store keeps times)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def generate(rng: random.Random, prefix: str, first: datetime, last: datetime, edges: list[datetime]) -> list[History]:
    """Incidents of 1 to 3 episodes beginning in [first − 6 h, last + 6 h); some begin exactly on a period edge."""
    histories = []
    span = int((last - first).total_seconds()) + 12 * 3600
    for n in range(12):
        if n < len(edges):
            cursor = edges[n]  # a period's edge: it belongs to the period it starts
        else:
            cursor = first - timedelta(hours=6) + timedelta(seconds=rng.randrange(span))
        episodes = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            length = timedelta(seconds=rng.randrange(60, 14 * 3600))  # often across a period's edge
            acknowledged = cursor + length * rng.random() if rng.random() < 0.7 else None
            episodes.append(Episode(cursor, acknowledged, cursor + length))
            cursor += length + timedelta(seconds=rng.randrange(300, 20 * 3600))
        if rng.random() < 0.25:  # still firing
            episodes[-1] = Episode(episodes[-1].start, episodes[-1].acknowledged, None)
        histories.append(
            History(
                id=f"{prefix}-{n:02d}",
                severity=rng.choice(SEVERITIES),
                service=rng.choice(("payments-api", "search-api")),
                resolved_by=rng.choice(RESOLVERS),
                episodes=tuple(episodes),
            )
        )
    return histories


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def expected(histories: list[History], start: datetime, end: datetime, zone: str) -> dict:
    """The report of [start, end): an incident counts once when it fired or refired in the period; its times are
    those of the last episode that began in the period, whatever happened to it after the period."""
    counted = []
    for history in histories:
        inside = [e for e in history.episodes if start <= e.start < end]
        if inside:
            counted.append((history, inside[0].start, inside[-1]))

    def figures(rows):
        mtta = _mean([(e.acknowledged - e.start).total_seconds() / 60 for _, _, e in rows if e.acknowledged])
        mttr = _mean([(e.resolved - e.start).total_seconds() / 60 for _, _, e in rows if e.resolved])
        return mtta, mttr

    tz = ZoneInfo(zone)
    day, days = start.astimezone(tz).date(), []
    while local_midnight(day, zone) < end:
        rows = [r for r in counted if r[1].astimezone(tz).date() == day]
        days.append((day.isoformat(), len(rows), *figures(rows)))
        day += timedelta(days=1)
    split = {"automatic": 0, "recovered": 0, "people": 0, "unresolved": 0}
    for history, _, episode in counted:
        if episode.resolved is None:
            split["unresolved"] += 1
        else:
            split[{"workflow": "automatic", "source": "recovered"}.get(history.resolved_by, "people")] += 1
    severities: dict[str, int] = {}
    for history, _, _ in counted:
        severities[history.severity] = severities.get(history.severity, 0) + 1
    return {
        "total": len(counted),
        "by_severity": severities,
        "figures": figures(counted),
        "per_day": days,
        "resolution": split,
        "ids": sorted(h.id for h, _, _ in counted),
    }


def close(actual: float | None, wanted: float | None) -> bool:
    if actual is None or wanted is None:
        return actual is wanted
    return abs(actual - wanted) <= 0.006  # the report rounds to two decimals


CASES = [
    # zone, the first local day of two, seed: New York's spring-forward day (23 h) and fall-back day (25 h)
    ("America/New_York", date(2026, 3, 7), 11),
    ("America/New_York", date(2026, 10, 31), 12),
    ("Asia/Shanghai", date(2026, 6, 14), 13),
]


@pytest.mark.parametrize(("zone", "first_day", "seed"), CASES, ids=[f"{z}-{d}" for z, d, _ in CASES])
def test_report_figures_agree_with_an_independent_calculation(api, admin_key, zone, first_day, seed):
    # Given reports in ``zone`` and a dozen random incident histories around two local days
    put = api.put("/api/reports/settings", json={"timezone": zone}, headers=auth(admin_key))
    assert put.status_code == 200, put.text
    rng = random.Random(seed)
    midnights = [local_midnight(first_day + timedelta(days=n), zone) for n in range(3)]
    histories = generate(rng, f"INC-{seed}", midnights[0], midnights[2], [midnights[1], midnights[2]])
    for history in histories:
        seed_episodes(
            history.id,
            [(e.start, e.acknowledged, e.resolved) for e in history.episodes],
            service=history.service,
            severity=history.severity,
            resolved_by=history.resolved_by,
        )

    # (among them incidents counted in one day's report and reopened the next)
    refired = [h for h in histories if any(midnights[0] <= e.start < midnights[1] for e in h.episodes[:-1])]
    assert any(h.episodes[-1].start >= midnights[1] for h in refired)

    # When the reports of each day and of both days together are generated
    periods = [("daily", midnights[0], midnights[1]), ("daily", midnights[1], midnights[2])]
    periods.append(("weekly", midnights[0], midnights[2]))
    for report_type, start, end in periods:
        made = api.post(
            "/api/reports/generate",
            json={"report_type": report_type, "period_start": start.isoformat(), "period_end": end.isoformat()},
            headers=auth(admin_key),
        )
        assert made.status_code == 200, made.text
        data = made.json()["data"]

        # Then every figure is the independent calculation's
        want = expected(histories, start, end, zone)
        where = f"{report_type} {start.isoformat()}"
        assert sorted(i["id"] for i in data["incidents"]) == want["ids"], where
        assert data["total_incidents"] == want["total"], where
        assert data["by_severity"] == want["by_severity"], where
        assert close(data["mtta_minutes"], want["figures"][0]), (where, data["mtta_minutes"], want["figures"])
        assert close(data["mttr_minutes"], want["figures"][1]), (where, data["mttr_minutes"], want["figures"])
        assert data["resolution"] == want["resolution"], where
        days = [(d["date"], d["incidents"], d["mtta_minutes"], d["mttr_minutes"]) for d in data["per_day"]]
        assert [d[:2] for d in days] == [d[:2] for d in want["per_day"]], where
        for got, wanted in zip(days, want["per_day"], strict=True):
            assert close(got[2], wanted[2]) and close(got[3], wanted[3]), (where, got, wanted)


def test_a_calendar_slo_in_a_report_is_the_month_that_ended(api, admin_key):
    # Given a 99 % SLO over a New York calendar month, and its buckets from late October to December: an hourly
    # bucket with a random error ratio (what its 5-minute evaluation stored)
    from pagerless.store.slos import SloRepository

    zone = "America/New_York"
    document = _ratio_slo("monthly", {"duration": "1M", "isRolling": False, "calendar": {"timeZone": zone}})
    assert api.post("/api/slo", json=document, headers=auth(admin_key)).status_code == 201
    assert api.put("/api/reports/settings", json={"timezone": zone}, headers=auth(admin_key)).status_code == 200
    rng = random.Random(21)
    buckets = {}
    moment = datetime(2026, 10, 20, tzinfo=UTC)
    while moment < datetime(2026, 12, 3, tzinfo=UTC):
        total = rng.randrange(100, 1000)
        buckets[moment] = (total - int(total * rng.choice((0, 0, 0.002, 0.005, 0.01, 0.03))), total)
        moment += timedelta(hours=1)
    SloRepository().put_buckets("default", "monthly", [(t, float(g), float(n)) for t, (g, n) in buckets.items()])

    def remaining_percent(day: date) -> float:
        """As ``day`` ended: the error ratio of its month up to the next local midnight, over the month's elapsed
        minutes (from its first midnight, or the first bucket, 20 October), against the 1 % of the whole month."""
        first = local_midnight(day.replace(day=1), zone)
        end = local_midnight(day + timedelta(days=1), zone)
        month = (local_midnight((day.replace(day=28) + timedelta(days=4)).replace(day=1), zone) - first).total_seconds()
        elapsed = (end - max(first, min(buckets))).total_seconds()
        inside = [v for t, v in buckets.items() if first <= t < end]
        ratio = sum(n - g for g, n in inside) / sum(n for _, n in inside)
        return 100 * (1 - ratio * elapsed / (0.01 * month))

    def even_percent(day: date) -> float:
        """What an even spend of the month (from its elapsed part's start, 20 October in October) leaves as ``day`` ends."""
        first = local_midnight(day.replace(day=1), zone)
        end = local_midnight(day + timedelta(days=1), zone)
        month = (local_midnight((day.replace(day=28) + timedelta(days=4)).replace(day=1), zone) - first).total_seconds()
        return 100 * (1 - (end - max(first, min(buckets))).total_seconds() / month)

    # When the reports of the last day of October and of November, and of the week across both ends, are made
    periods = [
        ("daily", date(2026, 10, 31), date(2026, 11, 1)),
        ("daily", date(2026, 11, 30), date(2026, 12, 1)),
        ("weekly", date(2026, 10, 26), date(2026, 11, 2)),  # Monday to Monday, New York's fall-back day in it
    ]
    for report_type, first, last in periods:
        made = api.post(
            "/api/reports/generate",
            json={
                "report_type": report_type,
                "period_start": local_midnight(first, zone).isoformat(),
                "period_end": local_midnight(last, zone).isoformat(),
            },
            headers=auth(admin_key),
        )
        assert made.status_code == 200, made.text
        (status,) = made.json()["data"]["slo_status"]

        # Then the budget, and each day's burn-down point, are those of the month the day was in, as it ended
        ended = last - timedelta(days=1)
        assert status["budget_remaining_percent"] == pytest.approx(remaining_percent(ended), abs=0.006), first
        days = [first + timedelta(days=n) for n in range((last - first).days)]
        assert [p["date"] for p in status["burn_down"]] == [d.isoformat() for d in days]
        for point, day in zip(status["burn_down"], days, strict=True):
            assert point["remaining_percent"] == pytest.approx(remaining_percent(day), abs=0.006), day
            # and the even-spend line is the month's, not the report's days' (October's from its first bucket)
            assert point["even_percent"] == pytest.approx(even_percent(day), abs=0.006), day
        if first == date(2026, 11, 30):  # November's last day: an even spend of all November has left nothing
            assert status["burn_down"][-1]["even_percent"] == 0.0


def test_a_report_of_a_period_still_running_shows_no_budget_from_the_future(api, admin_key):
    # Given a daily rolling 99 % SLO whose only errors were 23 hours ago: 2 % of that hour's requests
    from pagerless.clock import utcnow
    from pagerless.slo.budget import align
    from pagerless.store.slos import SloRepository

    document = _ratio_slo("rolling-day", {"duration": "1d", "isRolling": True})
    assert api.post("/api/slo", json=document, headers=auth(admin_key)).status_code == 201
    now = align(utcnow())
    rows = [(now - timedelta(hours=23) + FIVE * n, 980.0, 1000.0) for n in range(12)]
    rows += [(now - timedelta(hours=20) + FIVE * n, 1000.0, 1000.0) for n in range(12)]
    SloRepository().put_buckets("default", "rolling-day", rows)

    # When the report of the 24 hours from an hour ago (still running) is made
    start = now - timedelta(hours=1)
    made = api.post(
        "/api/reports/generate",
        json={
            "report_type": "daily",
            "period_start": start.isoformat(),
            "period_end": (start + timedelta(days=1)).isoformat(),
        },
        headers=auth(admin_key),
    )
    assert made.status_code == 200, made.text
    (status,) = made.json()["data"]["slo_status"]

    # Then the budget is as it stands now: 240 errors of 24,000 requests, 1 % over the 23 hours the SLI covers
    # (and the 5 minutes more, should a bucket have ended while the report was made), 13.8 of the day's 14.4 minutes
    # spent
    elapsed = {23 * 60, 23 * 60 + (align(utcnow()) - now) // timedelta(minutes=1)}
    spent = [round(100 * (1 - 0.01 * minutes / 14.4), 2) for minutes in sorted(elapsed)]
    assert status["budget_remaining_percent"] in spent, (status, spent)
    # and the burn-down's last point says the same, not what the window would hold tomorrow without those errors
    assert status["burn_down"][-1]["remaining_percent"] == status["budget_remaining_percent"]


def _ratio_slo(name: str, window: dict) -> dict:
    """A 99 % OpenSLO ratio SLO of payments-api (Prometheus errors over requests), counted by occurrences."""
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": name},
        "spec": {
            "service": "payments-api",
            "indicator": {
                "spec": {
                    "ratioMetric": {
                        "bad": {"metricSource": {"type": "Prometheus", "spec": {"query": "errors_total"}}},
                        "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "requests_total"}}},
                    }
                }
            },
            "timeWindow": [window],
            "budgetingMethod": "Occurrences",
            "objectives": [{"target": 0.99}],
        },
    }
