"""The action catalog, its validation, quantities and diffs."""

import pytest
from pydantic import ValidationError

from pagerless.remediation.actions import (
    ACTION_TYPES,
    ActionPlan,
    BlastRadius,
    PatchResources,
    RestartPod,
    ScaleDeployment,
    catalog,
)
from pagerless.remediation.diff import Change, diff, render
from pagerless.remediation.quantity import cpu_millis, format_memory, memory_bytes

pytestmark = pytest.mark.unit


def test_the_catalog_lists_every_action_with_its_safety_facts():
    # Given the catalog
    entries = {entry["name"]: entry for entry in catalog()}
    # Then every action is there with risk, blast radius, reversibility and typed parameters
    assert set(entries) == {
        "restart_pod",
        "delete_pod",
        "rollout_restart",
        "scale_deployment",
        "rollback_deployment",
        "patch_resources",
        "cordon_node",
        "drain_node",
    }
    assert entries["restart_pod"]["blast_radius"] == "single_pod" and entries["restart_pod"]["risk"] == "low"
    assert entries["cordon_node"]["blast_radius"] == "cluster" and entries["cordon_node"]["reversible"]
    assert entries["scale_deployment"]["parameters"]["replicas"]["type"] == "integer"
    assert entries["patch_resources"]["required"] == ["namespace", "deployment", "container"]
    assert all(entry["description"] and entry["inverse"] for entry in entries.values())


def test_blast_radius_is_ordered():
    assert [b.rank for b in BlastRadius] == [0, 1, 2, 3]
    assert BlastRadius.SINGLE_POD.rank < BlastRadius.CLUSTER.rank


@pytest.mark.parametrize(
    "make",
    [
        lambda: ScaleDeployment(namespace="payments", deployment="api", replicas=-1),
        lambda: RestartPod(namespace="Payments!", pod="x"),
        lambda: PatchResources(namespace="payments", deployment="api", container="api"),
        lambda: PatchResources(namespace="payments", deployment="api", container="api", memory_limit="lots"),
        lambda: PatchResources(namespace="payments", deployment="api", container="api", memory_limit="0"),
        # numbers Python reads and Kubernetes does not: never sent to the API server
        lambda: PatchResources(namespace="payments", deployment="api", container="api", memory_limit="NaN"),
        lambda: PatchResources(namespace="payments", deployment="api", container="api", memory_limit="Infinity"),
        lambda: PatchResources(namespace="payments", deployment="api", container="api", cpu_limit="inf"),
        lambda: PatchResources(namespace="payments", deployment="api", container="api", memory_limit="1_000Mi"),
    ],
)
def test_invalid_parameters_are_rejected(make):
    with pytest.raises(ValidationError):
        make()


def test_plans_round_trip_as_json_and_have_stable_ids():
    # Given a plan
    plan = ActionPlan.of(
        ScaleDeployment(namespace="payments", deployment="api", replicas=3),
        "scale_deployment",
        "why",
        inverse=ScaleDeployment(namespace="payments", deployment="api", replicas=2),
    )
    # When it travels as JSON (between Lambdas)
    again = ActionPlan.model_validate_json(plan.model_dump_json())
    # Then it is the same plan with the same id; other parameters give another id
    assert again == plan and again.id == plan.id
    assert (
        plan.id
        != ActionPlan.of(
            ScaleDeployment(namespace="payments", deployment="api", replicas=4), "scale_deployment", "why"
        ).id
    )
    assert all(t.model_fields["action"].default for t in ACTION_TYPES)


def test_quantities():
    assert (
        memory_bytes("256Mi") == 256 * 2**20 and memory_bytes("1G") == 10**9 and memory_bytes("1.5Gi") == 1536 * 2**20
    )
    assert memory_bytes("1e9") == memory_bytes("1E9") == 10**9 and memory_bytes("1.5e3Ki") == 1536000
    assert memory_bytes("2E") == 2 * 10**18 and memory_bytes("1Ei") == 2**60
    assert cpu_millis("500m") == 500 and cpu_millis("2") == 2000 and cpu_millis("0.25") == 250
    assert format_memory(512 * 2**20) == "512Mi" and format_memory(2**31) == "2Gi" and format_memory(1000) == "1000"


def test_diff_names_fields_by_container():
    # Given two deployment specs that differ in one container's memory limit
    before = {
        "template": {
            "spec": {
                "containers": [
                    {"name": "api", "resources": {"limits": {"memory": "256Mi"}}},
                    {"name": "proxy", "image": "envoy"},
                ]
            }
        }
    }
    after = {
        "template": {
            "spec": {
                "containers": [
                    {"name": "proxy", "image": "envoy"},
                    {"name": "api", "resources": {"limits": {"memory": "512Mi"}}},
                ]
            }
        }
    }
    # When diffed
    changes = diff(before, after, "spec")
    # Then one change, named by container, regardless of list order
    assert changes == [Change(field="containers[api].resources.limits.memory", before="256Mi", after="512Mi")]
    assert render(changes) == "containers[api].resources.limits.memory: 256Mi → 512Mi"
    assert render([]) == "(no change)"
