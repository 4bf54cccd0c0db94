"""What the restart reconciler reads to find the escalations still paging (`EscalationRepository.running`):
the entries of the system table's sparse `sweeps` index that only a running escalation has, not a scan of
every escalation ever stored. Reads are counted at the AWS boundary (botocore's ``before-call`` event on the
DynamoDB client: the `system_reads` fixture)."""

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import open_incident, wait_for, wait_for_status
from tests.functional.workflow.escalations import (
    escalation,
    left_unstarted,
    post_alert,
    reopen_generations,
    resolved_and_fired_again,
    resolved_payload,
    restart,
    without_sweep_keys,
)

pytestmark = pytest.mark.functional


def _running() -> list[tuple[str, str]]:
    from pagerless.store.escalations import EscalationRepository

    return sorted((r.incident_id, r.sk) for r in EscalationRepository().running())


def _scans(reads: list) -> list:
    return [read for read in reads if read[0] == "Scan"]


def test_the_reconciler_reads_only_the_escalations_running_now(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, system_reads
):
    # Given a table whose escalations are all from this version (its one look for older ones is done)
    assert _running() == []
    # And an incident whose first escalation alice acknowledged (stopped), and which its alert then resolved
    # and fired again: the reopen's escalation pages, running
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    assert wait_for(lambda: escalation(opened.id).status == "stopped", timeout=60)
    resolved_and_fired_again(scenario, opened.id)
    [reopen] = reopen_generations(opened.id)
    pages.wait_for(f"{reopen}:0-0")
    system_reads.clear()
    # When the reconciler reads the escalations still running
    running = _running()
    # Then it finds the reopen's, not the stopped one, and it read no table scan to find it
    assert running == [(opened.id, reopen)]
    assert _scans(system_reads) == [] and ("Query", "sweeps") in system_reads
    # When the alert resolves (which ends the reopen's escalation), nothing is running any more
    post_alert(resolved_payload(scenario["alert"]))
    assert wait_for(lambda: escalation(opened.id, reopen).status != "running", timeout=60)
    system_reads.clear()
    assert _running() == []
    assert _scans(system_reads) == []


def test_an_escalation_left_unstarted_is_among_those_the_reconciler_reads_and_resumes(
    fast_workflow, scenario, oncall, pages, runtime, system_reads
):
    # Given an incident nobody was paged for, then a policy, and a start of its escalation that died before
    # its execution (running, no execution: the escalation sweep's to start, and a restart's to resume)
    assert _running() == []
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)
    oncall(delays=(30, 30, 30))
    left_unstarted(opened)
    system_reads.clear()
    # When the runtime restarts
    done = restart(runtime)
    # Then the reconciler found it without a table scan, and gave it an execution: alice is paged
    assert [d for d in done if d.get("escalation") == "1"] == [
        {"incident_id": opened.id, "escalation": "1", "resume": "step 1", "wait_seconds": 0}
    ]
    assert _scans(system_reads) == []
    assert pages.wait_for("0-0")["targets"][0]["kind"] == "person"
    assert _running() == [(opened.id, "1")]


def test_running_escalations_written_before_the_running_keys_are_found_by_one_look_then_by_the_index(
    fast_workflow, scenario, oncall, pages, api, operator_key, runtime, system_reads
):
    # Given an incident whose first escalation was stopped and whose reopen's escalation is paging, both
    # written by a version without the running keys
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    resolved_and_fired_again(scenario, opened.id)
    [reopen] = reopen_generations(opened.id)
    pages.wait_for(f"{reopen}:0-0")
    for generation in ("1", reopen):
        without_sweep_keys(runtime, opened.id, generation)
    system_reads.clear()
    # When the reconciler reads the escalations running for the first time on this table
    first = _running()
    # Then one look through the table finds the running one
    assert first == [(opened.id, reopen)]
    assert _scans(system_reads) == [("Scan", None)]
    # And every later read finds it through the index only
    system_reads.clear()
    assert _running() == [(opened.id, reopen)]
    assert _scans(system_reads) == []


def test_an_escalation_writes_the_sweeps_index_when_it_is_written_starts_and_ends(
    fast_workflow, scenario, oncall, pages, runtime
):
    from pagerless.incidents.escalations import finish
    from pagerless.local.write_meter import WriteMeter
    from pagerless.oncall.engine import start
    from pagerless.store.incidents import IncidentRepository

    # Given an incident nobody was paged for, then a policy that covers it
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)
    oncall(delays=(30, 30, 30))
    index = f"{runtime.provisioned.tables['SystemTable']}.sweeps"
    meter = WriteMeter().install()
    try:
        # When its escalation starts (its record written, then its execution stored) and is then stopped
        with meter.measure("start"):
            record = start(IncidentRepository().get(opened.id), generation="1", reason="incident opened")
        pages.wait_for("0-0")
        with meter.measure("end"):
            assert finish(escalation(opened.id), "stopped", "acknowledged")
    finally:
        meter.uninstall()
    # Then its entry enters the index with its record, moves to the running kind when it starts (a key
    # change: a delete and a put) and leaves it when it ends
    assert record.execution_arn and escalation(opened.id).status == "stopped"
    assert meter.costs["start"].tables[index]["writes"] == 3, meter.costs["start"].as_dict()
    assert meter.costs["end"].tables[index]["writes"] == 1, meter.costs["end"].as_dict()
    assert _running() == []
