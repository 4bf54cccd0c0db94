"""Plan → policy → execute against the sandbox cluster, with the official kubernetes client."""

from datetime import UTC, datetime

import pytest

from pagerless.remediation.actions import (
    ActionPlan,
    CordonNode,
    DeletePod,
    NoAction,
    PatchResources,
    RestartPod,
    RollbackDeployment,
    RolloutRestart,
    ScaleDeployment,
)
from pagerless.remediation.executor import dry_run, execute
from pagerless.remediation.planner import plan_remediation
from pagerless.remediation.policy import Autonomy, Decision, Policy, PolicyContext, evaluate
from pagerless.remediation.verify import check_workload
from pagerless.remediation.workloads import read_workload

from .conftest import CONTAINER, DEPLOYMENT, NS, workload_pods

pytestmark = pytest.mark.functional
TARGET = {"kind": "Deployment", "namespace": NS, "name": DEPLOYMENT, "container": CONTAINER}
FIRST_POD = "payments-api-7d9f8c6b5d-x2kqp"


def allow(plan: ActionPlan) -> Decision:
    """What the policy engine answers in a workspace on autonomy `auto`."""
    return evaluate(
        plan, Policy(autonomy=Autonomy.AUTO, max_blast_radius="cluster"), PolicyContext(now=datetime.now(UTC))
    )


def no_sleep(_: float) -> None:
    return None


def container_resources(sandbox) -> dict:
    return sandbox.deployment(NS, DEPLOYMENT)["spec"]["template"]["spec"]["containers"][0]["resources"]


def test_eviction_recreates_the_pod_under_a_new_name(sandbox, kube):
    # Given an OOM-looping pod owned by a ReplicaSet
    plan = ActionPlan.of(RestartPod(namespace=NS, pod=FIRST_POD, deployment=DEPLOYMENT), "restart_pod", "test")
    # When it is restarted through the Eviction API
    outcome = execute(plan, kube, allow(plan))
    # Then it is gone, and a replacement with a new name belongs to the same ReplicaSet
    assert outcome.status == "succeeded", outcome.message
    names = [p["metadata"]["name"] for p in workload_pods(sandbox)]
    assert FIRST_POD not in names and len(names) == 2
    new = next(
        p for p in workload_pods(sandbox) if p["metadata"]["name"] not in (FIRST_POD, "payments-api-7d9f8c6b5d-9tzmw")
    )
    assert new["metadata"]["ownerReferences"][0]["name"] == "payments-api-7d9f8c6b5d"
    assert new["metadata"]["labels"]["pagerless.dev/sandbox"] == "true"
    assert ("POST", f"/api/v1/namespaces/{NS}/pods/{FIRST_POD}/eviction") in sandbox.requests()
    assert "ReplicaSet payments-api-7d9f8c6b5d creates a replacement" in str(outcome.changes[0])


def test_evicting_a_bare_pod_warns_in_the_dry_run_that_it_will_not_come_back(sandbox, kube):
    # Given a pod no controller owns
    plan = ActionPlan.of(RestartPod(namespace="kube-system", pod="coredns-5d78c9869d-8hx2v"), "restart_pod", "test")
    # When dry-run
    result = dry_run(plan, kube)
    # Then the approver is told, and the pod is still there
    assert "it will NOT come back" in result.diff
    assert sandbox.pods("kube-system")


def test_a_disruption_budget_blocks_eviction_and_is_reported_not_retried_forever(scenario):
    # Given a PDB that wants one payments-api pod available while none is Ready
    from pagerless.kube.clients import from_kubeconfig
    from pagerless.local.sandbox_cluster import SandboxCluster

    scenario["cluster"]["pdbs"] = {
        "items": [
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": "payments-api", "namespace": NS},
                "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": DEPLOYMENT}}},
            }
        ]
    }
    with SandboxCluster.from_scenario(scenario) as sandbox:
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        plan = ActionPlan.of(RestartPod(namespace=NS, pod=FIRST_POD), "restart_pod", "test")
        waits: list[float] = []
        # When the executor tries to evict
        outcome = execute(plan, kube, allow(plan), max_attempts=3, sleep=waits.append)
        # Then the outcome says blocked_by_pdb after 3 bounded attempts, and the pod is still there
        assert outcome.status == "blocked_by_pdb"
        assert "disruption budget" in outcome.message
        assert outcome.attempts == 3 and len(waits) == 2
        assert sandbox.pod(NS, FIRST_POD) is not None
        # And the dry run already tells the approver
        assert dry_run(plan, kube).status == "blocked_by_pdb"


