"""A dependency that is down is fixed where it is down: the caller's diagnosis plans on the dependency, the policy
lets a fix on a listed dependency through only with a person's approval."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pagerless.diagnosis.engine import diagnose
from pagerless.remediation.actions import ActionPlan, NoAction, RolloutRestart, ScaleDeployment
from pagerless.remediation.dependency import previous_replicas
from pagerless.remediation.planner import Workload, plan_diagnosis
from pagerless.remediation.policy import Autonomy, Policy, PolicyContext, evaluate
from pagerless.remediation.policy_phrases import POLICY
from pagerless.remediation.reasons import render
from pagerless.remediation.service_scope import ServiceScope

pytestmark = pytest.mark.unit
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
NOW = datetime(2026, 3, 13, 19, 0, tzinfo=UTC)


def cluster_workload(scenario: dict, name: str) -> Workload:
    """The Deployment ``name`` and its ReplicaSets as the scenario's cluster holds them."""
    cluster = scenario["cluster"]
    deployment = next(d for d in cluster["deployments"]["items"] if d["metadata"]["name"] == name)
    owned = [
        rs
        for rs in cluster.get("replicasets", {}).get("items", [])
        if any(ref.get("name") == name for ref in rs["metadata"].get("ownerReferences") or [])
    ]
    events = [e for e in cluster.get("events", {}).get("items", []) if e["involvedObject"]["name"] == name]
    return Workload(deployment=deployment, replicasets=owned, events=events)


@pytest.mark.parametrize(
    ("scenario", "caller", "dependency", "namespace", "before", "replicaset"),
    [
        ("dependency_redis_scaled_to_zero.json", "checkout", "cart-redis", "shop", 1, "cart-redis-7b9f6d8c4"),
        (
            "redteam/dependency_scaled_to_zero_istio.json",
            "orders-api",
            "inventory",
            "inventory",
            3,
            "inventory-7f9c6d8b5",
        ),
    ],
)
def test_a_dependency_scaled_to_zero_is_scaled_back_and_the_caller_is_left_alone(
    scenario, caller, dependency, namespace, before, replicaset
):
    # Given the caller answers 5xx because its dependency's Deployment was scaled to 0
    recorded = json.loads((SCENARIOS / scenario).read_text())
    diagnosis = diagnose(recorded)
    assert diagnosis.category == "dependency_unavailable"
    # When the planner plans the diagnosis with both Deployments readable
    planned = plan_diagnosis(
        diagnosis,
        cluster_workload(recorded, caller),
        dependency=cluster_workload(recorded, dependency),
    )
    # Then the one action scales the dependency back up, and nothing touches the caller
    plans = [p for p in planned if isinstance(p, ActionPlan)]
    # (to what it ran before the deployment controller's scale-down, as its event says)
    assert [p.action for p in plans] == [ScaleDeployment(namespace=namespace, deployment=dependency, replicas=before)]
    assert plans[0].target == {"namespace": namespace, "deployment": dependency}
    # and its reason says where the count comes from and that it changes the dependency, not the caller
    assert f"what ran before the deployment controller scaled its ReplicaSet {replicaset} to 0" in plans[0].reason
    assert f"this changes {dependency}, not {caller}" in plans[0].reason
    assert f"变更的是 {dependency}，而不是 {caller}" in render(plans[0].why, "zh")


def _scaled_down(annotations=None) -> dict:
    return {
        "metadata": {"name": "cart-redis", "namespace": "shop", "annotations": annotations or {}},
        "spec": {"replicas": 0},
    }


def _rs(name, revision, desired) -> dict:
    annotations = {
        "deployment.kubernetes.io/revision": str(revision),
        "deployment.kubernetes.io/desired-replicas": desired,
    }
    return {"metadata": {"name": name, "annotations": annotations}}


def _scaled_event(message, at) -> dict:
    return {
        "involvedObject": {"kind": "Deployment", "name": "cart-redis"},
        "reason": "ScalingReplicaSet",
        "message": message,
        "lastTimestamp": at,
    }


