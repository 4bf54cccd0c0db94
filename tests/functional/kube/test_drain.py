"""drain_node against the sandbox cluster, with the official kubernetes client: cordon + Eviction API."""

import copy
from datetime import UTC, datetime

import pytest

from pagerless.kube.clients import from_kubeconfig
from pagerless.local.sandbox_cluster import SandboxCluster
from pagerless.remediation.actions import ActionPlan, CordonNode, DrainNode
from pagerless.remediation.drain import check_drained
from pagerless.remediation.executor import dry_run, execute
from pagerless.remediation.planner import plan_remediation
from pagerless.remediation.policy import Autonomy, Policy, PolicyContext, evaluate

from .conftest import DEPLOYMENT, NS

pytestmark = pytest.mark.functional
NODE = "ip-10-0-1-23.ec2.internal"
PAYMENTS_POD = "payments-api-7d9f8c6b5d-x2kqp"  # on NODE, owned by a ReplicaSet
OTHER_NODES = ("ip-10-0-2-41.ec2.internal", "ip-10-0-3-7.ec2.internal")


def _pod(
    name: str,
    namespace: str,
    *,
    owner: tuple[str, str] | None,
    volumes: list | None = None,
    annotations: dict | None = None,
) -> dict:
    meta = {
        "name": name,
        "namespace": namespace,
        "labels": {"app": name.rsplit("-", 1)[0]},
        "annotations": annotations or {},
        "creationTimestamp": "2026-03-11T14:00:00Z",
    }
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": f"uid-{owner[1]}", "controller": True}
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"nodeName": NODE, "containers": [{"name": "main", "image": "busybox"}], "volumes": volumes or []},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


DAEMON = _pod("kube-proxy-x7k2p", "kube-system", owner=("DaemonSet", "kube-proxy"))
MIRROR = _pod("etcd-ip-10-0-1-23", "kube-system", owner=None, annotations={"kubernetes.io/config.mirror": "abc"})
CHECKOUT = _pod("checkout-6b7c9d-q8w4e", "shop", owner=("ReplicaSet", "checkout-6b7c9d"))
SCRATCH = _pod(
    "batch-7f8e9d-m3n4b", "shop", owner=("ReplicaSet", "batch-7f8e9d"), volumes=[{"name": "scratch", "emptyDir": {}}]
)
BARE = _pod("debug-shell", "shop", owner=None)
PAYMENTS_PDB = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "payments-api", "namespace": NS},
    "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": DEPLOYMENT}}},
}


@pytest.fixture
def cluster_with(oom_scenario):
    """A sandbox of the OOM scenario plus extra pods on NODE (and PDBs); stopped after the test."""
    started = []

    def build(*pods: dict, pdbs: tuple[dict, ...] = ()):
        scenario = copy.deepcopy(oom_scenario)
        scenario["cluster"]["pods"]["items"] += [copy.deepcopy(p) for p in pods]
        if pdbs:
            scenario["cluster"]["pdbs"] = {"items": list(pdbs)}
        sandbox = SandboxCluster.from_scenario(scenario)
        sandbox.start()
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        started.append((sandbox, kube))
        return sandbox, kube

    yield build
    for sandbox, kube in started:
        kube.close()
        sandbox.stop()


def approved(plan: ActionPlan, **policy):
    """The policy's decision for a workspace that allows cluster-wide actions (a drain still needs approval)."""
    return evaluate(
        plan, Policy(autonomy=Autonomy.AUTO, max_blast_radius="cluster", **policy), PolicyContext(now=datetime.now(UTC))
    )


def drain(node: str = NODE, **params) -> ActionPlan:
    return ActionPlan.of(
        DrainNode(node=node, **params),
        "drain_node",
        "test",
        inverse=CordonNode(node=node, unschedulable=False),
        target={"node": node},
    )


def names_on(sandbox, node: str) -> set[str]:
    return {
        f"{p['metadata']['namespace']}/{p['metadata']['name']}"
        for p in sandbox.pods()
        if p["spec"].get("nodeName") == node
    }


