"""Intake test helpers: keys per role, fixtures by name, waiting for the embedded Step Functions."""

import json
import time

import pytest

from tests.conftest import FIXTURES, auth


@pytest.fixture(autouse=True)
def _fresh_intake_services():
    """Services cache webhook settings for a few seconds: start every test without them."""
    from pagerless.api.routes.incidents import incident_service
    from pagerless.intake import bootstrap

    bootstrap.reset()
    incident_service.cache_clear()
    yield
    bootstrap.reset()
    incident_service.cache_clear()


@pytest.fixture
def meter(runtime):
    """DynamoDB writes billed per table and index (pagerless.local.write_meter), while the test runs."""
    from pagerless.local.write_meter import WriteMeter

    meter = WriteMeter().install()
    yield meter
    meter.uninstall()


def make_key(role: str, workspace: str = "default") -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace=workspace, role=role, name=f"test {role}").secret


@pytest.fixture
def ingest_key(runtime) -> str:
    return make_key("ingest")


@pytest.fixture
def operator_key(runtime) -> str:
    return make_key("operator")


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / "alerts" / relative).read_bytes()


def fixture_json(relative: str) -> dict:
    return json.loads(fixture_bytes(relative))


def post_alert(api, key: str, source: str, payload, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return api.post(
        f"/api/webhooks/{source}", content=body, headers={**auth(key), "content-type": "application/json", **headers}
    )


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def workflows_done(runtime, count: int) -> None:
    """Wait until ``count`` incident workflows have run to their end (without a cluster they hand
    the incident to humans: status diagnosed), so what a test does next does not race them."""
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    wait_for(
        lambda: (
            len(runs := sfn.list_executions(stateMachineArn=machine)["executions"]) == count
            and all(run["status"] != "RUNNING" for run in runs)
        )
    )


def backdate_first_firing(incident_id: str, when) -> None:
    """What happened before the test: the incident's first alert fired at ``when`` (a reopen test's
    first firing, weeks before the reopen)."""
    from pagerless.store.incidents import IncidentRecord

    IncidentRecord.get(incident_id).update(
        actions=[
            IncidentRecord.first_seen.set(when),
            IncidentRecord.created_at.set(when),
            IncidentRecord.created_key.set(f"{when.isoformat()}#{incident_id}"),
        ]
    )


def reopen_weeks_later(api, runtime, ingest_key: str, fingerprint: str, *, before_reopen=None) -> tuple[str, dict]:
    """The reopen tests' common start, through intake: an alert of service checkout opened an incident
    three weeks ago (its first workflow done), resolved since, and fires again now, which reopens the
    incident (its workflow done too). ``before_reopen(incident_id)`` runs while it is the first
    firing (a comment made then). Returns the incident id and the alert, to resolve it again."""
    from datetime import timedelta

    from pagerless.clock import utcnow

    alert = {"title": "Checkout latency", "fingerprint": fingerprint, "service": "checkout", "status": "firing"}
    incident_id = post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]["incident_id"]
    workflows_done(runtime, 1)
    if before_reopen is not None:
        before_reopen(incident_id)
    backdate_first_firing(incident_id, utcnow() - timedelta(days=21))
    post_alert(api, ingest_key, "generic", {**alert, "status": "resolved"})
    again = post_alert(api, ingest_key, "generic", alert).json()["alerts"][0]
    assert (again["action"], again["incident_id"]) == ("reopened", incident_id), again
    workflows_done(runtime, 2)
    return incident_id, alert


def delivery_mark(status: str, at):
    from pagerless.store.alerts import DeliveryMark

    return DeliveryMark.of(status, at)


def intake_at(now):
    """The intake service on the clock ``now[0]``, starting no workflow (the delivery tests look at
    the tables, and a workflow's steps would race the tables they take down)."""
    from pagerless.intake.service import IntakeService

    return IntakeService(clock=lambda: now[0], start_workflow=lambda *a, **k: None)


def incident_count() -> int:
    from pagerless.store.incidents import IncidentRecord

    return sum(1 for _ in IncidentRecord.scan())


class TableOutage:
    """A table of the runtime taken away between two writes of a delivery (an outage, a crash):
    `start()` deletes it, `restore()` provisions it again, empty."""

    def __init__(self, runtime, logical_name: str) -> None:
        self.runtime, self.logical_name = runtime, logical_name

    def start(self) -> None:
        self.runtime.client("dynamodb").delete_table(TableName=self.runtime.provisioned.tables[self.logical_name])

    def restore(self) -> None:
        from pagerless.local.provision import Provisioned, _tables

        _tables(self.runtime.template, self.runtime.client("dynamodb"), Provisioned())


@pytest.fixture
def timeline_table_down(runtime) -> TableOutage:
    return TableOutage(runtime, "TimelineTable")


@pytest.fixture
def events_table_down(runtime) -> TableOutage:
    return TableOutage(runtime, "EventsTable")
