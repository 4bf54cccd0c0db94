"""A hand-computed incident history: one Shanghai day, 2026-03-10 (UTC+8), and one incident the day before."""

from datetime import UTC, datetime, timedelta, timezone

from pagerless.reports.data import ApprovalFacts, IncidentFacts

SHANGHAI = timezone(timedelta(hours=8))
START = datetime(2026, 3, 10, tzinfo=SHANGHAI).astimezone(UTC)
END = START + timedelta(days=1)


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


INCIDENTS = [
    # acknowledged after 4 min, fixed by Pagerless's workflow after 30 min
    IncidentFacts(
        "INC-A",
        "OOMKilled payments-api-7d9f",
        "critical",
        "payments-api",
        "alertmanager",
        at(9),
        at(9, 4),
        at(9, 30),
        "workflow",
        5,
        "oom_killed",
    ),
    # acknowledged after 10 min, fixed by a person after 60 min
    IncidentFacts(
        "INC-B",
        "OOMKilled payments-api-5c2a",
        "high",
        "payments-api",
        "alertmanager",
        at(13),
        at(13, 10),
        at(14),
        "key:ops",
        2,
        "oom_killed",
    ),
    # never acknowledged, recovered on its own after 2 min: the noisiest alert (12 alerts)
    IncidentFacts(
        "INC-C",
        "Brief CPU spike on cache-service",
        "warning",
        "cache",
        "grafana",
        at(20),
        None,
        at(20, 2),
        "source",
        12,
        None,
    ),
    # acknowledged after 6 min, still open
    IncidentFacts(
        "INC-D",
        "search-api CrashLoopBackOff",
        "critical",
        "search-api",
        "alertmanager",
        at(23, 30),
        at(23, 36),
        None,
        None,
        1,
        "crash_loop",
    ),
    # the day before (local): not in the report
    IncidentFacts(
        "INC-E",
        "OOMKilled payments-api-1111",
        "critical",
        "payments-api",
        "alertmanager",
        at(23, day=9),
        at(23, 1, day=9),
        at(23, 20, day=9),
        "workflow",
        1,
        "oom_killed",
    ),
]

APPROVALS = [
    ApprovalFacts(at(9, 5), at(9, 8), "approved"),  # 3 min
    ApprovalFacts(at(13, 12), at(13, 27), "rejected"),  # 15 min
    ApprovalFacts(at(23, 40), None, "pending"),
]

SLOS = [
    {
        "slo_name": "payments-api-availability",
        "service": "payments-api",
        "target": 0.999,
        "budget_remaining_percent": 61.5,
        "alert_level": "warning",
        "burn_down": [{"at": "2026-03-10T16:00:00+00:00", "remaining_percent": 61.5}],
    }
]
