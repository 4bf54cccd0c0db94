"""Agent tokens carry the same optional scope as API keys: made through the API, checked the same way, and held
to it by intake and the deploy route as a key is."""

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import fixture_bytes, post_alert

pytestmark = pytest.mark.functional

MIXED = "alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json"  # checkout firing, cart resolved
CHECKOUT_FP, CART_FP = "3f6c1c2d9a7be410", "9b0e4d5a11c3f872"


def _token(api, admin_key, **scope):
    return api.post("/api/agent-tokens", json={"name": "eu1 agent", **scope}, headers=auth(admin_key))


def test_an_agent_token_is_made_with_a_scope_checked_as_a_keys_is(api, admin_key):
    # When an admin makes an agent token for Prometheus alerts of checkout
    created = _token(api, admin_key, sources=["prometheus"], services=["checkout"])
    # Then the alias is stored as the source it stands for, and the token list shows the scope
    assert created.status_code == 201, created.text
    assert (created.json()["sources"], created.json()["services"]) == (["alertmanager"], ["checkout"])
    [listed] = api.get("/api/agent-tokens", headers=auth(admin_key)).json()
    assert (listed["sources"], listed["services"]) == (["alertmanager"], ["checkout"])
    # And a scope intake cannot keep is a 422 naming it, with no token made
    unknown = _token(api, admin_key, sources=["zabix"])
    empty = _token(api, admin_key, services=[])
    assert unknown.status_code == 422 and "'zabix'" in unknown.json()["error"]["message"]
    assert empty.status_code == 422 and "services must name at least one" in empty.json()["error"]["message"]
    assert len(api.get("/api/agent-tokens", headers=auth(admin_key)).json()) == 1
    # And a token made without one says so
    assert _token(api, admin_key).json()["services"] is None


def test_a_scoped_agent_token_is_held_to_its_scope_at_intake_and_for_deploys(api, admin_key):
    token = _token(api, admin_key, sources=["alertmanager"], services=["checkout"]).json()["token"]
    # When the agent sends the batch with checkout's firing alert and cart's resolve
    response = post_alert(api, token, "alertmanager?sync=true", fixture_bytes(MIXED))
    # Then checkout's is taken and cart's refused for the token's scope, kept as a dead letter naming the token
    assert response.status_code == 200, response.text
    answers = {a["fingerprint"]: a for a in response.json()["alerts"]}
    assert answers[CHECKOUT_FP]["action"] == "created"
    assert (answers[CART_FP]["action"], answers[CART_FP]["reason"]) == ("refused", "key_scope")
    letters = api.get("/api/webhooks/dead-letter", headers=auth(admin_key), params={"kind": "refused"}).json()
    [letter] = letters["items"]
    assert "agent:agt_" in letter["error"] and "services checkout" in letter["error"]
    # And a route outside its sources is refused whole
    slo_route = post_alert(api, token, "slo", {"slo": "checkout-availability"})
    assert slo_route.status_code == 403 and slo_route.json()["error"]["code"] == "FORBIDDEN"
    # And it records checkout's deploys, not payments'
    assert api.post("/api/deploys", json={"service": "payments"}, headers=auth(token)).status_code == 403
    assert api.post("/api/deploys", json={"service": "checkout"}, headers=auth(token)).status_code == 201
