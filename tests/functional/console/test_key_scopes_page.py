"""The console's keys page: an admin makes a key scoped to sources and services, and sees every key's scope."""

import re

import pytest

from tests.functional.console.test_console import ORIGIN, csrf, sign_in

pytestmark = pytest.mark.functional

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _create(api, **fields):
    token = csrf(api, "/console/keys")
    return api.post(
        "/console/keys",
        data={"role": "ingest", "csrf_token": token, **fields},
        headers={**ORIGIN, **BROWSER},
        follow_redirects=False,
    )


def test_an_admin_makes_a_scoped_key_and_the_page_shows_each_keys_scope(api, admin_user):
    from pagerless.api.security import key_service

    sign_in(api, "root@example.com")
    # When an admin creates a key for Prometheus alerts of checkout and cart
    created = _create(api, name="team a", sources="prometheus", services="checkout, cart")
    # Then the key is made with that scope (the alias as the source it stands for)
    assert created.status_code == 200, created.text
    [record] = [r for r in key_service().list_keys("default") if r.name == "team a"]
    assert (record.scope_sources, record.scope_services) == (["alertmanager"], ["cart", "checkout"])
    # And the page lists its scope, and a key without one as unlimited
    _create(api, name="everything")
    page = api.get("/console/keys").text
    assert "Sources: alertmanager" in page and "Services: cart, checkout" in page
    assert "all sources and services" in page
    # And in Chinese
    api.cookies.set("pl_lang", "zh")
    page = api.get("/console/keys").text
    assert "来源: alertmanager" in page and "服务: cart, checkout" in page and "所有来源和服务" in page


def test_a_scope_naming_an_unknown_source_is_shown_again_to_fix(api, admin_user):
    from pagerless.api.security import key_service

    sign_in(api, "root@example.com")
    before = len(key_service().list_keys("default"))
    # When the form names a source intake does not know
    response = _create(api, name="typo", sources="alertmanager zabix", services="checkout")
    # Then the form comes back saying what is wrong, with what was typed, and no key is made
    assert response.status_code == 422  # as the API answers the same scope (POST /api/keys: 422 VALIDATION_ERROR)
    assert "Check the form" in response.text and "unknown alert source &#39;zabix&#39;" in response.text
    assert 'value="alertmanager zabix"' in response.text and 'value="checkout"' in response.text
    assert len(key_service().list_keys("default")) == before


def test_a_refused_alerts_replay_button_is_an_admins(api, admin_user, admin_key):
    import re

    from tests.conftest import auth
    from tests.functional.console.test_console import make_user
    from tests.functional.intake.conftest import fixture_bytes, post_alert

    # Given checkout's alert refused from a key for cart, kept as a dead letter
    key = api.post("/api/keys", json={"role": "ingest", "services": ["cart"]}, headers=auth(admin_key)).json()["key"]
    mixed = fixture_bytes("alertmanager/authored_k8s_mixed_batch_firing_and_resolved.json")
    assert post_alert(api, key, "alertmanager", mixed).status_code == 200
    make_user(api, admin_user, "ops@example.com", "operator")
    # When an operator reads the dead letters page
    sign_in(api, "ops@example.com")
    page = api.get("/console/dead-letters").text
    # Then the refused alert is there, saying why, with no replay button
    assert "refused: key" in page and "services cart" in page
    assert "/replay" not in page
    # When an admin reads it and replays it
    api.cookies.clear()
    sign_in(api, "root@example.com")
    [replay] = re.findall(r'action="(/console/dead-letters/[^"]+/replay)"', api.get("/console/dead-letters").text)
    token = csrf(api, "/console/dead-letters")
    assert api.post(replay, data={"csrf_token": token}, headers=ORIGIN, follow_redirects=False).status_code == 303
    # Then it became checkout's incident
    incidents = api.get("/api/incidents", headers=auth(admin_key)).json()["items"]
    assert [i["service"] for i in incidents] == ["checkout"]


