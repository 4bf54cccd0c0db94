"""The sync SDK and `pagerless remote` against `pagerless dev`, as a user runs them."""

import json
import subprocess
import sys

import pytest

from tests.e2e.harness import ROOT, DevServer

pytestmark = pytest.mark.e2e

ADMIN_KEY = "pl_e2e_sdk_admin_key_0123456789"


def _remote(server: DevServer, *args: str, key: str = ADMIN_KEY) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pagerless.cli", "remote", "--url", server.base, "--key", key, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT / "shared"), "PATH": "/usr/bin:/bin"},
    )


def test_sync_client_and_remote_cli(tmp_path):
    from pagerless.client import ApiError, Client

    server = DevServer(tmp_path / "state", admin_key=ADMIN_KEY)
    server.start(timeout=60)
    try:
        # Given an alert sent with the sync client
        with Client(server.base, api_key=ADMIN_KEY) as client:
            result = client.alerts.send(
                {"title": "orders 5xx", "severity": "critical", "service": "orders", "fingerprint": "sdk-e2e-1"}
            )
            incident_id = result.alerts[0].incident_id
            assert client.incidents.get(incident_id).title == "orders 5xx"
        payload = tmp_path / "alert.json"
        payload.write_text(
            json.dumps(
                {
                    "title": "billing queue depth",
                    "severity": "warning",
                    "service": "billing",
                    "fingerprint": "sdk-e2e-2",
                }
            )
        )
        # When the remote CLI lists, sends, acknowledges and configures
        sent = _remote(server, "alert", "--source", "generic", str(payload))
        listed = _remote(server, "incidents", "list", "--service", "orders")
        acked = _remote(server, "incidents", "ack", incident_id)
        again = _remote(server, "incidents", "ack", incident_id)
        configured = _remote(server, "config", "set", "LLM_MODEL=claude-remote", "llm_max_cost_usd=0.2")
        # Then each prints JSON, and a refused call prints the API error and exits 1
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["alerts"][0]["incident_id"]
        assert [i["id"] for i in json.loads(listed.stdout)["items"]] == [incident_id]
        assert json.loads(acked.stdout)["acknowledged"] is True
        assert again.returncode == 1 and json.loads(again.stderr)["error"]["code"] == "CONFLICT"
        values = json.loads(configured.stdout)["values"]
        assert values["llm_model"] == "claude-remote" and values["llm_max_cost_usd"] == 0.2
        with Client(server.base, api_key="pl_not_a_key") as anonymous, pytest.raises(ApiError) as refused:
            anonymous.incidents.list()
        assert refused.value.status == 401
    finally:
        server.stop()
