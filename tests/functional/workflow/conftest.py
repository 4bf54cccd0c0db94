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


@pytest.fixture
def fast_workflow(runtime, monkeypatch):
    """Short verification waits and a short approval timeout (env overrides of the template's durations)."""
    from pagerless import settings

    for name, value in {"PAGERLESS_WORKFLOW_VERIFY_WAIT_SECONDS": "0", "PAGERLESS_WORKFLOW_VERIFY_MAX_CHECKS": "2",
                        "PAGERLESS_WORKFLOW_APPROVAL_TIMEOUT_SECONDS": "60"}.items():
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


def open_incident(scenario: dict, workspace: str = "default", options: dict | None = None):
    """The incident the intake service opens for the scenario's alert, and its workflow execution
    (named after the incident, input {"incident_id", "workspace"} as the intake starts it)."""
    from datetime import datetime

    from pagerless.incidents.ids import allocate_incident_id
    from pagerless.store.incidents import IncidentRecord

    alert = scenario["alert"]
    labels = {k: v for k, v in alert["labels"].items() if v}
    incident_id = allocate_incident_id()
    incident = IncidentRecord(
        incident_id, workspace=workspace, created_key=f"x#{incident_id}",
        service_key=f"{workspace}#{labels.get('namespace')}#{labels.get('service')}", title=alert["title"],
        description=alert.get("description", ""), severity=alert["severity"], service=labels.get("service"),
        namespace=labels.get("namespace"), source=alert.get("source", ""), labels=labels,
        first_seen=datetime.fromisoformat(alert["starts_at"].replace("Z", "+00:00")))
    incident.save()
    start_workflow(incident, options)
    return incident


def start_workflow(incident, options: dict | None = None) -> str:
    import boto3

    from pagerless import settings
    from pagerless.store.incidents import IncidentRecord

    payload = {"incident_id": incident.id, "workspace": incident.workspace, **({"options": options} if options else {})}
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=settings.workflow().incident_state_machine_arn, name=incident.id,
        input=json.dumps(payload))["executionArn"]
    incident.update(actions=[IncidentRecord.execution_arn.set(arn)])
    return arn


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
        raise AssertionError(f"{incident_id} is {status_of(incident_id)}, not {statuses}; {explain(incident_id)}") from None


def _execution_ended(incident_id: str) -> bool:
    import boto3

    from pagerless.store.incidents import IncidentRepository

    arn = IncidentRepository().get(incident_id).execution_arn
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
            details = [v for k, v in event.items() if k.endswith("FailedEventDetails") or k.endswith("TimedOutEventDetails")]
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
    from pagerless.workflow.policies import put_policy

    put_policy("default", Policy(**fields), actor="test")
