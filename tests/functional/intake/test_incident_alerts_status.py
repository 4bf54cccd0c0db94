"""GET /api/incidents/{id}/alerts gives each alert's status (firing, then resolved)."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def test_alert_list_carries_the_status(api, admin_key):
    alert = {"title": "disk full", "service": "db", "fingerprint": "disk-1"}
    incident_id = api.post("/api/webhooks/generic", json=alert, headers=auth(admin_key)).json()["alerts"][0][
        "incident_id"
    ]
    [firing] = api.get(f"/api/incidents/{incident_id}/alerts", headers=auth(admin_key)).json()["items"]
    api.post("/api/webhooks/generic", json={**alert, "status": "resolved"}, headers=auth(admin_key))
    [resolved] = api.get(f"/api/incidents/{incident_id}/alerts", headers=auth(admin_key)).json()["items"]
    assert (firing["status"], resolved["status"]) == ("firing", "resolved")
