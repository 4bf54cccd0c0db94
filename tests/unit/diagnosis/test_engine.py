import pytest

from pagerless.diagnosis.engine import INSUFFICIENT, diagnose, run_diagnosis
from pagerless.diagnosis.models import Diagnosis
from pagerless.diagnosis.taxonomy import category_ids, remediation_ids
from tests.unit.diagnosis.kube import (
    cspec,
    cstatus,
    deployment,
    node,
    pod,
    replicaset,
    running,
    scenario,
    snap,
    terminated,
    waiting,
)

pytestmark = pytest.mark.unit
P = "checkout-6d5f7c9b8-a1"
REFUSED = (
    '{"level":"error","msg":"reserve failed","error":"Post \\"http://inventory.shop.svc.cluster.local:8080/r\\": '
    'dial tcp 172.20.4.4:8080: connect: connection refused"}'
)


def oom_pod(name, workload):
    status = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("OOMKilled", 137, 2), restarts=6)
    return pod(name, workload=workload, hash_="77f", statuses=[status])


def test_a_dependency_that_was_oomkilled_beats_the_callers_refused_connections():
    # Given a 5xx alert on checkout whose logs show refused connections to inventory, which is OOMKilled
    data = scenario(pods=[pod(P), oom_pod("inventory-77f-1", "inventory")], logs={f"shop/{P}/app": REFUSED})
    # When diagnosed
    result = diagnose(data)
    # Then the root cause is the dependency's OOM, and the caller's log line is cited too
    assert result.category == "oom_killed"
    assert result.target["workload"] == "inventory"
    assert any("connection refused" in e.detail for e in result.evidence)
    assert result.ranked_categories[0].category == "oom_killed"
    assert "dependency_unavailable" in [r.category for r in result.ranked_categories]


def test_a_healthy_neighbour_and_a_failing_workload_elsewhere_do_not_win():
    # Given the alerting workload is fine, and an unrelated namespace has an OOMKilled pod
    data = scenario(pods=[pod(P), oom_pod("batch-77f-1", "batch")], logs={f"shop/{P}/app": "INFO all good"})
    data["cluster"]["pods"]["items"][1]["metadata"]["namespace"] = "jobs"
    # When diagnosed
    result = diagnose(data)
    # Then the engine abstains rather than blame the other namespace
    assert result.category == INSUFFICIENT
    assert result.remediations == ["gather_more_evidence", "none_manual"]


def test_a_deploy_explains_a_generic_crash_of_its_new_revision():
    # Given checkout crash-looping on a revision rolled out 10 minutes ago, the old revision healthy
    crash = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 1), restarts=4, image="app:2")
    data = scenario(
        pods=[
            pod("checkout-new1-a", hash_="new1", statuses=[crash], created_min_ago=9),
            pod("checkout-old1-b", hash_="old1", statuses=[cstatus(state=running(600), image="app:1")]),
        ],
        logs={"shop/checkout-new1-a/app#previous": "panic: runtime error: slice bounds out of range"},
        replicasets=[
            replicaset("checkout", "new1", 5, 10, "app:2"),
            replicaset("checkout", "old1", 4, 60 * 24, "app:1"),
        ],
    )
    # When diagnosed
    result = diagnose(data)
    # Then the category is bad_deploy, with rollback, ahead of the crash loop it explains
    assert result.category == "bad_deploy"
    assert "rollback_deployment" in result.remediations
    assert [r.category for r in result.ranked_categories][:2] == ["bad_deploy", "crashloop_app_error"]


def test_nothing_conclusive_means_insufficient_evidence_with_what_was_checked():
    # Given healthy pods and ordinary logs
    result = diagnose(scenario(pods=[pod(P)], logs={f"shop/{P}/app": "INFO GET / 200"}))
    # Then the engine abstains, and cites the healthy status it looked at
    assert result.category == INSUFFICIENT
    assert result.evidence and "ready=True" in result.evidence[0].detail


