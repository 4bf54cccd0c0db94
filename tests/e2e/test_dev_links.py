"""`pagerless dev` on any port: its messages link to itself. A DingTalk, WeCom or Teams group cannot press a button,
so a proposal's message is acted on through its link to the console; and an emailed approval link must open this
server, not the default port's."""

import time

import pytest

from tests.e2e.harness import DevServer
from tests.fakes.chat_vendors import ChatVendors

pytestmark = pytest.mark.e2e

ADMIN_KEY = "pl_e2e-dev-links-admin-key-0123456789"


def _wait_for(read, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := read():
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_messages_and_email_links_of_a_dev_server_lead_to_its_own_port(tmp_path, monkeypatch):
    monkeypatch.delenv("PAGERLESS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("PAGERLESS_NOTIFY_PUBLIC_URL", raising=False)
    vendors = ChatVendors().start()
    server = DevServer(tmp_path / "state", admin_key=ADMIN_KEY, env={"PAGERLESS_EMAIL_LINK_SECRET": "e" * 32})
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # Given a DingTalk group routed every incident, on a server started with --port and nothing else
            channel = api.post(
                "/api/notifications/channels",
                json={
                    "name": "值班群",
                    "channel_type": "dingtalk",
                    "config": {"webhook_url": f"{vendors.base_url}/robot/send?access_token=t1", "language": "zh"},
                },
            ).json()
            api.put("/api/notifications/routes", json={"routes": [{"channels": [channel["id"]]}]}).raise_for_status()
            # When an alert opens an incident
            answer = api.post(
                "/api/webhooks/alertmanager?sync=true",
                json={
                    "version": "4",
                    "status": "firing",
                    "alerts": [
                        {
                            "status": "firing",
                            "labels": {"alertname": "支付延迟", "severity": "critical", "service": "pay"},
                        }
                    ],
                },
            )
            assert answer.status_code in (200, 202), answer.text
            incident_id = _wait_for(lambda: (api.get("/api/incidents").json()["items"] or [{}])[0].get("id"))
            # Then the group's message links to the incident's page on this server's own port
            texts = lambda: [r.body["markdown"]["text"] for r in vendors.to("/robot/send")]  # noqa: E731
            [text] = _wait_for(lambda: [t for t in texts() if incident_id in t][:1])
            assert f"{server.base}/console/incidents/{incident_id}" in text, text
            # And an email's approval links open this server's confirm pages
            preview = api.post(
                "/api/notifications/templates/preview",
                json={
                    "channel_type": "email",
                    "event": "approval.requested",
                    "incident_id": incident_id,
                    "data": {"approval_id": "apr-1", "expires_at": "2099-01-01T00:00:00Z"},
                },
            )
            assert preview.status_code == 200, preview.text
            assert f"{server.base}/email/approvals/" in preview.text, preview.text
    finally:
        server.stop()
        vendors.stop()
