"""What the escalation tests (test_escalation_*.py) share: the pages read back from the NotifyQueue,
the payments-api on-call policy, and the alerts, restarts and crashes that move an escalation along.
The `pages` and `oncall` fixtures in conftest.py serve these."""

import json
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.conftest import auth
from tests.functional.workflow.conftest import (
    _SENDER,
    alertmanager_payload,
    open_incident,
    status_of,
    wait_for,
    wait_for_status,
)


class Pages:
    """Every escalation.page job put on the NotifyQueue so far."""

    def __init__(self, runtime) -> None:
        from pagerless import settings

        self.sqs, self.url, self.seen = runtime.client("sqs"), settings.workflow().notify_queue_url, []

    def __call__(self) -> list[dict]:
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                self.seen.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [job for job in self.seen if job["event"] == "escalation.page"]

    def generations(self) -> list[str]:
        return [job["generation"] for job in self()]

    def wait_for(self, generation: str) -> dict:
        return wait_for(lambda: next((j for j in self() if j["generation"] == generation), None), timeout=120)


PEOPLE: dict[str, str] = {}  # first name -> person id of the current test


def payments_oncall(delays=(1, 4, 1), repeat=0):
    """A schedule with bob on call and a policy for payments-api: alice, then the schedule, then carol."""
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService
    from pagerless.people.service import PeopleService

    people = PeopleService()
    ids = {n: people.create("default", name=n.title(), email=f"{n}@example.com").id for n in ("alice", "bob", "carol")}
    PEOPLE.clear()
    PEOPLE.update(ids)
    service = OncallService()
    schedule = service.create_schedule(
        "default",
        models.ScheduleIn(
            name="payments primary",
            timezone="Europe/Berlin",
            team="payments-team",
            services=["payments-api"],
            layers=[
                models.LayerIn(
                    name="primary",
                    participants=[ids["bob"]],
                    rotation_start=date(2026, 1, 1),
                    handoff_time=time(9, 0),
                    rrule="FREQ=WEEKLY",
                )
            ],
        ),
        "test",
    )
    targets = [
        {"kind": "person", "id": ids["alice"]},
        {"kind": "schedule", "id": schedule["id"]},
        {"kind": "person", "id": ids["carol"]},
    ]
    policy = service.create_policy(
        "default",
        models.PolicyIn.model_validate(
            {
                "name": "payments",
                "services": ["payments-api"],
                "repeat": repeat,
                "steps": [{"delay_seconds": d, "targets": [t]} for d, t in zip(delays, targets, strict=False)],
            }
        ),
        "test",
    )
    return schedule, policy


def escalation(incident_id: str, generation: str = "1"):
    from pagerless.store.escalations import EscalationRepository

    return EscalationRepository().get(incident_id, generation)


def execution_status(runtime, incident_id: str, generation: str = "1") -> str:
    arn = wait_for(lambda: (r := escalation(incident_id, generation)) and r.execution_arn, timeout=60)
    return runtime.client("stepfunctions").describe_execution(executionArn=arn)["status"]


def ticked(runtime, incident_id: str) -> None:
    """Wait until every execution of the incident (its workflow runs, its escalations) has ended or waits on a
    timer (an escalation for its next step), looked up anew at each poll: each page its ticks would send is on
    the NotifyQueue, so a check that nobody else was paged observes the window such a page comes in, however
    slow the machine (rather than the moment after the alert's delivery, before a wrong execution ticks)."""
    sfn = runtime.client("stepfunctions")
    machines = runtime.provisioned.state_machines
    prefixes = (incident_id, f"esc-{incident_id}")

    def quiet() -> bool:
        for machine in (machines["IncidentResponseStateMachine"], machines["EscalationStateMachine"]):
            for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
                if not execution["name"].startswith(prefixes):
                    continue
                events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
                if events[-1]["type"] != "WaitStateEntered":
                    return False
        return True

    wait_for(quiet, timeout=120)