def test_without_a_cluster_the_evidence_says_none_was_read_not_that_no_pods_were_found():
    # Given the context a workflow stores when no cluster is configured: the alert alone, and the note saying why
    from pagerless.workflow.context import NO_CLUSTER

    data = {**scenario(), "cluster": {"notes": [NO_CLUSTER]}}
    # When diagnosed, then the engine abstains and says that no cluster was read, not that it looked for pods
    result = diagnose(data)
    assert result.category == INSUFFICIENT
    details = [e.detail for e in result.evidence]
    assert not any("no pods found" in d for d in details), details
    assert NO_CLUSTER in details
    # And with a cluster read and no pod of the workload in it, that is what it says, as before
    assert any("no pods found" in e.detail for e in diagnose(scenario()).evidence)


def test_every_category_and_remediation_is_from_the_taxonomy():
    # Given a scenario with several faults
    data = scenario(
        pods=[pod(P), oom_pod("inventory-77f-1", "inventory")],
        logs={f"shop/{P}/app": REFUSED},
        deployments=[deployment("inventory", ready=0)],
    )
    # When diagnosed
    result = diagnose(data)
    # Then everything it names exists in taxonomy.json
    assert result.category in category_ids()
    assert {r.category for r in result.ranked_categories} <= category_ids()
    assert set(result.remediations) <= remediation_ids()
    assert all(f.category in category_ids() for f in result.findings)


def test_the_summary_says_what_where_and_cites_evidence():
    # Given an OOMKilled container
    status = cstatus("api", state=running(1), last=terminated("OOMKilled", 137, 3), restarts=3)
    result = diagnose(scenario(pods=[pod(P, statuses=[status], specs=[cspec("api")])]))
    # Then the summary names the category, the workload and a quoted fact
    assert result.summary.startswith("Out of memory (OOMKilled): ")
    assert "shop/checkout" in result.summary and "OOMKilled" in result.summary


class FakeInvestigator:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen = None

    def investigate(self, context: dict, baseline: Diagnosis) -> Diagnosis:
        if self.fail:
            raise TimeoutError("model unreachable")
        self.seen = context
        return baseline.model_copy(update={"engine": "claude"})


def test_run_diagnosis_hands_the_scenario_and_baseline_to_the_investigator():
    # Given a scenario and an investigator
    data = scenario(pods=[pod(P)])
    investigator = FakeInvestigator()
    # When run_diagnosis is called with it
    result = run_diagnosis(data, investigator=investigator)
    # Then the investigator saw the scenario dict and its answer is returned
    assert investigator.seen["alert"]["title"] == data["alert"]["title"]
    assert result.engine == "claude"


def test_a_failing_investigator_leaves_the_analyzers_answer_with_a_note():
    # Given an investigator that raises
    result = run_diagnosis(scenario(pods=[pod(P)]), investigator=FakeInvestigator(fail=True))
    # Then the analyzers' diagnosis stands and says why
    assert result.engine == "analyzers"
    assert any("investigator failed" in note for note in result.notes)


def test_diagnose_accepts_a_snapshot():
    assert diagnose(snap(pods=[pod(P)])).engine == "analyzers"


def test_a_not_ready_node_is_blamed_for_the_alerts_pods_however_many_other_pods_it_runs():
    # Given a NotReady node running 25 pods of another workload, listed first, and the alert's two web pods
    not_ready = [{"type": "Ready", "status": "False"}]
    api = [pod(f"api-6d5f7c9b8-x{i:02d}", workload="api", node="node-1", conditions=not_ready) for i in range(25)]
    web = [
        pod(f"web-7d5f7c9b8-a{i}", workload="web", node="node-1", statuses=[cstatus(ready=False)], conditions=not_ready)
        for i in range(2)
    ]
    data = scenario(
        pods=api + web,
        nodes=[node("node-1", ready="Unknown", message="Kubelet stopped posting node status.")],
        labels={"namespace": "shop", "deployment": "web"},
        title="WebDown",
    )
    # When diagnosed
    result = diagnose(data)
    # Then the node is the root cause, and the web pods are among the pods it names
    assert result.category == "node_not_ready"
    assert "web-7d5f7c9b8-a0" in result.target["pods"].split(",")