def test_dry_run_changes_nothing_but_returns_the_diff(sandbox, kube):
    # Given a plan to double the memory limit
    plan = plan_remediation("increase_memory_limit", TARGET, read_workload(kube, TARGET))
    before_pods = sorted(p["metadata"]["name"] for p in workload_pods(sandbox))
    # When it is dry-run
    result = dry_run(plan, kube)
    # Then the diff names the field and both values, and the cluster is untouched
    assert result.status == "would_change"
    assert "resources.limits.memory: 256Mi → 512Mi" in result.diff
    assert container_resources(sandbox)["limits"]["memory"] == "256Mi"
    assert sorted(p["metadata"]["name"] for p in workload_pods(sandbox)) == before_pods
    assert len(sandbox.replicasets(NS)) == 2
    assert all("dryRun=All" in path for method, path in sandbox.requests() if method == "PATCH")


def test_raising_the_memory_limit_on_an_oom_workload_makes_it_healthy(sandbox, kube):
    # Given the OOM scenario and the planner's patch_resources plan
    plan = plan_remediation("increase_memory_limit", TARGET, read_workload(kube, TARGET))
    assert isinstance(plan.action, PatchResources) and plan.action.memory_limit == "512Mi"
    since = datetime.now(UTC)
    # When it runs
    outcome = execute(plan, kube, allow(plan))
    # Then the limit is raised and verification finds the workload healthy
    assert outcome.status == "succeeded", outcome.message
    assert container_resources(sandbox)["limits"]["memory"] == "512Mi"
    result = check_workload(kube, plan.target, since)
    assert result.healthy, result.reasons
    assert all(p["restarts"] == 0 for p in result.details["pods"].values())


def test_restarting_a_pod_of_an_oom_workload_does_not_fix_it(sandbox, kube):
    # Given the OOM scenario
    plan = ActionPlan.of(
        RestartPod(namespace=NS, pod=FIRST_POD, deployment=DEPLOYMENT),
        "restart_pod",
        "test",
        target={"namespace": NS, "deployment": DEPLOYMENT},
    )
    since = datetime.now(UTC)
    # When one pod is restarted
    assert execute(plan, kube, allow(plan)).status == "succeeded"
    # Then verification still sees pods not Ready, and the new pod OOMKilled again since the action
    result = check_workload(kube, plan.target, since)
    assert not result.healthy
    assert any("OOMKilled" in reason and "restarted since the action" in reason for reason in result.reasons)


def test_a_rollout_restart_does_not_fix_an_oom_workload_either(sandbox, kube):
    # Given the OOM scenario
    plan = ActionPlan.of(
        RolloutRestart(namespace=NS, deployment=DEPLOYMENT),
        "restart_pod",
        "test",
        target={"namespace": NS, "deployment": DEPLOYMENT},
    )
    old = {p["metadata"]["name"] for p in workload_pods(sandbox)}
    since = datetime.now(UTC)
    # When the deployment is rollout-restarted
    outcome = execute(plan, kube, allow(plan))
    # Then every pod was replaced, yet the workload stays unhealthy
    assert outcome.status == "succeeded"
    assert any(c.field.endswith("kubectl.kubernetes.io/restartedAt") for c in outcome.changes)
    assert not old & {p["metadata"]["name"] for p in workload_pods(sandbox)}
    assert not check_workload(kube, plan.target, since).healthy


def test_rollback_returns_the_deployment_to_the_previous_revision(sandbox, kube):
    # Given revision 2 (v2.3.1) is current and revision 1 (v2.3.0) precedes it
    plan = plan_remediation("rollback_deployment", TARGET, read_workload(kube, TARGET))
    assert isinstance(plan.action, RollbackDeployment) and plan.action.to_revision == 1
    # When the rollback runs
    outcome = execute(plan, kube, allow(plan))
    # Then the template is v2.3.0 again, revived as revision 3 as kubectl rollout undo does
    assert outcome.status == "succeeded", outcome.message
    assert any("image" in c.field and str(c.after).endswith(":v2.3.0") for c in outcome.changes)
    deployment = sandbox.deployment(NS, DEPLOYMENT)
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v2.3.0")
    assert deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    revived = next(rs for rs in sandbox.replicasets(NS) if rs["metadata"]["name"] == "payments-api-5c6d47f9b8")
    assert revived["spec"]["replicas"] == 2
    assert all(p["metadata"]["labels"]["pod-template-hash"] == "5c6d47f9b8" for p in workload_pods(sandbox))


def test_rollback_fixes_a_workload_broken_by_its_last_deploy(scenario):
    # Given the same workload crash-looping with exit code 1 (not OOM) after the v2.3.1 deploy
    from pagerless.kube.clients import from_kubeconfig
    from pagerless.local.sandbox_cluster import SandboxCluster

    for pod in scenario["cluster"]["pods"]["items"][:2]:
        pod["status"]["containerStatuses"][0]["lastState"]["terminated"].update(reason="Error", exitCode=1)
    with SandboxCluster.from_scenario(scenario) as sandbox:
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        plan = plan_remediation("rollback_deployment", TARGET, read_workload(kube, TARGET))
        since = datetime.now(UTC)
        # When it is rolled back
        assert execute(plan, kube, allow(plan)).status == "succeeded"
        # Then the workload is healthy
        result = check_workload(kube, plan.target, since)
        assert result.healthy, result.reasons