def test_a_drain_cordons_evicts_through_the_eviction_api_and_leaves_daemonset_and_mirror_pods(cluster_with):
    # Given a node running a ReplicaSet pod, a second managed pod, a DaemonSet pod and a mirror pod
    sandbox, kube = cluster_with(DAEMON, MIRROR, CHECKOUT)
    plan = drain()
    decision = approved(plan)
    assert decision.requires_approval  # a drain always needs a human, even on autonomy auto
    # When the approved drain runs
    outcome = execute(plan, kube, decision, approved_by="alice")
    # Then the node is cordoned, every evictable pod went through the Eviction API, the others stay
    assert outcome.status == "succeeded", outcome.message
    assert sandbox.node(NODE)["spec"]["unschedulable"] is True
    assert names_on(sandbox, NODE) == {"kube-system/kube-proxy-x7k2p", "kube-system/etcd-ip-10-0-1-23"}
    evictions = {path for method, path in sandbox.requests() if method == "POST" and path.endswith("/eviction")}
    assert evictions == {
        f"/api/v1/namespaces/{NS}/pods/{PAYMENTS_POD}/eviction",
        "/api/v1/namespaces/shop/pods/checkout-6b7c9d-q8w4e/eviction",
    }
    rendered = [str(c) for c in outcome.changes]
    assert f"node {NODE} spec.unschedulable: false → true" in rendered
    assert any("kube-proxy-x7k2p" in c and "DaemonSet kube-proxy" in c for c in rendered)
    # And the payments replacement was scheduled on another node, not the cordoned one
    replacements = [
        p for p in sandbox.pods(NS) if p["metadata"]["name"] not in (PAYMENTS_POD, "payments-api-7d9f8c6b5d-9tzmw")
    ]
    assert replacements and all(p["spec"]["nodeName"] in OTHER_NODES for p in replacements)
    # And the verify passes; the inverse uncordons
    verified = check_drained(kube, NODE)
    assert verified["ok"], verified
    assert verified["details"]["pods_ignored"] == ["kube-system/kube-proxy-x7k2p", "kube-system/etcd-ip-10-0-1-23"]
    inverse = ActionPlan.of(plan.inverse, "drain_node", "undo")
    assert execute(inverse, kube, approved(inverse), approved_by="alice").status == "succeeded"
    assert sandbox.node(NODE)["spec"]["unschedulable"] is False


def test_a_pod_its_disruption_budget_protects_is_reported_after_bounded_retries(cluster_with):
    # Given a PDB that keeps one payments-api pod while none is Ready, and another pod that may go
    sandbox, kube = cluster_with(DAEMON, CHECKOUT, pdbs=(PAYMENTS_PDB,))
    plan = drain(eviction_attempts=3, retry_seconds=2)
    waits: list[float] = []
    # When the drain runs
    outcome = execute(plan, kube, approved(plan), approved_by="alice", sleep=waits.append)
    # Then the outcome is blocked_by_pdb, naming the pod and the budget, after 3 attempts with growing waits
    assert outcome.status == "blocked_by_pdb"
    assert f"{NS}/{PAYMENTS_POD}" in outcome.message and "disruption budget" in outcome.message
    assert waits == [2, 4]
    evictions = [path for method, path in sandbox.requests() if path.endswith(f"{PAYMENTS_POD}/eviction")]
    assert len(evictions) == 3
    # And what could go went, and the outcome keeps those changes
    assert sandbox.pod(NS, PAYMENTS_POD) is not None and sandbox.pod("shop", "checkout-6b7c9d-q8w4e") is None
    assert any("checkout-6b7c9d-q8w4e" in str(c) and "evicted" in str(c) for c in outcome.changes)
    # And the node the failed drain cordoned is schedulable again, and the outcome says so
    assert not sandbox.node(NODE)["spec"].get("unschedulable")
    assert "uncordoned" in outcome.message, outcome.message
    assert f"node {NODE} spec.unschedulable: true → false" in [str(c) for c in outcome.changes]
    # And the verify names the pod left on the node
    verified = check_drained(kube, NODE)
    assert not verified["ok"] and verified["details"]["pods_left"] == [f"{NS}/{PAYMENTS_POD}"]


