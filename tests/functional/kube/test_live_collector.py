"""The live collector against the sandbox: the scenario `cluster` shape, from the real client."""

import pytest

from pagerless.diagnosis.context.live import collect_cluster

from .conftest import DEPLOYMENT, NS

pytestmark = pytest.mark.functional
SCENARIO_KEYS = {"pods", "events", "deployments", "replicasets", "nodes", "pvcs", "hpas", "logs"}


def names(listing: dict) -> list[str]:
    return sorted(item["metadata"]["name"] for item in listing["items"])


def test_collects_the_scenario_shape_with_previous_logs(sandbox, kube, scenario):
    # Given the OOM scenario served by the sandbox
    # When the namespace is collected with the deployment as a hint
    cluster = collect_cluster(NS, kube=kube, deployment=DEPLOYMENT, log_tail_lines=2)
    # Then every scenario key is there, as kubectl -o json Lists with kind on every item
    assert SCENARIO_KEYS <= set(cluster) and cluster["notes"] == []
    assert cluster["pods"]["kind"] == "List"
    assert names(cluster["pods"]) == ["payments-api-7d9f8c6b5d-9tzmw", "payments-api-7d9f8c6b5d-x2kqp"]
    assert {item["kind"] for item in cluster["replicasets"]["items"]} == {"ReplicaSet"}
    # And the JSON is the API's own: camelCase keys, Z timestamps, the OOMKilled last state intact
    pod = next(p for p in cluster["pods"]["items"] if p["metadata"]["name"] == "payments-api-7d9f8c6b5d-x2kqp")
    original = next(p for p in scenario["cluster"]["pods"]["items"] if p["metadata"]["name"] == pod["metadata"]["name"])
    assert pod["status"]["containerStatuses"][0]["lastState"] == original["status"]["containerStatuses"][0]["lastState"]
    assert pod["metadata"]["creationTimestamp"] == "2026-03-11T14:12:41Z"
    # And only the nodes the namespace's pods run on, not the kube-system one
    assert names(cluster["nodes"]) == ["ip-10-0-1-23.ec2.internal", "ip-10-0-2-41.ec2.internal"]
    # And current plus #previous logs for restarted containers, tail-bounded
    previous = cluster["logs"]["payments/payments-api-7d9f8c6b5d-x2kqp/api#previous"]
    assert previous.splitlines()[-1].endswith("heap usage 241Mi of container limit 256Mi")
    assert len(previous.splitlines()) == 2
    assert "payments/payments-api-7d9f8c6b5d-x2kqp/api" in cluster["logs"]
    assert not any(key.startswith("kube-system/") for key in cluster["logs"])
    assert names(cluster["hpas"]) == ["payments-api"] and cluster["pvcs"]["items"] == []


def test_forbidden_resources_become_notes_not_failures(sandbox, kube):
    # Given RBAC that forbids events and nodes
    sandbox.forbid("events", NS)
    sandbox.forbid("nodes")
    # When collected
    cluster = collect_cluster(NS, kube=kube, deployment=DEPLOYMENT)
    # Then the rest is there, and the notes name what was unreachable
    assert len(cluster["pods"]["items"]) == 2
    assert cluster["events"]["items"] == [] and cluster["nodes"]["items"] == []
    assert "events: forbidden (403)" in cluster["notes"]
    assert any(note.startswith("node ip-10-0-1-23.ec2.internal: forbidden") for note in cluster["notes"])


def test_a_slow_api_times_out_into_a_note(sandbox, kube):
    # Given an API server that takes 2 s to answer for HPAs
    sandbox.slow_down("horizontalpodautoscalers", 2.0)
    # When collected with a 0.3 s timeout
    cluster = collect_cluster(NS, kube=kube, timeout_seconds=0.3)
    # Then HPAs are missing with a timeout note, and pods were still collected
    assert "hpas: timed out after 0.3s" in cluster["notes"]
    assert len(cluster["pods"]["items"]) == 2


def test_max_pods_keeps_the_hinted_workload_first(sandbox, kube):
    # Given a namespace with two pods and a limit of one
    # When collected with the pod hint
    cluster = collect_cluster(NS, kube=kube, pod="payments-api-7d9f8c6b5d-9tzmw", max_pods=1)
    # Then the hinted pod is kept and the cut is noted
    assert names(cluster["pods"]) == ["payments-api-7d9f8c6b5d-9tzmw"]
    assert any("kept 1" in note for note in cluster["notes"])


