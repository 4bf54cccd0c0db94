"""The incident workflow on the embedded AWS with the real ASL, against a sandbox cluster seeded
from the OOMKilled scenario and reached through the real `kubernetes` client."""

import copy
import json
import time

import pytest

from tests.conftest import ROOT

SCENARIO = ROOT / "tests" / "scenarios" / "oom_killed_payments.json"
NS, DEPLOYMENT, CONTAINER = "payments", "payments-api", "api"


@pytest.fixture(scope="session")
def oom_scenario() -> dict:
    return json.loads(SCENARIO.read_text("utf-8"))


@pytest.fixture
def scenario(oom_scenario) -> dict:
    """A copy a test may change before the sandbox loads it."""
    return copy.deepcopy(oom_scenario)


def unfixable_oom(oom_scenario: dict) -> dict:
    """The OOM scenario, except the service needs 2Gi: doubling the limit to 512Mi does not fix it."""
    changed = copy.deepcopy(oom_scenario)
    changed["sandbox"] = {
        "failures": {f"{NS}/{DEPLOYMENT}": {"kind": "oom", "container": CONTAINER, "memory_needed": "2Gi"}}
    }
    return changed


@pytest.fixture
def fast_workflow(runtime, monkeypatch):
    """Short verification waits and a short approval timeout (env overrides of the template's durations)."""
    from pagerless import settings

    for name, value in {
        "PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS": "0",
        "PAGERLESS_WORKFLOW_VERIFY_MAX_CHECKS": "2",
        "PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS": "60",
        # these tests send no resolve: verification resolves on a healthy workload at once
        "PAGERLESS_WORKFLOW_ALERT_CLEAR_GRACE_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    settings.reset()
    yield runtime
    _stop_running_executions(runtime)


def _stop_running_executions(runtime) -> None:
    """A test may end while an execution still waits (for an approval): stop it with the test."""
    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        sfn.stop_execution(executionArn=execution["executionArn"])


@pytest.fixture
def sandbox(scenario, fast_workflow, monkeypatch, tmp_path):
    """The scenario's cluster served over HTTP, configured as the workspace's cluster."""
    from pagerless import settings
    from pagerless.local.sandbox_cluster import SandboxCluster

    cluster = SandboxCluster.from_scenario(scenario)
    cluster.start()
    monkeypatch.setenv("PAGERLESS_KUBECONFIG", cluster.kubeconfig_path())
    monkeypatch.setenv("PAGERLESS_SANDBOX", "true")
    settings.reset()
    yield cluster
    cluster.stop()


LEDGER_POD = "ledger-worker-llsgxvlmjd-h6s2c"  # ledger-worker's pod, in payments beside payments-api's


def restart_pod_diagnosis(pod: str) -> dict:
    """Claude's answer: restart ``pod`` in payments (the investigator names a pod, as an alert's label would)."""
    return {
        "category": "crashloop_app_error",
        "confidence": 0.9,
        "summary": "a pod of payments-api is stuck",
        "evidence": [{"source": "pod status", "detail": "restarts"}],
        "remediations": ["restart_pod"],
        "ranked_categories": [{"category": "crashloop_app_error", "confidence": 0.9}],
        "target": {"kind": "Pod", "namespace": "payments", "name": pod},
    }


def memory_limit(cluster) -> str:
    deployment = cluster.deployment(NS, DEPLOYMENT)
    [container] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == CONTAINER]
    return container["resources"]["limits"]["memory"]


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


_SENDER: dict = {}


@pytest.fixture(autouse=True)
def _alert_sender(runtime):
    """Alerts reach Pagerless as Alertmanager webhooks through the real intake API."""
    from fastapi.testclient import TestClient

    from pagerless.api.security import key_service

    key = key_service().create(workspace="default", role="ingest", name="alertmanager").secret
    with TestClient(runtime.gateway(), raise_server_exceptions=False) as client:
        _SENDER.update(client=client, key=key)
        yield
    _SENDER.clear()


def alertmanager_payload(alert: dict) -> dict:
    """The scenario's alert as Alertmanager sends it (webhook version 4)."""
    labels = {k: v for k, v in alert["labels"].items() if v}
    labels.setdefault("alertname", alert["title"])
    labels["severity"] = alert["severity"]
    return {
        "version": "4",
        "status": "firing",
        "receiver": "pagerless",
        "groupKey": '{}:{alertname="x"}',
        "truncatedAlerts": 0,
        "groupLabels": {"alertname": labels["alertname"]},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": alert["title"], "description": alert.get("description", "")},
                "startsAt": alert["starts_at"],
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "0a1b2c3d4e5f6789",
            }
        ],
    }


