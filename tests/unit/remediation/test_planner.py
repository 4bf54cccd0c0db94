"""Taxonomy remediation ids + a diagnosis target → concrete plans, from plain Kubernetes JSON."""

import copy
import json
from pathlib import Path

import pytest

from pagerless.diagnosis.models import Diagnosis
from pagerless.diagnosis.taxonomy import remediation_ids
from pagerless.remediation.actions import (
    ActionPlan,
    CordonNode,
    NoAction,
    PatchResources,
    RestartPod,
    Risk,
    RollbackDeployment,
    RolloutRestart,
    ScaleDeployment,
)
from pagerless.remediation.planner import PlannerLimits, Workload, plan_diagnosis, plan_remediation

pytestmark = pytest.mark.unit
SCENARIO = json.loads((Path(__file__).parents[2] / "fixtures/scenarios/oom_payments.json").read_text("utf-8"))
TARGET = {"kind": "Deployment", "namespace": "payments", "name": "payments-api", "container": "api"}


@pytest.fixture
def workload() -> Workload:
    cluster = SCENARIO["cluster"]
    return Workload(
        deployment=copy.deepcopy(cluster["deployments"]["items"][0]),
        replicasets=copy.deepcopy(cluster["replicasets"]["items"]),
    )


def test_increase_memory_limit_doubles_the_limit(workload):
    # Given a 256Mi container
    # When the planner maps increase_memory_limit
    plan = plan_remediation("increase_memory_limit", TARGET, workload)
    # Then it patches the limit to 512Mi, with the inverse restoring 256Mi
    assert plan.action == PatchResources(
        namespace="payments", deployment="payments-api", container="api", memory_limit="512Mi"
    )
    assert plan.inverse.memory_limit == "256Mi"
    assert plan.target == {"namespace": "payments", "deployment": "payments-api"}
    assert plan.reason == "raise the memory limit of container api in payments-api from 256Mi to 512Mi"


def test_memory_is_rounded_up_to_mi_and_capped(workload):
    # Given an odd limit (300M) and, separately, a limit near the cap
    container = workload.deployment["spec"]["template"]["spec"]["containers"][0]
    container["resources"]["limits"]["memory"] = "300M"
    odd = plan_remediation("increase_memory_limit", TARGET, workload)
    container["resources"]["limits"]["memory"] = "5Gi"
    capped = plan_remediation(
        "increase_memory_limit", TARGET, workload, limits=PlannerLimits(max_memory_bytes=8 * 2**30)
    )
    container["resources"]["limits"]["memory"] = "8Gi"
    at_cap = plan_remediation("increase_memory_limit", TARGET, workload)
    # Then 600 MB rounds up to 573Mi, 10Gi is capped to 8Gi, and at the cap nothing is proposed
    assert odd.action.memory_limit == "573Mi"
    assert capped.action.memory_limit == "8Gi"
    assert isinstance(at_cap, NoAction) and "cap" in at_cap.reason


def test_no_memory_limit_means_nothing_to_raise(workload):
    # Given a container without a memory limit
    del workload.deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
    # Then the planner says so instead of inventing one
    result = plan_remediation("increase_memory_limit", TARGET, workload)
    assert isinstance(result, NoAction) and "no memory limit" in result.reason


def test_increase_cpu_limit(workload):
    # Given a 500m CPU limit
    plan = plan_remediation("increase_cpu_limit", TARGET, workload)
    # Then it becomes 1 core
    assert plan.action.cpu_limit == "1" and plan.action.memory_limit is None


def test_rollback_targets_the_previous_revision(workload):
    # Given revisions 1 and 2, 2 current
    plan = plan_remediation("rollback_deployment", TARGET, workload)
    # Then the rollback goes to 1, and its inverse back to 2
    assert plan.action == RollbackDeployment(namespace="payments", deployment="payments-api", to_revision=1)
    assert plan.inverse.to_revision == 2


def test_rollback_without_history_is_no_action(workload):
    # Given only the current ReplicaSet
    only_current = Workload(deployment=workload.deployment, replicasets=workload.replicasets[1:])
    # Then there is nothing to roll back to
    assert isinstance(plan_remediation("rollback_deployment", TARGET, only_current), NoAction)


