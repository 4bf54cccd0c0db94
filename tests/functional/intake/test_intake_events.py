"""Every sample event in events/ is loaded here and given to the real handler of its function."""

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.functional

EVENTS = ROOT / "events"
FUNCTIONS = {
    "ingest": "IngestFunction",
    "incidents": "IncidentsFunction",
    "alert_consumer": "AlertConsumerFunction",
    "dead_letter": "DeadLetterFunction",
    "workflow": "WorkflowFunction",
}
SAMPLE_KEY = "pl_sample_events_key_do_not_use_in_production"


def _invoke(runtime, folder: str, event: dict):
    spec = runtime.lambdas.by_logical_id[FUNCTIONS[folder]]
    return runtime.lambdas.invoke(spec.name, event)


@pytest.fixture
def sample_key(runtime):
    from pagerless.api.security import key_service
    from pagerless.domain.roles import Role

    key_service().ensure(SAMPLE_KEY, workspace="default", role=Role.OPERATOR, name="sample events")


def test_every_event_folder_belongs_to_a_template_function(runtime):
    functions = {spec.code_dir.name: spec.logical_id for spec in runtime.template.functions()}
    for folder in EVENTS.iterdir():
        assert folder.name in functions, f"events/{folder.name} has no function in template.yaml"
    for folder, logical_id in FUNCTIONS.items():
        assert functions[folder] == logical_id


# The self-check step's event has its own test (tests/functional/foundation/test_events.py), the
# incident workflow's step events theirs (tests/functional/workflow/test_step_events.py).
OWN_TESTS = {
    "workflow/selfcheck_start.json",
    "workflow/gather_context.json",
    "workflow/diagnose.json",
    "workflow/propose.json",
    "workflow/notify.json",
    "workflow/request_approval.json",
    "workflow/escalate.json",
    "workflow/handle_failure.json",
}


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for p in EVENTS.glob("*/*.json")
        if p.parent.name in FUNCTIONS and f"{p.parent.name}/{p.name}" not in OWN_TESTS
    ),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_sample_event_runs_through_its_handler(runtime, sample_key, path: Path, monkeypatch):
    from pagerless import settings
    from pagerless.intake.service import IntakeService
    from pagerless.store.dead_letters import DeadLetterRecord
    from pagerless.store.incidents import IncidentRecord

    event = json.loads(path.read_text())
    folder = path.parent.name
    if folder in ("incidents", "workflow"):  # something to read or record on
        from pagerless.domain.alerts import Alert

        if folder == "incidents":  # the list's sample asks for open incidents: no workflow moves this one on first
            monkeypatch.setenv("PAGERLESS_INCIDENT_STATE_MACHINE_ARN", "")
            settings.workflow.cache_clear()
        opened = IntakeService().process(Alert(source="generic", fingerprint="sample", title="sample"), "default")
        monkeypatch.undo()
        settings.workflow.cache_clear()
        if folder == "workflow":  # ids carry the day: point the sample at today's incident
            event = {**event, "incident_id": opened.incident_id}
    # When the real handler gets the event
    result = _invoke(runtime, folder, event)
    # Then it answers the way its trigger expects
    if folder in ("ingest", "incidents"):
        assert result["statusCode"] == 200, result["body"]
        body = json.loads(result["body"])
        if folder == "ingest":
            assert body["alerts"] and all(a["incident_id"] for a in body["alerts"] if a["action"] != "ignored")
        else:
            assert body["items"][0]["title"] == "sample"
    elif folder == "alert_consumer":
        assert result == {"batchItemFailures": []}
        assert sum(1 for _ in IncidentRecord.scan()) == 1
    elif folder == "dead_letter":
        assert result == {"batchItemFailures": []}
        [dead] = list(DeadLetterRecord.scan())
        assert dead.status == "dead" and dead.source == "generic"
    else:
        assert result == {"recorded": True, "incident_id": event["incident_id"]}
