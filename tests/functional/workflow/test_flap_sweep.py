"""The scheduled flap sweep (`flap-sweep`, every 15 minutes) finds the flapping incidents through their
flap markers in the system table's sparse `sweeps` index, so its cost follows the incidents flapping
now, not every incident ever stored (issue #12; docs/writes.md, "The flap sweep reads the incidents
flapping now").
"""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import delivery_mark

pytestmark = pytest.mark.functional

WORKSPACE = "default"


class IncidentReads:
    """Every request the test's thread makes to the incidents table (not the workflow's, which runs in
    threads of its own): its operation, index and what it read; and its queries and scans of the
    system table (``system``)."""

    def __init__(self, table: str, system: str) -> None:
        self.table, self.system, self.calls, self.thread = table, system, [], threading.get_ident()
        self.system_reads: list[dict] = []

    def before(self, model, params, context, **_):
        if threading.get_ident() != self.thread:
            return
        body = json.loads(params.get("body") or b"{}")
        tables = body.get("RequestItems", {}) if model.name == "BatchGetItem" else {body.get("TableName"): body}
        if self.system in tables and model.name in ("Scan", "Query"):
            context["system_read"] = {"operation": model.name, "index": body.get("IndexName")}
        if self.table in tables:
            keys = tables[self.table].get("Keys", [body.get("Key")] if body.get("Key") else [])
            context["incident_read"] = {
                "operation": model.name,
                "index": body.get("IndexName"),
                "keys": sorted(k["id"]["S"] for k in keys),
            }

    def after(self, parsed, context, **_):
        system = context.pop("system_read", None)
        if system is not None:
            system["scanned"] = parsed.get("ScannedCount")
            self.system_reads.append(system)
        call = context.pop("incident_read", None)
        if call is not None:
            call["scanned"] = parsed.get("ScannedCount")
            self.calls.append(call)

    def scans(self) -> list[dict]:
        return [c for c in self.calls if c["operation"] in ("Scan", "Query")]

    def read_ids(self) -> set[str]:
        return {key for c in self.calls if c["operation"] in ("GetItem", "BatchGetItem") for key in c["keys"]}


@pytest.fixture
def incident_reads(runtime):
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.session import dynamodb_events

    events = dynamodb_events(IncidentRecord)
    reads = IncidentReads(runtime.provisioned.tables["IncidentsTable"], runtime.provisioned.tables["SystemTable"])
    events.register("before-call.dynamodb", reads.before)
    events.register("after-call.dynamodb", reads.after)
    yield reads
    events.unregister("before-call.dynamodb", reads.before)
    events.unregister("after-call.dynamodb", reads.after)


def _alert(fingerprint: str, status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint=fingerprint, status=status, title=f"{fingerprint} 5xx", service=None)


def _intake(now: list):
    from pagerless.intake.service import IntakeService

    # no workflow: the flap's reopen names a settle run that never started, so none holds it
    return IntakeService(clock=lambda: now[0], start_workflow=lambda *a, **k: None)


