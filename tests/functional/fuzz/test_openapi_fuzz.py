"""Schemathesis over the whole OpenAPI document, through the real apps on the embedded AWS:
no generated request may cause a server error (5xx), nor an AWS call its function's role denies
(the runtime fixture's IAM check). Bounded: a few examples per operation, and as many again with real
ids for an operation whose path names one."""

import os

import pytest
import yaml

from tests.conftest import FIXTURES, auth
from tests.functional.runbooks.test_runbooks_api import SEED_001

pytestmark = pytest.mark.functional

EXAMPLES_PER_OPERATION = 10
# Routes whose 503 is a true answer on the embedded AWS (no cluster configured), not a fault.
EXPECTED_503 = {("POST", "/api/actions/execute")}
SKIPPED = {"/api/events", "/api/jobs/{job_id}/events"}  # Server-Sent Events streams: they answer by streaming


def same_operation_elsewhere(schema: dict) -> set[tuple[str, str]]:
    """(METHOD, path) of the seed paths documented as the operation at another path (``x-seed-path-of``) that
    answer as it does: fuzzing them too would double the run for nothing. A seed path that adds its seed's
    field names to the answer (``Alias.shape``) runs code of its own, and is fuzzed."""
    from pagerless.api.aliases import ALIASES

    shaped = {(a.method, a.path) for a in ALIASES if a.shape is not None}
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "x-seed-path-of" in operation and (method.upper(), path) not in shaped
    }


@pytest.fixture
def reachable(runtime, monkeypatch):
    """Every operation's code within reach: no per-caller rate limit (past 600 requests a minute
    every operation would answer 429 before its code ran, so how much the fuzz reached depended on
    the machine's speed), and a link secret, so email links are checked rather than switched off (503)."""
    from pagerless import settings
    from pagerless.chat import apps

    monkeypatch.setenv("PAGERLESS_RATE_LIMIT_ENABLED", "false")
    monkeypatch.setenv("PAGERLESS_EMAIL_LINK_SECRET", "email-link-secret-for-the-fuzz")
    settings.reset()
    apps.reset()
    yield
    settings.reset()
    apps.reset()


@pytest.fixture
def known_ids(api, runtime, admin_key, reachable) -> dict:
    """Real ids for path parameters, so generated bodies reach the code behind the 404 check (and
    the AWS calls each function makes there meet its role: the runtime fixture's IAM check)."""

    def created(path: str, body: dict) -> dict:
        response = api.post(path, json=body, headers=auth(admin_key))
        assert response.status_code in (200, 201), (path, response.text)
        return response.json()

    incident = created("/api/webhooks/generic?sync=true", {"title": "fuzz", "service": "fuzz"})
    person = created("/api/people", {"name": "Fuzz", "email": "fuzz@example.com"})
    schedule = created(
        "/api/oncall/schedules",
        {
            "name": "fuzz",
            "timezone": "UTC",
            "services": ["fuzz"],
            "layers": [{"name": "l", "participants": [person["id"]], "rotation_start": "2026-01-01"}],
        },
    )
    policy = created(
        "/api/escalation-policies",
        {
            "name": "fuzz",
            "services": ["fuzz"],
            "steps": [{"delay_seconds": 60, "targets": [{"kind": "person", "id": person["id"]}]}],
        },
    )
    channel = created(
        "/api/notifications/channels",
        {"name": "fuzz", "channel_type": "webhook", "config": {"url": "http://127.0.0.1:9/fuzz"}},
    )
    template = created(
        "/api/notifications/templates",
        {"name": "fuzz", "channel_type": "slack", "title_template": "{{title}}", "body_template": "{{message}}"},
    )
    override = created(
        f"/api/oncall/schedules/{schedule['id']}/overrides",
        {"person_id": person["id"], "start": "2026-12-07T09:00:00+00:00", "end": "2026-12-07T12:00:00+00:00"},
    )
    agent = created("/api/agent-tokens", {"name": "fuzz"})
    app = created("/api/chat-apps", {"provider": "slack", "app_id": "A0FUZZ", "name": "fuzz", "signing_secret": "s"})
    user = created("/api/users", {"email": "fuzz-user@example.com", "name": "Fuzz", "password": "password123"})
    slo = next(yaml.safe_load_all((FIXTURES / "slo" / "payments.yaml").read_text()))
    created("/api/slo", slo)
    sla = created(
        "/api/sla/rules",
        {"service_id": "fuzz", "name": "Fuzz", "target_percent": 99.0, "calculation_window": "weekly"},
    )
    report = created("/api/reports/generate", {"report_type": "daily"})
    runbook = created("/api/custom-runbooks", SEED_001)
    context = {"namespace": "fuzz", "deployment": "fuzz", "replicas": 2}  # no cluster: the run fails, and is kept
    job = created("/api/runs", {"workflow_id": "scale-out", "input": {"context": context, "dry_run": True}})
    incident_id = incident["alerts"][0]["incident_id"]
    postmortem = created(f"/api/incidents/{incident_id}/postmortem", {})
    item = {"id": "AI-FUZZ", "description": "fuzz"}
    edit = {"expected_version": postmortem["version"], "action_items": [*postmortem["action_items"], item]}
    assert api.put(f"/api/incidents/{incident_id}/postmortem", json=edit, headers=auth(admin_key)).status_code == 200
    kb = created("/api/knowledge-bases", {"name": "fuzz"})
    files = {"file": ("fuzz.md", b"# fuzz\n\nfuzz", "text/markdown")}
    document = api.post(f"/api/knowledge-bases/{kb['id']}/documents", files=files, headers=auth(admin_key))
    assert document.status_code == 201, document.text
    return {
        "incident_id": incident_id,
        "item_id": item["id"],
        "dead_letter_id": _dead_letter(api, runtime, admin_key),
        "token": _acknowledge_token(incident_id, person["id"]),
        "entry_id": created("/api/knowledge", {"title": "fuzz", "content": "fuzz"})["id"],
        "kb_id": kb["id"],
        "doc_id": document.json()["id"],
        "person_id": person["id"],
        "schedule_id": schedule["id"],
        "override_id": override["id"],
        "token_id": agent["id"],
        "provider": "slack",
        "app_id": app["app_id"],
        "policy_id": policy["id"],
        "channel_id": channel["id"],
        "template_id": template["id"],
        "user_id": user["id"],
        "key_id": created("/api/keys", {"role": "viewer", "name": "fuzz"})["id"],
        "name": {"/api/slo/": slo["metadata"]["name"], "/api/plugins/": "dingtalk"},
        "rule_id": sla["rule_id"],
        "report_id": report["id"],
        "runbook_id": runbook["id"],
        "service_name": "fuzz",
        "job_id": job["job_id"],
        "run_id": job["job_id"],
        "workflow_id": "scale-out",
        "source": "generic",
    }


