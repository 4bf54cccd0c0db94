"""/api/plugins: the four registries in one list; a switched-off source or channel really stops."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import route_all, save_incident, slack_channel

pytestmark = pytest.mark.functional

ALERT = {"title": "High CPU on payments-api", "severity": "critical", "service": "payments-api"}


def _key(role: str) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role=role, name=f"test {role}").secret


def test_the_list_covers_every_registry_and_detail_finds_by_name_alias_or_kind(api, admin_key):
    from pagerless.diagnosis.analyzers import ANALYZERS
    from pagerless.intake.sources import SOURCES
    from pagerless.notify.channels import CHANNELS
    from pagerless.remediation.actions import catalog

    body = api.get("/api/plugins", headers=auth(admin_key)).json()
    ids = {item["id"] for item in body["items"]}
    # Then every registered source, analyzer, action and channel is listed, all enabled by default
    assert ids == (
        {f"source:{n}" for n in SOURCES}
        | {f"analyzer:{n}" for n in ANALYZERS}
        | {f"action:{a['name']}" for a in catalog()}
        | {f"channel:{n}" for n in CHANNELS}
    )
    assert body["total"] == len(ids) and all(item["enabled"] for item in body["items"])
    kinds = api.get("/api/plugins", params={"kind": "action"}, headers=auth(admin_key)).json()["items"]
    assert {item["kind"] for item in kinds} == {"action"}
    # And detail resolves a name, an alias and kind:name, with what the plugin needs
    assert api.get("/api/plugins/patch_resources", headers=auth(admin_key)).json()["details"]["risk"]
    assert api.get("/api/plugins/prometheus", headers=auth(admin_key)).json()["id"] == "source:alertmanager"
    assert api.get("/api/plugins/channel:slack", headers=auth(admin_key)).json()["details"]["secret_fields"]
    missing = api.get("/api/plugins/nope", headers=auth(admin_key))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    bad_kind = api.get("/api/plugins", params={"kind": "widget"}, headers=auth(admin_key))
    assert bad_kind.status_code == 422 and bad_kind.json()["error"]["code"] == "VALIDATION_ERROR"


def test_switching_needs_admin_is_per_workspace_and_says_who(api, admin_key):
    viewer = _key("viewer")
    refused = api.post("/api/plugins/slack/disable", headers=auth(viewer))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    off = api.post("/api/plugins/slack/disable", headers=auth(admin_key))
    assert off.status_code == 200, off.text
    assert off.json()["enabled"] is False and off.json()["updated_by"]
    assert [
        i["id"] for i in api.get("/api/plugins", params={"enabled": "false"}, headers=auth(viewer)).json()["items"]
    ] == ["channel:slack"]
    # Another workspace is untouched
    from pagerless.api.security import key_service

    other = key_service().create(workspace="other", role="viewer", name="other").secret
    assert api.get("/api/plugins/slack", headers=auth(other)).json()["enabled"] is True
    on = api.post("/api/plugins/slack/enable", headers=auth(admin_key)).json()
    assert on["enabled"] is True


def test_a_disabled_source_answers_403_and_stores_nothing(api, admin_key):
    from pagerless.store.alerts import AlertRecord
    from pagerless.store.incidents import IncidentRecord

    ingest = _key("ingest")
    api.post("/api/plugins/generic/disable", headers=auth(admin_key))
    # When the generic webhook is sent (by its own path and by the seed's /webhook alias)
    refused = api.post("/api/webhooks/generic", json=ALERT, headers=auth(ingest))
    by_header = api.post("/webhook", json=ALERT, headers={**auth(ingest), "X-Source": "webhook"})
    # Then both answer a clear error naming the plugin, and no incident exists
    for response in (refused, by_header):
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert error["code"] == "FORBIDDEN" and "disabled" in error["message"]
        assert error["details"] == [{"plugin": "source:generic"}]
    assert list(IncidentRecord.by_workspace.query("default")) == [] and list(AlertRecord.scan()) == []
    # And once enabled again the same alert opens an incident
    api.post("/api/plugins/generic/enable", headers=auth(admin_key))
    accepted = api.post("/api/webhooks/generic", json=ALERT, headers=auth(ingest))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["alerts"][0]["incident_id"]


@pytest.fixture
def vendors():
    from tests.fakes.chat_vendors import ChatVendors

    fake = ChatVendors().start()
    yield fake
    fake.stop()


def test_a_disabled_channel_type_is_not_delivered_to(api, runtime, admin_key, vendors, monkeypatch):
    from pagerless import settings
    from pagerless.outbox.jobs import NotifyJob, enqueue

    monkeypatch.setenv("PAGERLESS_NOTIFY_BACKOFF_BASE_SECONDS", "0")
    settings.reset()
    channel = slack_channel(api, admin_key, vendors)
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given Slack is switched off for the workspace
    api.post("/api/plugins/slack/disable", headers=auth(admin_key))
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    runtime.poller.drain()
    # Then nothing reached Slack
    assert vendors.to("/slack/api/chat.postMessage") == []
    # And after enabling it the next notification goes out
    api.post("/api/plugins/slack/enable", headers=auth(admin_key))
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g2"))
    runtime.poller.drain()
    assert len(vendors.to("/slack/api/chat.postMessage")) == 1