def open_incident(scenario: dict):
    """Post the scenario's alert; the intake service opens the incident and starts its workflow."""
    from pagerless.store.incidents import IncidentRepository

    response = _SENDER["client"].post(
        "/api/webhooks/alertmanager",
        json=alertmanager_payload(scenario["alert"]),
        headers={"Authorization": f"Bearer {_SENDER['key']}"},
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["alerts"]
    assert result["incident_id"], result
    return IncidentRepository().get(result["incident_id"])


def status_of(incident_id: str) -> str:
    from pagerless.store.incidents import IncidentRepository

    return IncidentRepository().get(incident_id).status


def wait_for_status(incident_id: str, *statuses: str, timeout: float = 30.0, settled: bool = False) -> str:
    """Wait until the incident has one of ``statuses`` (and, with ``settled``, its execution has ended)."""
    try:
        status = wait_for(lambda: (s := status_of(incident_id)) in statuses and s, timeout)
        if settled:
            wait_for(lambda: _execution_ended(incident_id), timeout)
        return status
    except AssertionError:
        raise AssertionError(
            f"{incident_id} is {status_of(incident_id)}, not {statuses}; {explain(incident_id)}"
        ) from None


def wait_for_workflow(incident_id: str, *statuses: str, interval: float = 0.05) -> str:
    """Wait until the incident has one of ``statuses``, or its workflow can no longer bring it there (its execution
    ended): however long the machine takes, so no assertion depends on its speed (`wait_for_status` gives up after
    30 s; the walk to the approval took 2 to 6 s with two test workers, more on a machine shared with others). A
    workflow that hangs is pytest's timeout's to stop."""
    while True:
        status = status_of(incident_id)
        if status in statuses:
            return status
        if _execution_ended(incident_id):
            status = status_of(incident_id)  # it may have moved as the execution ended
            assert status in statuses, f"{incident_id} is {status}, not {statuses}; {explain(incident_id)}"
            return status
        time.sleep(interval)


def _execution_ended(incident_id: str) -> bool:
    import boto3

    from pagerless.store.incidents import IncidentRepository

    arn = IncidentRepository().get(incident_id).execution_arn
    if not arn:  # not started yet
        return False
    return boto3.client("stepfunctions").describe_execution(executionArn=arn)["status"] != "RUNNING"


def explain(incident_id: str) -> str:
    """The timeline and the execution's failures, for a failing test's message."""
    import boto3

    from pagerless.incidents.timeline import timeline
    from pagerless.store.incidents import IncidentRepository

    lines = [f"{t.type}: {t.message}" for t in timeline(incident_id)]
    arn = IncidentRepository().get(incident_id).execution_arn
    if arn:
        for event in boto3.client("stepfunctions").get_execution_history(executionArn=arn)["events"]:
            details = [
                v for k, v in event.items() if k.endswith("FailedEventDetails") or k.endswith("TimedOutEventDetails")
            ]
            entered = event.get("stateEnteredEventDetails", {}).get("name")
            lines.append(f"  {event['type']} {entered or ''} {details or ''}")
    return "\n".join(lines)


def execution_status(runtime, incident) -> str:
    from pagerless.store.incidents import IncidentRepository

    arn = IncidentRepository().get(incident.id).execution_arn
    return runtime.client("stepfunctions").describe_execution(executionArn=arn)["status"]


def wait_for_execution_end(runtime, incident, timeout: float = 30.0) -> str:
    return wait_for(lambda: (s := execution_status(runtime, incident)) != "RUNNING" and s, timeout)


def timeline_types(incident_id: str) -> list[str]:
    from pagerless.incidents.timeline import timeline

    return [item.type for item in timeline(incident_id)]


@pytest.fixture
def operator_key(runtime) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role="operator", name="on-call").secret


@pytest.fixture
def viewer_key(runtime) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role="viewer", name="dashboards").secret


def incident(incident_id: str):
    from pagerless.store.incidents import IncidentRepository

    return IncidentRepository().get(incident_id)


def store_policy(**fields) -> None:
    from pagerless.remediation.policy import Policy
    from pagerless.remediation.workspace_policy import put_policy

    put_policy("default", Policy(**fields), actor="test")


@pytest.fixture
def claude(monkeypatch):
    """An Anthropic key in the environment and the real client pointed at a local fake Messages API."""
    from pagerless.diagnosis.llm import get_llm_settings
    from tests.fakes.anthropic_api import FakeMessagesApi

    with FakeMessagesApi() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000000000000000")
        monkeypatch.setenv("PAGERLESS_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("PAGERLESS_LLM_MAX_RETRIES", "0")
        get_llm_settings.cache_clear()
        yield fake
    get_llm_settings.cache_clear()


@pytest.fixture
def pages(runtime):
    """Every escalation.page job put on the NotifyQueue so far (`escalations.Pages`)."""
    from tests.functional.workflow.escalations import Pages

    return Pages(runtime)


@pytest.fixture
def oncall(runtime):
    """Makes the payments-api schedule and escalation policy (`escalations.payments_oncall`)."""
    from tests.functional.workflow.escalations import payments_oncall

    return payments_oncall


@pytest.fixture
def system_reads(runtime):
    """The queries and scans of the system table the test's thread makes (the scheduled function runs
    in it): their operation and index."""
    import threading

    from pagerless.store.escalations import EscalationRecord
    from pagerless.store.session import dynamodb_events

    table, thread, reads = runtime.provisioned.tables["SystemTable"], threading.get_ident(), []

    def before(model, params, **_):
        body = json.loads(params.get("body") or b"{}")
        if threading.get_ident() == thread and model.name in ("Scan", "Query") and body.get("TableName") == table:
            reads.append((model.name, body.get("IndexName")))

    events = dynamodb_events(EscalationRecord)
    events.register("before-call.dynamodb", before)
    yield reads
    events.unregister("before-call.dynamodb", before)