def unpaged_warning(scenario: dict):
    """A payments-api warning, handed to humans (no cluster): nobody is paged, as the policy covers
    critical and high."""
    scenario["alert"]["severity"] = "warning"
    opened = open_incident(scenario)
    wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)
    return opened


def _episode_start(payload: dict) -> datetime | None:
    """When the episode the payload's alert is in started, as the alert's item keeps it (None: never seen)."""
    from pagerless.clock import parse_time
    from pagerless.store.alert_records import alert_key
    from pagerless.store.alerts import AlertRepository

    record = AlertRepository().get(alert_key("default", "alertmanager", payload["alerts"][0]["fingerprint"]))
    return parse_time((record.alert or {}).get("starts_at")) if record is not None else None


def resolved_payload(alert: dict) -> dict:
    """The scenario's alert as Alertmanager sends it once it has resolved: with the start of the episode it ends
    (Alertmanager's ``startsAt`` is the episode's, on its firing and its resolve)."""
    payload = alertmanager_payload(alert)
    payload["status"] = payload["alerts"][0]["status"] = "resolved"
    if (start := _episode_start(payload)) is not None:
        payload["alerts"][0]["startsAt"] = start.isoformat().replace("+00:00", "Z")
    payload["alerts"][0]["endsAt"] = "2026-03-11T14:40:00Z"
    return payload


def refired_payload(alert: dict) -> dict:
    """The scenario's alert as Alertmanager sends it when it fires again after its resolve: a new
    episode, started after the resolve's end (the first firing's body sent again is that episode
    arriving late, which reopens nothing), and after the episode before it."""
    payload = alertmanager_payload(alert)
    start = max(
        datetime(2026, 3, 11, 14, 45, tzinfo=UTC),
        (_episode_start(payload) or datetime.min.replace(tzinfo=UTC)) + timedelta(minutes=15),
    )
    payload["alerts"][0]["startsAt"] = start.isoformat().replace("+00:00", "Z")
    return payload


def post_alert(payload: dict) -> dict:
    """Deliver an Alertmanager webhook through the intake API; what it did with the alert."""
    headers = {"Authorization": f"Bearer {_SENDER['key']}"}
    response = _SENDER["client"].post("/api/webhooks/alertmanager", json=payload, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["alerts"][0]


def resolved_and_fired_again(scenario: dict, incident_id: str) -> None:
    """Alertmanager resolves the scenario's alert, which resolves the incident, then fires it again,
    which reopens it."""
    post_alert(resolved_payload(scenario["alert"]))
    assert status_of(incident_id) == "resolved"
    fired = post_alert(refired_payload(scenario["alert"]))
    assert fired["action"] == "reopened", fired


def flapping_from_the_first_refire(monkeypatch, *, settle_seconds: int | None = None) -> None:
    """Alerts count as flapping from their first re-fire (and settle after ``settle_seconds`` if given)."""
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_CYCLES", "1")
    if settle_seconds is not None:
        monkeypatch.setenv("PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS", str(settle_seconds))
    settings.reset()


def acknowledged_flap(scenario, oncall, pages, api, operator_key, monkeypatch, *, settle_seconds: int):
    """An incident that paged alice, who acknowledged it, and whose alert then resolved and fired again:
    a flap (every re-fire counts as one), whose settle period is ``settle_seconds``."""
    flapping_from_the_first_refire(monkeypatch, settle_seconds=settle_seconds)
    oncall(delays=(30, 30, 30))
    opened = open_incident(scenario)
    pages.wait_for("0-0")
    assert api.post(f"/api/incidents/{opened.id}/acknowledge", headers=auth(operator_key)).status_code == 200
    resolved_and_fired_again(scenario, opened.id)
    return opened


def reopen_generations(incident_id: str, timeout: float = 120) -> list[str]:
    """The escalation generations of the incident's reopens (waiting until there is one)."""
    from pagerless.store.escalations import EscalationRepository

    return wait_for(
        lambda: [r.sk for r in EscalationRepository().for_incident(incident_id) if r.sk.startswith("r")],
        timeout=timeout,
    )


def restart(runtime) -> list[dict]:
    """A restart of the embedded runtime ends every execution (moto cannot keep them); `pagerless dev`
    runs the reconciler on start."""
    from pagerless.workflow.reconcile import reconcile

    sfn = runtime.client("stepfunctions")
    for machine in runtime.provisioned.state_machines.values():
        for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"])
    return reconcile(sfn)


class Crash(BaseException):
    """The process dies where it stands (a Lambda timeout, an out-of-memory kill): no handler runs."""


@contextmanager
def before_escalation_starts(act):
    """Call ``act(params)`` before every StartExecution of an escalation, through botocore's event
    system on the real Step Functions client (``act`` may raise, as the call would)."""
    from pagerless import step_functions

    def hook(params, **_):
        if "escalation" in params.get("stateMachineArn", ""):
            act(params)

    events = step_functions.client().meta.events
    events.register("before-parameter-build.sfn.StartExecution", hook)
    try:
        yield
    finally:
        events.unregister("before-parameter-build.sfn.StartExecution", hook)


def refuse_start(refused: list[str], *, times: int | None = None, generation: str | None = None):
    """For `before_escalation_starts`: a hook that refuses the escalation's start (``times`` times, or always), of
    ``generation`` only if given, and notes each refusal's execution name."""

    def act(params) -> None:
        if generation is not None and not params["name"].endswith(f"-{generation}"):
            return
        if times is None or len(refused) < times:
            refused.append(params["name"])
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, "StartExecution")

    return act


