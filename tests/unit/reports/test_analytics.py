"""Analytics formulas against a hand-built history (times relative to NOW)."""

from datetime import UTC, datetime, timedelta

from pagerless.reports import analytics
from pagerless.reports.analytics import Incident

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def ago(hours=0.0, minutes=0.0) -> datetime:
    return NOW - timedelta(hours=hours, minutes=minutes)


def inc(
    id,
    service,
    severity,
    opened,
    resolved_after=None,
    title=None,
    category=None,
    actions=(),
    ack_after=None,
    resolved_by="source",
):
    return Incident(
        id=id,
        title=title or f"{service} problem",
        severity=severity,
        service=service,
        source="alertmanager",
        first_seen=opened,
        acknowledged_at=opened + timedelta(minutes=ack_after) if ack_after is not None else None,
        resolved_at=opened + timedelta(minutes=resolved_after) if resolved_after is not None else None,
        resolved_by=resolved_by if resolved_after is not None else None,
        category=category,
        status="resolved" if resolved_after is not None else "open",
        actions=list(actions),
    )


RESTART = {"action": "restart_pod", "status": "succeeded", "finished_at": ago(hours=5).isoformat()}
HISTORY = [
    inc("N1", "cache", "warning", ago(hours=3), 2, "Brief CPU spike on cache-7f2a"),
    inc("N2", "cache", "warning", ago(hours=2), 4.5, "Brief CPU spike on cache-9b1c"),
    inc("N3", "cache", "warning", ago(hours=1, minutes=50), 6, "Brief CPU spike on cache-3d4e"),
    inc(
        "N4",
        "payments",
        "critical",
        ago(hours=5),
        3,
        category="crash_loop",
        actions=[RESTART],
        ack_after=1,
        resolved_by="workflow",
    ),
    inc("P1", "payments", "critical", ago(hours=20), 30, category="oom_killed", ack_after=4),
    inc("P2", "payments", "critical", ago(hours=6), 40, category="oom_killed", ack_after=10),
    inc("P3", "payments", "high", ago(hours=2), None, category="oom_killed"),
    inc("D1", "search", "warning", ago(minutes=10)),
    inc("D2", "search", "warning", ago(minutes=20)),
    inc("D3", "search", "warning", ago(minutes=30)),
]


def test_noisy_incidents_resolved_quickly_without_action():
    rows = analytics.noisy(HISTORY, max_duration_minutes=5, limit=20)
    # N1 (2 min) and N2 (4.5 min); N3 took 6 min, N4 ran an action; newest first
    assert [(r["id"], r["duration_minutes"]) for r in rows] == [("N2", 4.5), ("N1", 2.0)]
    assert analytics.noisy(HISTORY, max_duration_minutes=5, limit=1)[0]["id"] == "N2"


def test_patterns_by_category_and_masked_title():
    patterns = analytics.incident_patterns(HISTORY, min_occurrences=3)
    assert [(p["pattern"], p["occurrences"], p["services"]) for p in patterns] == [
        ("brief cpu spike on cache-#", 3, ["cache"]),
        ("oom_killed", 3, ["payments"]),
        ("search problem", 3, ["search"]),
    ]
    assert patterns[1]["recommendation"] == "Audit memory limits across affected services"


def test_service_profile_repeat_rate_and_risk():
    profile = analytics.service_profile("payments", HISTORY)
    # 4 incidents, 2 distinct patterns: (4 − 2) / 4 = 0.5; 3 critical → high
    assert profile["total_incidents"] == 4 and profile["repeat_rate"] == 0.5
    assert profile["top_failure_patterns"] == ["oom_killed", "crash_loop"]
    assert profile["most_common_severity"] == "critical" and profile["risk_assessment"] == "high"
    # MTTA = (1 + 4 + 10) / 3; MTTR = (3 + 30 + 40) / 3
    assert profile["mtta_minutes"] == 5.0 and profile["mttr_minutes"] == 24.33
    cache = analytics.service_profile("cache", HISTORY)
    # cache: 3 incidents of one masked title: (3 − 1) / 3; fewer than 5 incidents, none critical → medium
    assert cache["repeat_rate"] == 0.6667 and cache["risk_assessment"] == "medium"
    assert analytics.service_profile("nothing", HISTORY)["risk_assessment"] == "low"