def test_restart_pod_evicts_the_pod_or_restarts_the_deployment():
    # Given a pod target and a deployment-only target
    pod_target = {
        "kind": "Pod",
        "namespace": "payments",
        "name": "payments-api-7d9f8c6b5d-x2kqp",
        "deployment": "payments-api",
    }
    # Then a pod is evicted (low risk, single pod) and a deployment is rollout-restarted
    pod_plan = plan_remediation("restart_pod", pod_target)
    assert (
        isinstance(pod_plan.action, RestartPod) and pod_plan.blast_radius == "single_pod" and pod_plan.risk == Risk.LOW
    )
    assert isinstance(plan_remediation("restart_pod", TARGET).action, RolloutRestart)


def test_scale_up_by_half_and_restore_from_zero(workload):
    # Given 2 replicas, then 0
    up = plan_remediation("scale_deployment", TARGET, workload)
    workload.deployment["spec"]["replicas"] = 0
    restore = plan_remediation("scale_deployment", TARGET, workload)
    # Then 2 → 3 (low risk) and 0 → 1
    assert up.action == ScaleDeployment(namespace="payments", deployment="payments-api", replicas=3)
    assert up.risk == Risk.LOW and up.inverse.replicas == 2
    assert restore.action.replicas == 1


def test_a_deployment_an_autoscaler_scales_is_not_scaled_by_hand(workload):
    # Given a HorizontalPodAutoscaler that targets the deployment (read with it)
    hpa = copy.deepcopy(SCENARIO["cluster"]["hpas"]["items"][0])
    managed = Workload(deployment=workload.deployment, replicasets=workload.replicasets, hpas=[hpa])
    # When the diagnosis asks to scale it, by half or to an explicit count
    plans = [plan_remediation("scale_deployment", t, managed) for t in (TARGET, {**TARGET, "replicas": "5"})]
    # Then nothing is planned: the autoscaler would set the replicas back
    assert all(isinstance(p, NoAction) and "HorizontalPodAutoscaler payments-api" in p.reason for p in plans), plans


def test_scale_down_to_zero_is_high_risk(workload):
    # Given an explicit target of 0 replicas
    plan = plan_remediation("scale_deployment", {**TARGET, "replicas": "0"}, workload)
    # Then the plan is high risk
    assert plan.risk == Risk.HIGH


@pytest.mark.parametrize("replicas", ["abc", "2.5", "-1", "five pods", " "])
def test_a_replica_count_that_is_not_a_whole_number_is_refused_with_the_reason(workload, replicas):
    # Given a diagnosis target whose replica count is not a whole number of replicas
    target = {**TARGET, "replicas": replicas}
    # When the planner plans the scale
    plan = plan_remediation("scale_deployment", target, workload)
    # Then nothing is planned, and the reason names the value (Propose does not fail)
    assert isinstance(plan, NoAction), plan
    assert f"replicas {replicas!r} is not a whole number of replicas" in plan.reason, plan.reason


def test_a_scale_never_lowers_a_deployment_already_above_the_cap(workload):
    # Given a deployment with more replicas than the planner's ceiling
    workload.deployment["spec"]["replicas"] = 30
    # When the planner scales it up (by half) or to an explicit count above the ceiling
    plans = [plan_remediation("scale_deployment", t, workload) for t in (TARGET, {**TARGET, "replicas": "40"})]
    # Then nothing is planned: capping would scale it down instead
    assert all(isinstance(p, NoAction) and "the cap of 20" in p.reason for p in plans), plans


def test_a_node_action_also_verifies_the_workload_the_diagnosis_names():
    # Given a node diagnosis about a pod of a deployment (a node-pressure eviction)
    target = {"kind": "Pod", "namespace": "reco", "pod": "recommender-x", "deployment": "recommender", "node": "n1"}
    # When the planner cordons or drains the node
    cordon = plan_remediation("remediate_node", target)
    drain = plan_remediation("drain_node", target)
    bare_pod = plan_remediation("drain_node", {k: v for k, v in target.items() if k != "deployment"})
    # Then verification checks the node and the deployment; a drain never checks a pod it evicts
    assert cordon.target == drain.target == {"node": "n1", "namespace": "reco", "deployment": "recommender"}
    assert bare_pod.target == {"node": "n1"}
    assert plan_remediation("remediate_node", {"kind": "Node", "name": "n1"}).target == {"node": "n1"}


