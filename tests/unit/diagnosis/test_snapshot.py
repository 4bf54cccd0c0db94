import json

import pytest

from pagerless.diagnosis.snapshot import MAX_LOG_LINES, load_scenario, snapshot_from_scenario
from tests.unit.diagnosis.kube import AT, event, pod, scenario, snap

pytestmark = pytest.mark.unit


def test_alert_start_is_the_snapshot_time_and_labels_give_the_focus():
    # Given a scenario whose alert names the checkout service in shop
    # When it is loaded
    snapshot = snap(pods=[pod("checkout-6d5f7c9b8-a1"), pod("cart-1-x", workload="cart")])
    # Then "now" is the alert's start and only checkout's pods are in focus
    assert snapshot.at.isoformat().startswith(AT[:19])
    assert [p.name for p in snapshot.focus_pods()] == ["checkout-6d5f7c9b8-a1"]
    assert snapshot.focus_pods()[0].workload == "checkout"


def test_logs_are_capped_to_the_tail_and_previous_logs_are_kept_apart():
    # Given a container log far longer than the cap and a previous-instance log
    lines = "\n".join(f"line {i}" for i in range(MAX_LOG_LINES * 3))
    p = pod("checkout-6d5f7c9b8-a1")
    snapshot = snap(
        pods=[p], logs={"shop/checkout-6d5f7c9b8-a1/app": lines, "shop/checkout-6d5f7c9b8-a1/app#previous": "boom"}
    )
    # When the logs are read
    current = snapshot.log(snapshot.pods[0], "app")
    previous = snapshot.log(snapshot.pods[0], "app", previous=True)
    # Then only the last MAX_LOG_LINES lines are kept, and #previous is separate
    assert len(current) == MAX_LOG_LINES and current[-1] == f"line {MAX_LOG_LINES * 3 - 1}"
    assert previous == ("boom",)


def test_junk_is_tolerated_and_events_outside_the_window_are_dropped():
    # Given missing optional lists, non-dict items, an event of yesterday and one about a deleted pod
    data = scenario(
        pods=[pod("checkout-6d5f7c9b8-a1"), "junk", {"metadata": {}}],
        events=[
            event("shop", "Pod", "gone-pod", "Killing", "Stopping container", minutes_ago=3),
            event("shop", "Pod", "checkout-6d5f7c9b8-a1", "BackOff", "old", minutes_ago=60 * 24),
            {"reason": "NoObject"},
        ],
    )
    data["cluster"]["nodes"] = None
    # When it is loaded
    snapshot = snapshot_from_scenario(data)
    # Then it does not raise, keeps the valid pod and only the recent event
    assert [p.name for p in snapshot.pods] == ["checkout-6d5f7c9b8-a1"]
    assert [e.name for e in snapshot.events] == ["gone-pod"]
    assert snapshot.nodes == [] and snapshot.hpas == []


def test_without_workload_labels_the_whole_namespace_is_in_focus():
    # Given an alert that only names a namespace
    snapshot = snap(
        pods=[
            pod("a-6d5f7c9b8-1", workload="a"),
            pod("b-6d5f7c9b8-1", workload="b"),
            pod("c-1", ns="other", workload="c"),
        ],
        labels={"namespace": "shop"},
    )
    # Then every pod of that namespace is in focus, none elsewhere
    assert {p.workload for p in snapshot.focus_pods()} == {"a", "b"}


def test_load_scenario_rejects_what_is_not_a_scenario(tmp_path):
    # Given a file holding a JSON list
    path = tmp_path / "s.json"
    path.write_text(json.dumps([1, 2]))
    # Then loading it fails with ValueError
    with pytest.raises(ValueError):
        load_scenario(path)


def test_focus_is_read_from_relabelled_prometheus_labels_and_alert_fields():
    # Given alerts that name the namespace and pod the way monitoring tools relabel them
    pods = [pod("checkout-6d5f7c9b8-a1"), pod("cart-1-x", workload="cart")]
    relabelled = snap(
        pods=pods, labels={"kubernetes_namespace": "shop", "kubernetes_pod_name": "checkout-6d5f7c9b8-a1"}
    )
    data = scenario(pods=pods, labels={})
    data["alert"].update({"namespace": "shop", "service": "cart"})
    normalized = snapshot_from_scenario(data)
    # Then the focus is the pod's workload in both cases
    assert {p.workload for p in relabelled.focus_pods()} == {"checkout"}
    assert {p.workload for p in normalized.focus_pods()} == {"cart"}


def test_a_recurring_event_is_dated_by_its_series_not_by_its_first_occurrence():
    # Given a scheduler event (events.k8s.io) first seen three hours ago and still recurring a minute ago
    recurring = {
        "metadata": {"name": "checkout.1", "namespace": "shop", "creationTimestamp": "2026-03-11T11:22:00Z"},
        "involvedObject": {"kind": "Pod", "name": "checkout-6d5f7c9b8-a1", "namespace": "shop"},
        "reason": "FailedScheduling",
        "message": "0/3 nodes are available: 3 Insufficient memory.",
        "type": "Warning",
        "eventTime": "2026-03-11T11:22:00.000000Z",
        "firstTimestamp": None,
        "lastTimestamp": None,
        "series": {"count": 37, "lastObservedTime": "2026-03-11T14:21:00.000000Z"},
        "reportingComponent": "default-scheduler",
    }
    # And the same event read through events.k8s.io/v1, where the old fields are deprecated*
    v1 = {
        "metadata": {"name": "checkout.2", "namespace": "shop", "creationTimestamp": "2026-03-11T11:22:00Z"},
        "regarding": {"kind": "Pod", "name": "checkout-6d5f7c9b8-a2", "namespace": "shop"},
        "reason": "BackOff",
        "note": "Back-off restarting failed container app",
        "type": "Warning",
        "eventTime": None,
        "deprecatedFirstTimestamp": "2026-03-11T11:22:00Z",
        "deprecatedLastTimestamp": "2026-03-11T14:20:00Z",
        "deprecatedCount": 41,
    }
    # When the snapshot is built
    snapshot = snapshot_from_scenario(scenario(pods=[pod("checkout-6d5f7c9b8-a1")], events=[recurring, v1]))
    # Then both are recent, with their repeat counts and first occurrences
    assert [(e.reason, e.count) for e in snapshot.events] == [("FailedScheduling", 37), ("BackOff", 41)]
    assert [e.last.strftime("%H:%M") for e in snapshot.events] == ["14:21", "14:20"]
    assert [e.first.strftime("%H:%M") for e in snapshot.events] == ["11:22", "11:22"]