def test_a_blocked_drain_leaves_a_node_a_person_had_cordoned_cordoned(cluster_with):
    # Given a node someone cordoned before the drain (kubectl cordon), and a PDB that blocks the drain
    sandbox, kube = cluster_with(CHECKOUT, pdbs=(PAYMENTS_PDB,))
    kube.call(kube.core.patch_node, NODE, {"spec": {"unschedulable": True}})
    plan = drain(eviction_attempts=1)
    # When the drain runs and gives up
    outcome = execute(plan, kube, approved(plan), approved_by="alice")
    # Then the node stays cordoned, as that person left it, and the outcome says why
    assert outcome.status == "blocked_by_pdb", outcome.message
    assert sandbox.node(NODE)["spec"]["unschedulable"] is True
    assert "cordoned before the drain" in outcome.message, outcome.message
    assert not any("spec.unschedulable" in str(c) for c in outcome.changes), outcome.changes


def test_the_dry_run_shows_the_whole_drain_and_changes_nothing(cluster_with):
    # Given a node with a DaemonSet pod, a managed pod and a PDB-protected pod
    sandbox, kube = cluster_with(DAEMON, CHECKOUT, pdbs=(PAYMENTS_PDB,))
    before = names_on(sandbox, NODE)
    # When the drain is dry-run
    result = dry_run(drain(), kube, approved(drain()))
    # Then the approver sees the PDB-blocked pod, and the cluster is untouched (every mutation was dryRun=All)
    assert result.status == "blocked_by_pdb" and PAYMENTS_POD in result.message
    assert any("checkout-6b7c9d-q8w4e" in str(c) for c in result.changes)
    assert names_on(sandbox, NODE) == before and not sandbox.node(NODE)["spec"].get("unschedulable")
    assert all("dryRun=All" in path for method, path in sandbox.requests() if method != "GET")
    # And without the PDB the dry run would change things, one line a change
    sandbox2, kube2 = cluster_with(DAEMON, CHECKOUT)
    clean = dry_run(drain(), kube2, approved(drain()))
    assert clean.status == "would_change" and "spec.unschedulable: false → true" in clean.diff
    assert not sandbox2.node(NODE)["spec"].get("unschedulable") and sandbox2.pod(NS, PAYMENTS_POD) is not None


def test_emptydir_and_unmanaged_pods_refuse_the_drain_unless_asked(cluster_with):
    # Given a pod with an emptyDir volume and a bare pod on the node
    sandbox, kube = cluster_with(SCRATCH, BARE)
    plan = drain(retry_seconds=0)
    # When drained without the parameters
    refused = execute(plan, kube, approved(plan), approved_by="alice")
    # Then nothing changed, and both pods are named with the parameter that allows them
    assert refused.status == "rejected" and "nothing was changed" in refused.message
    assert "delete_emptydir_data" in refused.message and "evict_unmanaged" in refused.message
    assert not sandbox.node(NODE)["spec"].get("unschedulable")
    assert sandbox.pod("shop", "debug-shell") is not None
    # When asked explicitly, the drain goes through
    explicit = drain(delete_emptydir_data=True, evict_unmanaged=True, retry_seconds=0)
    outcome = execute(explicit, kube, approved(explicit), approved_by="alice")
    assert outcome.status == "succeeded", outcome.message
    assert any("debug-shell" in str(c) and "will NOT come back" in str(c) for c in outcome.changes)
    assert check_drained(kube, NODE)["ok"]


