"""The incident workflow verifies a cordon by what it promised (the node unschedulable) and by the alert's
workload when the diagnosis names one; a cordon that held resolves, one whose workload did not recover
is rolled back, and the rollback gives the node back as the fix found it: a node a person had cordoned
stays cordoned. The real incident-response ASL on the embedded AWS, against the sandbox cluster."""

import json

import pytest

from tests.conftest import ROOT, auth
from tests.functional.workflow.conftest import incident, open_incident, store_policy, wait_for_status

pytestmark = pytest.mark.functional

NOT_READY_NODE = "ip-10-0-2-117.ec2.internal"  # NotReady in the node_not_ready scenario: the diagnosis cordons it
PRESSURED_NODE = "ip-10-0-1-23.ec2.internal"  # evicted a recommender pod for memory pressure: the diagnosis cordons it


def _load(name: str) -> dict:
    return json.loads((ROOT / "tests" / "scenarios" / f"{name}.json").read_text("utf-8"))


@pytest.fixture
def scenario(request) -> dict:
    return _load(getattr(request, "param", "node_not_ready_cart_latency"))


def test_a_cordon_that_held_resolves_the_incident_and_the_node_stays_cordoned(sandbox, scenario, api, operator_key):
    from pagerless.incidents.timeline import timeline

    # Given a policy that allows a cordon, and the proposal to cordon the NotReady node (no workload named)
    store_policy(autonomy="approve", max_blast_radius="cluster", denied_namespaces=[])
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    assert incident(opened.id).proposal["action"] == "cordon_node"
    # When an operator approves the cordon
    response = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    assert response.status_code == 200, response.text
    # Then verification checks what the cordon promised, finds it, and resolves; nothing is rolled back
    wait_for_status(opened.id, "resolved", settled=True)
    assert sandbox.node(NOT_READY_NODE)["spec"]["unschedulable"] is True
    record = incident(opened.id)
    assert [a.get("rollback", False) for a in record.actions] == [False]
    [check] = record.verification["checks"]
    assert check["healthy"] and check["details"]["node"]["unschedulable"] is True, check
    assert f"node {NOT_READY_NODE} is cordoned" in record.verification["reason"], record.verification["reason"]
    assert not [t for t in timeline(opened.id) if t.type in ("rollback_skipped", "escalated")]


@pytest.mark.parametrize("scenario", ["node_memory_pressure_eviction_exit137"], indirect=True)
@pytest.mark.parametrize("cordoned_before", [True, False], ids=["cordoned-by-a-person", "schedulable"])
def test_the_workflow_rollback_of_a_cordon_gives_the_node_back_as_the_fix_found_it(
    sandbox, scenario, api, operator_key, cordoned_before
):
    from pagerless.incidents.timeline import timeline
    from pagerless.kube.clients import from_kubeconfig

    # Given a policy that allows a cordon, and the proposal to cordon the node that evicted a recommender
    # pod; the recommender Deployment stays short of a replica (nothing replaces the evicted pod)
    store_policy(autonomy="approve", max_blast_radius="cluster", denied_namespaces=[])
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    proposal = incident(opened.id).proposal
    assert proposal["action"] == "cordon_node", proposal
    assert proposal["plan"]["target"] == {"node": PRESSURED_NODE, "namespace": "reco", "deployment": "recommender"}
    if cordoned_before:  # meanwhile a person cordons the node for maintenance (kubectl cordon)
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        kube.call(kube.core.patch_node, PRESSURED_NODE, {"spec": {"unschedulable": True}})
        kube.close()
    # When an operator approves the cordon, and verification fails: the alert's workload did not recover
    response = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    assert response.status_code == 200, response.text
    wait_for_status(opened.id, "escalated", settled=True)
    record = incident(opened.id)
    checks = record.verification["checks"]
    assert checks and all(c["details"]["node"]["unschedulable"] is True for c in checks), checks
    assert all(any("rollout incomplete" in r for r in c["reasons"]) for c in checks), checks
    # Then the workflow rolled back, and the node is as the fix found it
    assert bool(sandbox.node(PRESSURED_NODE)["spec"].get("unschedulable")) is cordoned_before
    items = timeline(opened.id)
    [escalation] = [t for t in items if t.type == "escalated"]
    if cordoned_before:
        # the cordon changed nothing: the uncordon did not run, and the timeline says why
        assert [a.get("rollback", False) for a in record.actions] == [False]
        [skipped] = [t for t in items if t.type == "rollback_skipped"]
        assert f"did not change node {PRESSURED_NODE} spec.unschedulable" in skipped.message, skipped.message
        assert "not rolled back" in escalation.message, escalation.message
        # and nothing on the incident claims a rollback that did not happen
        claims = [t.message for t in items if "rolling back" in t.message]
        assert claims == [], claims
        assert "rolling back" not in record.verification["reason"], record.verification["reason"]
    else:
        assert [a.get("rollback", False) for a in record.actions] == [False, True]
        assert record.actions[-1]["status"] == "succeeded"
        assert "rolled back" in escalation.message, escalation.message
