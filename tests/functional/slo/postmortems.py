"""What the postmortem tests share: a diagnosis, a payments-api SLA, an incident with an approval
that burned it (``incident``), and Claude through the local fake Messages API (``claude``)."""

from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.fakes.anthropic_api import FakeMessagesApi
from tests.functional.slo.history import minutes, seed_incident

DIAGNOSIS = {
    "category": "oom_killed",
    "confidence": 0.9,
    "summary": "payments-api ran out of memory (limit 256Mi).",
    "remediations": ["patch_resources"],
    "engine": "analyzers",
}


def payments_sla(api, admin_key) -> None:
    """An SLA for payments-api: a weekly downtime SLO of 99.9 %."""
    api.post(
        "/api/sla/rules",
        json={"service_id": "payments-api", "name": "Payments", "target_percent": 99.9, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )


@pytest.fixture
def incident(api, admin_key):
    """A critical payments-api incident 2 h ago: paged at once and acknowledged after 4 min, fixed by the
    workflow after 25 min, with an approval decided in 3 min and an SLA (downtime SLO) that it burned."""
    from pagerless.store.approvals import ApprovalRecord
    from pagerless.store.escalations import EscalationRecord

    api.put(
        "/api/environment-context",
        json={"text": "", "services": [{"name": "payments-api", "owners": ["team-payments"]}]},
        headers=auth(admin_key),
    )
    payments_sla(api, admin_key)
    opened = align(utcnow()) - timedelta(hours=2)
    seed_incident(
        "INC-PM1",
        service="payments-api",
        severity="critical",
        opened=opened,
        acknowledged=opened + minutes(4),
        resolved=opened + minutes(25),
        resolved_by="workflow",
        title="OOMKilled payments-api",
        diagnosis=DIAGNOSIS,
        alert_count=3,
        actions=[{"action": "patch_resources", "status": "succeeded", "source": "workflow"}],
    )
    ApprovalRecord(
        "INC-PM1",
        "a1",
        workspace="default",
        status="approved",
        status_key="default#approved",
        requested_key=f"{(opened + minutes(6)).isoformat()}#INC-PM1",
        requested_at=opened + minutes(6),
        expires_at=opened + minutes(36),
        timeout_seconds=1800,
        task_token="never-shown",
        decided_by="key:alice",
        decided_at=opened + minutes(9),
    ).save()
    EscalationRecord(
        "escalation#INC-PM1",
        "1",
        incident_id="INC-PM1",
        workspace="default",
        policy={"id": "pol_payments", "name": "payments"},
        execution_name="esc-INC-PM1-1",
        pages=[
            {
                "generation": "0-0",
                "at": (opened + timedelta(seconds=5)).isoformat(),
                "targets": [{"kind": "person", "id": "per_alice"}],
                "held": [],
            }
        ],
        status="stopped",
        started_at=opened + timedelta(seconds=4),
    ).save()
    api.post("/api/slo/sla-payments-api/evaluate", headers=auth(admin_key))
    return "INC-PM1"


@pytest.fixture
def claude(monkeypatch, runtime, incident):
    """The key set only once the workflows the fixture's SLO evaluation may have started have ended, so
    no Diagnose step takes the answer meant for the postmortem."""
    from pagerless.diagnosis.llm import get_llm_settings

    workflows_ended(runtime)
    with FakeMessagesApi() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000000000000000")
        monkeypatch.setenv("PAGERLESS_LLM_BASE_URL", fake.base_url)
        get_llm_settings.cache_clear()
        yield fake
    get_llm_settings.cache_clear()


SSM_KEY = "sk-ant-from-ssm-1111111111111111"


@pytest.fixture
def claude_key_in_ssm(monkeypatch, runtime, incident):
    """As ``claude``, but deployed as in AWS: no key in the environment, the key a SecureString
    parameter named by ``PAGERLESS_ANTHROPIC_KEY_PARAMETER`` (the template's AnthropicKeyParameter)."""
    from pagerless import settings
    from pagerless.diagnosis.llm import get_llm_settings

    workflows_ended(runtime)
    name = "/pagerless/postmortem-test/anthropic-key"
    runtime.client("ssm").put_parameter(Name=name, Value=SSM_KEY, Type="SecureString", Overwrite=True)
    with FakeMessagesApi() as fake:
        monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
        monkeypatch.delenv("PAGERLESS_LLM_API_KEY", raising=False)
        monkeypatch.setenv("PAGERLESS_ANTHROPIC_KEY_PARAMETER", name)
        monkeypatch.setenv("PAGERLESS_LLM_BASE_URL", fake.base_url)
        settings.reset()
        get_llm_settings.cache_clear()
        yield fake
    settings.reset()
    get_llm_settings.cache_clear()


def workflows_ended(runtime) -> None:
    import time

    sfn = runtime.client("stepfunctions")
    machine = runtime.provisioned.state_machines["IncidentResponseStateMachine"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
        run["status"] == "RUNNING" for run in sfn.list_executions(stateMachineArn=machine)["executions"]
    ):
        time.sleep(0.2)
