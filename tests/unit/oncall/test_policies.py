"""Escalation policies: which policy an incident gets, when each step pages, quiet hours."""

from datetime import UTC, datetime, time

from pagerless.oncall.policies import (
    Cursor,
    Policy,
    QuietHours,
    Step,
    Target,
    job_targets,
    plan,
    resolve_targets,
    select_policy,
)

ALICE, BOB = Target("person", "alice"), Target("person", "bob")


def policy(pid="p1", **kw) -> Policy:
    return Policy(pid, pid, (Step(300, (ALICE,)), Step(600, (Target("schedule", "s1"), Target("channel", "C1")))), **kw)


def test_select_policy_prefers_a_service_match_then_the_oldest():
    catch_all = policy("all", created_at="2026-01-01")
    payments = policy("pay", services=("payments",), created_at="2026-02-01")
    warnings = policy("warn", severities=("warning",), created_at="2025-01-01")
    assert select_policy([catch_all, payments, warnings], "payments", "critical").id == "pay"
    assert select_policy([catch_all, payments, warnings], "search", "high").id == "all"
    assert select_policy([catch_all, payments, warnings], "search", "warning").id == "warn"
    assert select_policy([catch_all, payments], "search", "info") is None  # critical/high by default


def test_plan_runs_the_steps_then_repeats():
    pages = plan(policy(repeat=1))
    assert [(p.generation, p.at_seconds) for p in pages] == [("0-0", 0), ("1-0", 300), ("0-1", 900), ("1-1", 1200)]
    assert [p.generation for p in plan(policy(), Cursor(1, 0))] == ["1-0"]


def test_quiet_hours_hold_back_non_critical_pages_only():
    night = QuietHours("Europe/Berlin", time(22, 0), time(7, 0))
    at = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 01:30 in Berlin
    on_call = {"s1": "bob"}.get

    def resolve(critical):
        return resolve_targets(
            policy().steps[1].targets + (ALICE,),
            at,
            on_call=lambda s, _: on_call(s),
            quiet_hours=lambda p: night if p == "bob" else None,
            critical=critical,
        )

    assert job_targets(resolve(critical=False)) == [{"kind": "channel", "id": "C1"}, {"kind": "person", "id": "alice"}]
    assert resolve(critical=False)[0].held == ("bob",)
    assert job_targets(resolve(critical=True)) == [
        {"kind": "person", "id": "bob"},
        {"kind": "channel", "id": "C1"},
        {"kind": "person", "id": "alice"},
    ]
    assert not night.contains(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
