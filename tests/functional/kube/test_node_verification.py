"""Verification of node actions against the sandbox cluster, with the official kubernetes client: a cordon
is checked for the cordon, a drain for its pods gone (as ``check_drained`` defines it), and the alert's
workload, when the target names one, for its health."""

from datetime import UTC, datetime, timedelta

import pytest

from pagerless.remediation.actions import ActionPlan, CordonNode
from pagerless.remediation.executor import execute
from pagerless.remediation.verify import check_action

from .conftest import DEPLOYMENT, NS
from .test_drain import CHECKOUT, DAEMON, NODE, approved, cluster_with, drain  # noqa: F401 (cluster_with: fixture)

pytestmark = pytest.mark.functional
SINCE = datetime.now(UTC) - timedelta(minutes=1)


def cordon(node: str = NODE, target: dict | None = None) -> ActionPlan:
    return ActionPlan.of(
        CordonNode(node=node),
        "remediate_node",
        "test",
        inverse=CordonNode(node=node, unschedulable=False),
        target=target or {"node": node},
    )


def test_a_drain_that_emptied_the_node_passes_verification(cluster_with):
    # Given a drain that ran to the end
    sandbox, kube = cluster_with(DAEMON, CHECKOUT)
    plan = drain()
    assert execute(plan, kube, approved(plan), approved_by="alice").status == "succeeded"
    # When the workflow's verification checks it
    result = check_action(kube, plan, SINCE)
    # Then it passes: the node is cordoned, only the DaemonSet pod stays
    assert result.healthy, result.reasons
    assert result.details["node"]["unschedulable"] is True
    assert f"node {NODE} is cordoned and drained" in result.summary


def test_a_drain_whose_pod_stays_on_the_node_fails_verification_naming_it(cluster_with):
    # Given a drain whose eviction of the checkout pod is accepted but the pod stays (Terminating)
    sandbox, kube = cluster_with(DAEMON, CHECKOUT)
    sandbox.keep_terminating("shop", CHECKOUT["metadata"]["name"])
    plan = drain()
    assert execute(plan, kube, approved(plan), approved_by="alice").status == "succeeded"
    # When the workflow's verification checks it
    result = check_action(kube, plan, SINCE)
    # Then it fails, naming the pod still on the node
    assert not result.healthy
    assert any(f"shop/{CHECKOUT['metadata']['name']}" in reason for reason in result.reasons), result.reasons
    # And its one reason has a phrase joining its parts' phrases: a Chinese reader reads each part in Chinese
    from pagerless.remediation.check_phrases import reasons_in

    [why] = result.why
    [chinese] = reasons_in(result.reasons, [why.model_dump(mode="json")], "zh")
    assert chinese == f"节点上仍有 1 个 Pod：shop/{CHECKOUT['metadata']['name']}", chinese


def test_a_cordon_is_verified_by_the_node_being_unschedulable(cluster_with):
    # Given a cordon that ran
    sandbox, kube = cluster_with(DAEMON)
    plan = cordon()
    assert execute(plan, kube, approved(plan), approved_by="alice").status == "succeeded"
    # When verification checks it: it passes
    held = check_action(kube, plan, SINCE)
    assert held.healthy, held.reasons
    # And once a person uncordons the node, the same check fails saying so
    kube.call(kube.core.patch_node, NODE, {"spec": {"unschedulable": False}})
    undone = check_action(kube, plan, SINCE)
    assert not undone.healthy
    assert undone.reasons == [f"node {NODE} is schedulable: the cordon did not hold"]


def test_a_node_action_whose_target_names_a_workload_also_checks_that_workload(cluster_with):
    # Given a cordon for an alert about payments-api (its pods OOMKilled in the scenario: unhealthy)
    sandbox, kube = cluster_with(DAEMON)
    plan = cordon(target={"node": NODE, "namespace": NS, "deployment": DEPLOYMENT})
    assert execute(plan, kube, approved(plan), approved_by="alice").status == "succeeded"
    # When verification checks it
    result = check_action(kube, plan, SINCE)
    # Then the cordon held but the workload did not recover: it fails, for the workload
    assert not result.healthy
    assert result.details["node"]["unschedulable"] is True
    assert result.details["deployment"] == f"{NS}/{DEPLOYMENT}"
    assert not any("node" in reason for reason in result.reasons), result.reasons
