"""The incident workflow's rollback of a cordon gives the node back as the fix found it: a node a
person had cordoned stays cordoned. The real incident-response ASL on the embedded AWS, against the
sandbox cluster seeded from the NotReady-node scenario."""

import json

import pytest

from tests.conftest import ROOT, auth
from tests.functional.workflow.conftest import incident, open_incident, store_policy, wait_for_status

pytestmark = pytest.mark.functional

NODE = "ip-10-0-2-117.ec2.internal"  # NotReady in the scenario: the diagnosis proposes to cordon it


@pytest.fixture
def scenario() -> dict:
    return json.loads((ROOT / "tests" / "scenarios" / "node_not_ready_cart_latency.json").read_text("utf-8"))


@pytest.mark.parametrize("cordoned_before", [True, False], ids=["cordoned-by-a-person", "schedulable"])
def test_the_workflow_rollback_of_a_cordon_gives_the_node_back_as_the_fix_found_it(
    sandbox, scenario, api, operator_key, cordoned_before
):
    from pagerless.incidents.timeline import timeline
    from pagerless.kube.clients import from_kubeconfig

    # Given a policy that allows a cordon (cluster-wide, with a human's approval), and its proposal
    store_policy(autonomy="approve", max_blast_radius="cluster", denied_namespaces=[])
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    assert incident(opened.id).proposal["action"] == "cordon_node"
    if cordoned_before:  # meanwhile a person cordons the node for maintenance (kubectl cordon)
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        kube.call(kube.core.patch_node, NODE, {"spec": {"unschedulable": True}})
        kube.close()
    # When an operator approves the cordon, and verification fails (nothing names a workload to check)
    response = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    assert response.status_code == 200, response.text
    wait_for_status(opened.id, "escalated", settled=True)
    # Then the workflow rolled back, and the node is as the fix found it
    assert bool(sandbox.node(NODE)["spec"].get("unschedulable")) is cordoned_before
    record = incident(opened.id)
    items = timeline(opened.id)
    [escalation] = [t for t in items if t.type == "escalated"]
    if cordoned_before:
        # the cordon changed nothing: the uncordon did not run, and the timeline says why
        assert [a.get("rollback", False) for a in record.actions] == [False]
        [skipped] = [t for t in items if t.type == "rollback_skipped"]
        assert f"did not change node {NODE} spec.unschedulable" in skipped.message, skipped.message
        assert "not rolled back" in escalation.message, escalation.message
        # and nothing on the incident claims a rollback that did not happen
        claims = [t.message for t in items if "rolling back" in t.message]
        assert claims == [], claims
        assert "rolling back" not in record.verification["reason"], record.verification["reason"]
    else:
        assert [a.get("rollback", False) for a in record.actions] == [False, True]
        assert record.actions[-1]["status"] == "succeeded"
        assert "rolled back" in escalation.message, escalation.message