def test_the_planner_does_not_scale_a_deployment_its_autoscaler_scales(sandbox, kube):
    # Given payments-api, whose replicas HorizontalPodAutoscaler payments-api sets (2 to 6)
    workload = read_workload(kube, TARGET)
    # When the diagnosis asks to scale it
    plan = plan_remediation("scale_deployment", TARGET, workload)
    # Then nothing is proposed that the autoscaler would undo: a human changes the autoscaler
    assert isinstance(plan, NoAction), plan
    assert "HorizontalPodAutoscaler payments-api" in plan.reason and "2-6" in plan.reason, plan.reason
    assert sandbox.deployment(NS, DEPLOYMENT)["spec"]["replicas"] == 2


def test_scale_changes_replicas_and_pod_count(sandbox, kube):
    # Given 2 replicas, and no autoscaler that sets them
    with sandbox._lock():
        sandbox.state.remove("horizontalpodautoscalers", NS, DEPLOYMENT)
    plan = plan_remediation("scale_deployment", TARGET, read_workload(kube, TARGET))
    assert isinstance(plan.action, ScaleDeployment) and plan.action.replicas == 3
    # When scaled
    outcome = execute(plan, kube, allow(plan))
    # Then the deployment wants 3 and has 3 pods, and the inverse scales back to 2
    assert outcome.status == "succeeded"
    assert [str(c) for c in outcome.changes] == ["spec.replicas: 2 → 3"]
    assert sandbox.deployment(NS, DEPLOYMENT)["spec"]["replicas"] == 3
    assert len(workload_pods(sandbox)) == 3
    inverse = ActionPlan.of(plan.inverse, "scale_deployment", "undo")
    assert execute(inverse, kube, allow(inverse)).status == "succeeded"
    assert len(workload_pods(sandbox)) == 2


def test_cordon_marks_the_node_unschedulable_and_leaves_its_pods(sandbox, kube):
    # Given a node running a payments-api pod
    node = "ip-10-0-1-23.ec2.internal"
    plan = plan_remediation("remediate_node", {"kind": "Node", "name": node})
    # When it is cordoned
    outcome = execute(plan, kube, allow(plan))
    # Then it is unschedulable, its pod still runs there, and uncordon is the inverse
    assert outcome.status == "succeeded"
    assert sandbox.node(node)["spec"]["unschedulable"] is True
    assert sandbox.pod(NS, FIRST_POD)["spec"]["nodeName"] == node
    assert plan.inverse == CordonNode(node=node, unschedulable=False)


def test_the_executor_refuses_without_an_allowing_decision(sandbox, kube):
    # Given a plan and decisions that do not allow it to run now
    plan = ActionPlan.of(DeletePod(namespace=NS, pod=FIRST_POD), "restart_pod", "test")
    observe = evaluate(plan, Policy(autonomy=Autonomy.OBSERVE), PolicyContext(now=datetime.now(UTC)))
    approve = evaluate(plan, Policy(), PolicyContext(now=datetime.now(UTC)))
    other = allow(ActionPlan.of(DeletePod(namespace=NS, pod="payments-api-7d9f8c6b5d-9tzmw"), "restart_pod", "x"))
    # When the executor is asked to run it
    outcomes = [
        execute(plan, kube, None),
        execute(plan, kube, observe),
        execute(plan, kube, approve),
        execute(plan, kube, other),
    ]
    # Then every outcome is refused, and not one request reached the cluster
    assert [o.status for o in outcomes] == ["refused"] * 4
    assert "autonomy:observe" in outcomes[1].message and "approval" in outcomes[2].message
    assert sandbox.requests() == []
    # And with an approver, the approve-mode decision runs
    assert execute(plan, kube, approve, approved_by="alice@example.com").status == "succeeded"


def test_failures_are_outcomes_with_the_api_message(sandbox, kube):
    # Given plans against a pod and a container that do not exist
    missing_pod = ActionPlan.of(RestartPod(namespace=NS, pod="ghost"), "restart_pod", "test")
    missing_container = ActionPlan.of(
        PatchResources(namespace=NS, deployment=DEPLOYMENT, container="sidecar", memory_limit="1Gi"),
        "increase_memory_limit",
        "test",
    )
    # When they run
    first = execute(missing_pod, kube, allow(missing_pod), sleep=no_sleep)
    second = execute(missing_container, kube, allow(missing_container), sleep=no_sleep)
    # Then each is a not_found outcome, recorded with its times
    assert (first.status, second.status) == ("not_found", "not_found")
    assert 'pods "ghost" not found' in first.message
    assert first.message.startswith(f"pod {NS}/ghost not found")  # what is missing, with its namespace
    assert first.finished_at >= first.started_at


