"""Report contents against a hand-computed history (tests/unit/reports/history.py)."""

from pagerless.reports import data
from tests.unit.reports.history import APPROVALS, END, INCIDENTS, SLOS, START


def build(incidents=INCIDENTS):
    return data.build(
        workspace="default",
        report_type="daily",
        start=START,
        end=END,
        zone="Asia/Shanghai",
        incidents=incidents,
        approvals=APPROVALS,
        slos=SLOS,
    )


def test_counts_mtta_mttr_and_who_fixed_it():
    report = build()
    # INC-E opened the day before (local time) and is left out
    assert report["total_incidents"] == 4 and not report["no_incidents"]
    assert report["by_severity"] == {"critical": 2, "high": 1, "warning": 1}
    assert report["by_service"] == {"payments-api": 2, "cache": 1, "search-api": 1}
    # MTTA = (4 + 10 + 6) / 3 acknowledged; MTTR = (30 + 60 + 2) / 3 resolved
    assert report["mtta_minutes"] == 6.67
    assert report["mttr_minutes"] == 30.67
    assert report["resolution"] == {"automatic": 1, "recovered": 1, "people": 1, "unresolved": 1}
    assert report["per_day"] == [{"date": "2026-03-10", "incidents": 4, "mtta_minutes": 6.67, "mttr_minutes": 30.67}]


def test_noisy_alerts_patterns_and_approval_latency():
    report = build()
    assert [(n["title"], n["alerts"]) for n in report["noisy_alerts"]] == [
        ("Brief CPU spike on cache-service", 12),
        ("OOMKilled payments-api-7d9f", 5),
        ("OOMKilled payments-api-5c2a", 2),
        ("search-api CrashLoopBackOff", 1),
    ]
    assert report["recurring_patterns"] == [{"pattern": "oom_killed", "occurrences": 2, "services": ["payments-api"]}]
    # decided approvals: 3 and 15 minutes; the pending one does not count
    assert report["approval_latency"] == {"count": 2, "mean_minutes": 9.0, "median_minutes": 9.0, "max_minutes": 15.0}


def test_a_period_without_incidents_says_so():
    report = build(incidents=[])
    assert report["no_incidents"] is True and report["total_incidents"] == 0
    assert report["mtta_minutes"] is None and report["mttr_minutes"] is None
    assert report["per_day"] == [{"date": "2026-03-10", "incidents": 0, "mtta_minutes": None, "mttr_minutes": None}]


def test_patterns_fall_back_to_titles_without_varying_parts():
    from dataclasses import replace

    # Given the two OOM incidents without a diagnosis: their pod hashes differ
    no_diagnosis = [replace(i, category=None) for i in INCIDENTS[:2]]
    # Then the hashes are masked and they are one pattern
    assert data.recurring_patterns(no_diagnosis) == [
        {"pattern": "oomkilled payments-api-#", "occurrences": 2, "services": ["payments-api"]}
    ]


def test_a_diagnosis_that_found_nothing_is_no_pattern():
    from dataclasses import replace

    from pagerless.diagnosis.engine import INSUFFICIENT

    # Given three unrelated incidents the diagnosis abstained on (no cluster: every alert-only diagnosis does)
    # and two more of one title it also abstained on
    unrelated = [
        replace(INCIDENTS[0], id="U1", title="KubePodCrashLooping", service="catalog-api", category=INSUFFICIENT),
        replace(INCIDENTS[0], id="U2", title="HighLatency", service="search-api", category=INSUFFICIENT),
        replace(INCIDENTS[0], id="U3", title="SLO orders is burning", service="orders", category=INSUFFICIENT),
        replace(INCIDENTS[0], id="U4", title="Disk 91% full on db-1", service="db", category=INSUFFICIENT),
        replace(INCIDENTS[0], id="U5", title="Disk 97% full on db-2", service="db", category=INSUFFICIENT),
    ]
    # Then the abstention does not group them: the unrelated ones are no pattern, the repeated title is one
    assert data.recurring_patterns(unrelated) == [
        {"pattern": "disk #% full on db-#", "occurrences": 2, "services": ["db"]}
    ]


def test_the_abstention_reports_know_is_the_diagnosis_engines():
    from pagerless.diagnosis.engine import INSUFFICIENT

    assert data.ABSTAINED == INSUFFICIENT
