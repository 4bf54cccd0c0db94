"""The seeds' own paths answer with the seeds' request shapes (pagerless.api.aliases)."""

import re
import time

import pytest
from pynamodb.exceptions import UpdateError

from pagerless.api.aliases import ALIASES
from tests.conftest import ROOT, auth

pytestmark = pytest.mark.functional


def test_every_alias_is_served_and_routed_to_the_owner_of_its_canonical_route(runtime):
    from pagerless.api.app import iter_api_routes

    served = {}
    for _, _, logical_id in runtime.template.http_routes():
        for route in iter_api_routes(runtime.lambdas.module(logical_id).app):
            for method in route.methods:
                served.setdefault((method, route.path), set()).add(logical_id)
    gateway = runtime.gateway()
    for alias in ALIASES:
        assert (alias.method, alias.canonical) in served, f"{alias}: nothing serves the canonical route"
        owner, _ = gateway.owner(alias.method, re.sub(r"\{[^}]+\}", "p-1", alias.path))
        assert owner in served[(alias.method, alias.canonical)], alias


def _table_rows(text: str, heading: str | None = None) -> list[list[str]]:
    """The cells of the rows of the first table after ``heading`` (the document's first table without one)."""
    lines = text.split("\n")
    start = lines.index(heading) if heading else 0
    rows, seen_table = [], False
    for line in lines[start:]:
        if line.startswith("|"):
            seen_table = True
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif seen_table:
            break
    return rows[2:]  # past the header and its rule


def test_the_alias_table_in_docs_lists_every_alias():
    text = (ROOT / "docs" / "seed-paths.md").read_text("utf-8")
    # the first table: each alias once, with the route that serves it and its seed, in the order served
    assert _table_rows(text) == [
        [f"`{alias.method} {alias.path}`", f"`{alias.method} {alias.canonical}`", alias.seed] for alias in ALIASES
    ]
    # the table of seed 002's field names: every alias that adds them
    shaped = _table_rows(text, "## Seed 002's field names")
    assert sorted(row[0] for row in shaped) == sorted(
        f"`{alias.method} {alias.path}`" for alias in ALIASES if alias.shape
    )
    assert all(len(row) == 2 and row[1] for row in shaped), shaped


def test_seed_002_deploy_webhook_recent_and_correlation(api, admin_key):
    # Given seed 002's deploy event sent to its own path, and then an incident of that service
    deployed = api.post(
        "/webhook/deploy",
        headers={"X-API-Key": admin_key},
        json={
            "service": "payments-api",
            "namespace": "production",
            "environment": "prod",
            "image": "payments-api:v2.3.1",
            "actor": "ci-bot",
            "commit_sha": "abc123def456",
        },
    )
    assert deployed.status_code == 201, deployed.text
    assert deployed.json()["ok"] is True and deployed.json()["deploy_id"] == deployed.json()["id"]
    assert deployed.json()["stored"]["deploy_id"] == deployed.json()["id"]
    assert deployed.json()["stored"]["actor"] == "ci-bot" and deployed.json()["stored"]["timestamp"]
    sent = api.post(
        "/webhook",
        headers={"X-API-Key": admin_key, "X-Source": "webhook"},
        json={
            "title": "High CPU on payments-api",
            "description": "CPU usage > 90% for 5 minutes",
            "severity": "critical",
            "source": "prometheus",
            "namespace": "production",
            "pod": "payments-api-7d8f9c6b5-x2k4m",
            "deployment": "payments-api",
            "service": "payments-api",
        },
    )
    incident_id = sent.json()["alerts"][0]["incident_id"]
    # When the recent deploys and the correlation are read at the seed's paths
    recent = api.get("/webhook/deploy/recent", headers={"X-API-Key": admin_key}).json()
    correlation = api.get(
        f"/incidents/{incident_id}/deploy-correlation",
        params={"lookback_minutes": 30},
        headers={"X-API-Key": admin_key},
    ).json()
    # Then the deploy is listed and correlated, in the seed's shape
    assert recent["items"][0]["image"] == "payments-api:v2.3.1"
    assert correlation["has_correlation"] is True and correlation["lookback_minutes"] == 30
    assert correlation["correlated_deploy"]["actor"] == "ci-bot"
    assert correlation["correlated_deploy"]["minutes_before_incident"] == 0
    assert correlation["message"].startswith("Deploy by ci-bot (payments-api) was 0 min")


