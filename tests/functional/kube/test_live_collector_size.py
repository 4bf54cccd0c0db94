"""The live collector keeps a namespace with a long history small enough for the context store."""

import copy

import pytest

from pagerless.diagnosis.context.live import collect_cluster

from .conftest import DEPLOYMENT, NS

pytestmark = pytest.mark.functional
MANAGED = [{"manager": "kube-controller-manager", "operation": "Update", "fieldsV1": {"f:status": {"f:x": {}}}}]


@pytest.fixture
def scenario(oom_scenario) -> dict:
    """The OOM scenario with managedFields on every object and 120 old ReplicaSets of other Deployments."""
    changed = copy.deepcopy(oom_scenario)
    for listing in changed["cluster"].values():
        for item in listing.get("items", []) if isinstance(listing, dict) else []:
            item["metadata"]["managedFields"] = copy.deepcopy(MANAGED)
    own = changed["cluster"]["replicasets"]["items"][0]
    for n in range(120):
        old = copy.deepcopy(own)
        old["metadata"].update(
            name=f"batch-{n:03d}-5f6d7c8b9a",
            creationTimestamp=f"2026-01-{1 + n % 28:02d}T00:00:{n % 60:02d}Z",
            ownerReferences=[{"apiVersion": "apps/v1", "kind": "Deployment", "name": f"batch-{n:03d}", "uid": "x"}],
        )
        old["spec"]["replicas"] = 0
        changed["cluster"]["replicasets"]["items"].append(old)
    return changed


def test_objects_lose_their_managed_fields_and_replicasets_are_cut_to_the_workloads_first(sandbox, kube):
    # When the namespace is collected with the alert's Deployment as a hint
    cluster = collect_cluster(NS, kube=kube, deployment=DEPLOYMENT, max_replicasets=10)
    # Then no object carries managedFields (kubectl hides them; no analyzer reads them)
    for key in ("pods", "deployments", "replicasets", "events", "nodes", "hpas"):
        assert all("managedFields" not in item["metadata"] for item in cluster[key]["items"]), key
    # And of 122 ReplicaSets, 10 are kept: the workload's two first, then the newest; the cut is noted
    kept = [rs["metadata"]["name"] for rs in cluster["replicasets"]["items"]]
    assert len(kept) == 10 and sorted(kept[:2]) == ["payments-api-5c6d47f9b8", "payments-api-7d9f8c6b5d"]
    assert "replicasets: 122; kept 10 (the workload's and the scaled-up ones first)" in cluster["notes"]