def test_what_it_ran_before_comes_from_the_most_trustworthy_record():
    applied = json.dumps({"spec": {"replicas": 3}})
    history = [_rs("cart-redis-a", 1, "2"), _rs("cart-redis-b", 2, "0")]
    hpa = {"metadata": {"name": "cart-redis"}, "spec": {"minReplicas": 4, "maxReplicas": 8}}
    last_applied = {"kubectl.kubernetes.io/last-applied-configuration": applied}
    # an HPA's minimum first: the autoscaler owns the count and takes over again from it
    latest = [_scaled_event("Scaled down replica set cart-redis-b to 0 from 5", "2026-03-13T18:34:00Z")]
    assert previous_replicas(_scaled_down(last_applied), history, [hpa], latest).replicas == 4
    # then the deployment controller's newest scale-down to zero, which says the count it scaled from
    events = [
        _scaled_event("Scaled down replica set cart-redis-b to 0 from 5", "2026-03-13T18:34:00Z"),
        _scaled_event("Scaled down replica set cart-redis-b to 0 from 6", "2026-03-13T17:00:00Z"),
        _scaled_event("Scaled up replica set cart-redis-b to 9 from 0", "2026-03-13T18:40:00Z"),
    ]
    found = previous_replicas(_scaled_down(last_applied), history, [], events)
    assert (found.replicas, found.source, found.detail) == (5, "scaled_down_event", "cart-redis-b")
    # then the count its owner last applied
    assert previous_replicas(_scaled_down(last_applied), history, []).replicas == 3
    # then the newest ReplicaSet that records a count above zero
    found = previous_replicas(_scaled_down(), history, [])
    assert (found.replicas, found.source, found.detail) == (2, "replicaset", "cart-redis-a")
    # nothing tells: one, and the plan says so
    assert previous_replicas(_scaled_down(), [_rs("cart-redis-b", 2, "0")], []).source == "none"


def test_a_dependency_down_for_another_reason_gets_no_change_on_the_caller():
    # Given checkout's dependency cart-redis runs 2 replicas that crash (not scaled to zero)
    recorded = json.loads((SCENARIOS / "dependency_redis_scaled_to_zero.json").read_text())
    diagnosis = diagnose(recorded)
    crashing = cluster_workload(recorded, "cart-redis").deployment
    crashing = {**crashing, "spec": {**crashing["spec"], "replicas": 2}, "status": {"availableReplicas": 0}}
    # When it is planned
    planned = plan_diagnosis(
        diagnosis, cluster_workload(recorded, "checkout"), dependency=Workload(deployment=crashing)
    )
    # Then nothing is planned at all, and the reason says the fix is cart-redis's own
    assert all(isinstance(p, NoAction) for p in planned)
    assert "is not scaled to zero (2 replicas, 0 available)" in planned[0].reason
    assert "nothing is changed on checkout" in planned[0].reason


CATALOG = {"checkout": "shop", "cart-redis": "shop", "payments": "shop"}


def _decide(action, remediation="scale_deployment", **policy):
    plan = ActionPlan.of(action, remediation, "test")
    scope = ServiceScope(service="checkout", catalog=CATALOG, dependencies=["cart-redis"])
    return evaluate(plan, Policy(**policy), PolicyContext(now=NOW, scope=scope))


def test_a_fix_on_a_listed_dependency_is_allowed_but_always_approved_by_a_person():
    # Given autonomy auto, and checkout's catalog entry lists cart-redis as a dependency
    decision = _decide(ScaleDeployment(namespace="shop", deployment="cart-redis", replicas=1), autonomy=Autonomy.AUTO)
    # Then the fix is allowed, but a person approves it, told it changes the dependency
    assert (decision.allowed, decision.requires_approval) == (True, True)
    assert decision.reason == "it changes checkout's dependency cart-redis, not checkout itself: a person approves it"
    assert "变更的是 checkout 的依赖 cart-redis" in POLICY.render(decision.why, "zh")


def test_another_services_deployment_that_is_no_listed_dependency_stays_refused():
    decision = _decide(RolloutRestart(namespace="shop", deployment="payments"), autonomy=Autonomy.AUTO)
    assert (decision.allowed, decision.rule) == (False, "service_scope")
