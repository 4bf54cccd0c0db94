"""A pod fix is verified by the workload that owns the pod, read through the real client from the sandbox cluster:
a DaemonSet's or a Job's replacement pod has a new name, a StatefulSet is healthy only when all its replicas are."""

from datetime import UTC, datetime

import pytest

from pagerless.kube.clients import from_kubeconfig
from pagerless.local.sandbox_cluster import SandboxCluster
from pagerless.remediation.actions import ActionPlan, DeletePod
from pagerless.remediation.check_phrases import CHECKS
from pagerless.remediation.executor import execute
from pagerless.remediation.planner import plan_remediation
from pagerless.remediation.policy import Autonomy, Policy, PolicyContext, evaluate
from pagerless.remediation.verify import check_action
from pagerless.remediation.workloads import with_pod_owner

from .owned_workloads import REPORT_JOB, REPORT_POD, SHIPPER_PODS, daemonset, owned_scenario, statefulset

pytestmark = pytest.mark.functional


def serve(scenario: dict):
    cluster = SandboxCluster.from_scenario(scenario)
    cluster.start()
    return cluster, from_kubeconfig(cluster.kubeconfig_path())


@pytest.fixture
def owned():
    cluster, clients = serve(owned_scenario())
    yield cluster, clients
    clients.close()
    cluster.stop()


def restart(kube, namespace: str, pod: str) -> ActionPlan:
    """The planner's restart of ``pod``, its owner read from the cluster, run as the workflow runs it."""
    plan = with_pod_owner(plan_remediation("restart_pod", {"kind": "Pod", "namespace": namespace, "name": pod}), kube)
    decision = evaluate(
        plan, Policy(autonomy=Autonomy.AUTO, max_blast_radius="cluster"), PolicyContext(now=datetime.now(UTC))
    )
    outcome = execute(plan, kube, decision)
    assert outcome.status == "succeeded", outcome
    return plan


def named(kube, namespace: str, pod: str) -> ActionPlan:
    """A person's delete of ``pod`` (verification watches what it names), its owner read from the cluster."""
    target = {"namespace": namespace, "pod": pod}
    return with_pod_owner(
        ActionPlan.of(DeletePod(namespace=namespace, pod=pod), "restart_pod", "t", target=target), kube
    )


def test_a_restarted_daemonset_pod_is_verified_by_its_daemonset_not_by_its_old_name(owned):
    cluster, kube = owned
    since = datetime.now(UTC)
    # Given a restart of one of log-shipper's pods: the DaemonSet's controller replaces it under a new name
    plan = restart(kube, "payments", SHIPPER_PODS[0])
    assert plan.target == {"namespace": "payments", "pod": SHIPPER_PODS[0], "owner": "DaemonSet/log-shipper"}
    assert cluster.pod("payments", SHIPPER_PODS[0]) is None
    # When the fix is verified
    result = check_action(kube, plan, since)
    # Then the DaemonSet is judged, with its pods as they are now: healthy
    assert result.healthy, result
    assert result.details["workload"] == "DaemonSet/payments/log-shipper"
    assert (result.details["desired"], result.details["ready"], result.details["unavailable"]) == (2, 2, 0)
    assert SHIPPER_PODS[1] in result.details["pods"] and len(result.details["pods"]) == 2
    assert SHIPPER_PODS[0] not in result.details["pods"]


def test_a_plan_stored_before_targets_named_owners_is_verified_by_its_daemonset(owned):
    cluster, kube = owned
    since = datetime.now(UTC)
    plan = restart(kube, "payments", SHIPPER_PODS[0])
    # Given the same plan as one stored before: its target names the pod only, its pod_owner the DaemonSet
    older = plan.model_copy(update={"target": {"namespace": "payments", "pod": SHIPPER_PODS[0]}})
    result = check_action(kube, older, since)
    assert result.healthy and result.details["workload"] == "DaemonSet/payments/log-shipper", result