def _flap(intake, now: list, fingerprint: str) -> str:
    """Four firings and resolves within a minute, then a fifth firing: a flap's reopen."""
    t0 = now[0]
    for cycle in range(4):
        now[0] = t0 + timedelta(seconds=10 * cycle)
        intake.process(_alert(fingerprint), WORKSPACE, delivery_mark("firing", now[0]))
        now[0] += timedelta(seconds=5)
        intake.process(_alert(fingerprint, "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    now[0] = t0 + timedelta(seconds=50)
    result = intake.process(_alert(fingerprint), WORKSPACE, delivery_mark("firing", now[0]))
    assert result.action == "reopened"
    return result.incident_id


def _in_flaps_index(runtime) -> set[str]:
    """The incidents whose flap marker the system table's `sweeps` index holds, read with the plain
    DynamoDB client."""
    dynamodb = runtime.client("dynamodb")
    items = dynamodb.query(
        TableName=runtime.provisioned.tables["SystemTable"],
        IndexName="sweeps",
        KeyConditionExpression="sweep = :flap",
        ExpressionAttributeValues={":flap": {"S": "flap"}},
    )["Items"]
    return {item["sk"]["S"] for item in items}


@pytest.fixture
def settle_runs(runtime):
    """The settle runs a test's sweep starts wait out the settle period: they are stopped with the test."""
    from tests.functional.workflow.conftest import wait_for

    yield
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]

    def stopped() -> bool:
        running = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
        for execution in running:
            try:  # moto refuses to stop an execution in the moment it starts
                sfn.stop_execution(executionArn=execution["executionArn"])
            except Exception:  # noqa: BLE001
                return False
        return not running

    wait_for(stopped, timeout=10, interval=0.2)


def _sweep(runtime) -> list[dict]:
    from pagerless.workflow.flapping import sweep

    return sweep(runtime.client("stepfunctions"))


def test_the_sweep_reads_the_flapping_incidents_only_through_their_index(runtime, settle_runs, incident_reads):
    from pagerless.store.incidents import IncidentRecord

    # Given the sweep has run once on this table (its one-off look for flaps stored before the index)
    assert _sweep(runtime) == []
    now = [datetime.now(UTC)]
    intake = _intake(now)
    # And four ordinary incidents, two of them resolved, and one flap's reopen that no run holds
    ordinary = [intake.process(_alert(f"steady-{n}"), WORKSPACE).incident_id for n in range(4)]
    for fingerprint in ("steady-0", "steady-1"):
        intake.process(_alert(fingerprint, "resolved"), WORKSPACE)
    flap = _flap(intake, now, "flapping")
    incident_reads.calls.clear()
    incident_reads.system_reads.clear()
    # When the sweep runs
    [started] = _sweep(runtime)
    # Then it starts the flap's settle run
    assert started["incident_id"] == flap and started["settle"].startswith(f"{flap}-r")
    assert IncidentRecord.get(flap).execution_arn.endswith(started["settle"])
    # And it found the flap through the sweeps index, which held its marker alone, and neither scanned
    # nor queried the incidents table
    assert [(s["operation"], s["index"]) for s in incident_reads.system_reads] == [("Query", "sweeps")]
    assert sum(s["scanned"] for s in incident_reads.system_reads) == 1
    assert incident_reads.scans() == [], incident_reads.calls
    # And the only incident item it read is the flap's: none of the ordinary ones
    assert incident_reads.read_ids() == {flap}
    assert not set(ordinary) & incident_reads.read_ids()


def test_a_flap_leaves_the_index_when_it_settles_and_when_it_resolves(runtime, settle_runs):
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.sweeps import mark
    from pagerless.workflow.steps import run_step

    now = [datetime.now(UTC)]
    intake = _intake(now)
    # Given two flaps' reopens and an ordinary incident
    settling, resolving = _flap(intake, now, "settling"), _flap(intake, now, "resolving")
    intake.process(_alert("steady"), WORKSPACE)
    # Then the index holds the two flaps, and the ordinary incident is not in it
    assert _in_flaps_index(runtime) == {settling, resolving}
    # When the first one's alert holds firing and its settle run clears its flapping
    held = IncidentRecord.get(settling).execution_arn
    step = {"step": "settle_flapping", "incident_id": settling, "workspace": WORKSPACE, "execution_arn": held}
    assert run_step(step) == {"settled": True}
    # And the second one's alert resolves it (its `flapping` stays: the resolve's notice reads it)
    now[0] += timedelta(seconds=5)
    intake.process(_alert("resolving", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert (IncidentRecord.get(resolving).status, IncidentRecord.get(resolving).flapping) == ("resolved", True)
    # Then both have left the index, and the sweep starts nothing
    assert _in_flaps_index(runtime) == set()
    assert _sweep(runtime) == []
    # When the resolved one flaps back open, it is in the index again
    now[0] += timedelta(seconds=5)
    assert intake.process(_alert("resolving"), WORKSPACE, delivery_mark("firing", now[0])).action == "reopened"
    assert IncidentRecord.get(resolving).flapping is True
    assert _in_flaps_index(runtime) == {resolving}
    # When it resolves once more after the flap window, its marker left behind (as a version without
    # markers resolves), and its alert fires again: a reopen that is not a flap, which clears `flapping`
    now[0] += timedelta(minutes=31)
    intake.process(_alert("resolving", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    mark(resolving, WORKSPACE, now[0]).marker.save()
    now[0] += timedelta(seconds=5)
    assert intake.process(_alert("resolving"), WORKSPACE, delivery_mark("firing", now[0])).action == "reopened"
    assert IncidentRecord.get(resolving).flapping is False
    # Then its marker is deleted with the mark
    assert _in_flaps_index(runtime) == set()


def _drop_marker(runtime, incident_id: str) -> None:
    """What a version without flap markers leaves: the incident flapping, no marker."""
    runtime.client("dynamodb").delete_item(
        TableName=runtime.provisioned.tables["SystemTable"], Key={"pk": {"S": "flap"}, "sk": {"S": incident_id}}
    )


def test_a_flap_marked_before_the_markers_existed_is_found_by_the_first_sweep_only(
    runtime, settle_runs, incident_reads
):
    from pagerless.store.incidents import IncidentRecord

    now = [datetime.now(UTC)]
    intake = _intake(now)
    # Given a flap's reopen and a resolved flap, both stored by a version without flap markers
    old_open, old_resolved = _flap(intake, now, "old-open"), _flap(intake, now, "old-resolved")
    now[0] += timedelta(seconds=5)
    intake.process(_alert("old-resolved", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    for incident_id in (old_open, old_resolved):
        _drop_marker(runtime, incident_id)
    assert _in_flaps_index(runtime) == set()
    incident_reads.calls.clear()
    # When the sweep runs for the first time
    [started] = _sweep(runtime)
    # Then it found the open flap (one look through the whole incidents table) and started its settle run
    assert started["incident_id"] == old_open
    assert [s["index"] for s in incident_reads.scans()].count(None) == 1
    # And the open flap has its marker from now on; the resolved one has none
    assert _in_flaps_index(runtime) == {old_open}
    assert IncidentRecord.get(old_resolved).flapping is True
    # When the sweep runs again, it reads the sweeps index only, and not the incidents table's indexes
    incident_reads.calls.clear()
    incident_reads.system_reads.clear()
    assert _sweep(runtime) == []  # its settle run holds it now
    assert incident_reads.scans() == []
    assert [(s["operation"], s["index"]) for s in incident_reads.system_reads] == [("Query", "sweeps")]


def test_the_sweep_deletes_a_marker_whose_incident_is_resolved_and_a_resolve_without_its_marker_works(
    runtime, settle_runs
):
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.sweeps import mark

    # Given the sweep's one-off look for flaps without a marker has run on this table
    assert _sweep(runtime) == []
    now = [datetime.now(UTC)]
    intake = _intake(now)
    # And a flap resolved by a version that left its marker (put back here as that version leaves it)
    resolved = _flap(intake, now, "left-behind")
    now[0] += timedelta(seconds=5)
    intake.process(_alert("left-behind", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert IncidentRecord.get(resolved).status == "resolved"
    mark(resolved, WORKSPACE, now[0]).marker.save()
    # And a flap whose marker is already gone (a version without markers marked it after that look)
    unmarked = _flap(intake, now, "unmarked")
    _drop_marker(runtime, unmarked)
    assert _in_flaps_index(runtime) == {resolved}
    # When the sweep runs
    assert _sweep(runtime) == []
    # Then the resolved incident's marker is deleted, and its incident left as it was
    assert _in_flaps_index(runtime) == set()
    assert IncidentRecord.get(resolved).status == "resolved"
    # When the unmarked flap resolves, the delete of its missing marker fails nothing
    now[0] += timedelta(seconds=5)
    result = intake.process(_alert("unmarked", "resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert (result.action, IncidentRecord.get(unmarked).status) == ("resolved", "resolved")
