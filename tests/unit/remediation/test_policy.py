"""Every rule of the policy engine, without a cluster or AWS."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from pagerless.remediation.actions import (
    ActionPlan,
    CordonNode,
    PatchResources,
    RestartPod,
    RolloutRestart,
    ScaleDeployment,
)
from pagerless.remediation.policy import (
    Autonomy,
    FreezeWindow,
    Policy,
    PolicyContext,
    RateLimit,
    WeeklyFreeze,
    dry_run_message,
    evaluate,
    evaluate_dry_run,
)

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)  # a Wednesday
RESTART = ActionPlan.of(RestartPod(namespace="payments", pod="payments-api-1"), "restart_pod", "test")
PATCH = ActionPlan.of(
    PatchResources(namespace="payments", deployment="payments-api", container="api", memory_limit="512Mi"),
    "increase_memory_limit",
    "test",
)
CORDON = ActionPlan.of(CordonNode(node="ip-10-0-1-23"), "remediate_node", "test")


def decide(plan, now=NOW, recent=None, **policy):
    return evaluate(plan, Policy(**policy), PolicyContext(now=now, recent_actions=recent or {}))


def test_the_default_policy_requires_approval_for_everything():
    # Given the default policy
    # When a low-risk restart is evaluated
    decision = decide(RESTART)
    # Then it is allowed only with approval, and the rule says so
    assert (decision.allowed, decision.requires_approval, decision.rule) == (True, True, "autonomy:approve")
    assert decision.plan_id == RESTART.id
    assert decision.approval_timeout_seconds == 1800


def test_kill_switch_stops_everything_first():
    # Given the kill switch on, in full autonomy
    # When anything is evaluated
    decision = decide(RESTART, kill_switch=True, autonomy="auto")
    # Then nothing runs
    assert (decision.allowed, decision.rule) == (False, "kill_switch")


def test_observe_only_proposes():
    # Given autonomy observe
    decision = decide(RESTART, autonomy="observe")
    # Then nothing runs and no approval is asked
    assert (decision.allowed, decision.requires_approval, decision.rule) == (False, False, "autonomy:observe")


def test_denied_namespaces_win_and_kube_system_is_denied_by_default():
    # Given a plan in kube-system and a policy denying payments
    in_kube_system = ActionPlan.of(RestartPod(namespace="kube-system", pod="coredns-1"), "restart_pod", "t")
    # When evaluated
    # Then both are denied by the denied_namespace rule
    assert decide(in_kube_system, autonomy="auto").rule == "denied_namespace"
    assert decide(RESTART, denied_namespaces=["payments"], autonomy="auto").rule == "denied_namespace"


def test_namespaces_written_with_capitals_or_spaces_still_name_the_namespace():
    # Given namespaces as a person may type them (Kubernetes names them in lower case only)
    policy = {"autonomy": "auto", "denied_namespaces": ["Payments "]}
    # When a restart in payments is evaluated
    denied = decide(RESTART, **policy)
    allowed = decide(RESTART, autonomy="auto", allowed_namespaces=[" PAYMENTS"], denied_namespaces=[])
    # Then the deny list still denies it, and the allow list still allows it
    assert (denied.allowed, denied.rule) == (False, "denied_namespace")
    assert allowed.allowed, allowed.reason
    assert Policy(denied_namespaces=["Kube-System"]).denied_namespaces == ["kube-system"]


def test_allowed_namespaces_restrict_when_set():
    # Given only checkout is allowed
    # When payments and a cluster-scoped cordon are evaluated
    payments = decide(RESTART, allowed_namespaces=["checkout"], autonomy="auto")
    cordon = decide(CORDON, allowed_namespaces=["checkout"], autonomy="auto", max_blast_radius="cluster")
    # Then both fall outside
    assert (payments.allowed, payments.rule) == (False, "namespace_not_allowed")
    assert "cluster-scoped" in cordon.reason
    # And an empty list allows every namespace
    assert decide(RESTART, allowed_namespaces=[], autonomy="auto").allowed


def test_max_blast_radius():
    # Given the default maximum (deployment)
    # When a cluster-wide cordon and a deployment patch are evaluated
    # Then the cordon is denied and the patch is not
    assert decide(CORDON, autonomy="auto").rule == "max_blast_radius"
    assert decide(PATCH, autonomy="auto").allowed
    assert decide(PATCH, autonomy="auto", max_blast_radius="single_pod").rule == "max_blast_radius"


def test_dated_change_freeze():
    # Given a freeze covering now
    freeze = FreezeWindow(start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=1), reason="release week")
    # When evaluated inside and after it
    inside = decide(RESTART, freeze_windows=[freeze], autonomy="auto")
    after = decide(RESTART, now=NOW + timedelta(hours=2), freeze_windows=[freeze], autonomy="auto")
    # Then only inside is frozen, with the reason
    assert (inside.allowed, inside.rule) == (False, "change_freeze") and "release week" in inside.reason
    assert after.allowed


def test_weekly_freeze_in_its_time_zone_across_midnight():
    # Given a freeze every Friday from 18:00 Asia/Shanghai for 62 hours (to Monday 08:00)
    weekend = WeeklyFreeze(days=["fri"], start="18:00", hours=62, timezone="Asia/Shanghai")
    saturday_noon_utc = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
    monday_1am_utc = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: open again
    friday_9_utc = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai: not yet
    # When evaluated at those times
    rules = [
        decide(RESTART, now=t, weekly_freezes=[weekend], autonomy="auto").rule
        for t in (saturday_noon_utc, monday_1am_utc, friday_9_utc)
    ]
    # Then only the weekend is frozen
    assert rules == ["change_freeze", "autonomy:auto", "autonomy:auto"]


def test_rate_limit_per_service_within_the_window():
    # Given 3 actions max per 60 minutes, and payments-api had 3 in the last hour (one older)
    recent = {
        "payments/payments-api": [NOW - timedelta(minutes=m) for m in (5, 20, 50)],
        "payments/checkout-web": [NOW - timedelta(minutes=5)],
    }
    patch = decide(PATCH, recent=recent, rate_limit=RateLimit(max_actions=3, window_minutes=60), autonomy="auto")
    # Then payments-api is limited; the same history outside the window is not
    assert (patch.allowed, patch.rule) == (False, "rate_limit")
    older = {"payments/payments-api": [NOW - timedelta(minutes=m) for m in (61, 90, 120)]}
    assert decide(PATCH, recent=older, autonomy="auto").allowed


def test_a_dry_run_is_not_rate_limited_and_tells_what_the_real_run_would_be_told():
    # Given payments-api had its 3 actions of the hour
    policy = Policy(rate_limit=RateLimit(max_actions=3, window_minutes=60))
    context = PolicyContext(now=NOW, recent_actions={"payments/payments-api": [NOW - timedelta(minutes=5)] * 3})
    # When its patch is judged for real and for a dry run
    real, dry = evaluate(PATCH, policy, context), evaluate_dry_run(PATCH, policy, context)
    # Then the dry run may be sent, the real run may not, and the dry run's message says so
    assert (real.allowed, real.rule) == (False, "rate_limit")
    assert (dry.allowed, dry.rule) == (True, "autonomy:approve")
    assert dry_run_message("dry run: 1 change(s) would be made", real) == (
        "dry run: 1 change(s) would be made; a real run now would be blocked by policy rule rate_limit: "
        "payments/payments-api already had 3 actions in the last 60 minutes (max 3)"
    )
    assert dry_run_message("dry run: nothing would change", dry) == "dry run: nothing would change"
    # And a rule against the action itself refuses its dry run too
    denied = Policy(denied_namespaces=["payments"])
    assert evaluate_dry_run(PATCH, denied, context).rule == "denied_namespace"


def test_a_dry_run_previews_a_fix_during_a_change_freeze_and_says_a_real_run_would_be_blocked():
    # Given a release-week freeze in effect now
    freeze = FreezeWindow(start=NOW - timedelta(hours=1), end=NOW + timedelta(days=2), reason="release week")
    policy, context = Policy(freeze_windows=[freeze]), PolicyContext(now=NOW)
    # When the patch is judged for real and for a dry run
    real, dry = evaluate(PATCH, policy, context), evaluate_dry_run(PATCH, policy, context)
    # Then only the dry run may be sent, and its message names the freeze
    assert (real.allowed, real.rule) == (False, "change_freeze")
    assert dry.allowed
    assert dry_run_message("dry run: 1 change(s) would be made", real) == (
        "dry run: 1 change(s) would be made; a real run now would be blocked by policy rule change_freeze: "
        "change freeze in effect: release week"
    )
    # And the kill switch, which stops everything Pagerless does to the cluster, still refuses the dry run
    assert evaluate_dry_run(PATCH, Policy(kill_switch=True, freeze_windows=[freeze]), context).rule == "kill_switch"


def test_rate_limit_counts_a_workload_not_its_name_in_other_namespaces():
    # Given payments/payments-api had 3 actions in the last hour
    recent = {}
    for _ in range(3):
        recent.setdefault(PATCH.workload, []).append(NOW - timedelta(minutes=5))
    staging = ActionPlan.of(
        PatchResources(namespace="staging", deployment="payments-api", container="api", memory_limit="512Mi"),
        "increase_memory_limit",
        "test",
    )
    # Then payments/payments-api is limited, but the Deployment of the same name in staging is not
    assert decide(PATCH, recent=recent, autonomy="auto").rule == "rate_limit"
    assert decide(staging, recent=recent, autonomy="auto").allowed
    # and a pod counts against its Deployment, named or read from the cluster as the pod's owner
    pod = RestartPod(namespace="payments", pod="payments-api-7d9f8c6b5d-x2kqp", deployment="payments-api")
    assert ActionPlan.of(pod, "restart_pod", "t").workload == PATCH.workload
    unnamed = ActionPlan.of(RestartPod(namespace="payments", pod="payments-api-7d9f8c6b5d-4kq2w"), "restart_pod", "t")
    owned = unnamed.model_copy(update={"pod_owner": "Deployment/payments-api"})
    assert decide(owned, recent=recent, autonomy="auto").rule == "rate_limit"
    assert decide(unnamed, recent=recent, autonomy="auto").allowed  # its name alone: not counted


def test_a_pod_of_a_statefulset_counts_against_the_statefulset_not_a_deployment_of_its_name():
    # Given db-0 of the StatefulSet db restarted 3 times in the last hour
    plan = ActionPlan.of(RestartPod(namespace="payments", pod="db-0"), "restart_pod", "t")
    owned = ActionPlan.model_validate({**plan.model_dump(mode="json"), "pod_owner": "StatefulSet/db"})
    recent = {owned.workload: [NOW - timedelta(minutes=m) for m in (5, 10, 15)]}
    # Then its next restart is limited, and a Deployment named db is another workload
    assert owned.workload == "payments/StatefulSet/db"
    assert decide(owned, recent=recent, autonomy="auto").rule == "rate_limit"
    deployment_db = ActionPlan.of(RolloutRestart(namespace="payments", deployment="db"), "restart_pod", "t")
    assert decide(deployment_db, recent=recent, autonomy="auto").allowed


def test_auto_safe_runs_only_low_risk_small_actions_without_approval():
    # Given autonomy auto-safe
    rollout = ActionPlan.of(RolloutRestart(namespace="payments", deployment="payments-api"), "restart_pod", "t")
    # When a low-risk restart, a low-risk rollout restart and a medium-risk patch are evaluated
    restart, roll, patch = (decide(p, autonomy="auto-safe") for p in (RESTART, rollout, PATCH))
    # Then the first two run at once, the patch waits for approval
    assert restart.may_run_now and roll.may_run_now
    assert (patch.allowed, patch.requires_approval, patch.rule) == (True, True, "autonomy:auto-safe")


def test_auto_runs_everything_the_other_rules_allow():
    # Given autonomy auto with a cluster blast radius
    decision = decide(CORDON, autonomy=Autonomy.AUTO, max_blast_radius="cluster")
    # Then even a high-risk cordon runs without approval
    assert decision.may_run_now and decision.rule == "autonomy:auto"


def test_scale_down_to_zero_is_high_risk_for_auto_safe():
    # Given a scale plan whose risk the planner raised
    plan = ActionPlan.of(
        ScaleDeployment(namespace="payments", deployment="payments-api", replicas=0),
        "scale_deployment",
        "t",
        risk="high",
    )
    # Then auto-safe asks for approval
    assert decide(plan, autonomy="auto-safe").requires_approval


@pytest.mark.parametrize(
    "bad",
    [
        {"autonomy": "yolo"},
        {"allowed_namespaces": ["payments"], "denied_namespaces": ["payments"]},
        {"max_blast_radius": "galaxy"},
        {"approval_timeout_seconds": 5},
        {"rate_limit": {"max_actions": 0}},
        {"freeze_windows": [{"start": "2026-03-11T15:00:00Z", "end": "2026-03-11T14:00:00Z"}]},
        {"freeze_windows": [{"start": "2026-03-11T14:00:00", "end": "2026-03-11T15:00:00"}]},
        {"weekly_freezes": [{"days": ["fri"], "start": "18:00", "hours": 4, "timezone": "Mars/Olympus"}]},
        {"weekly_freezes": [{"days": ["fri"], "start": "18:00", "hours": 4, "timezone": "America"}]},
        {"weekly_freezes": [{"days": ["friday"], "start": "18:00", "hours": 4}]},
        {"action_limits": {"max_replicas": -1}},
        {"action_limits": {"max_replicas": 1001}},
        {"action_limits": {"max_memory_limit": "lots"}},
        {"action_limits": {"max_cpu_limit": "0"}},
        {"action_limits": {"max_pods": 3}},
    ],
)
def test_invalid_policies_are_rejected(bad):
    # Given an invalid policy document
    # When it is loaded
    # Then validation fails
    with pytest.raises(ValidationError):
        Policy.model_validate(bad)


def test_policy_defaults():
    # Given an empty policy document
    policy = Policy.model_validate({})
    # Then the defaults are the cautious ones
    assert (policy.autonomy, policy.max_blast_radius, policy.kill_switch, policy.approval_timeout_seconds) == (
        Autonomy.APPROVE,
        "deployment",
        False,
        1800,
    )


def _scale(replicas: int) -> ActionPlan:
    return ActionPlan.of(
        ScaleDeployment(namespace="payments", deployment="payments-api", replicas=replicas), "scale_deployment", "t"
    )


def _patch(**limits: str) -> ActionPlan:
    return ActionPlan.of(
        PatchResources(namespace="payments", deployment="payments-api", container="api", **limits), "patch", "t"
    )


def test_action_limits_bound_every_plan_whatever_made_it():
    # Given full autonomy and the default action limits (the planner's ceilings)
    # When plans past them are evaluated (an API request or a runbook step, not the planner's)
    too_many, too_much_memory, too_much_cpu = (
        decide(plan, autonomy="auto") for plan in (_scale(1000), _patch(memory_limit="64Gi"), _patch(cpu_limit="16"))
    )
    # Then each is denied by the action_limits rule, naming the bound
    assert (too_many.allowed, too_many.rule) == (False, "action_limits")
    assert too_many.reason == "scale_deployment to 1000 replicas exceeds action_limits.max_replicas 20"
    assert (too_much_memory.allowed, too_much_memory.rule) == (False, "action_limits")
    assert "memory limit 64Gi exceeds action_limits.max_memory_limit 8Gi" in too_much_memory.reason
    assert (too_much_cpu.allowed, too_much_cpu.rule) == (False, "action_limits")
    assert "CPU limit 16 exceeds action_limits.max_cpu_limit 8" in too_much_cpu.reason
    # And plans at the bounds run
    at_bounds = (_scale(20), _patch(memory_limit="8Gi", cpu_limit="8000m"))
    assert all(decide(plan, autonomy="auto").may_run_now for plan in at_bounds)


def test_action_limits_are_set_in_the_policy():
    # Given a policy that raises the replica bound and lowers the memory one
    limits = {"max_replicas": 50, "max_memory_limit": "2Gi"}
    # Then 30 replicas run and 4Gi of memory does not
    assert decide(_scale(30), autonomy="auto", action_limits=limits).may_run_now
    denied = decide(_patch(memory_limit="4Gi"), autonomy="auto", action_limits=limits)
    assert (denied.allowed, denied.rule) == (False, "action_limits")
    assert "exceeds action_limits.max_memory_limit 2Gi" in denied.reason


def test_the_default_action_limits_are_the_planners_ceilings():
    from pagerless.remediation.planner import PlannerLimits

    # Given an empty policy document
    limits = Policy.model_validate({}).action_limits
    # Then its bounds are the planner's, and the planner plans within a policy's bounds
    assert PlannerLimits.within(limits) == PlannerLimits()
    lowered = Policy(action_limits={"max_replicas": 5, "max_memory_limit": "1Gi", "max_cpu_limit": "500m"})
    assert PlannerLimits.within(lowered.action_limits) == PlannerLimits(
        max_memory_bytes=1024**3, max_cpu_millis=500, max_replicas=5
    )


def test_context_needs_an_aware_time():
    # Given a naive datetime
    # Then the context refuses it rather than guess a zone
    with pytest.raises(ValidationError):
        PolicyContext(now=datetime(2026, 3, 11, 14, 30))
