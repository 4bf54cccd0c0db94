"""Seed 002's /adapters: what Pagerless is connected to, from the real configuration."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import slack_channel

pytestmark = pytest.mark.functional


def test_adapters_follow_configuration_and_plugin_switches(api, runtime, admin_key, monkeypatch):
    from pagerless import settings
    from pagerless.intake.sources import SOURCES
    from tests.fakes.chat_vendors import ChatVendors

    # Given no cluster, no LLM key and no channel
    body = api.get("/adapters", headers=auth(admin_key)).json()
    assert set(body["alert_sources"]) == set(SOURCES)
    assert body["action_providers"] == [] and "slack" in body["notification_channels"]
    by_name = {a["name"]: a for a in body["adapters"]}
    assert by_name["kubernetes"]["status"] == "not_configured"
    assert by_name["anthropic"]["status"] == "not_configured"
    assert by_name["aws"]["status"] == "healthy" and by_name["slack"]["status"] == "not_configured"
    # When a kubeconfig, an Anthropic key and a Slack channel are configured, and a source is disabled
    monkeypatch.setenv("PAGERLESS_KUBECONFIG", "/nonexistent/kubeconfig")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-000000000000")
    settings.reset()
    vendors = ChatVendors().start()
    try:
        slack_channel(api, admin_key, vendors)
    finally:
        vendors.stop()
    api.post("/api/plugins/sentry/disable", headers=auth(admin_key))
    api.post("/api/plugins/teams/disable", headers=auth(admin_key))
    body = api.get("/api/adapters", headers=auth(admin_key)).json()
    # Then each shows up with its status
    by_name = {a["name"]: a for a in body["adapters"]}
    assert by_name["kubernetes"]["configured"] is True and by_name["kubernetes"]["mode"] == "kubeconfig"
    assert body["action_providers"] == ["kubernetes"] and "patch_resources" in body["action_names"]
    assert by_name["anthropic"]["status"] == "configured"
    assert by_name["slack"]["status"] == "configured" and by_name["slack"]["channels"] == 1
    assert by_name["lark"]["status"] == "not_configured" and by_name["teams"]["status"] == "disabled"
    assert "teams" not in body["notification_channels"]
    assert "sentry" not in body["alert_sources"]