def test_a_daemonset_not_ready_on_every_node_or_with_a_pod_restarted_since_is_not_healthy():
    scenario = owned_scenario()
    scenario["cluster"]["daemonsets"]["items"][1] = daemonset("payments", "log-shipper", {"app": "log-shipper"}, 2, 1)
    [pod] = [p for p in scenario["cluster"]["pods"]["items"] if p["metadata"]["name"] == SHIPPER_PODS[1]]
    pod["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    pod["status"]["containerStatuses"][0].update(ready=False, state={"waiting": {"reason": "CrashLoopBackOff"}})
    cluster, kube = serve(scenario)
    try:
        plan = named(kube, "payments", SHIPPER_PODS[1])
        result = check_action(kube, plan, datetime.now(UTC))
    finally:
        kube.close()
        cluster.stop()
    # Then the DaemonSet's counts and the pod's state are its reasons, each a phrase said in English and Chinese
    assert not result.healthy
    assert result.reasons == [
        "DaemonSet/payments/log-shipper: 1 of 2 scheduled pods Ready, 1 unavailable",
        f"pod {SHIPPER_PODS[1]} not Ready (CrashLoopBackOff)",
    ]
    assert (
        CHECKS.render(result.why[0], "zh")
        == "DaemonSet/payments/log-shipper：应调度的 2 个 Pod 中 1 个就绪，1 个不可用"
    )


def test_a_statefulset_pod_is_verified_by_all_its_replicas_and_its_revision():
    scenario = owned_scenario()
    sts = statefulset("monitoring", "prometheus-k8s", {"app.kubernetes.io/name": "prometheus"}, 2, 1)
    sts["status"]["updateRevision"] = "prometheus-k8s-7f5c9d8b6"
    scenario["cluster"]["statefulsets"]["items"] = [sts]
    cluster, kube = serve(scenario)
    try:
        since = datetime.now(UTC)
        # Given a restart of prometheus-k8s-0, whose StatefulSet has 1 of 2 replicas Ready, mid-rollout
        plan = restart(kube, "monitoring", "prometheus-k8s-0")
        # Then the pod came back under its name, Ready, but the StatefulSet is not healthy, and says why
        assert cluster.pod("monitoring", "prometheus-k8s-0")["status"]["phase"] == "Running"
        result = check_action(kube, plan, since)
    finally:
        kube.close()
        cluster.stop()
    assert plan.target["owner"] == "StatefulSet/prometheus-k8s"
    assert not result.healthy and result.details["workload"] == "StatefulSet/monitoring/prometheus-k8s"
    assert result.reasons == [
        "StatefulSet/monitoring/prometheus-k8s: 1 of 2 replicas Ready",
        "StatefulSet/monitoring/prometheus-k8s rollout incomplete: currentRevision prometheus-k8s-6d4f8b9c7, "
        "updateRevision prometheus-k8s-7f5c9d8b6",
    ]
    assert CHECKS.render(result.why[0], "zh") == "StatefulSet/monitoring/prometheus-k8s：2 个副本中 1 个就绪"


def test_a_statefulset_whose_replicas_are_all_ready_is_healthy_after_its_pod_restarts(owned):
    cluster, kube = owned
    since = datetime.now(UTC)
    plan = restart(kube, "monitoring", "prometheus-k8s-0")
    result = check_action(kube, plan, since)
    assert result.healthy and list(result.details["pods"]) == ["prometheus-k8s-0"], result


def test_a_cronjobs_restarted_pod_is_verified_by_the_job_of_its_run(owned):
    cluster, kube = owned
    since = datetime.now(UTC)
    # Given a restart of the pod of payments-report's latest run: the Job makes a new pod, under a new name
    plan = restart(kube, "payments", REPORT_POD)
    assert plan.pod_owner == "CronJob/payments-report"
    assert plan.target["owner"] == f"Job/{REPORT_JOB}"
    assert cluster.pod("payments", REPORT_POD) is None
    # Then the Job is judged: it still has a pod running, so the fix is healthy
    result = check_action(kube, plan, since)
    assert result.healthy, result
    assert result.details["workload"] == f"Job/payments/{REPORT_JOB}" and result.details["active"] == 1


@pytest.mark.parametrize(
    ("status", "en", "zh"),
    [
        (
            {
                "failed": 3,
                "conditions": [
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                    }
                ],
            },
            f"Job/payments/{REPORT_JOB} failed: BackoffLimitExceeded (Job has reached the specified backoff limit)",
            f"Job/payments/{REPORT_JOB} 已失败：BackoffLimitExceeded（Job has reached the specified backoff limit）",
        ),
        (
            {"failed": 1},
            f"Job/payments/{REPORT_JOB} has no active or succeeded pod (1 failed)",
            f"Job/payments/{REPORT_JOB} 没有运行中或已成功的 Pod（1 个失败）",
        ),
    ],
)
def test_a_job_that_failed_or_runs_no_pod_is_not_healthy(status, en, zh):
    cluster, kube = serve(owned_scenario(job_status=status))
    try:
        plan = named(kube, "payments", REPORT_POD)
        result = check_action(kube, plan, datetime.now(UTC))
    finally:
        kube.close()
        cluster.stop()
    assert not result.healthy and result.reasons == [en]
    assert CHECKS.render(result.why[0], "zh") == zh


def test_a_job_that_succeeded_is_healthy():
    done = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    cluster, kube = serve(owned_scenario(job_status=done))
    try:
        plan = named(kube, "payments", REPORT_POD)
        assert check_action(kube, plan, datetime.now(UTC)).healthy
    finally:
        kube.close()
        cluster.stop()


def test_an_owner_that_cannot_be_read_makes_the_check_unhealthy_saying_so(owned):
    cluster, kube = owned
    plan = named(kube, "payments", SHIPPER_PODS[0])
    cluster.forbid("daemonsets", "payments")
    result = check_action(kube, plan, datetime.now(UTC))
    assert not result.healthy and result.reasons == ["daemonset payments/log-shipper unreadable: 403"], result
    assert CHECKS.render(result.why[0], "zh") == "无法读取 DaemonSet payments/log-shipper：403"


def test_a_bare_pod_is_still_checked_by_its_name(owned):
    cluster, kube = owned
    plan = named(kube, "payments", "no-such-pod")
    assert "owner" not in plan.target
    result = check_action(kube, plan, datetime.now(UTC))
    assert not result.healthy and result.reasons == ["pod payments/no-such-pod unreadable: 404"], result
