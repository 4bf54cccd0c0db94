"""`pagerless dev --sandbox` moves a recording to the present and gives it nodes to schedule on."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pagerless.diagnosis.engine import run_diagnosis
from pagerless.local.sandbox.timeshift import parse_stamp, shift_scenario, shift_stamp, shift_text
from pagerless.local.sandbox_cluster import SandboxCluster

ROOT = Path(__file__).resolve().parents[3]
OOM = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
NO_NODES = ROOT / "tests" / "scenarios" / "redteam" / "b5_jvm_oomkilled_hpa_noise.json"
NOW = datetime(2030, 6, 1, 12, 0, 0, tzinfo=UTC)


def test_each_timestamp_keeps_its_format_and_moves_by_the_offset():
    offset = timedelta(days=1, hours=1, microseconds=500)
    assert shift_stamp("2024-05-14T09:12:03Z", offset) == "2024-05-15T10:12:03Z"
    assert shift_stamp("2024-05-14T09:12:03.120000Z", offset) == "2024-05-15T10:12:03.120500Z"
    assert shift_stamp("2024-05-14T09:12:03+08:00", offset) == "2024-05-15T10:12:03+08:00"
    assert shift_stamp("2024-05-14 09:12:03,123", offset) == "2024-05-15 10:12:03,123"
    assert shift_stamp("not a time", offset) == "not a time"
    assert parse_stamp("2024-05-14T09:12:03+08:00") == datetime(2024, 5, 14, 1, 12, 3, tzinfo=UTC)


def test_log_lines_are_shifted_but_versions_and_numbers_are_not():
    text = "2024-05-14T09:12:03.123Z ERROR v2024-05-14 build 20240514 at 2024-05-14 09:12:04\n"
    shifted = shift_text(text, timedelta(hours=2))
    assert shifted == "2024-05-14T11:12:03.123Z ERROR v2024-05-14 build 20240514 at 2024-05-14 11:12:04\n"


def test_the_alert_start_lands_on_now_and_intervals_are_kept():
    # Given a recording whose alert started in the past
    scenario = json.loads(OOM.read_text("utf-8"))
    recorded_start = parse_stamp(scenario["alert"]["starts_at"])
    pod = scenario["cluster"]["pods"]["items"][0]
    recorded_created = parse_stamp(pod["metadata"]["creationTimestamp"])
    # When it is shifted to now
    shifted, offset = shift_scenario(scenario, NOW)
    # Then the alert starts now, the pod is as old relative to it as it was, and the input is untouched
    assert parse_stamp(shifted["alert"]["starts_at"]) == NOW
    assert offset == NOW - recorded_start
    new_pod = shifted["cluster"]["pods"]["items"][0]
    assert parse_stamp(new_pod["metadata"]["creationTimestamp"]) == recorded_created + offset
    assert scenario["cluster"]["pods"]["items"][0] == pod
    assert all(str(NOW.year) not in line for line in scenario["cluster"].get("logs", {}).values())


def test_a_shifted_recording_gets_the_same_diagnosis_when_the_alert_is_sent_now():
    # Given the OOM recording moved to the present, and an alert that says nothing of when it started
    scenario = json.loads(OOM.read_text("utf-8"))
    before = run_diagnosis(scenario)
    shifted, _ = shift_scenario(scenario, datetime.now(UTC))
    shifted["alert"].pop("starts_at")
    # When it is diagnosed
    after = run_diagnosis(shifted)
    # Then the recording counts as fresh: the same cause is found
    assert after.category == before.category == "oom_killed"


def test_the_dev_sandbox_serves_the_recording_in_the_present():
    # Given the OOM recording loaded as `pagerless dev --sandbox` does
    cluster = SandboxCluster.from_scenario(OOM, now=NOW)
    assert cluster.time_offset == NOW - parse_stamp(json.loads(OOM.read_text("utf-8"))["alert"]["starts_at"])
    # Then its latest events happened just before now, as they did just before its alert
    seen = [parse_stamp(e["lastTimestamp"]) for e in cluster.events() if e.get("lastTimestamp")]
    assert NOW - timedelta(minutes=5) <= max(seen) <= NOW


def test_nodes_are_synthesized_from_the_pods_node_names_when_the_recording_has_none():
    # Given a recording with pods on named nodes and no Node objects
    scenario = json.loads(NO_NODES.read_text("utf-8"))
    assert not (scenario["cluster"].get("nodes") or {}).get("items")
    names = {p["spec"].get("nodeName") for p in scenario["cluster"]["pods"]["items"]} - {None}
    # When the sandbox loads it
    cluster = SandboxCluster.from_scenario(scenario)
    # Then each node exists, Ready and schedulable
    for name in names:
        node = cluster.node(name)
        assert node is not None, name
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready[0]["status"] == "True" and not node["spec"].get("unschedulable")


def test_recorded_nodes_are_left_as_recorded():
    cluster = SandboxCluster.from_scenario(OOM)
    recorded = json.loads(OOM.read_text("utf-8"))["cluster"]["nodes"]["items"]
    assert sorted(n["metadata"]["name"] for n in recorded) == sorted(
        n["metadata"]["name"] for n in cluster.state.list("nodes")
    )


def test_a_fix_in_a_recording_without_nodes_schedules_new_pods_on_the_synthesized_nodes():
    from pagerless.local.sandbox.controller import rollout

    # Given a recording without Node objects whose deployment is OOMKilled
    scenario = json.loads(NO_NODES.read_text("utf-8"))
    cluster = SandboxCluster.from_scenario(scenario)
    state = cluster.state
    (namespace, name), failure = next(iter(state.failures.items()))
    deployment = state.find("deployments", namespace, name)
    # When the memory limit is raised above the one it was killed at
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        if container["name"] == failure.container:
            container.setdefault("resources", {}).setdefault("limits", {})["memory"] = "64Gi"
    rollout(state, deployment)
    # Then the new pods run, Ready, on nodes the recording's pods ran on
    nodes = {n["metadata"]["name"] for n in state.list("nodes")}
    new = [p for p in state.list("pods", namespace) if (p["metadata"].get("labels") or {}).get("pagerless.dev/sandbox")]
    assert new and all(p["status"]["phase"] == "Running" and p["spec"]["nodeName"] in nodes for p in new)


def test_every_scenario_gets_the_same_diagnosis_once_moved_to_the_present():
    # Given every recorded scenario (ours and the red team's), moved to now with its deploys
    scenarios = sorted((ROOT / "tests" / "scenarios").rglob("*.json"))
    now = datetime.now(UTC)
    moved = 0
    for path in scenarios:
        scenario = json.loads(path.read_text("utf-8"))
        if "cluster" not in scenario:
            continue
        shifted, offset = shift_scenario(scenario, now)
        for before, after in zip(scenario.get("deploys") or [], shifted.get("deploys") or [], strict=True):
            assert parse_stamp(after["timestamp"]) == parse_stamp(before["timestamp"]) + offset
        # Then the diagnosis does not change: only the clock moved
        assert run_diagnosis(shifted).category == run_diagnosis(scenario).category, path.name
        moved += 1
    assert moved >= 100