def test_no_correlation_without_a_deploy_in_the_window(api, admin_key):
    sent = api.post(
        "/api/webhooks/generic",
        headers=auth(admin_key),
        json={"title": "disk", "severity": "warning", "service": "ledger", "fingerprint": "nocorr"},
    )
    incident_id = sent.json()["alerts"][0]["incident_id"]
    body = api.get(f"/api/incidents/{incident_id}/deploy-correlation", headers=auth(admin_key)).json()
    assert body["has_correlation"] is False and body["correlated_deploy"] is None


def test_correlation_finds_the_deploy_before_an_incident_however_many_came_after(api, admin_key):
    from datetime import UTC, datetime, timedelta

    # Given an incident of ledger, deployed 10 minutes before it
    sent = api.post(
        "/api/webhooks/generic",
        params={"sync": "true"},
        headers=auth(admin_key),
        json={"title": "ledger errors", "severity": "high", "service": "ledger", "fingerprint": "many-deploys"},
    )
    incident_id = sent.json()["alerts"][0]["incident_id"]
    began = datetime.fromisoformat(
        api.get(f"/api/incidents/{incident_id}", headers=auth(admin_key)).json()["first_seen"]
    )
    deploy = {"service": "ledger", "actor": "ci", "image": "ledger:v1"}
    before = (began - timedelta(minutes=10)).isoformat()
    assert api.post("/api/deploys", headers=auth(admin_key), json={**deploy, "timestamp": before}).status_code == 201
    # And a busy pipeline that deployed ledger 60 times since
    for n in range(60):
        at = (datetime.now(UTC) + timedelta(seconds=n + 1)).isoformat()
        later = {**deploy, "image": f"ledger:v{n + 2}", "timestamp": at}
        assert api.post("/api/deploys", headers=auth(admin_key), json=later).status_code == 201

    # When the incident's deploy correlation is read
    body = api.get(
        f"/api/incidents/{incident_id}/deploy-correlation", params={"lookback_minutes": 30}, headers=auth(admin_key)
    ).json()

    # Then it is the deploy 10 minutes before, not "no deploy"
    assert body["has_correlation"] is True, body
    assert body["correlated_deploy"]["image"] == "ledger:v1"
    assert body["correlated_deploy"]["minutes_before_incident"] == 10


def test_seed_002_incident_paths_and_pagerduty(api, admin_key):
    pd = api.post(
        "/webhook/pagerduty",
        headers={"X-API-Key": admin_key},
        json={
            "event": {
                "event_type": "incident.triggered",
                "data": {
                    "id": "PD12345",
                    "title": "Database connection pool exhausted",
                    "urgency": "high",
                    "service": {"summary": "auth-service"},
                },
            }
        },
    )
    assert pd.status_code == 200, pd.text
    incident_id = pd.json()["alerts"][0]["incident_id"]
    headers = {"X-API-Key": admin_key}
    assert api.get("/health").json()["status"] == "ok"
    assert [i["id"] for i in api.get("/incidents", headers=headers).json()["items"]] == [incident_id]
    assert api.get(f"/incidents/{incident_id}", headers=headers).json()["service"] == "auth-service"
    assert api.get(f"/incidents/{incident_id}/timeline", headers=headers).json()["items"]
    assert api.get(f"/api/incidents/{incident_id}/events", headers=headers).json()["items"]  # seed 000
    assert api.get(f"/incidents/{incident_id}/group", headers=headers).status_code == 200
    assert api.get("/incidents", headers={"X-API-Key": "pl_wrong"}).status_code == 401


def test_seed_001_and_004_authentication_paths(api):
    registered = api.post(
        "/auth/register", json={"email": "user@example.com", "name": "张三", "password": "securepassword-1"}
    )
    assert registered.status_code == 201, registered.text
    tokens = registered.json()
    me = api.get("/auth/me", headers=auth(tokens["access_token"])).json()
    assert me["email"] == "user@example.com" and me["role"] == "admin"
    refreshed = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["access_token"]
    # seed 004: form login at /api/v1
    form = api.post("/api/v1/auth/login", data={"username": "user@example.com", "password": "securepassword-1"})
    assert form.status_code == 200, form.text
    assert api.get("/api/v1/auth/me", headers=auth(form.json()["access_token"])).json()["email"] == "user@example.com"


