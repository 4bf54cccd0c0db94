"""The verification rules on plain Kubernetes JSON: rollout complete, pods Ready, no restarts since."""

from datetime import UTC, datetime

import pytest

from pagerless.remediation.verify import pod_reasons, rollout_reasons

pytestmark = pytest.mark.unit
SINCE = datetime(2026, 3, 11, 14, 30, 0, 500000, tzinfo=UTC)


def deployment(generation=3, observed=3, replicas=2, updated=2, available=2, total=2):
    return {
        "metadata": {"name": "api", "generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "replicas": total,
            "updatedReplicas": updated,
            "availableReplicas": available,
        },
    }


def pod(name="api-1", ready=True, created="2026-03-11T14:30:05Z", restarts=0, finished=None):
    status = {"name": "api", "restartCount": restarts, "state": {"running": {}}}
    if finished:
        status["lastState"] = {"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": finished}}
    return {
        "metadata": {"name": name, "creationTimestamp": created},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [status],
        },
    }


def test_a_complete_rollout_has_no_reasons():
    assert rollout_reasons(deployment()) == []


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"observed": 2}, "rollout not observed yet"),
        ({"updated": 1}, "rollout incomplete"),
        ({"available": 1}, "rollout incomplete"),
        ({"total": 3}, "rollout incomplete"),  # an old pod still around during a surge
    ],
)
def test_incomplete_rollouts_say_why(kwargs, expected):
    # Given a deployment mid-rollout
    # Then the reason names it
    reasons = rollout_reasons(deployment(**kwargs))
    assert len(reasons) == 1 and reasons[0].startswith(expected)


def test_old_restarts_do_not_count_new_ones_do():
    # Given a pod that restarted 5 times before the action and is Ready now
    before = pod(created="2026-03-11T14:00:00Z", restarts=5, finished="2026-03-11T14:20:00Z")
    # And a pod created after the action that was OOMKilled in the same second as the action
    after = pod(name="api-2", ready=False, created="2026-03-11T14:30:00Z", restarts=1, finished="2026-03-11T14:30:00Z")
    # Then only the second one is a reason, for both not being Ready and restarting
    assert pod_reasons([before], SINCE) == []
    reasons = pod_reasons([after], SINCE)
    assert reasons[0].startswith("pod api-2 not Ready")
    assert "restarted since the action (OOMKilled, restartCount 1)" in reasons[1]


def test_an_evicted_pod_left_behind_does_not_fail_the_check():
    # Given a node-pressure eviction: the kubelet evicted a pod of the Deployment, which replaced it;
    # the evicted pod stays listed (phase Failed, reason Evicted) until the pod garbage collector
    # removes it, which can take days
    evicted = {
        "metadata": {"name": "api-old", "creationTimestamp": "2026-03-11T13:00:00Z"},
        "status": {
            "phase": "Failed",
            "reason": "Evicted",
            "message": "The node was low on resource: memory.",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "api", "restartCount": 0, "state": {"terminated": {"exitCode": 137}}}],
        },
    }
    # When the Deployment's pods are checked
    reasons = pod_reasons([pod("api-1"), evicted], SINCE)
    # Then only the pods that run count: the evicted one is history, not a failed fix
    assert reasons == []
    # And a pod that failed while running still counts
    crashed = {**evicted, "status": {**evicted["status"], "reason": "Error"}}
    assert pod_reasons([crashed], SINCE)


def test_an_object_verification_cannot_read_is_said_with_or_without_the_apis_reason():
    from pagerless.remediation.check_phrases import CHECKS, check, english

    # Given a pod gone (verification's read says only its status) and a runbook check's refused read (with reason)
    gone = check("unreadable", kind="pod", name="payments/api-x2", status=404)
    refused = check("unreadable", kind="deployment", name="payments/api", status=403, reason="Forbidden")
    # Then both are said, in English and in Chinese (a phrase that cannot be said fails the whole check)
    assert english(gone) == "pod payments/api-x2 unreadable: 404"
    assert CHECKS.render(gone, "zh") == "无法读取 Pod payments/api-x2：404"
    assert english(refused) == "deployment payments/api unreadable: 403 Forbidden"
