"""Seed 002's autonomy endpoints: the status reads the policy; a cycle re-runs, under the policy,
the incidents whose blocked proposal the policy now allows — and nothing else."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    incident,
    memory_limit,
    open_incident,
    store_policy,
    timeline_types,
    wait_for_status,
)

pytestmark = pytest.mark.functional


def test_status_reports_the_policy_and_what_it_allows(api, runtime, viewer_key):
    # Given the default policy (approve)
    body = api.get("/autonomy/status", headers=auth(viewer_key)).json()
    assert (body["enabled"], body["approval_required"], body["autonomy"]) == (False, True, "approve")
    assert body["autonomous_actions"] == [] and body["max_incidents_per_cycle"] == 20
    # When the policy lets low-risk actions run on their own, within the payments namespace
    store_policy(autonomy="auto-safe", allowed_namespaces=["payments"])
    body = api.get("/api/autonomy/status", headers=auth(viewer_key)).json()
    # Then the status says so, naming the low-risk actions only
    assert body["enabled"] is True and body["approval_required"] is True
    assert body["autonomous_actions"] == ["restart_pod", "rollout_restart"]
    assert body["allowed_namespaces"] == ["payments"]
    # And a kill switch turns everything off
    store_policy(autonomy="auto", kill_switch=True)
    body = api.get("/autonomy/status", headers=auth(viewer_key)).json()
    assert (body["enabled"], body["autonomous_actions"], body["default_dry_run"]) == (False, [], True)


def test_a_cycle_reruns_a_blocked_incident_once_the_policy_allows_it(
    sandbox, scenario, runtime, api, operator_key, viewer_key
):
    # Given an OOM incident whose proposal the policy blocked (payments was denied)
    store_policy(denied_namespaces=["kube-system", "payments"])
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    assert incident(opened.id).proposal["decision"]["rule"] == "denied_namespace"
    # When a cycle runs under the same policy, nothing is re-run and the reason is the rule
    same = api.post("/autonomy/run", headers=auth(operator_key)).json()
    assert same["ran"] is True and same["rerun"] == []
    assert same["skipped"][0]["incident_id"] == opened.id and "denied_namespace" in same["skipped"][0]["reason"]
    # When the policy now allows it and lets Pagerless act on its own, and a cycle runs
    store_policy(autonomy="auto")
    cycle = api.post("/autonomy/run", headers=auth(operator_key))
    assert cycle.status_code == 200, cycle.text
    [rerun] = cycle.json()["rerun"]
    assert rerun["incident_id"] == opened.id and rerun["rule"] == "autonomy:auto"
    # Then the incident goes through the workflow again and is fixed, with no approval asked
    wait_for_status(opened.id, "resolved", settled=True)
    assert memory_limit(sandbox) == "512Mi"
    assert "autonomy_rerun" in timeline_types(opened.id)
    assert "approval_requested" not in timeline_types(opened.id)
    # And a resolved incident is not a candidate any more
    assert api.post("/autonomy/run", headers=auth(operator_key)).json()["examined"] == 0
    # And a viewer may read the status but not run a cycle
    assert api.post("/autonomy/run", headers=auth(viewer_key)).status_code == 403


def test_a_cycle_under_approve_asks_a_human_and_under_the_kill_switch_does_nothing(
    sandbox, scenario, runtime, api, operator_key
):
    store_policy(denied_namespaces=["kube-system", "payments"])
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # Given the kill switch is on: a cycle does nothing at all
    store_policy(kill_switch=True)
    off = api.post("/autonomy/run", headers=auth(operator_key)).json()
    assert (off["ran"], off["examined"], off["rerun"]) == (False, 0, [])
    # Given the namespace is allowed again but every action needs approval
    store_policy()
    [rerun] = api.post("/autonomy/run", headers=auth(operator_key)).json()["rerun"]
    assert rerun["requires_approval"] is True
    # Then the re-run workflow waits for a human and nothing ran
    wait_for_status(opened.id, "awaiting_approval")
    assert memory_limit(sandbox) == "256Mi"


def test_a_cycle_that_cannot_tell_whether_a_workflow_runs_does_not_start_another(
    sandbox, scenario, runtime, api, operator_key, monkeypatch
):
    from botocore.exceptions import ClientError

    from pagerless import step_functions

    real = step_functions.client()

    class _Throttled:
        """The real Step Functions client, whose DescribeExecution is throttled."""

        def __getattr__(self, name):
            return getattr(real, name)

        def describe_execution(self, **kwargs):
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "DescribeExecution"
            )

    # Given an OOM incident whose proposal the policy blocked, and a policy that now allows it
    store_policy(denied_namespaces=["kube-system", "payments"])
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    store_policy(autonomy="auto")
    # When a cycle runs while Step Functions cannot say whether its workflow still runs
    monkeypatch.setattr(step_functions, "client", lambda: _Throttled())
    cycle = api.post("/autonomy/run", headers=auth(operator_key)).json()
    # Then nothing is re-run, and the reason says the workflow's state is unknown
    assert cycle["rerun"] == [], cycle
    [skipped] = cycle["skipped"]
    assert skipped["incident_id"] == opened.id and "ThrottlingException" in skipped["reason"], skipped
    assert "autonomy_rerun" not in timeline_types(opened.id)
    # And once Step Functions answers again, the next cycle re-runs it
    monkeypatch.setattr(step_functions, "client", lambda: real)
    [rerun] = api.post("/autonomy/run", headers=auth(operator_key)).json()["rerun"]
    assert rerun["incident_id"] == opened.id


def test_a_cycle_does_not_rerun_a_fix_the_service_scope_refuses_and_says_why(
    sandbox, scenario, runtime, api, operator_key
):
    from pagerless.knowledge.service import EnvironmentContext, ServiceEntry, put_environment
    from pagerless.remediation.policy_phrases import decision_reason

    # Given an OOM incident of payments-api whose proposal the policy blocked (payments was denied)
    store_policy(denied_namespaces=["kube-system", "payments"])
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    # ... and a catalog that since puts payments-api in payments-prod, while the namespace is allowed again
    services = [ServiceEntry(name="payments-api", namespace="payments-prod")]
    put_environment("default", EnvironmentContext(services=services))
    store_policy(autonomy="auto")
    # When a cycle runs
    cycle = api.post("/autonomy/run", headers=auth(operator_key)).json()
    # Then nothing is re-run: the pre-check refuses the fix as the workflow would, with the scope's reason
    assert cycle["rerun"] == [], cycle
    [skipped] = cycle["skipped"]
    assert skipped["incident_id"] == opened.id
    assert "still blocked by policy rule service_scope" in skipped["reason"], skipped
    assert "namespace payments is not service payments-api's" in skipped["reason"], skipped
    # ... and the decision it carries says that reason in Chinese too
    assert skipped["decision"]["rule"] == "service_scope"
    chinese = decision_reason(skipped["decision"], "zh")
    assert chinese != skipped["decision"]["reason"] and "payments-prod" in chinese, chinese
    assert "autonomy_rerun" not in timeline_types(opened.id)
    assert memory_limit(sandbox) == "256Mi"


def test_a_cycle_does_not_rerun_a_restart_of_another_workloads_pod_and_says_whose_it_is(
    sandbox, scenario, runtime, api, operator_key, claude
):
    from pagerless.knowledge.service import EnvironmentContext, ServiceEntry, put_environment
    from pagerless.remediation.policy_phrases import decision_reason
    from tests.fakes.anthropic_api import message, tool_use_block
    from tests.functional.workflow.conftest import LEDGER_POD, restart_pod_diagnosis

    # Given an incident of payments-api whose proposal, a restart of ledger-worker's pod (in payments too), the policy
    # blocked (payments was denied)
    store_policy(denied_namespaces=["kube-system", "payments"])
    claude.enqueue(message(tool_use_block("submit_diagnosis", restart_pod_diagnosis(LEDGER_POD))))
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", settled=True)
    assert incident(opened.id).proposal["decision"]["rule"] == "denied_namespace"
    # ... and a catalog that puts payments-api in payments, while the namespace is allowed again
    put_environment("default", EnvironmentContext(services=[ServiceEntry(name="payments-api", namespace="payments")]))
    store_policy(autonomy="auto")
    # When a cycle runs
    cycle = api.post("/autonomy/run", headers=auth(operator_key)).json()
    # Then nothing is re-run: the pre-check judges the stored plan with the pod's owner it read, as the workflow would
    assert cycle["rerun"] == [], cycle
    [skipped] = cycle["skipped"]
    said = f"pod {LEDGER_POD} belongs to Deployment ledger-worker, not to service payments-api's workload"
    assert skipped["reason"] == f"still blocked by policy rule service_scope: {said}", skipped
    assert "不属于服务 payments-api 的工作负载" in decision_reason(skipped["decision"], "zh")
    assert "autonomy_rerun" not in timeline_types(opened.id)
    assert sandbox.pod("payments", LEDGER_POD) is not None