def test_a_service_hint_finds_the_workload_through_its_selector(scenario):
    # Given a Service whose selector picks the payments-api pods, and more pods than max_pods
    from pagerless.kube.clients import from_kubeconfig
    from pagerless.local.sandbox_cluster import SandboxCluster

    scenario["cluster"]["services"] = {
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "payments", "namespace": NS},
                "spec": {"selector": {"app": DEPLOYMENT}},
            }
        ]
    }
    other = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "aaa-batch-1", "namespace": NS, "labels": {"app": "batch"}},
        "spec": {"containers": [{"name": "job", "image": "batch:1"}]},
        "status": {"phase": "Running"},
    }
    scenario["cluster"]["pods"]["items"].insert(0, other)
    with SandboxCluster.from_scenario(scenario) as sandbox:
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        # When collected with only the service named, keeping two pods
        cluster = collect_cluster(NS, kube=kube, service="payments", max_pods=2)
    # Then the two pods kept are the service's
    assert names(cluster["pods"]) == ["payments-api-7d9f8c6b5d-9tzmw", "payments-api-7d9f8c6b5d-x2kqp"]


def test_objects_the_typed_models_reject_are_still_collected(scenario):
    # Given a node with a partial nodeInfo (kubernetes 37's strict models refuse it) and an init
    # container that failed before the app container
    from pagerless.kube.clients import from_kubeconfig
    from pagerless.local.sandbox_cluster import SandboxCluster

    scenario["cluster"]["nodes"]["items"][0]["status"]["nodeInfo"] = {"kubeletVersion": "v1.30.4"}
    pod = scenario["cluster"]["pods"]["items"][0]
    pod["spec"]["initContainers"] = [{"name": "migrate", "image": "payments-migrate:v2.3.1"}]
    pod["status"]["initContainerStatuses"] = [
        {
            "name": "migrate",
            "image": "payments-migrate:v2.3.1",
            "imageID": "",
            "ready": True,
            "restartCount": 1,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
        }
    ]
    key = f"{NS}/{pod['metadata']['name']}/migrate"
    scenario["cluster"]["logs"].update({key: "migrations applied\n", f"{key}#previous": "lock timeout, retrying\n"})
    with SandboxCluster.from_scenario(scenario) as sandbox:
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        # When collected
        cluster = collect_cluster(NS, kube=kube, deployment=DEPLOYMENT)
    # Then the node is there as sent, and the init container's logs too
    node = next(n for n in cluster["nodes"]["items"] if n["metadata"]["name"] == "ip-10-0-1-23.ec2.internal")
    assert node["status"]["nodeInfo"] == {"kubeletVersion": "v1.30.4"}
    assert cluster["logs"][f"{key}#previous"] == "lock timeout, retrying\n"
    assert cluster["notes"] == []


def test_events_are_cut_to_the_warnings_and_the_newest(sandbox, kube):
    # Given the namespace's four events: two warnings and two normal ones (the newest is 14:20:31)
    # When collected with room for three events
    cluster = collect_cluster(NS, kube=kube, deployment=DEPLOYMENT, max_events=3)
    # Then both warnings and the newest normal event are kept, and the cut is noted
    kept = [(e["type"], e["reason"], e["lastTimestamp"]) for e in cluster["events"]["items"]]
    assert sorted(kept) == [
        ("Normal", "Pulled", "2026-03-11T14:20:31Z"),
        ("Warning", "BackOff", "2026-03-11T14:21:12Z"),
        ("Warning", "BackOff", "2026-03-11T14:21:30Z"),
    ]
    assert "events: 4 in payments; kept 3 (warnings first, then the newest)" in cluster["notes"]


def test_a_recurring_event_is_kept_by_its_latest_occurrence_when_events_are_cut(scenario):
    # Given, beside the namespace's two warnings, a scheduler event (events.k8s.io) first seen three hours
    # ago and still recurring at 14:21:45, after both of them
    from pagerless.kube.clients import from_kubeconfig
    from pagerless.local.sandbox_cluster import SandboxCluster

    scenario["cluster"]["events"]["items"].append(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "payments-api.recurring", "namespace": NS},
            "involvedObject": {"kind": "Pod", "name": "payments-api-7d9f8c6b5d-new", "namespace": NS},
            "reason": "FailedScheduling",
            "message": "0/3 nodes are available: 3 Insufficient memory.",
            "type": "Warning",
            "eventTime": "2026-03-11T11:20:00.000000Z",
            "firstTimestamp": None,
            "lastTimestamp": None,
            "series": {"count": 37, "lastObservedTime": "2026-03-11T14:21:45.000000Z"},
        }
    )
    with SandboxCluster.from_scenario(scenario) as sandbox:
        kube = from_kubeconfig(sandbox.kubeconfig_path())
        # When collected with room for two events
        cluster = collect_cluster(NS, kube=kube, deployment=DEPLOYMENT, max_events=2)
    # Then the recurring event is kept with the newest warning, and the older warning is the one cut
    kept = sorted(e["reason"] + " " + (e.get("lastTimestamp") or "series") for e in cluster["events"]["items"])
    assert kept == ["BackOff 2026-03-11T14:21:30Z", "FailedScheduling series"]