def test_remediate_node_cordons():
    # Given a node target
    plan = plan_remediation("remediate_node", {"kind": "Node", "name": "ip-10-0-1-23"})
    # Then the node is cordoned, blast radius cluster
    assert plan.action == CordonNode(node="ip-10-0-1-23") and plan.blast_radius == "cluster"


def test_pod_targets_resolve_their_deployment_through_the_workload(workload):
    # Given a pod-only target and the workload read for it
    target = {"kind": "Pod", "namespace": "payments", "name": "payments-api-7d9f8c6b5d-x2kqp", "container": "api"}
    # Then deployment-level remediations still find the deployment
    assert plan_remediation("increase_memory_limit", target, workload).action.deployment == "payments-api"


@pytest.mark.parametrize(
    "remediation",
    sorted(
        remediation_ids()
        - {
            "increase_memory_limit",
            "increase_cpu_limit",
            "rollback_deployment",
            "restart_pod",
            "scale_deployment",
            "remediate_node",
        }
    ),
)
def test_other_remediations_have_no_executable_action(remediation, workload):
    # Given a remediation without an automated action
    # Then the planner returns NoAction with a reason
    result = plan_remediation(remediation, TARGET, workload)
    assert isinstance(result, NoAction) and result.reason


def test_missing_deployment_or_namespace_is_no_action():
    # Given targets the planner cannot act on
    # Then it says why
    assert "namespace" in plan_remediation("restart_pod", {"name": "x"}).reason
    assert "could not be read" in plan_remediation("increase_memory_limit", TARGET, Workload()).reason


def test_a_diagnosis_becomes_one_plan_per_remediation(workload):
    # Given an OOM diagnosis suggesting two remediations
    diagnosis = Diagnosis(
        category="oom_killed",
        confidence=0.9,
        summary="api OOMKilled at 256Mi",
        remediations=["increase_memory_limit", "fix_application_code"],
        target=TARGET,
    )
    # When planned
    plans = plan_diagnosis(diagnosis, workload)
    # Then the first is executable, the second is for a human; the first says why this action, not the diagnosis
    assert isinstance(plans[0], ActionPlan)
    assert plans[0].reason == (
        "raise the memory limit of container api in payments-api from 256Mi to 512Mi: it was OOMKilled at 256Mi"
    )
    assert isinstance(plans[1], NoAction)


@pytest.mark.parametrize(
    ("remediation", "field", "value"),
    [
        ("restart_pod", "namespace", 'payments"} or vector(1) #'),
        ("increase_memory_limit", "deployment", "payments-api,app!=x"),
        ("restart_pod", "pod", "../../nodes/x"),
        ("remediate_node", "node", "ip-10-0-1-23\n"),
        ("increase_memory_limit", "container", "API"),
        ("restart_pod", "namespace", "a" * 254),
    ],
)
def test_a_target_name_from_an_alert_that_is_no_kubernetes_name_plans_nothing_and_says_why(
    workload, remediation, field, value
):
    # Given a target whose name (from an alert's labels) is no RFC 1123 name
    target = {**TARGET, "pod": "payments-api-1", "node": "ip-10-0-1-23", field: value}
    # When the planner maps it
    planned = plan_remediation(remediation, target, workload)
    # Then nothing is planned, and the reason names the field and the value
    assert isinstance(planned, NoAction)
    assert planned.reason == f"the target's {field} {value!r} is not a Kubernetes name (RFC 1123)"
    assert planned.why.code == "not_a_name"


def test_a_pod_actions_deployment_must_be_a_kubernetes_name_too():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        RestartPod(namespace="payments", pod="payments-api-1", deployment='x"} or vector(1)')


def test_an_actions_names_are_at_most_253_characters_whoever_builds_it():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        RolloutRestart(namespace="payments", deployment="a" * 254)
    assert RolloutRestart(namespace="payments", deployment="a" * 253).deployment == "a" * 253
