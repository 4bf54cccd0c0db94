"""Proposal reasons read once, and a plan that cannot be made says why."""

import json
from pathlib import Path

from pagerless.diagnosis.engine import run_diagnosis
from pagerless.remediation.actions import ActionPlan, NoAction
from pagerless.remediation.planner import REVISION, Workload, plan_diagnosis
from pagerless.workflow.propose import why_nothing

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _scenario(name: str) -> dict:
    return json.loads((SCENARIOS / name).read_text("utf-8"))


def _workload(scenario: dict, name: str, *, only_current: bool = False) -> Workload:
    cluster = scenario["cluster"]
    deployment = next(d for d in cluster["deployments"]["items"] if d["metadata"]["name"] == name)
    replicasets = [
        rs
        for rs in cluster.get("replicasets", {}).get("items", [])
        if any(o.get("name") == name for o in rs["metadata"].get("ownerReferences", []))
    ]
    if only_current:
        current = deployment["metadata"]["annotations"][REVISION]
        replicasets = [rs for rs in replicasets if rs["metadata"]["annotations"].get(REVISION) == current]
    return Workload(deployment, replicasets)


def test_the_reason_says_why_this_action_without_repeating_the_diagnosis():
    # Given the OOMKilled diagnosis, whose summary the proposal's card shows above the action
    scenario = _scenario("oom_killed_payments.json")
    diagnosis = run_diagnosis(scenario)
    # When its memory fix is planned
    [plan, *_] = plan_diagnosis(diagnosis, _workload(scenario, "payments-api"))
    # Then the reason says what changes and why that answers the diagnosis, and does not repeat its summary
    assert isinstance(plan, ActionPlan)
    container = plan.action.container
    limit = plan.inverse.memory_limit
    assert plan.reason == (
        f"raise the memory limit of container {container} in payments-api from {limit} to "
        f"{plan.action.memory_limit}: it was OOMKilled at {limit}"
    )
    assert diagnosis.summary not in plan.reason and "oom_killed" not in plan.reason


def test_a_rollback_after_a_bad_rollout_says_which_revision_and_why():
    # Given a deployment that started failing after its rollout (the QA's catalog-api, revision 19 → 18)
    scenario = _scenario("bad_deploy_crash_after_rollout.json")
    diagnosis = run_diagnosis(scenario)
    assert diagnosis.category == "bad_deploy" and "rollback_deployment" in diagnosis.remediations
    name = diagnosis.target["deployment"]
    # When the rollback is planned
    [plan] = [p for p in plan_diagnosis(diagnosis, _workload(scenario, name)) if isinstance(p, ActionPlan)]
    # Then the reason names the revisions and why the earlier one, not the diagnosis again
    current, earlier = plan.inverse.to_revision, plan.action.to_revision
    assert plan.reason == (
        f"roll back {name} from revision {current} to {earlier}, the revision before the rollout that started the "
        "failures"
    )
    assert diagnosis.summary not in plan.reason


def test_nothing_planned_says_why_for_each_remediation():
    # Given a crash diagnosis on a deployment with no earlier revision to roll back to
    scenario = _scenario("crashloop_go_panic.json")
    diagnosis = run_diagnosis(scenario)
    assert set(diagnosis.remediations) == {"fix_application_code", "rollback_deployment"}
    plans = plan_diagnosis(diagnosis, _workload(scenario, "order-router", only_current=True))
    # Then each remediation says why it is not an action
    assert all(isinstance(p, NoAction) for p in plans)
    reasons = {p.remediation: p.reason for p in plans}
    assert reasons["rollback_deployment"] == "deployment order-router has no earlier revision"
    assert reasons["fix_application_code"].startswith("no action for this category")
    # And the proposal's reason lists them
    summary = why_nothing([p.model_dump() for p in plans])
    assert "rollback_deployment: deployment order-router has no earlier revision" in summary
    assert "fix_application_code: no action for this category" in summary
