"""A signed callback is for one of our chat apps: Slack's ``api_app_id`` and Lark's ``header.app_id`` name
a configured app whose secret signed it (a signing secret or Encrypt Key shared across apps by mistake
signs for another app's callbacks too). The handbook's payloads, byte for byte."""

import json
from urllib.parse import quote

import pytest

from tests.functional.chat.conftest import FIXTURES, LARK_APP, SLACK_APP, SLACK_SECRET, lark_headers, slack_headers
from tests.functional.chat.test_chat_fixtures_over_http import configure_lark

pytestmark = pytest.mark.functional

BOLT = FIXTURES / "slack" / "block_actions_button_bolt_python.json"  # api_app_id A111


def _bolt_form() -> bytes:
    """The bolt-python block_actions payload, its JSON byte for byte, form-encoded as Slack sends it."""
    return ("payload=" + quote(BOLT.read_text(), safe="")).encode()


def _register_slack(app_id: str, secret: str) -> None:
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    apps.ChatAppService().register("default", "slack", app_id, name=app_id, secrets={"signing_secret": secret})
    chat_routes.chat_apps.cache_clear()


def test_a_slack_click_for_an_app_we_do_not_have_is_refused_though_its_secret_is_ours(chat_apps, api):
    # Given our Slack app A0KRD7HC3, and a click on another app's (A111) button signed with our app's secret
    body = _bolt_form()
    assert json.loads(BOLT.read_text())["api_app_id"] == "A111" != SLACK_APP
    # When it arrives
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then it is refused, naming the app it is for
    assert response.status_code == 401, response.text
    assert "Slack app A111" in response.json()["error"]["message"]
    # And once A111 is one of ours (sharing the secret), the same click is handled: a button Pagerless declines
    _register_slack("A111", SLACK_SECRET)
    handled = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert handled.status_code == 200 and "does not handle" in handled.json()["text"]


def test_a_slack_click_is_for_the_app_it_names_among_apps_sharing_a_secret(chat_apps, people, api):
    # Given a second app registered with the same signing secret as ours, named A111
    _register_slack("A111", SLACK_SECRET)
    # When our app's authored click (api_app_id A0KRD7HC3) arrives, byte for byte
    vectors = json.loads((FIXTURES / "slack" / "signature_vectors.json").read_text())
    body = vectors["block_actions_computed"]["raw_body"].encode()
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    # Then it is handled (its incident does not exist: the answer says so, for our app's workspace)
    assert response.status_code == 200, response.text


def test_the_environments_slack_app_checks_the_app_id_once_it_is_set(runtime, monkeypatch, api):
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    # Given the environment's Slack app (local development) with the bolt fixture's secret-signed click
    monkeypatch.setenv("PAGERLESS_SLACK_SIGNING_SECRET", SLACK_SECRET)
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    body = _bolt_form()
    # Then without PAGERLESS_SLACK_APP_ID it answers for any app id ...
    assert api.post("/slack/interactivity", content=body, headers=slack_headers(body)).status_code == 200
    # ... and with it set to another app, the click is refused
    monkeypatch.setenv("PAGERLESS_SLACK_APP_ID", SLACK_APP)
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    refused = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert refused.status_code == 401 and "Slack app A111" in refused.json()["error"]["message"]
    apps.reset()
    chat_routes.chat_apps.cache_clear()


def test_a_lark_event_for_an_app_we_do_not_have_is_refused_though_its_key_is_ours(runtime, monkeypatch, api):
    # Given only another Lark app, configured with the fixture app's Encrypt Key (shared by mistake)
    configure_lark(monkeypatch, others=[("cli_other", {"encrypt_key": LARK_APP.encrypt_key})])
    # When the fixture's encrypted card.action.trigger (header.app_id cli_a1b2c3d4e5f6a7b8) arrives, byte for byte
    body = (FIXTURES / "lark" / "card_action_trigger_v2_encrypted.json").read_bytes()
    response = api.post("/lark/card/action", content=body, headers=lark_headers(body))
    # Then it is refused, naming the app it is for
    assert response.status_code == 401, response.text
    assert f"Lark app {LARK_APP.app_id}" in response.json()["error"]["message"]
