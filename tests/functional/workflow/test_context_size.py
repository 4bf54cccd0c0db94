"""A busy namespace's context still fits the context store: the workflow diagnoses, it does not fail."""

import copy
import uuid

import pytest

from tests.functional.workflow.conftest import NS, explain, incident, open_incident, wait_for_status

pytestmark = pytest.mark.functional


def _noise_events(scenario: dict, count: int) -> list[dict]:
    """``count`` Normal events of a namespace whose jobs run every minute (as a busy namespace has)."""
    [template] = [e for e in scenario["cluster"]["events"]["items"] if e["metadata"]["namespace"] == NS][:1]
    events = []
    for n in range(count):
        event = copy.deepcopy(template)
        name = f"report-job-{n:05d}-{uuid.uuid4().hex[:5]}"
        event["metadata"].update(name=f"{name}.{uuid.uuid4().hex[:16]}", uid=str(uuid.uuid4()))
        event["involvedObject"].update(kind="Pod", name=name, uid=str(uuid.uuid4()))
        event.update(
            type="Normal",
            reason="Pulled",
            message=f'Successfully pulled image "registry.example.com/report:{uuid.uuid4().hex[:12]}" in 1.{n % 997}s',
            firstTimestamp="2026-03-11T13:00:00Z",
            lastTimestamp="2026-03-11T13:50:00Z",
            count=1,
        )
        events.append(event)
    return events


def test_a_namespace_with_thousands_of_events_is_still_diagnosed(scenario, request):
    # Given the OOM scenario's namespace also holds 4000 unrelated events
    scenario["cluster"]["events"]["items"] += _noise_events(scenario, 4000)
    request.getfixturevalue("sandbox")
    # When the workflow gathers the context and diagnoses
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval", "escalated", "diagnosed", timeout=120)
    # Then the incident is diagnosed from what was kept, and the context says what was left out
    from pagerless.store.contexts import ContextRepository

    record = incident(opened.id)
    assert record.diagnosis and record.diagnosis["category"] == "oom_killed", explain(opened.id)
    stored = ContextRepository().get(opened.id)
    assert any("events" in note for note in stored.notes), stored.notes


def test_an_unusable_cluster_configuration_leaves_the_alert_alone_as_context(
    scenario, fast_workflow, monkeypatch, tmp_path
):
    from pagerless import settings
    from pagerless.store.contexts import ContextRepository

    # Given the configured kubeconfig is gone (a rotated secret, a wrong path)
    monkeypatch.setenv("PAGERLESS_KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    settings.reset()
    # When an incident's workflow gathers its context
    opened = open_incident(scenario)
    wait_for_status(opened.id, "awaiting_approval", "diagnosed", "escalated", settled=True)
    # Then it is diagnosed from the alert, and the context and its timeline entry say why there is no cluster state
    record = incident(opened.id)
    assert record.diagnosis, explain(opened.id)
    stored = ContextRepository().get(opened.id)
    assert stored.source == "alert"
    assert any("cluster configuration is unusable" in note for note in stored.notes), stored.notes


def test_a_context_still_too_large_after_its_logs_are_cut_leaves_out_what_matters_least(scenario, runtime):
    import os

    from pagerless.store.contexts import ContextRepository

    # Given a context whose ReplicaSets alone are ~600 KB of incompressible text (labels, annotations)
    [template] = scenario["cluster"]["replicasets"]["items"][:1]
    bulky = []
    for n in range(150):
        rs = copy.deepcopy(template)
        rs["metadata"]["name"] = f"bulk-{n}"
        rs["metadata"]["annotations"] = {"blob": os.urandom(3000).hex()}
        bulky.append(rs)
    scenario["cluster"]["replicasets"]["items"] = bulky
    # When it is stored
    record = ContextRepository().put("INC-20261204-0099", "default", "live", scenario)
    # Then it is stored without its ReplicaSets (said in the notes), and the pods and events are intact
    stored = record.scenario()["cluster"]
    assert stored["replicasets"]["items"] == [] and "replicasets left out to fit the context store" in record.notes
    assert stored["pods"] == scenario["cluster"]["pods"] and stored["events"] == scenario["cluster"]["events"]
