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


def test_a_log_of_megabyte_lines_is_read_only_up_to_the_byte_limit_and_the_cut_is_noted(oom_scenario):
    # Given containers that write megabyte-long lines (JSON blobs, stack dumps): one ends with a short
    # line, the other's previous instance with a huge one
    from pagerless.diagnosis.context.live import LOG_LIMIT_BYTES
    from pagerless.kube.clients import from_kubeconfig
    from pagerless.local.sandbox_cluster import SandboxCluster

    scenario = copy.deepcopy(oom_scenario)
    key = f"{NS}/payments-api-7d9f8c6b5d-x2kqp/api"
    other = f"{NS}/payments-api-7d9f8c6b5d-9tzmw/api"
    blob = '{"level":"error","payload":"' + "x" * (1024 * 1024) + '"}\n'
    last_words = "".join(f"java.lang.OutOfMemoryError: Java heap space ({n})\n" for n in range(30))
    scenario["cluster"]["logs"][key] = blob * 5 + last_words
    scenario["cluster"]["logs"][f"{other}#previous"] = "starting\n" + blob * 3
    with SandboxCluster.from_scenario(scenario) as sandbox:
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        # When the namespace is collected
        cluster = collect_cluster(NS, kube=kube, deployment=DEPLOYMENT)
    logs, notes = cluster["logs"], cluster["notes"]
    # Then no log was read past the limit, the newest lines are kept whole, and the cut is noted
    assert all(len(text.encode()) <= LOG_LIMIT_BYTES for text in logs.values())
    assert logs[key] == "".join(last_words.splitlines(keepends=True)[-20:])
    assert f"log {key}: its last 200 lines are over {LOG_LIMIT_BYTES} bytes; kept the last 20" in notes
    # and a last line longer than the limit keeps its first bytes, noted too
    assert logs[f"{other}#previous"] == blob[:LOG_LIMIT_BYTES]
    assert f"log {other}#previous: cut at {LOG_LIMIT_BYTES} bytes (limitBytes) of its last 1 line(s)" in notes
    # and a log under the limit is whole and not noted
    assert logs[f"{key}#previous"] == scenario["cluster"]["logs"][f"{key}#previous"]
    assert not any(note.startswith(f"log {key}#previous") for note in notes)