def start_grace(monkeypatch, seconds: int) -> None:
    """How long an escalation may wait unstarted before the sweep starts it."""
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_WORKFLOW_ESCALATION_START_GRACE_SECONDS", str(seconds))
    settings.reset()


def unstarted_opening(scenario: dict) -> tuple:
    """An incident handed to humans (no cluster) whose opening escalation Step Functions refused to
    start at every try: the incident, and the names of the refused executions."""
    refused: list[str] = []
    with before_escalation_starts(refuse_start(refused, generation="1")):
        opened = open_incident(scenario)
        wait_for_status(opened.id, "diagnosed", timeout=120, settled=True)
    return opened, refused


def raise_through_the_alert_queue(scenario, runtime) -> None:
    """Its source fires the scenario's alert again as critical, through the alert queue (whose
    delivery SQS retries if it fails); the queue is drained."""
    scenario["alert"]["severity"] = "critical"
    response = _SENDER["client"].post(
        "/api/webhooks/alertmanager?sync=false",
        json=alertmanager_payload(scenario["alert"]),
        headers={"Authorization": f"Bearer {_SENDER['key']}"},
    )
    assert response.status_code == 202, response.text
    runtime.poller.drain()


def left_unstarted(opened, change=None) -> None:
    """After ``change`` (a resolve, an acknowledge), a start of the incident's escalation writes its
    record and dies before its StartExecution: the record waits, running, without an execution."""
    from pagerless.oncall.engine import start
    from pagerless.store.incidents import IncidentRepository

    if change is not None:
        change()

    def crash(params) -> None:
        raise Crash

    with before_escalation_starts(crash), pytest.raises(Crash):
        start(IncidentRepository().get(opened.id), generation="1", reason="incident opened")
    assert (escalation(opened.id).status, escalation(opened.id).execution_arn) == ("running", None)


def without_sweep_keys(runtime, incident_id: str, generation: str = "1") -> None:
    """What a version without the `sweeps` index leaves: the record running, no execution, no sweep keys."""
    runtime.client("dynamodb").update_item(
        TableName=runtime.provisioned.tables["SystemTable"],
        Key={"pk": {"S": f"escalation#{incident_id}"}, "sk": {"S": generation}},
        UpdateExpression="REMOVE sweep, sweep_since",
    )
