"""A dependency that is down is fixed where it is down: checkout answers 5xx because its cart-redis Deployment was
scaled to zero, and the approved fix scales cart-redis back, not checkout (embedded AWS, the real ASL, the real
`kubernetes` client against the sandbox cluster seeded from the diagnosis scenario)."""

import json

import pytest

from tests.conftest import ROOT, auth
from tests.functional.workflow.conftest import (
    incident,
    open_incident,
    store_policy,
    timeline_types,
    wait_for_execution_end,
    wait_for_status,
)

pytestmark = pytest.mark.functional
SCENARIO = ROOT / "tests" / "scenarios" / "dependency_redis_scaled_to_zero.json"


@pytest.fixture
def scenario() -> dict:
    return json.loads(SCENARIO.read_text("utf-8"))


def store_catalog() -> None:
    from pagerless.knowledge.service import EnvironmentContext, ServiceEntry, put_environment

    services = [
        ServiceEntry(name="checkout", namespace="shop", dependencies=["cart-redis"]),
        ServiceEntry(name="cart-redis", namespace="shop"),
    ]
    put_environment("default", EnvironmentContext(services=services))


def proposal_entries(incident_id: str) -> list[dict]:
    from pagerless.incidents.timeline import timeline

    return [e.to_dict() for e in timeline(incident_id) if e.type == "proposal"]


def replicas(sandbox, name: str) -> int:
    return sandbox.deployment("shop", name)["spec"]["replicas"]


def test_the_approved_fix_scales_the_dependency_back_and_leaves_the_caller_alone(
    sandbox, scenario, api, operator_key, runtime
):
    # Given checkout's catalog entry lists cart-redis as a dependency, full autonomy, and cart-redis at 0 replicas
    store_catalog()
    store_policy(autonomy="auto")
    assert (replicas(sandbox, "cart-redis"), replicas(sandbox, "checkout")) == (0, 2)
    # When checkout's 5xx alert arrives
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    # Then the diagnosis blames cart-redis and the proposal scales cart-redis back, waiting for a person despite auto
    record = incident(opened.id)
    assert record.diagnosis["category"] == "dependency_unavailable"
    assert record.diagnosis["remediations"] == ["restore_dependency"], record.diagnosis
    proposal = record.proposal
    assert proposal["plan"]["action"] == {
        "action": "scale_deployment",
        "namespace": "shop",
        "deployment": "cart-redis",
        "replicas": 1,
    }, proposal
    # to what it ran before, as the deployment controller's scale-down event says, and it says it changes the dependency
    assert (
        "what ran before the deployment controller scaled its ReplicaSet cart-redis-7b9f6d8c4 to 0"
        in (proposal["reason"])
    )
    assert "this changes cart-redis, not checkout" in proposal["reason"]
    assert proposal["decision"]["reason"] == (
        "it changes checkout's dependency cart-redis, not checkout itself: a person approves it"
    )
    assert replicas(sandbox, "cart-redis") == 0, "nothing runs before the approval"
    from pagerless.reports.timeline_phrases import say

    # and the timeline's proposal entry says it changes the dependency, not checkout, in English and Chinese
    [entry] = proposal_entries(opened.id)
    assert "it changes checkout's dependency cart-redis, not checkout itself" in say(entry, "en", str), entry
    assert "此操作变更的是 checkout 的依赖 cart-redis，而不是 checkout 本身" in say(entry, "zh", str), entry
    # When an operator approves
    response = api.post(f"/api/incidents/{opened.id}/approve", json={"comment": "go"}, headers=auth(operator_key))
    assert response.status_code == 200, response.text
    # Then cart-redis runs again, checkout is untouched, verification passes and the incident resolves
    wait_for_status(opened.id, "resolved")
    assert wait_for_execution_end(runtime, opened) == "SUCCEEDED"
    assert (replicas(sandbox, "cart-redis"), replicas(sandbox, "checkout")) == (1, 2)
    ready = [p for p in sandbox.pods("shop") if p["metadata"]["name"].startswith("cart-redis-")]
    assert len(ready) == 1 and all(c["ready"] for c in ready[0]["status"]["containerStatuses"]), ready
    record = incident(opened.id)
    assert [(a["action"], a["status"]) for a in record.actions] == [("scale_deployment", "succeeded")], record.actions
    assert record.actions[0]["plan"]["action"]["deployment"] == "cart-redis", record.actions
    assert record.verification["checks"][-1]["healthy"] is True
    assert {"approval_requested", "approved", "action_executed", "verification_check"} <= set(timeline_types(opened.id))


def claude_blames_cart_redis() -> dict:
    """Claude's answer: checkout's pods cannot reach cart-redis; it names the host, not the Deployment behind it."""
    return {
        "category": "dependency_unavailable",
        "confidence": 0.9,
        "summary": "checkout cannot reach cart-redis: connections are refused",
        "evidence": [{"source": "log shop/checkout-mbdp2r6wbj-sgbq4/app", "detail": "Connection refused"}],
        "remediations": ["scale_deployment", "restore_dependency"],
        "ranked_categories": [{"category": "dependency_unavailable", "confidence": 0.9}],
        "target": {
            "kind": "Pod",
            "namespace": "shop",
            "name": "checkout-mbdp2r6wbj-sgbq4",
            "dependency": "cart-redis.shop.svc.cluster.local:6379",
        },
    }


def test_a_claude_diagnosis_naming_only_the_dependencys_host_is_fixed_on_the_catalogs_dependency(
    sandbox, scenario, claude
):
    from tests.fakes.anthropic_api import message, tool_use_block

    # Given checkout's catalog entry lists cart-redis as a dependency, and Claude blames cart-redis by its host alone
    store_catalog()
    store_policy(autonomy="auto")
    claude.enqueue(message(tool_use_block("submit_diagnosis", claude_blames_cart_redis())))
    # When checkout's 5xx alert arrives
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval")
    # Then the proposal scales cart-redis back, the Deployment the catalog's dependency entry names, as it would for
    # the analyzers' diagnosis, and waits for a person
    record = incident(opened.id)
    assert record.diagnosis["engine"] == "claude", record.diagnosis
    # and the diagnosis lists one remediation that brings it back, not scale_deployment beside restore_dependency
    assert record.diagnosis["remediations"] == ["restore_dependency"], record.diagnosis
    assert record.proposal["plan"]["action"] == {
        "action": "scale_deployment",
        "namespace": "shop",
        "deployment": "cart-redis",
        "replicas": 1,
    }, record.proposal
    assert record.proposal["decision"]["reason"] == (
        "it changes checkout's dependency cart-redis, not checkout itself: a person approves it"
    )
    assert (replicas(sandbox, "cart-redis"), replicas(sandbox, "checkout")) == (0, 2)
