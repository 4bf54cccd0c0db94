"""The console's status page: what GET /api/status says, for a person, in English and Chinese, from the same
document and findings, with links to where a thing is acted on for those who may act on it."""

import json
import re
from datetime import UTC, datetime

import pytest
from markupsafe import escape

from tests.conftest import ROOT, auth
from tests.functional.console.test_console import sign_in
from tests.functional.system.test_status_call_age import DAYS_AGO, _failed, configured  # noqa: F401 - a fixture

pytestmark = pytest.mark.functional


def _dead_letter(runtime) -> None:
    """An alert payload the alert queue gave up on, recorded by the dead-letter function."""
    event = json.loads((ROOT / "events" / "dead_letter" / "sqs_dlq_envelope.json").read_text())
    spec = runtime.lambdas.by_logical_id["DeadLetterFunction"]
    assert runtime.lambdas.invoke(spec.name, event) == {"batchItemFailures": []}


def _cluster_unreached(monkeypatch, tmp_path) -> None:
    """A cluster configured whose last context gathering did not reach it, as the workflow notes it."""
    from pagerless import settings
    from pagerless.store.system import HEARTBEAT_PK, KUBE_SK, SystemRepository

    monkeypatch.setenv("PAGERLESS_KUBECONFIG", str(tmp_path / "kubeconfig"))
    settings.reset()
    outcome = {"ok": False, "error": "the cluster API server is unreachable (connection refused)"}
    SystemRepository().put(HEARTBEAT_PK, KUBE_SK, {"at": datetime.now(UTC).isoformat(), **outcome})


def _items(page: str, list_id: str) -> list[str]:
    found = re.search(rf'<ul id="{list_id}">(.*?)</ul>', page, re.S)
    return re.findall(r"<li[^>]*>(.*?)</li>", found[1], re.S) if found else []


def test_the_status_page_says_what_the_api_says_and_why(runtime, api, admin_user, admin_key, monkeypatch, tmp_path):
    # Given a dead letter to replay and a cluster the last gathering did not reach
    _dead_letter(runtime)
    _cluster_unreached(monkeypatch, tmp_path)
    document = api.get("/api/status", headers=auth(admin_key)).json()
    assert document["status"] == "degraded" and len(document["reasons"]) == 2, document["reasons"]
    # When an admin opens the console's status page from its navigation
    sign_in(api, "root@example.com")
    assert 'href="/console/status"' in api.get("/console/incidents").text
    page = api.get("/console/status")
    # Then it says degraded, and each reason the API gives, in words
    assert page.status_code == 200, page.text
    assert '<span id="overall-state">Degraded</span>' in page.text
    findings = _items(page.text, "findings")
    assert len(findings) == len(document["reasons"])
    assert "1 dead letter(s) wait for replay." in findings
    assert any("did not reach the Kubernetes cluster" in f for f in findings), findings
    # And the cluster's error as the workflow noted it, the dead letters with where to replay them
    assert "the cluster API server is unreachable (connection refused)" in page.text
    assert '<dd id="dead-letters-to-replay">1</dd>' in page.text
    assert 'href="/console/dead-letters"' in page.text
    # And the queues with their counts
    assert re.search(r'<li id="queue-alerts"><strong>alerts</strong>: \d+ waiting', page.text), page.text
    # And in Chinese
    api.cookies.set("pl_lang", "zh")
    zh = api.get("/console/status").text
    assert '<span id="overall-state">降级</span>' in zh
    assert "1 条死信等待重放。" in _items(zh, "findings")


def test_a_viewer_reads_the_status_and_is_given_the_api_to_read_dead_letters(runtime, api, admin_user):
    # Given a viewer, and a dead letter to replay
    created = api.post(
        "/api/users",
        json={"email": "viewer@example.com", "password": "password123", "role": "viewer"},
        headers=auth(admin_user),
    )
    assert created.status_code == 201, created.text
    _dead_letter(runtime)
    # When the viewer opens the status page from the navigation
    sign_in(api, "viewer@example.com")
    assert 'href="/console/status"' in api.get("/console/incidents").text
    page = api.get("/console/status")
    # Then it shows the dead letter, and the API to read it, not the operators' page
    assert page.status_code == 200, page.text
    assert '<dd id="dead-letters-to-replay">1</dd>' in page.text
    assert 'href="/console/dead-letters"' not in page.text and "GET /api/webhooks/dead-letter" in page.text


def test_the_status_page_names_a_channel_that_refuses_with_its_fix(api, admin_user, admin_key):
    from tests.fakes.chat_vendors import ChatVendors

    vendors = ChatVendors().start()
    try:
        # Given a Slack channel whose bot token was revoked (Slack answers invalid_auth), found by its test
        channel = api.post(
            "/api/notifications/channels",
            json={
                "name": "ops-slack",
                "channel_type": "slack",
                "config": {
                    "bot_token": "xoxb-revoked",
                    "channel": "C0OPS",
                    "api_base": f"{vendors.base_url}/slack/api",
                },
            },
            headers=auth(admin_key),
        )
        assert channel.status_code == 201, channel.text
        api.post(f"/api/notifications/channels/{channel.json()['id']}/test", headers=auth(admin_key))
    finally:
        vendors.stop()
    [failing] = api.get("/api/status", headers=auth(admin_key)).json()["notifications"]["failing_channels"]
    # When an admin opens the status page
    sign_in(api, "root@example.com")
    page = api.get("/console/status").text
    # Then the channel is named with Slack's words and what to fix, and the delivery log is linked
    [said] = _items(page, "failing-channels")
    assert "ops-slack" in said and "invalid_auth" in said, said
    assert "Fix: " + str(escape(failing["fix"])) in said, said
    assert 'href="/console/deliveries"' in page


def test_the_status_page_shows_an_old_failure_as_no_longer_counted(runtime, api, admin_user, configured):
    from pagerless.store.system import LLM_SK

    # Given the model's API failed days ago
    _failed(LLM_SK, DAYS_AGO, "unavailable (overloaded)")
    # When an admin opens the status page
    sign_in(api, "root@example.com")
    page = api.get("/console/status").text
    # Then it shows the failure, says it no longer counts, and the state is OK
    assert '<span id="overall-state">OK</span>' in page
    assert "unavailable (overloaded)" in page and 'class="hint stale-call"' in page
    # And in Chinese
    api.cookies.set("pl_lang", "zh")
    assert "已不再计入状态" in api.get("/console/status").text