def test_an_admin_makes_a_scoped_agent_token_and_the_page_shows_its_scope(api, admin_user):
    from pagerless.auth.authenticate import agent_token_service

    sign_in(api, "root@example.com")
    token = csrf(api, "/console/keys")
    # When an admin makes an agent token for Prometheus alerts of checkout
    created = api.post(
        "/console/keys/agent-tokens",
        data={"name": "eu1 agent", "sources": "prometheus", "services": "checkout", "csrf_token": token},
        headers={**ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    # Then the token is shown once and made with that scope, which the page lists
    assert created.status_code == 200, created.text
    assert 'id="new-agent-token">pla_' in created.text
    [record] = agent_token_service().list("default")
    assert (record.scope_sources, record.scope_services) == (["alertmanager"], ["checkout"])
    page = api.get("/console/keys").text
    assert "eu1 agent" in page and "Services: checkout" in page
    # When the form names a source intake does not know
    refused = api.post(
        "/console/keys/agent-tokens",
        data={"name": "typo", "sources": "zabix", "csrf_token": csrf(api, "/console/keys")},
        headers={**ORIGIN, **BROWSER},
        follow_redirects=False,
    )
    # Then the agent token form comes back saying what is wrong, with what was typed, and no token is made
    assert refused.status_code == 422  # as POST /api/agent-tokens answers it
    assert (
        "unknown alert source &#39;zabix&#39;" in refused.text and 'id="token-sources" name="sources"' in refused.text
    )
    assert 'value="zabix"' in refused.text
    assert len(agent_token_service().list("default")) == 1


def test_an_admin_revokes_an_agent_token_after_a_confirm_page_that_needs_no_javascript(api, admin_user):
    import re

    from tests.conftest import auth

    sign_in(api, "root@example.com")
    made = api.post(
        "/console/keys/agent-tokens",
        data={"name": "eu1 agent", "csrf_token": csrf(api, "/console/keys")},
        headers={**ORIGIN, **BROWSER},
    )
    assert made.status_code == 200, made.text
    secret = re.search(r'<code id="new-agent-token">([^<]+)</code>', made.text)[1]
    from pagerless.auth.authenticate import agent_token_service

    [record] = agent_token_service().list("default")
    revoke = f"/console/keys/agent-tokens/{record.token_id}/revoke"
    # Given the keys page offers to revoke the active token
    assert f'href="{revoke}"' in api.get("/console/keys").text
    # When the admin opens it, the confirm page asks first, naming the token, and a post without its answer revokes
    # nothing
    page = api.get(revoke)
    assert page.status_code == 200 and "Revoke the agent token?" in page.text and "eu1 agent" in page.text
    token = csrf(api, revoke)
    unasked = api.post(revoke, data={"csrf_token": token}, headers={**ORIGIN, **BROWSER}, follow_redirects=False)
    assert unasked.status_code == 303 and unasked.headers["location"] == revoke
    assert agent_token_service().list("default")[0].is_active
    # And a post without the CSRF token is refused
    forged = api.post(revoke, data={"confirm": "yes"}, headers={**ORIGIN, **BROWSER}, follow_redirects=False)
    assert forged.status_code == 403 and agent_token_service().list("default")[0].is_active
    # When the admin confirms
    done = api.post(revoke, data={"csrf_token": token, "confirm": "yes"}, headers={**ORIGIN, **BROWSER})
    # Then the token is revoked, the page lists it so without a revoke link, and its agent is refused
    assert done.status_code == 200 and not agent_token_service().list("default")[0].is_active
    assert f'href="{revoke}"' not in done.text
    assert api.get(revoke, follow_redirects=False).headers["location"] == "/console/keys"
    agent = api.post("/api/deploys", json={"service": "checkout"}, headers=auth(secret))
    assert agent.status_code == 401, agent.text
    # And in Chinese
    other = api.post(
        "/console/keys/agent-tokens",
        data={"name": "eu2 agent", "csrf_token": csrf(api, "/console/keys")},
        headers={**ORIGIN, **BROWSER},
    )
    assert other.status_code == 200
    [active] = [t for t in agent_token_service().list("default") if t.is_active]
    api.cookies.set("pl_lang", "zh")
    zh = api.get(f"/console/keys/agent-tokens/{active.token_id}/revoke").text
    assert "吊销此代理令牌？" in zh and "吊销令牌" in zh and "保留" in zh


def test_an_admin_revokes_an_api_key_after_a_confirm_page_that_needs_no_javascript(api, admin_user):
    from pagerless.api.security import key_service
    from tests.conftest import auth

    sign_in(api, "root@example.com")
    made = _create(api, name="ci alerts")
    assert made.status_code == 200, made.text
    secret = re.search(r'<code id="new-key">([^<]+)</code>', made.text)[1]
    [record] = [r for r in key_service().list_keys("default") if r.name == "ci alerts"]
    revoke = f"/console/keys/{record.key_id}/revoke"
    # Given the keys page offers to revoke the key by a link to a page, not a form that only JavaScript asks about
    keys = api.get("/console/keys").text
    assert f'href="{revoke}"' in keys and "data-confirm" not in keys
    # When the admin opens it, the confirm page asks first, naming the key, and a post without its answer revokes
    # nothing
    page = api.get(revoke)
    assert page.status_code == 200 and "Revoke the API key?" in page.text and "ci alerts" in page.text
    token = csrf(api, revoke)
    unasked = api.post(revoke, data={"csrf_token": token}, headers={**ORIGIN, **BROWSER}, follow_redirects=False)
    assert unasked.status_code == 303 and unasked.headers["location"] == revoke
    assert not _key(key_service, record.key_id).revoked
    # And a post without the CSRF token is refused
    forged = api.post(revoke, data={"confirm": "yes"}, headers={**ORIGIN, **BROWSER}, follow_redirects=False)
    assert forged.status_code == 403 and not _key(key_service, record.key_id).revoked
    # When the admin confirms
    done = api.post(revoke, data={"csrf_token": token, "confirm": "yes"}, headers={**ORIGIN, **BROWSER})
    # Then the key is revoked, the page lists it so without a revoke link, and what used it is refused
    assert done.status_code == 200 and _key(key_service, record.key_id).revoked
    assert f'href="{revoke}"' not in done.text
    assert api.get(revoke, follow_redirects=False).headers["location"] == "/console/keys"
    assert api.get("/api/status", headers=auth(secret)).status_code == 401
    # And a key of no such id is a 404 page, and the question is asked in Chinese too
    assert api.get("/console/keys/key_nope/revoke", headers=BROWSER).status_code == 404
    _create(api, name="other")
    [other] = [r for r in key_service().list_keys("default") if r.name == "other"]
    api.cookies.set("pl_lang", "zh")
    zh = api.get(f"/console/keys/{other.key_id}/revoke").text
    assert "吊销此 API 密钥？" in zh and "吊销密钥" in zh and "保留" in zh


def _key(key_service, key_id: str):
    return next(r for r in key_service().list_keys("default") if r.key_id == key_id)
