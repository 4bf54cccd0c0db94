"""A resolved incident's Lark card is green, through the real notify function and the fake Lark (the colour of every
event: tests/unit/notify/test_card_colours.py)."""

import json

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import lark_channel, route_all, save_incident

pytestmark = pytest.mark.functional


def test_a_resolved_critical_incidents_lark_card_is_green(api, notify_env, admin_key, vendors):
    # Given a Chinese Lark channel every notification goes to, and a critical incident
    lark = lark_channel(api, admin_key, vendors)
    changed = api.put(
        f"/api/notifications/channels/{lark['id']}", headers=auth(admin_key), json={"config": {"language": "zh"}}
    )
    assert changed.status_code == 200, changed.text
    route_all(api, admin_key, lark["id"])
    incident = save_incident("INC-20261207-0101")
    # When it is resolved
    resolved = api.post(f"/api/incidents/{incident.id}/resolve", headers=auth(admin_key), json={"note": "fixed"})
    assert resolved.status_code == 200, resolved.text
    notify_env.poller.drain()
    # Then the 【已恢复】 card is green, not the critical severity's red
    [card] = [json.loads(r.body["content"]) for r in vendors.to("/open-apis/im/v1/messages") if r.method == "POST"]
    assert card["header"]["title"]["content"].startswith("【已恢复】"), card["header"]
    assert card["header"]["template"] == "green"
