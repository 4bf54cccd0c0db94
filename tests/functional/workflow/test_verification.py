"""A fix that does not work: rollback when the action is reversible and the policy allows, else escalation."""

import pytest

from tests.functional.workflow.conftest import (
    DEPLOYMENT,
    incident,
    memory_limit,
    open_incident,
    store_policy,
    timeline_types,
    unfixable_oom,
    wait_for_status,
)

pytestmark = pytest.mark.functional


@pytest.fixture
def scenario(oom_scenario):
    """The OOM scenario, except the service needs 2Gi: doubling the limit to 512Mi does not fix it."""
    return unfixable_oom(oom_scenario)


def test_failed_verification_rolls_the_fix_back_and_escalates(sandbox, scenario, api, operator_key):
    # Given an approved fix that will not be enough
    store_policy(autonomy="auto")
    opened = open_incident(scenario)
    # When verification keeps failing for its bounded number of checks
    wait_for_status(opened.id, "escalated", settled=True)
    # Then the limit was rolled back to 256Mi and the reason is on the timeline
    assert memory_limit(sandbox) == "256Mi"
    record = incident(opened.id)
    assert [a.get("rollback", False) for a in record.actions] == [False, True]
    assert len(record.verification["checks"]) == 2
    assert not any(check["healthy"] for check in record.verification["checks"])
    types = timeline_types(opened.id)
    assert "rolled_back" in types and "escalated" in types
    from pagerless.incidents.timeline import timeline

    [escalation] = [t for t in timeline(opened.id) if t.type == "escalated"]
    assert "still unhealthy after 2 checks" in escalation.message and "OOMKilled" in escalation.message
    # And each check keeps its reasons' phrases beside their English, so a Chinese reader reads them in Chinese later
    from pagerless.remediation.check_phrases import reasons_in
    from pagerless.reports.timeline_phrases import say

    for check in record.verification["checks"]:
        assert len(check["said"]) == len(check["reasons"]) and all(check["said"]), check
        assert any(
            r.startswith("容器 ") or r.startswith("Pod ") for r in reasons_in(check["reasons"], check["said"], "zh")
        )
    checked = [t.to_dict() for t in timeline(opened.id) if t.type == "verification_check"]
    chinese = [say(entry, "zh", str) for entry in checked]
    assert all(line.startswith(f"第 {n} 次验证：工作负载尚未恢复健康：") for n, line in enumerate(chinese, 1)), chinese
    assert not any("restarted since" in line or "not Ready" in line for line in chinese), chinese
    assert [say(entry, "en", str) for entry in checked] == [entry["message"] for entry in checked]


def test_failed_verification_escalates_when_the_policy_refuses_the_rollback(sandbox, scenario):
    # Given a rate limit of one action per hour: the fix uses it up, so the rollback is not allowed
    store_policy(autonomy="auto", rate_limit={"max_actions": 1, "window_minutes": 60})
    opened = open_incident(scenario)
    # When verification fails
    wait_for_status(opened.id, "escalated", settled=True)
    # Then nothing was rolled back and the escalation names the rule
    assert memory_limit(sandbox) == "512Mi"
    assert len(incident(opened.id).actions) == 1
    from pagerless.incidents.timeline import timeline

    [escalation] = [t for t in timeline(opened.id) if t.type == "escalated"]
    assert "rate_limit" in escalation.message


def test_restart_pod_on_an_oom_workload_fails_verification_and_is_escalated(sandbox, oom_scenario, monkeypatch):
    from pagerless.remediation import planner
    from pagerless.remediation.actions import ActionPlan, RestartPod

    # Given a plan that evicts the OOMKilled pod (it is not reversible and cannot fix an OOM)
    def restart_the_pod(diagnosis, workload=None, **_):
        target = diagnosis.target
        return [
            ActionPlan.of(
                RestartPod(namespace=target["namespace"], pod=target["name"], deployment=DEPLOYMENT),
                "restart_pod",
                "evict the OOMKilled pod",
                target={"namespace": target["namespace"], "deployment": DEPLOYMENT},
            )
        ]

    monkeypatch.setattr(planner, "plan_diagnosis", restart_the_pod)
    store_policy(autonomy="auto")
    opened = open_incident(oom_scenario)
    # When the workflow runs it and verifies
    wait_for_status(opened.id, "escalated", settled=True)
    # Then the replacement pod is OOMKilled again and the incident is escalated, nothing rolled back
    record = incident(opened.id)
    assert record.proposal["action"] == "restart_pod"
    assert [a["status"] for a in record.actions] == ["succeeded"]
    assert memory_limit(sandbox) == "256Mi"
    from pagerless.incidents.timeline import timeline

    [escalation] = [t for t in timeline(opened.id) if t.type == "escalated"]
    assert "restart_pod cannot be rolled back" in escalation.message


def test_the_postmortem_of_a_rolled_back_fix_says_it_did_not_work(sandbox, scenario, api, operator_key):
    from tests.conftest import auth

    # Given a fix that did not work: verification failed, the workflow rolled it back and escalated
    store_policy(autonomy="auto")
    opened = open_incident(scenario)
    wait_for_status(opened.id, "escalated", settled=True)
    # When its postmortem is drafted
    created = api.post(f"/api/incidents/{opened.id}/postmortem", headers=auth(operator_key))
    assert created.status_code == 201, created.text
    sections = created.json()["sections"]
    lessons = sections["lessons_learned"]
    # Then it does not count the failed fix as what went well: it says the fix did not work, was rolled
    # back, and that the incident was escalated to people
    assert not any("ran the fix itself" in line for line in lessons["went_well"]), lessons
    assert lessons["went_wrong"][0] == (
        "The fix did not work (patch_resources); Pagerless rolled it back: patch_resources (succeeded)."
    ), lessons
    assert lessons["went_wrong"][1].startswith("The incident was escalated to people: the fix did not work"), lessons
    # And the resolution tells the fix from its rollback
    assert "patch_resources (succeeded)" in sections["resolution"], sections["resolution"]
    assert "rolled back by patch_resources (succeeded)" in sections["resolution"], sections["resolution"]
