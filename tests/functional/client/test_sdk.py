"""The SDK against the real apps behind the local gateway (async client over ASGI)."""

import asyncio

import httpx
import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def _run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def gateway(runtime):
    return runtime.gateway()


def _client(gateway, key):
    from pagerless.client import AsyncClient

    return AsyncClient("http://pagerless.test", api_key=key, transport=httpx.ASGITransport(app=gateway))


def test_seed_000_usage_lists_gets_and_updates_config(gateway, api, admin_key):
    from pagerless.client.models import Config, Incident, Page

    # Given an incident sent through the API
    sent = api.post(
        "/api/webhooks/generic",
        headers=auth(admin_key),
        json={"title": "checkout latency", "severity": "high", "service": "checkout", "fingerprint": "sdk-1"},
    ).json()
    incident_id = sent["alerts"][0]["incident_id"]

    async def scenario():
        async with _client(gateway, admin_key) as client:
            # When the SDK is used as seed 000 shows
            incidents = await client.incidents.list(status=None, service="checkout")
            incident = await client.incidents.get(incident_id)
            config = await client.config.update({"LLM_MODEL": "claude-3-5-sonnet-20241022"})
            return incidents, incident, config

    incidents, incident, config = _run(scenario())
    # Then the answers are typed models with the server's data
    assert isinstance(incidents, Page) and [i.id for i in incidents.items] == [incident_id]
    assert isinstance(incident, Incident) and incident.service == "checkout" and incident.severity == "high"
    assert isinstance(config, Config) and config.values["llm_model"] == "claude-3-5-sonnet-20241022"


def test_the_sdk_incident_says_when_it_reopened(gateway, api, admin_key):
    from datetime import datetime

    # Given an incident its alert opened, resolved and then reopened through the webhook
    alert = {"title": "checkout latency", "service": "checkout", "fingerprint": "sdk-reopen"}
    incident_id = api.post("/api/webhooks/generic", headers=auth(admin_key), json=alert).json()["alerts"][0][
        "incident_id"
    ]

    async def get():
        async with _client(gateway, admin_key) as client:
            return await client.incidents.get(incident_id)

    assert _run(get()).reopened_at is None
    api.post("/api/webhooks/generic", headers=auth(admin_key), json={**alert, "status": "resolved"})
    again = api.post("/api/webhooks/generic", headers=auth(admin_key), json=alert).json()["alerts"][0]
    assert again["action"] == "reopened", again
    # When the SDK reads it, then reopened_at is a typed time
    assert isinstance(_run(get()).reopened_at, datetime)


def test_errors_carry_the_api_code_and_details(gateway, admin_key):
    from pagerless.client import ApiError

    async def scenario():
        async with _client(gateway, admin_key) as client:
            with pytest.raises(ApiError) as missing:
                await client.incidents.get("INC-19990101-0001")
            with pytest.raises(ApiError) as invalid:
                await client.config.update({"NOT_A_KEY": 1})
            return missing.value, invalid.value

    missing, invalid = _run(scenario())
    assert (missing.status, missing.code) == (404, "NOT_FOUND")
    assert invalid.code == "VALIDATION_ERROR" and "NOT_A_KEY" in str(invalid.details)


def test_a_bad_key_is_unauthorized(gateway):
    from pagerless.client import ApiError

    async def scenario():
        async with _client(gateway, "pl_wrong") as client:
            await client.incidents.list()

    with pytest.raises(ApiError) as error:
        _run(scenario())
    assert (error.value.status, error.value.code) == (401, "UNAUTHORIZED")


def test_iterate_follows_cursors_across_pages(gateway, admin_key):
    async def scenario():
        async with _client(gateway, admin_key) as client:
            for n in range(5):
                await client.alerts.send(
                    {"title": f"disk {n}", "severity": "warning", "service": f"svc-{n}", "fingerprint": f"sdk-page-{n}"}
                )
            seen = [i.title async for i in client.iterate(lambda cursor: client.incidents.list(limit=2, cursor=cursor))]
            first = await client.incidents.list(limit=2)
            return seen, first

    seen, first = _run(scenario())
    assert sorted(seen) == [f"disk {n}" for n in range(5)]
    assert len(first.items) == 2 and first.next_cursor


def test_knowledge_round_trip(gateway, admin_key):
    async def scenario():
        async with _client(gateway, admin_key) as client:
            entry = await client.knowledge.create(
                "Redis failover", "Promote the replica with SENTINEL failover.", tags=["redis"]
            )
            hits = await client.knowledge.search("sentinel failover")
            updated = await client.knowledge.update(entry.id, tags=["redis", "sentinel"])
            await client.knowledge.delete(entry.id)
            return entry, hits, updated

    entry, hits, updated = _run(scenario())
    assert hits.items[0].id == entry.id and hits.items[0].score > 0
    assert updated.tags == ["redis", "sentinel"]


def test_runbooks_and_jobs(gateway, admin_key):
    from pagerless.client import ApiError
    from pagerless.client.models import Job, Runbook

    custom = {
        "name": "restart web",
        "risk_level": "auto",
        "steps": [
            {
                "name": "Restart",
                "action": "rollout_restart",
                "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
            }
        ],
    }

    async def scenario():
        async with _client(gateway, admin_key) as client:
            listed = await client.runbooks.list()
            assert "oom-recovery" in {r.id for r in listed.items}
            # and page by page through iterate(), every runbook once
            paged = [r.id async for r in client.iterate(lambda c: client.runbooks.list(limit=2, cursor=c))]
            assert paged == sorted({r.id for r in listed.items}) and len(paged) > 2
            created = await client.runbooks.create(custom)
            assert isinstance(created, Runbook) and created.id == "restart-web" and created.version == 1
            changed = await client.runbooks.update("restart-web", {"description": "v2"})
            assert changed.version == 2
            assert [v.version for v in (await client.runbooks.versions("restart-web")).items] == [1, 2]
            with pytest.raises(ApiError) as refused:
                await client.runbooks.create({**custom, "name": "other", "steps": [{"name": "x", "command": "ls"}]})
            assert refused.value.status == 400 and refused.value.code == "VALIDATION_ERROR"
            # no cluster is configured here: the run starts, and its first step fails it, with the reason
            started = await client.jobs.submit("certificate-expiry-check", {"context": {"namespace": "payments"}})
            for _ in range(400):
                job = await client.jobs.get(started["job_id"])
                if job.status in ("completed", "failed"):
                    break
                await asyncio.sleep(0.05)
            assert isinstance(job, Job) and job.status == "failed" and "ClusterNotConfigured" in job.error
            trace = await client.jobs.trace(job.job_id)
            assert trace.timeline[0]["event"] == "JobCreated"
            with pytest.raises(ApiError) as not_parked:
                await client.jobs.signal(job.job_id, "k", {"approved": True})
            assert not_parked.value.code == "JOB_NOT_PARKED"

    _run(scenario())
