"""Which workload a pod action counts against for the rate limit, read through the real client."""

import json
from pathlib import Path

import pytest

from pagerless.kube.clients import from_kubeconfig
from pagerless.local.sandbox_cluster import SandboxCluster
from pagerless.remediation.actions import ActionPlan, DeletePod, RestartPod
from pagerless.remediation.workloads import with_pod_owner

pytestmark = pytest.mark.functional
# a cluster with pods of a Deployment, a DaemonSet and a StatefulSet
SCENARIO = Path(__file__).parents[2] / "scenarios" / "oom_killed_payments.json"


@pytest.fixture
def mixed_kube():
    cluster = SandboxCluster.from_scenario(json.loads(SCENARIO.read_text("utf-8")))
    cluster.start()
    clients = from_kubeconfig(cluster.kubeconfig_path())
    yield clients
    clients.close()
    cluster.stop()


def restart(namespace: str, pod: str, **fields) -> ActionPlan:
    return ActionPlan.of(RestartPod(namespace=namespace, pod=pod, **fields), "restart_pod", "test")


def test_a_pod_counts_against_the_workload_that_owns_it(mixed_kube):
    # Given pods named without their workload: two of one Deployment, a DaemonSet's, a StatefulSet's
    one, other = (
        with_pod_owner(restart("payments", p), mixed_kube)
        for p in ("payments-api-4x6gmfs98g-gwkjg", "payments-api-4x6gmfs98g-z5m7f")
    )
    proxy = with_pod_owner(restart("kube-system", "kube-proxy-6s5gz"), mixed_kube)
    prometheus = with_pod_owner(
        ActionPlan.of(DeletePod(namespace="monitoring", pod="prometheus-k8s-0"), "restart_pod", "t"), mixed_kube
    )
    # Then each counts against its owner, read Pod → ReplicaSet → Deployment or from the pod's controller
    assert one.pod_owner == other.pod_owner == "Deployment/payments-api"
    assert one.workload == other.workload == "payments/payments-api"
    assert proxy.workload == "kube-system/DaemonSet/kube-proxy"
    assert prometheus.workload == "monitoring/StatefulSet/prometheus-k8s"
    # and the action is what was asked for, naming the Deployment that owns its pod
    assert one.action == restart("payments", "payments-api-4x6gmfs98g-gwkjg", deployment="payments-api").action


def test_a_pod_without_an_owner_counts_as_itself_and_says_why_its_owner_is_not_known(mixed_kube):
    # Given a pod that is gone (no owner can be read) and an action that names its deployment
    gone = with_pod_owner(restart("payments", "payments-api-gone"), mixed_kube)
    named = restart("payments", "payments-api-4x6gmfs98g-gwkjg", deployment="payments-api")
    # Then the first counts against its own name and says its pod is gone
    assert (gone.pod_owner, gone.pod_owner_unknown, gone.workload) == (None, "gone", "payments/payments-api-gone")
    # and the second's owner is read all the same (a deployment named with a pod may be an alert's label), while it
    # counts against its deployment
    read = with_pod_owner(named, mixed_kube)
    assert read.pod_owner == "Deployment/payments-api" and read.workload == "payments/payments-api"
    # but a person's request, which names its deployment, is taken at its word (only the rate limit needs the owner)
    assert with_pod_owner(named, mixed_kube, when_unnamed=True) is named


def test_the_owner_read_from_the_cluster_is_charged_and_watched_not_the_deployment_a_label_names(mixed_kube):
    from datetime import UTC, datetime

    from pagerless.remediation.planner import plan_remediation
    from pagerless.remediation.verify import check_action

    pod = "payments-api-4x6gmfs98g-gwkjg"
    # Given the planner's restart of payments-api's pod, whose alert's labels name ledger-worker as its deployment
    labelled = {"kind": "Pod", "namespace": "payments", "name": pod, "deployment": "ledger-worker"}
    plan = with_pod_owner(plan_remediation("restart_pod", labelled), mixed_kube)
    # Then the rate limit charges payments-api, whose pod it is, and verification watches payments-api
    assert plan.workload == "payments/payments-api"
    assert plan.target == {"namespace": "payments", "deployment": "payments-api", "pod": pod}
    watched = check_action(mixed_kube, plan, datetime.now(UTC))
    assert watched.details["deployment"] == "payments/payments-api", watched
    # ... a StatefulSet's pod said to be a deployment's is charged to its StatefulSet and watched as its StatefulSet
    sts = {"kind": "Pod", "namespace": "monitoring", "name": "prometheus-k8s-0", "deployment": "prometheus"}
    stateful = with_pod_owner(plan_remediation("restart_pod", sts), mixed_kube)
    assert stateful.workload == "monitoring/StatefulSet/prometheus-k8s"
    assert stateful.target == {
        "namespace": "monitoring",
        "pod": "prometheus-k8s-0",
        "owner": "StatefulSet/prometheus-k8s",
    }
    # and when nothing could be read (the pod is gone) the label's deployment is all there is
    gone = {"kind": "Pod", "namespace": "payments", "name": "payments-api-gone", "deployment": "ledger-worker"}
    unread = with_pod_owner(plan_remediation("restart_pod", gone), mixed_kube)
    assert (unread.workload, unread.target["deployment"]) == ("payments/ledger-worker", "ledger-worker")