def test_seed_004_knowledge_bases_at_api_v1(api, admin_key):
    created = api.post("/api/v1/knowledge-bases", headers=auth(admin_key), json={"name": "SRE 手册"})
    assert created.status_code == 201, created.text
    kb = created.json()["id"]
    api.post(
        f"/api/v1/knowledge-bases/{kb}/documents",
        headers=auth(admin_key),
        files={"file": ("dns.md", "# DNS\n\nCoreDNS 上游超时时检查 forward 配置。".encode(), "text/markdown")},
    )
    hits = api.post(f"/api/v1/knowledge-bases/{kb}/search", headers=auth(admin_key), json={"query": "CoreDNS 上游超时"})
    assert hits.json()["items"][0]["document"] == "dns.md"
    answered = api.post(
        f"/api/v1/knowledge-bases/{kb}/rag", headers=auth(admin_key), json={"query": "CoreDNS 上游超时"}
    )
    assert answered.status_code == 200 and answered.json()["sources"][0]["document"] == "dns.md"
    assert "forward" in answered.json()["answer"] and answered.json()["citations"] == [1]
    assert [b["id"] for b in api.get("/api/v1/knowledge-bases", headers=auth(admin_key)).json()["items"]] == [kb]


def test_seed_002_demo_seed_bot_and_action_history(api, admin_key):
    from pagerless.api.security import key_service
    from pagerless.store.incidents import IncidentRecord, IncidentRepository

    headers = {"X-API-Key": admin_key}
    # Given the demo data, seeded twice (the second time deduplicates)
    seeded = api.post("/demo/seed", headers=headers)
    again = api.post("/demo/seed", headers=headers).json()
    assert seeded.status_code == 201, seeded.text
    ids = [s["incident_id"] for s in seeded.json()["seeded"]]
    assert len(set(ids)) == 3 and [s["incident_id"] for s in again["seeded"]] == ids
    assert {s["action"] for s in again["seeded"]} == {"deduplicated"}
    # When the bot is asked about a service, and about one incident
    by_service = api.post("/bot/interact", headers=headers, json={"message": "What is wrong with payments-api?"}).json()
    by_id = api.post("/bot/interact", headers=headers, json={"message": "status?", "incident_id": ids[0]}).json()
    # Then it answers from the stored incidents
    assert "payments-api" in by_service["reply"] and by_service["incident_id"] == ids[1]
    assert by_id["reply"].startswith(ids[0]) and by_id["applied"] is False
    assert api.post("/bot/interact", headers=headers, json={"message": "fix it", "auto_apply": True}).status_code in (
        400,
        422,
    )
    viewer = key_service().create(workspace="default", role="viewer").secret
    refused = api.post(
        "/bot/interact",
        headers={"X-API-Key": viewer},
        json={"message": "fix", "incident_id": ids[0], "auto_apply": True},
    )
    assert refused.status_code == 403
    # And the action history lists what the workflow recorded on the incident
    empty = api.get(f"/incidents/{ids[0]}/actions", headers=headers).json()
    assert empty == {"incident_id": ids[0], "actions": [], "count": 0}
    recorded = {
        "action": "restart_pod",
        "status": "succeeded",
        "message": "evicted payments-api-0",
        "source": "workflow",
        "started_at": "2026-12-02T10:32:30+00:00",
        "plan": {"action": {"action": "restart_pod", "namespace": "demo"}},
    }
    for _ in range(20):  # the seeded incident's own workflow may write it meanwhile (a versioned update): read again
        record = IncidentRepository().get(ids[1], "default")
        try:
            record.update(actions=[IncidentRecord.actions.set([recorded])])
            break
        except UpdateError:
            time.sleep(0.2)
    else:
        pytest.fail("the incident kept changing under the test's update")
    history = api.get(f"/incidents/{ids[1]}/actions", headers=headers).json()
    assert history["count"] == 1
    assert history["actions"][0] | {} == {
        **history["actions"][0],
        "action": "restart_pod",
        "outcome": "success",
        "dry_run": False,
        "namespace": "demo",
    }
