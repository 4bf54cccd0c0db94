"""The chat function's sample API Gateway events (events/chat/) through Mangum and the real handler."""

import json

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.functional


@pytest.fixture
def configured(runtime, monkeypatch):
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    vector = json.loads((ROOT / "tests/fixtures/chat/slack/signature_vectors.json").read_text())["documented"]
    monkeypatch.setenv("PAGERLESS_SLACK_SIGNING_SECRET", vector["signing_secret"])
    monkeypatch.setenv("PAGERLESS_LARK_APP_ID", "cli_a1b2c3d4e5f6a7b8")
    monkeypatch.setenv("PAGERLESS_LARK_VERIFICATION_TOKEN", "xxxxxx")
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    yield runtime
    apps.reset()
    chat_routes.chat_apps.cache_clear()


def _invoke(runtime, name: str) -> dict:
    spec = runtime.lambdas.by_logical_id["ChatFunction"]
    return runtime.lambdas.invoke(spec.name, json.loads((ROOT / "events" / "chat" / name).read_text()))


def test_slacks_documented_request_replayed_today_is_401(configured):
    # The signature is right for the documented 2018 request; its timestamp is far outside the window
    response = _invoke(configured, "slack_replayed_documented_request.json")
    assert response["statusCode"] == 401
    assert "window" in json.loads(response["body"])["error"]["message"]


def test_a_lark_url_verification_event_is_answered_with_its_challenge(configured):
    response = _invoke(configured, "lark_url_verification.json")
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"challenge": "ajls384kdjx98XX"}


def test_a_callback_reads_every_apps_secrets_in_one_ssm_call(runtime, monkeypatch):
    from pagerless import parameters
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    # Given three Lark apps configured in the workspace (secrets in SSM), the last one the event's
    monkeypatch.delenv("PAGERLESS_LARK_APP_ID", raising=False)
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    service = apps.ChatAppService()
    for n, token in enumerate(["first-token", "second-token", "xxxxxx"]):
        service.register("default", "lark", f"cli_app{n}", secrets={"verification_token": token})
    calls: list[str] = []
    parameters.client().meta.events.register(
        "before-call.ssm.*", lambda model, **_: calls.append(model.name), unique_id="count-ssm-calls"
    )
    try:
        # When Lark's URL verification event arrives
        response = _invoke(runtime, "lark_url_verification.json")
    finally:
        parameters.client().meta.events.unregister("before-call.ssm.*", unique_id="count-ssm-calls")
        apps.reset()
        chat_routes.chat_apps.cache_clear()
    # Then it is answered, after one SSM call for the six secret names (three apps' two; absent
    # ones included), not one call each
    assert response["statusCode"] == 200 and json.loads(response["body"]) == {"challenge": "ajls384kdjx98XX"}
    assert calls == ["GetParameters"]