def test_a_fix_whose_pods_cannot_schedule_fails_verification(sandbox, kube):
    # Given every node cordoned
    for node in ("ip-10-0-1-23.ec2.internal", "ip-10-0-2-41.ec2.internal", "ip-10-0-3-7.ec2.internal"):
        cordon = ActionPlan.of(CordonNode(node=node), "remediate_node", "test")
        assert execute(cordon, kube, allow(cordon)).status == "succeeded"
    plan = plan_remediation("increase_memory_limit", TARGET, read_workload(kube, TARGET))
    since = datetime.now(UTC)
    # When the right fix is applied
    assert execute(plan, kube, allow(plan)).status == "succeeded"
    # Then its pods stay Pending and verification says so
    result = check_workload(kube, plan.target, since)
    assert not result.healthy
    assert any("not Ready (Pending)" in reason for reason in result.reasons)


def test_an_unreachable_cluster_is_a_failed_outcome_not_an_exception():
    # Given clients for an API server that is not there
    from pagerless.diagnosis.context.live import collect_cluster
    from pagerless.kube.clients import ClusterSettings, build_clients

    kube = build_clients(
        ClusterSettings(api_server="http://127.0.0.1:9", bearer_token="t", request_timeout_seconds=0.5)
    )
    plan = ActionPlan.of(RestartPod(namespace=NS, pod=FIRST_POD), "restart_pod", "test")
    # When the executor and the collector use them
    outcome = execute(plan, kube, allow(plan), sleep=no_sleep)
    cluster = collect_cluster(NS, kube=kube, timeout_seconds=0.5)
    # Then both report it as data
    assert outcome.status == "failed" and "nothing was applied" in outcome.message
    assert "pods: unreachable (MaxRetryError)" in cluster["notes"] and cluster["pods"]["items"] == []


def test_a_raise_that_is_not_enough_fails_verification_and_the_next_one_heals(scenario):
    # Given a scenario saying the workload needs at least 600Mi
    from pagerless.kube.clients import from_kubeconfig
    from pagerless.local.sandbox_cluster import SandboxCluster

    scenario["sandbox"] = {
        "failures": {f"{NS}/{DEPLOYMENT}": {"kind": "oom", "container": CONTAINER, "memory_needed": "600Mi"}}
    }
    with SandboxCluster.from_scenario(scenario) as sandbox:
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        results = []
        for _ in range(2):
            # When the planner's doubling runs and is verified
            plan = plan_remediation("increase_memory_limit", TARGET, read_workload(kube, TARGET))
            since = datetime.now(UTC)
            assert execute(plan, kube, allow(plan)).status == "succeeded"
            results.append((plan.action.memory_limit, check_workload(kube, plan.target, since).healthy))
        # Then 512Mi is not enough and 1Gi is
        assert results == [("512Mi", False), ("1Gi", True)]
        assert sandbox.deployment(NS, DEPLOYMENT)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"


def test_verification_checks_the_deployments_own_pods_not_others_its_selector_matches(scenario):
    from pagerless.kube.clients import from_kubeconfig
    from pagerless.local.sandbox_cluster import SandboxCluster

    # Given a canary Deployment's pod, Pending, whose labels payments-api's selector (app=payments-api) matches too
    canary = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "payments-api-canary-5f6d7c8b9x-q7wzt",
            "namespace": NS,
            "labels": {"app": DEPLOYMENT, "track": "canary", "pod-template-hash": "5f6d7c8b9x"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "payments-api-canary-5f6d7c8b9x",
                    "controller": True,
                }
            ],
            "creationTimestamp": "2026-03-11T14:00:00Z",
        },
        "spec": {"containers": [{"name": "api", "image": "payments-api:canary"}]},
        "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]},
    }
    scenario["cluster"]["pods"]["items"].append(canary)
    with SandboxCluster.from_scenario(scenario) as sandbox:
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        assert sandbox.pod(NS, canary["metadata"]["name"]) is not None
        # When payments-api's memory is raised, which fixes it
        plan = plan_remediation("increase_memory_limit", TARGET, read_workload(kube, TARGET))
        since = datetime.now(UTC)
        assert execute(plan, kube, allow(plan)).status == "succeeded"
        result = check_workload(kube, plan.target, since)
        kube.close()
    # Then the canary's pending pod does not make payments-api's fix look failed (and rolled back)
    assert result.healthy, result.reasons
    assert canary["metadata"]["name"] not in result.details["pods"]