def test_incident_metrics_first_response_is_the_first_human_touch():
    timeline = [
        {"at": (ago(hours=5) + timedelta(seconds=30)).isoformat(), "type": "comment", "actor": "key:ops"},
        {"at": ago(hours=5).isoformat(), "type": "incident_created", "actor": "system"},
    ]
    metrics = analytics.incident_metrics(HISTORY[3], timeline)
    assert metrics["summary"] == {
        "time_to_first_response_minutes": 0.5,
        "resolution_time_minutes": 3.0,
        "actions_taken": 1,
    }
    assert [p["metric_name"] for p in metrics["timeline"]] == [
        "time_to_first_response_minutes",
        "resolution_time_minutes",
    ]


def test_capacity_forecast_counts_capacity_incidents_and_trend():
    forecast = analytics.capacity_forecast(HISTORY, NOW, hours=24)
    # payments: 3 OOMs in 24 h, 1 in the first 12 h and 2 in the last 12 h → rising, 3 → high
    assert forecast["forecasts"] == [
        {
            "service": "payments",
            "risk_level": "high",
            "signal": "3 oom_killed incidents in 24h, increasing trend",
            "recommendation": "Audit memory limits across affected services",
        }
    ]
    assert forecast["incident_rate_summary"] == {
        "rate_per_hour": round(10 / 24, 4),
        "total_incidents": 10,
        "period_hours": 24,
    }


def test_drift_flags_a_rate_spike():
    result = analytics.drift(HISTORY, NOW)
    # last hour: D1–D3 = 3/hr; 24 h: 10 incidents = 0.4167/hr; 3 ≥ 3 × 0.4167
    assert result["rates"] == {"last_1h": 3.0, "last_24h": round(10 / 24, 4)}
    assert [s["type"] for s in result["drift_signals"]] == ["incident_rate_spike"]
    assert result["healthy"] is False
    assert analytics.drift(HISTORY[:7], NOW)["healthy"] is True


def test_activity_and_overview():
    assert analytics.activity(HISTORY, 10) == [
        {
            "action": "restart_pod",
            "incident_id": "N4",
            "outcome": "success",
            "dry_run": False,
            "created_at": RESTART["finished_at"],
        }
    ]
    # (5 open: HISTORY's 4 and one opened before the 7 days, which the store counts)
    overview = analytics.overview(
        HISTORY, 5, NOW, [{"slo_name": "x", "alert_level": "warning", "budget_remaining_percent": 40.0}]
    )
    assert overview["incidents"]["last_24h"] == 10 and overview["incidents"]["open"] == 5
    # 6 resolved in 7 days, 1 by the workflow
    assert overview["automation_rate_7d"] == round(1 / 6, 4)
    assert overview["slos"]["burning"] == 1


def test_an_abstained_diagnosis_is_no_failure_pattern():
    from pagerless.diagnosis.engine import INSUFFICIENT

    # Given five different alerts on one service that the diagnosis abstained on
    titles = ["HighLatency", "KubePodCrashLooping", "TargetDown", "HighErrorRate", "CertificateExpiry"]
    history = [
        inc(f"A{n}", "search", "warning", ago(hours=n + 1), 5, title=title, category=INSUFFICIENT)
        for n, title in enumerate(titles)
    ]
    # Then they are five patterns, nothing repeated, and the service is not a high risk for it
    profile = analytics.service_profile("search", history)
    assert profile["repeat_rate"] == 0.0
    assert profile["risk_assessment"] == "medium"
    assert INSUFFICIENT not in profile["top_failure_patterns"]
    assert analytics.incident_patterns(history, min_occurrences=2) == []
