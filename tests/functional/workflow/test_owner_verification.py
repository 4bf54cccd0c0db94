"""A restart of a DaemonSet's pod, end to end on the embedded AWS with the real ASL against the sandbox cluster:
the DaemonSet replaces the pod under a new name, and verification judges the DaemonSet, so the fix resolves."""

import pytest

from tests.functional.kube.owned_workloads import SHIPPER_PODS, owned_scenario
from tests.functional.workflow.conftest import (
    incident,
    open_incident,
    restart_pod_diagnosis,
    store_policy,
    timeline_types,
    wait_for_status,
)

pytestmark = pytest.mark.functional


@pytest.fixture
def scenario():
    """The OOM scenario's cluster with the workloads that own its other pods: log-shipper, a DaemonSet in payments."""
    return owned_scenario()


def test_a_restarted_daemonset_pod_is_verified_healthy_once_its_replacement_is_ready(sandbox, scenario, claude):
    from tests.fakes.anthropic_api import message, tool_use_block

    # Given a diagnosis that restarts one of log-shipper's pods, and full autonomy
    store_policy(autonomy="auto")
    claude.enqueue(message(tool_use_block("submit_diagnosis", restart_pod_diagnosis(SHIPPER_PODS[0]))))
    opened = open_incident(scenario)
    # When the workflow runs the restart and verifies it
    wait_for_status(opened.id, "resolved", settled=True)
    # Then the pod was replaced under a new name on the same node, Ready
    assert sandbox.pod("payments", SHIPPER_PODS[0]) is None
    shippers = [p for p in sandbox.pods("payments") if p["metadata"]["name"].startswith("log-shipper-")]
    [replacement] = [p for p in shippers if p["metadata"]["name"] != SHIPPER_PODS[1]]
    assert replacement["spec"]["nodeName"] == "ip-10-0-1-23.ec2.internal"
    # ... and verification watched the DaemonSet, not the old pod's name: healthy at its first check
    record = incident(opened.id)
    assert record.proposal["plan"]["pod_owner"] == "DaemonSet/log-shipper"
    assert [a["status"] for a in record.actions] == ["succeeded"]
    [check] = record.verification["checks"]
    assert check["healthy"] and check["reasons"] == [], check
    assert check["details"]["workload"] == "DaemonSet/payments/log-shipper"
    assert sorted(check["details"]["pods"]) == sorted(p["metadata"]["name"] for p in shippers)
    assert "rolled_back" not in timeline_types(opened.id) and "escalated" not in timeline_types(opened.id)