def _dead_letter(api, runtime, admin_key) -> str:
    """A payload its source cannot read, published to the alerts topic: dead-lettered at once."""
    runtime.client("sns").publish(
        TopicArn=runtime.provisioned.topics["AlertsTopic"],
        Message='{"title": "fuzz"}',
        MessageAttributes={"source": {"DataType": "String", "StringValue": "alertmanager"}},
    )
    runtime.poller.drain()
    [dead] = api.get("/api/webhooks/dead-letter", headers=auth(admin_key)).json()["items"]
    return dead["id"]


def _acknowledge_token(incident_id: str, person_id: str) -> str:
    """A genuine email Acknowledge link's token (signed with the fixture's link secret), for a day."""
    import time

    from pagerless.chat.email_links import EmailLink, sign

    expires = int(time.time()) + 86_400
    return sign(EmailLink("", incident_id, "default", "acknowledge", person_id, expires))


# about 50 s on a quiet machine (every operation, twice where it has ids); the hang guard of 300 s was reached once
# in CI with the machine loaded tenfold (helpers beside it), the request then waiting on moto
@pytest.mark.timeout(900)
def test_no_generated_request_causes_a_server_error(api, admin_key, known_ids):
    import schemathesis

    from pagerless.api.openapi import combined_schema

    document = combined_schema()
    schema = schemathesis.openapi.from_dict(document)
    elsewhere = same_operation_elsewhere(document)
    failures: list[tuple] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path not in SKIPPED and (operation.method.upper(), operation.path) not in elsewhere:
            if os.environ.get("PAGERLESS_FUZZ_TRACE"):
                print(operation.method.upper(), operation.path, flush=True)
            # Once with generated ids (404s, bad ids), once with every known id: each operation's
            # real work is reached on every run, not only when a draw happens to pick a known id.
            _fuzz(operation, api, admin_key, {}, failures)
            if any(f"{{{name}}}" in operation.path for name in known_ids):
                _fuzz(operation, api, admin_key, known_ids, failures)
    assert failures == []


def _fuzz(operation, api, admin_key, known_ids, failures) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        for name in list(case.path_parameters or {}):
            if name in known_ids:
                known = known_ids[name]  # or, for a name several areas use, by path prefix
                if isinstance(known, dict):
                    known = next((v for prefix, v in known.items() if operation.path.startswith(prefix)), None)
                if known is not None:
                    case.path_parameters[name] = known
        kwargs = case.as_transport_kwargs(base_url="")
        headers = {**(kwargs.pop("headers", None) or {}), **auth(admin_key)}
        headers.pop("Idempotency-Key", None)
        response = api.request(
            kwargs.pop("method"),
            kwargs.pop("url"),
            headers=headers,
            params=kwargs.get("params"),
            json=kwargs.get("json"),
            content=kwargs.get("data") if isinstance(kwargs.get("data"), (bytes, str)) else None,
        )
        assert response.status_code != 429, response.text  # the fuzz reaches every operation's code
        expected = response.status_code == 503 and (operation.method.upper(), operation.path) in EXPECTED_503
        if response.status_code >= 500 and not expected:
            failures.append(
                (
                    operation.method.upper(),
                    operation.path,
                    kwargs.get("params"),
                    kwargs.get("json"),
                    response.status_code,
                    response.text[:200],
                )
            )

    run()