def test_the_namespace_deny_list_applies_to_every_pod_of_the_drain(cluster_with):
    # Given a managed pod in kube-system (denied by the default policy) and a DaemonSet pod there too
    coredns = _pod("coredns-5d78c9869d-abcde", "kube-system", owner=("ReplicaSet", "coredns-5d78c9869d"))
    sandbox, kube = cluster_with(DAEMON, coredns)
    plan = drain()
    decision = approved(plan)  # the default deny list holds kube-system
    assert decision.allowed and decision.pod_denied_namespaces == ["kube-system"]
    # When the drain runs
    outcome = execute(plan, kube, decision, approved_by="alice")
    # Then it is refused for that pod only (the DaemonSet pod stays anyway), and nothing changed
    assert outcome.status == "refused"
    assert "kube-system/coredns-5d78c9869d-abcde: policy denied_namespace" in outcome.message
    assert "kube-proxy" not in outcome.message
    assert not sandbox.node(NODE)["spec"].get("unschedulable") and sandbox.pod(NS, PAYMENTS_POD) is not None
    # And an allow list that leaves out the payments namespace refuses it too
    allowed_only_shop = approved(plan, allowed_namespaces=["shop"], denied_namespaces=[])
    assert "namespace_not_allowed" in execute(plan, kube, allowed_only_shop, approved_by="a").message


def test_kill_switch_blocks_a_drain_and_no_approver_means_nothing_runs(cluster_with):
    sandbox, kube = cluster_with()
    plan = drain()
    assert (
        evaluate(
            plan,
            Policy(autonomy=Autonomy.AUTO, max_blast_radius="cluster", kill_switch=True),
            PolicyContext(now=datetime.now(UTC)),
        ).rule
        == "kill_switch"
    )
    assert execute(plan, kube, approved(plan)).status == "refused"  # approval required, nobody approved
    assert sandbox.requests() == []


def test_the_planner_drains_a_node_and_its_inverse_uncordons():
    plan = plan_remediation("drain_node", {"kind": "Node", "name": NODE})
    assert plan.action == DrainNode(node=NODE) and plan.inverse == CordonNode(node=NODE, unschedulable=False)
    assert plan.risk.value == "high" and plan.blast_radius.value == "cluster"


def test_a_connection_lost_during_the_evictions_gives_the_node_back_and_still_fails(cluster_with):
    from urllib3.exceptions import HTTPError

    from pagerless.remediation import drain as drain_module

    # Given a node the drain cordons, and a network that drops every eviction request
    sandbox, kube = cluster_with(CHECKOUT)
    sandbox.drop_connection("pods", "eviction")
    plan = drain(eviction_attempts=1)
    # When the drain runs
    with pytest.raises(HTTPError):
        drain_module.apply(plan.action, kube, None, approved(plan), sleep=lambda _: None)
    # Then the eviction was sent, the error still reached the caller, and the node it cordoned is schedulable again
    assert any(path.endswith("/eviction") for method, path in sandbox.requests() if method == "POST")
    assert not sandbox.node(NODE)["spec"].get("unschedulable")
    assert sandbox.pod(NS, PAYMENTS_POD) is not None
    # And through the executor the step fails, saying the connection was lost and the node was uncordoned
    outcome = execute(plan, kube, approved(plan), approved_by="alice", max_attempts=1)
    assert outcome.status == "failed" and "connection lost" in outcome.message, outcome.message
    assert "the node was uncordoned" in outcome.message, outcome.message
    assert not sandbox.node(NODE)["spec"].get("unschedulable")


def test_a_connection_lost_mid_drain_leaves_a_node_a_person_had_cordoned_cordoned(cluster_with):
    from urllib3.exceptions import HTTPError

    from pagerless.remediation import drain as drain_module

    # Given a node someone cordoned before the drain, and a network that drops every eviction request
    sandbox, kube = cluster_with(CHECKOUT)
    kube.call(kube.core.patch_node, NODE, {"spec": {"unschedulable": True}})
    sandbox.drop_connection("pods", "eviction")
    plan = drain(eviction_attempts=1)
    # When the drain runs and loses the connection
    with pytest.raises(HTTPError):
        drain_module.apply(plan.action, kube, None, approved(plan), sleep=lambda _: None)
    # Then the node stays cordoned, as that person left it
    assert sandbox.node(NODE)["spec"]["unschedulable"] is True
    # (the node was patched twice: by that person, and by the drain's cordon, which changed nothing)
    assert [m for m, path in sandbox.requests() if m == "PATCH" and path.startswith("/api/v1/nodes")] == [
        "PATCH",
        "PATCH",
    ]
