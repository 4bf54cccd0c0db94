"""Fixtures of the investigator tests: a small scenario, its baseline, the fake Messages API."""

import pytest

from pagerless.diagnosis.llm.settings import LlmSettings
from pagerless.diagnosis.models import Diagnosis, Evidence, Finding
from tests.fakes.anthropic_api import FakeMessagesApi

TEST_KEY = "sk-ant-test-0000000000000000"
LEAKED_DB_PASSWORD = "Sup3rS3cretPw"
LEAKED_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB"
LEAKED_ALERT_PASSWORD = "alertPw1234"


def _pod(name: str, containers: list[str], *, phase: str = "Running", waiting: str | None = None) -> dict:
    statuses = [
        {
            "name": c,
            "ready": waiting is None,
            "restartCount": 7 if waiting else 0,
            "state": {"waiting": {"reason": waiting}} if waiting else {"running": {}},
            "lastState": {"terminated": {"reason": "Error", "exitCode": 2}} if waiting else {},
        }
        for c in containers
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "payments",
            "managedFields": [{"manager": "kubelet", "operation": "Update"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"big": "blob"}'},
        },
        "spec": {
            "nodeName": "node-a",
            "containers": [
                {
                    "name": c,
                    "image": "registry/payments-api:v2.3.1",
                    "env": [
                        {"name": "DB_PASSWORD", "value": LEAKED_DB_PASSWORD},
                        {"name": "LOG_LEVEL", "value": "info"},
                    ],
                }
                for c in containers
            ],
        },
        "status": {"phase": phase, "containerStatuses": statuses},
    }


def _event(name: str, reason: str, message: str, last: str, kind: str = "Pod") -> dict:
    return {
        "kind": "Event",
        "metadata": {"name": f"{name}.{reason}", "namespace": "payments"},
        "involvedObject": {"kind": kind, "namespace": "payments", "name": name},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "count": 3,
        "firstTimestamp": "2026-03-11T14:13:00Z",
        "lastTimestamp": last,
    }


@pytest.fixture
def scenario() -> dict:
    """A crash-looping payments API whose logs and alert carry secrets that must never leave."""
    return {
        "alert": {
            "title": "PaymentsApiHighErrorRate",
            "description": f"5xx above 5%; runbook auth password={LEAKED_ALERT_PASSWORD}",
            "severity": "critical",
            "source": "prometheus",
            "labels": {"namespace": "payments", "deployment": "payments-api", "service": "payments-api"},
            "starts_at": "2026-03-11T14:22:00Z",
        },
        "cluster": {
            "pods": {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    _pod("payments-api-7d9f-abc", ["api"], waiting="CrashLoopBackOff"),
                    _pod("payments-worker-5c4-xyz", ["worker", "sidecar"]),
                ],
            },
            "events": {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    _event(
                        "payments-api-7d9f-abc",
                        "BackOff",
                        "Back-off restarting failed container api in pod payments-api-7d9f-abc",
                        "2026-03-11T14:21:00Z",
                    ),
                    _event(
                        "payments-api-7d9f-abc",
                        "Pulled",
                        "Container image already present on machine",
                        "2026-03-11T14:20:00Z",
                    ),
                    _event("payments-worker-5c4-xyz", "Unhealthy", "Readiness probe failed", "2026-03-11T14:19:00Z"),
                ],
            },
            "deployments": {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "kind": "Deployment",
                        "metadata": {"name": "payments-api", "namespace": "payments"},
                        "spec": {
                            "replicas": 2,
                            "template": {
                                "spec": {"containers": [{"name": "api", "image": "registry/payments-api:v2.3.1"}]}
                            },
                        },
                        "status": {"readyReplicas": 0, "updatedReplicas": 2},
                    },
                ],
            },
            "secrets": {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "kind": "Secret",
                        "metadata": {"name": "db-creds", "namespace": "payments"},
                        "data": {"url": "cG9zdGdyZXM6Ly9zZWNyZXQ="},
                    },
                ],
            },
            "logs": {
                "payments/payments-api-7d9f-abc/api#previous": (
                    "starting payments-api v2.3.1\n"
                    f"connecting to postgres://payments:{LEAKED_DB_PASSWORD}@db.payments:5432/payments\n"
                    f"using github token {LEAKED_TOKEN}\n"
                    "panic: runtime error: invalid memory address or nil pointer dereference\n"
                ),
                "payments/payments-worker-5c4-xyz/worker": "worker ready\n",
            },
        },
        "deploys": [
            {
                "service": "payments-api",
                "namespace": "payments",
                "image": "registry/payments-api:v2.3.1",
                "actor": "ci-bot",
                "commit_sha": "abc123",
                "timestamp": "2026-03-11T14:12:00Z",
            },
            {
                "service": "search",
                "namespace": "search",
                "image": "registry/search:v9",
                "actor": "ci-bot",
                "commit_sha": "def456",
                "timestamp": "2026-03-10T09:00:00Z",
            },
        ],
    }


@pytest.fixture
def baseline() -> Diagnosis:
    finding = Finding(
        analyzer="container_state",
        category="crashloop_app_error",
        confidence=0.6,
        summary="api container of payments-api-7d9f-abc is in CrashLoopBackOff with exit code 2",
        evidence=[
            Evidence(
                source="pod payments/payments-api-7d9f-abc status.containerStatuses[api].state",
                detail="waiting: CrashLoopBackOff",
            )
        ],
        remediations=["fix_application_code"],
        target={"kind": "Pod", "namespace": "payments", "name": "payments-api-7d9f-abc", "container": "api"},
    )
    return Diagnosis(
        category="crashloop_app_error",
        confidence=0.6,
        summary=finding.summary,
        evidence=finding.evidence,
        remediations=finding.remediations,
        findings=[finding],
        target=finding.target,
    )


@pytest.fixture
def fake_api():
    with FakeMessagesApi() as api:
        yield api


@pytest.fixture
def settings(fake_api: FakeMessagesApi) -> LlmSettings:
    """Settings pointing the real client at the fake server, with millisecond backoff."""
    return LlmSettings(
        api_key=TEST_KEY,
        base_url=fake_api.base_url,
        model="claude-sonnet-5-5",
        max_retries=2,
        retry_backoff_base_s=0.001,
        retry_backoff_max_s=0.01,
        request_timeout_s=5,
    )
