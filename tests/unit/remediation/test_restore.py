"""A step's rollback puts back what the step found (pure: no cluster, no AWS)."""

from pagerless.remediation.actions import CordonNode, DrainNode, RollbackDeployment, ScaleDeployment
from pagerless.remediation.diff import Change
from pagerless.remediation.restore import found, found_in_record, restoring

NODE = "ip-10-0-1-23.ec2.internal"
UNCORDON = CordonNode(node=NODE, unschedulable=False)
CORDONED = Change(field=f"node {NODE} spec.unschedulable", before=False, after=True)
EVICTED = Change(field="pod payments/payments-api-x", before="Running", after="evicted")


def test_a_drain_that_cordoned_the_node_is_rolled_back_to_schedulable():
    # Given a drain that cordoned a schedulable node and evicted a pod
    before = found(DrainNode(node=NODE), [CORDONED, EVICTED])
    # When its uncordon rollback is derived
    action, why = restoring(UNCORDON, DrainNode(node=NODE), before)
    # Then it sets the node back to schedulable
    assert before == {f"node {NODE} spec.unschedulable": False}
    assert action == CordonNode(node=NODE, unschedulable=False) and why == ""


def test_a_drain_of_a_node_already_cordoned_leaves_it_cordoned():
    # Given a drain of a node a person had cordoned: only evictions changed
    before = found(DrainNode(node=NODE), [EVICTED])
    # When its uncordon rollback is derived
    action, why = restoring(UNCORDON, DrainNode(node=NODE), before)
    # Then nothing runs, and the reason names the field
    assert before == {} and action is None
    assert f"did not change node {NODE} spec.unschedulable" in why


def test_a_rollback_is_set_to_the_value_found_not_the_value_written():
    # Given a custom step that uncordoned a cordoned node, whose rollback is written as "uncordon" too
    uncordoned = Change(field=f"node {NODE} spec.unschedulable", before=True, after=False)
    before = found(UNCORDON, [uncordoned])
    # When the rollback is derived, it cordons the node again, as the step found it
    action, _ = restoring(UNCORDON, UNCORDON, before)
    assert action == CordonNode(node=NODE, unschedulable=True)


def test_a_scale_is_rolled_back_to_the_count_it_found_on_its_own_deployment_only():
    # Given a scale to 4 that found 6 replicas (a person scaled up while it waited), whose rollback
    # is written with the count read when the run started (2)
    step = ScaleDeployment(namespace="payments", deployment="payments-api", replicas=4)
    rollback = ScaleDeployment(namespace="payments", deployment="payments-api", replicas=2)
    before = found(step, [Change(field="spec.replicas", before=6, after=4)])
    # Then its rollback sets 6 back; a rollback of another Deployment runs as written
    assert before == {"deployment payments/payments-api spec.replicas": 6}
    assert restoring(rollback, step, before) == (rollback.model_copy(update={"replicas": 6}), "")
    other = ScaleDeployment(namespace="payments", deployment="payments-worker", replicas=2)
    assert restoring(other, step, before) == (other, "")


def test_rollbacks_it_knows_nothing_about_run_as_written():
    undo = RollbackDeployment(namespace="payments", deployment="payments-api")
    scale = ScaleDeployment(namespace="payments", deployment="payments-api", replicas=4)
    assert restoring(undo, scale, {}) == (undo, "")
    # a step recorded before the values found were kept: as written
    assert restoring(UNCORDON, DrainNode(node=NODE), None) == (UNCORDON, "")
    # a rollback that sets a field its step never touches: as written
    assert restoring(UNCORDON, scale, {}) == (UNCORDON, "")


def test_what_was_found_is_read_from_changes_recorded_as_json():
    # Given the incident workflow's record of a cordon that changed nothing, and of one that cordoned
    unchanged = found_in_record(CordonNode(node=NODE), [])
    cordoned = found_in_record(CordonNode(node=NODE), [CORDONED.model_dump(mode="json")])
    # Then the uncordon is skipped for the first and runs for the second
    assert restoring(UNCORDON, CordonNode(node=NODE), unchanged)[0] is None
    assert restoring(UNCORDON, CordonNode(node=NODE), cordoned) == (UNCORDON, "")
