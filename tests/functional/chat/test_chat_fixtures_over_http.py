"""The handbook's real Lark and Slack payloads, byte for byte, through the real chat function.

Signed fixtures carry timestamps from 2024, so the exact fixture bytes are re-signed with the
current time (the signature covers timestamp + body, so the body stays the fixture's own bytes).
"""

import json
import time
import uuid

import pytest

from pagerless.chat import lark
from tests.conftest import auth
from tests.functional.chat.conftest import FIXTURES, LARK_APP, SLACK_SECRET, lark_headers, slack_headers

pytestmark = pytest.mark.functional

FIXTURE_INCIDENT = "INC-20240514-0042"


@pytest.fixture
def fixture_incident(runtime):
    """The incident the fixtures' buttons name, open and not yet acknowledged."""
    from pagerless.store.incidents import IncidentRecord

    record = IncidentRecord(
        FIXTURE_INCIDENT,
        workspace="default",
        created_key="x",
        service_key="x",
        title="KubePodCrashLooping",
        severity="critical",
        status="open",
    )
    record.save()
    return record


LARK_PATHS = ("/lark/event", "/lark/card/action", "/api/v1/feishu/event")


def configure_lark(monkeypatch, *, encrypt_key: str = "", verification_token: str = "", others=()) -> None:
    """The environment's Lark app with only the secrets given, plus registered apps (app_id, secrets)."""
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    for name, value in (
        ("PAGERLESS_LARK_ENCRYPT_KEY", encrypt_key),
        ("PAGERLESS_LARK_VERIFICATION_TOKEN", verification_token),
    ):
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    for app_id, secrets in others:
        apps.ChatAppService().register("default", "lark", app_id, secrets=secrets)
    chat_routes.chat_apps.cache_clear()


def post_verification(api, path: str, body: bytes, headers: dict | None = None):
    return api.post(path, content=body, headers=headers or {"content-type": "application/json"})


def encrypted_verification(token: str, key: str = LARK_APP.encrypt_key) -> bytes:
    """The plaintext fixture carrying ``token``, encrypted as Lark sends it to an app with an Encrypt Key."""
    data = json.loads((FIXTURES / "lark" / "url_verification_plaintext.json").read_bytes())
    plain = json.dumps({**data, "token": token}, separators=(",", ":")).encode()
    return json.dumps({"encrypt": lark.encrypt(plain, key, uuid.uuid4().bytes)}).encode()


def test_the_encrypted_url_verification_fixture_is_answered_for_its_app(chat_apps, api):
    # Given the app with the fixture's Encrypt Key and verification token
    for path in LARK_PATHS:
        # When the exact encrypted fixture arrives
        response = post_verification(api, path, (FIXTURES / "lark" / "url_verification_encrypted.json").read_bytes())
        # Then its challenge is echoed
        assert response.status_code == 200, (path, response.text)
        assert response.json() == {"challenge": "ajls384kdjx98XX"}


def test_the_plaintext_url_verification_fixture_is_answered_for_an_app_without_an_encrypt_key(
    chat_apps, api, monkeypatch
):
    # Given an app with the fixture's verification token and no Encrypt Key (Lark sends it plaintext)
    configure_lark(monkeypatch, verification_token=LARK_APP.verification_token)
    for path in LARK_PATHS:
        # When the exact plaintext fixture arrives, then its challenge is echoed
        response = post_verification(api, path, (FIXTURES / "lark" / "url_verification_plaintext.json").read_bytes())
        assert response.status_code == 200, (path, response.text)
        assert response.json() == {"challenge": "ajls384kdjx98XX"}


def test_a_plaintext_url_verification_is_401_when_the_token_is_an_encrypt_key_apps(chat_apps, api):
    # Given the app with an Encrypt Key (Lark encrypts everything it sends that app)
    # When the plaintext fixture carrying that app's token arrives
    body = (FIXTURES / "lark" / "url_verification_plaintext.json").read_bytes()
    response = post_verification(api, "/lark/event", body)
    # Then it is refused: it cannot have come from Lark for that app
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED", response.text


def test_an_encrypted_url_verification_is_answered_for_an_app_with_only_an_encrypt_key(chat_apps, api, monkeypatch):
    # Given an app configured with an Encrypt Key and no verification token
    configure_lark(monkeypatch, encrypt_key=LARK_APP.encrypt_key)
    for path in LARK_PATHS:
        # When the exact encrypted fixture (which opens with that key) arrives
        response = post_verification(api, path, (FIXTURES / "lark" / "url_verification_encrypted.json").read_bytes())
        # Then its challenge is echoed: only Lark's side for that app holds the key
        assert response.status_code == 200, (path, response.text)
        assert response.json() == {"challenge": "ajls384kdjx98XX"}


def test_an_encrypted_url_verification_carrying_another_apps_token_is_401(chat_apps, api, monkeypatch):
    # Given app A (the fixture's Encrypt Key, token "token-of-a") and app B, whose token is the fixture's
    configure_lark(
        monkeypatch,
        encrypt_key=LARK_APP.encrypt_key,
        verification_token="token-of-a",
        others=[("cli_app_b", {"encrypt_key": "key of b", "verification_token": LARK_APP.verification_token})],
    )
    # When the exact encrypted fixture (opened by A's key, carrying B's token) arrives
    response = post_verification(
        api, "/lark/event", (FIXTURES / "lark" / "url_verification_encrypted.json").read_bytes()
    )
    # Then it is refused
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED", response.text
    # and the same verification carrying A's own token, encrypted with A's key, is answered
    answered = post_verification(api, "/lark/event", encrypted_verification("token-of-a"))
    assert answered.status_code == 200 and answered.json() == {"challenge": "ajls384kdjx98XX"}, answered.text
    # while one encrypted with B's key carrying A's token is refused
    crossed = post_verification(api, "/lark/event", encrypted_verification("token-of-a", key="key of b"))
    assert crossed.status_code == 401, crossed.text


def test_two_apps_sharing_an_encrypt_key_each_pass_url_verification_with_their_own_token(chat_apps, api, monkeypatch):
    # Given app B (registered first) and app A share the fixture's Encrypt Key but have different tokens
    configure_lark(
        monkeypatch,
        encrypt_key=LARK_APP.encrypt_key,
        verification_token="token-of-a",
        others=[("cli_app_b", {"encrypt_key": LARK_APP.encrypt_key, "verification_token": "token-of-b"})],
    )
    for path in LARK_PATHS:
        for token in ("token-of-b", "token-of-a"):
            # When Lark verifies the callback URL of either app (the same key opens both)
            response = post_verification(api, path, encrypted_verification(token))
            # Then each admin can save the URL: the challenge is echoed
            assert response.status_code == 200, (path, token, response.text)
            assert response.json() == {"challenge": "ajls384kdjx98XX"}
        # while a token of neither app is still refused
        stranger = post_verification(api, path, encrypted_verification("token-of-nobody"))
        assert stranger.status_code == 401, (path, stranger.text)


def test_a_plaintext_url_verification_needs_the_token_of_an_app_without_an_encrypt_key(chat_apps, api, monkeypatch):
    # Given app A with an Encrypt Key and the fixture's token, and app B with only a token
    configure_lark(
        monkeypatch,
        encrypt_key=LARK_APP.encrypt_key,
        verification_token=LARK_APP.verification_token,
        others=[("cli_app_b", {"verification_token": "token-of-b"})],
    )
    data = json.loads((FIXTURES / "lark" / "url_verification_plaintext.json").read_bytes())
    # When the plaintext fixture (A's token) arrives, then it is refused
    assert post_verification(api, "/lark/event", json.dumps(data).encode()).status_code == 401
    # and with B's token it is answered
    with_b = post_verification(api, "/lark/event", json.dumps({**data, "token": "token-of-b"}).encode())
    assert with_b.status_code == 200 and with_b.json() == {"challenge": "ajls384kdjx98XX"}, with_b.text


def test_an_encrypted_url_verification_with_a_wrong_token_is_401(chat_apps, api):
    # Given the app with an Encrypt Key and a verification token
    # When a verification that opens with its key carries another token, then it is refused
    response = post_verification(api, "/lark/event", encrypted_verification("not-the-verification-token"))
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED", response.text


def test_lark_url_verification_with_another_apps_token_is_401(chat_apps, api, monkeypatch):
    # Given the only app has no Encrypt Key and another token
    configure_lark(monkeypatch, verification_token="another-token")
    body = (FIXTURES / "lark" / "url_verification_plaintext.json").read_bytes()
    assert api.post("/lark/event", content=body, headers={"content-type": "application/json"}).status_code == 401


def test_lark_url_verification_with_a_non_matching_signature_header_is_answered_by_its_token(
    chat_apps, api, monkeypatch
):
    # Given the exact url_verification fixtures, each sent with signature headers that match nothing
    # (Lark does not sign url_verification; its token, or the Encrypt Key, is what proves it)
    for name, configure in (
        ("url_verification_encrypted.json", {}),
        ("url_verification_plaintext.json", {"verification_token": LARK_APP.verification_token}),
    ):
        if configure:
            configure_lark(monkeypatch, **configure)
        body = (FIXTURES / "lark" / name).read_bytes()
        for path in LARK_PATHS:
            headers = {**lark_headers(body, key="not the encrypt key"), "content-type": "application/json"}
            # When it reaches the chat function
            response = api.post(path, content=body, headers=headers)
            # Then the challenge is echoed
            assert response.status_code == 200, (path, name, response.text)
            assert response.json() == {"challenge": "ajls384kdjx98XX"}


def test_lark_url_verification_with_a_wrong_token_is_401_whatever_its_signature_headers(chat_apps, api):
    # Given the fixture's url_verification carrying another token
    data = json.loads((FIXTURES / "lark" / "url_verification_plaintext.json").read_bytes())
    forged = json.dumps({**data, "token": "not-the-verification-token"}).encode()
    # When it is sent with a non-matching signature and with a valid one
    for key in ("not the encrypt key", LARK_APP.encrypt_key):
        response = api.post("/lark/event", content=forged, headers=lark_headers(forged, key=key))
        # Then it is refused
        assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED", response.text


def test_a_lark_event_with_a_non_matching_signature_is_still_401(chat_apps, people, fixture_incident, api):
    # Given the exact encrypted card.action.trigger bytes, signed with a key that is not the app's
    body = (FIXTURES / "lark" / "card_action_trigger_v2_encrypted.json").read_bytes()
    for path in ("/lark/event", "/lark/card/action"):
        # When it is posted (also unsigned)
        forged = api.post(path, content=body, headers=lark_headers(body, key="not the encrypt key"))
        unsigned = api.post(path, content=body, headers={"content-type": "application/json"})
        # Then both are refused and the incident is not acknowledged
        assert forged.status_code == 401 and unsigned.status_code == 401, (path, forged.text, unsigned.text)
    fixture_incident.refresh()
    assert fixture_incident.status == "open"


def test_the_encrypted_v2_ack_fixture_acknowledges_as_the_bound_person(chat_apps, people, fixture_incident, api):
    # Given the exact encrypted card.action.trigger bytes, signed now with the app's encrypt key
    body = (FIXTURES / "lark" / "card_action_trigger_v2_encrypted.json").read_bytes()
    response = api.post("/lark/card/action", content=body, headers=lark_headers(body))
    # Then Alice (bound to that open_id in that app) acknowledged the incident, named by name and id
    assert response.status_code == 200, response.text
    assert response.json()["toast"] == {"type": "success", "content": f"You acknowledged {FIXTURE_INCIDENT}."}
    from pagerless.store.incidents import IncidentRepository

    assert IncidentRepository().get(FIXTURE_INCIDENT).acknowledged_by == people["alice"].label
    # and the same event id again (a Lark retry) is not run again
    again = api.post("/lark/event", content=body, headers=lark_headers(body))
    assert again.json()["toast"]["content"] == "Already handled."


def test_a_click_for_the_second_of_two_apps_sharing_an_encrypt_key_acts_for_that_app(
    chat_apps, people, fixture_incident, api
):
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    # Given another workspace's app, registered first, with the same Encrypt Key as the fixture's app
    apps.ChatAppService().register(
        "team-b", "lark", "cli_team_b", secrets={"encrypt_key": LARK_APP.encrypt_key, "verification_token": "tb"}
    )
    chat_routes.chat_apps.cache_clear()
    # When the exact encrypted card.action.trigger of the fixture's app (header.app_id) arrives, signed with that key
    body = (FIXTURES / "lark" / "card_action_trigger_v2_encrypted.json").read_bytes()
    response = api.post("/lark/card/action", content=body, headers=lark_headers(body))
    # Then it is handled for the fixture's app and workspace: Alice acknowledged the incident
    assert response.status_code == 200, response.text
    assert response.json()["toast"] == {"type": "success", "content": f"You acknowledged {FIXTURE_INCIDENT}."}
    fixture_incident.refresh()
    assert fixture_incident.acknowledged_by == people["alice"].label


def test_the_legacy_v1_fixture_is_verified_and_its_resolve_button_declined(chat_apps, people, fixture_incident, api):
    import time
    import uuid

    from pagerless.chat import lark

    body = (FIXTURES / "lark" / "card_action_legacy_v1_resolve_button.json").read_bytes()
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    headers = {
        "content-type": "application/json",
        "x-lark-request-timestamp": timestamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": lark.legacy_card_signature(timestamp, nonce, LARK_APP.verification_token, body),
    }
    response = api.post("/lark/card/action", content=body, headers=headers)
    assert response.status_code == 200
    assert "does not handle the 'resolve' button" in response.json()["toast"]["content"]
    # The v1 scheme is not accepted on the event URL
    assert api.post("/lark/event", content=body, headers=headers).status_code == 401


def test_the_authored_slack_ack_fixture_acknowledges_and_a_second_click_says_who(
    chat_apps, people, fixture_incident, api
):
    vectors = json.loads((FIXTURES / "slack" / "signature_vectors.json").read_text())
    body = vectors["block_actions_computed"]["raw_body"].encode()
    now = int(time.time())
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body, at=now))
    assert response.status_code == 200 and response.json()["text"] == f"You acknowledged {FIXTURE_INCIDENT}."
    # a second click is a new request: signed at another time (the same signature again is a replay)
    again = api.post("/slack/interactivity", content=body, headers=slack_headers(body, at=now - 1))
    assert f"by {people['alice'].label}" in again.json()["text"] and "nothing changed" in again.json()["text"]


def test_a_replayed_slack_click_is_refused_within_the_signature_window_and_changes_nothing(
    chat_apps, people, fixture_incident, api
):
    from pagerless.store.timeline import timeline_items

    # Given the authored Slack ack click, signed now, which acknowledged the incident
    vectors = json.loads((FIXTURES / "slack" / "signature_vectors.json").read_text())
    body = vectors["block_actions_computed"]["raw_body"].encode()
    headers = slack_headers(body)
    first = api.post("/slack/interactivity", content=body, headers=headers)
    assert first.status_code == 200 and first.json()["text"] == f"You acknowledged {FIXTURE_INCIDENT}."
    entries = len(timeline_items(FIXTURE_INCIDENT))
    # When the very same signed request comes again, inside Slack's 5-minute window (a replay)
    replay = api.post("/slack/interactivity", content=body, headers=headers)
    # Then it is answered as a replay, not run again: nothing is added to the incident's timeline
    assert replay.status_code == 200
    assert replay.json()["text"] == "This request was already handled; the same request sent again changes nothing."
    assert len(timeline_items(FIXTURE_INCIDENT)) == entries


def test_a_replayed_legacy_lark_card_action_is_refused_by_its_action_token(chat_apps, people, fixture_incident, api):
    # Given the legacy v1 card callback with an Acknowledge button, signed with the app's verification token
    data = json.loads((FIXTURES / "lark" / "card_action_legacy_v1_resolve_button.json").read_bytes())
    data["open_id"] = "ou_3c14f3a59eaf2825dbe25359f15d4c56"  # Alice's
    data["action"]["value"] = {"action": "ack", "incident_id": FIXTURE_INCIDENT}
    body = json.dumps(data).encode()
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    headers = {
        "content-type": "application/json",
        "x-lark-request-timestamp": timestamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": lark.legacy_card_signature(timestamp, nonce, LARK_APP.verification_token, body),
    }
    first = api.post("/lark/card/action", content=body, headers=headers)
    assert first.json()["toast"] == {"type": "success", "content": f"You acknowledged {FIXTURE_INCIDENT}."}
    # When the same signed request comes again (it has no event id or uuid: its token is the action's own)
    replay = api.post("/lark/card/action", content=body, headers=headers)
    # Then it is answered as handled, not acted on again
    assert replay.json()["toast"] == {"type": "info", "content": "Already handled."}


def test_a_stale_ack_card_of_a_resolved_incident_says_it_is_resolved_and_records_nothing(
    chat_apps, people, fixture_incident, api, admin_key
):
    from datetime import UTC, datetime

    from pagerless.store.incidents import IncidentRecord

    # Given the page cards' incident, resolved before anyone acknowledged it
    fixture_incident.update(
        actions=[
            IncidentRecord.status.set("resolved"),
            IncidentRecord.resolved_by.set("alertmanager"),
            IncidentRecord.resolved_at.set(datetime(2024, 5, 14, 10, 0, tzinfo=UTC)),
        ]
    )
    # When Alice taps Acknowledge on the Lark card and on the Slack card
    lark_body = (FIXTURES / "lark" / "card_action_trigger_v2_encrypted.json").read_bytes()
    lark_answer = api.post("/lark/card/action", content=lark_body, headers=lark_headers(lark_body))
    vectors = json.loads((FIXTURES / "slack" / "signature_vectors.json").read_text())
    slack_body = vectors["block_actions_computed"]["raw_body"].encode()
    slack_answer = api.post("/slack/interactivity", content=slack_body, headers=slack_headers(slack_body))
    # Then both tell her it is already resolved, as information (not an error), and nothing changed
    assert lark_answer.status_code == 200 and slack_answer.status_code == 200
    toast = lark_answer.json()["toast"]
    assert toast["type"] == "info", toast
    for text in (toast["content"], slack_answer.json()["text"]):
        assert f"{FIXTURE_INCIDENT} is already resolved" in text and "nothing changed" in text, text
    # And no acknowledgement, time to acknowledge or timeline entry was recorded
    fixture_incident.refresh()
    assert not fixture_incident.acknowledged and fixture_incident.acknowledged_by is None
    assert "time_to_acknowledge_seconds" not in (fixture_incident.metrics or {})
    timeline = api.get(f"/api/incidents/{FIXTURE_INCIDENT}/timeline", headers=auth(admin_key)).json()["items"]
    assert "acknowledged" not in [event["type"] for event in timeline]


def test_the_bolt_fixture_is_a_button_pagerless_declines(chat_apps, api):
    from urllib.parse import quote

    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    # the fixture's app (A111) is one of ours: a click for an app we do not have is refused (test_chat_app_ids.py)
    apps.ChatAppService().register("default", "slack", "A111", secrets={"signing_secret": SLACK_SECRET})
    chat_routes.chat_apps.cache_clear()
    payload = (FIXTURES / "slack" / "block_actions_button_bolt_python.json").read_text()
    body = ("payload=" + quote(json.dumps(json.loads(payload), separators=(",", ":")), safe="")).encode()
    response = api.post("/slack/interactivity", content=body, headers=slack_headers(body))
    assert response.status_code == 200 and "does not handle" in response.json()["text"]


def test_slack_events_url_verification_is_signed_and_echoed(chat_apps, api):
    body = (FIXTURES / "slack" / "url_verification.json").read_bytes()
    headers = {**slack_headers(body), "content-type": "application/json"}
    response = api.post("/slack/interactivity", content=body, headers=headers)
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    unsigned = api.post("/slack/interactivity", content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401


def test_feishu_bind_lookup_pending_and_approve(chat_apps, people, api, admin_key):
    alice = people["alice"]
    # An admin binds an open_id (the app is implied when one Lark app is configured)
    bound = api.post("/api/v1/feishu/bind", json={"open_id": "ou_new", "person_id": alice.id}, headers=auth(admin_key))
    assert bound.status_code == 200 and bound.json()["tenant"] == LARK_APP.app_id
    found = api.post("/api/v1/feishu/lookup", json={"open_id": "ou_new"}, headers=auth(admin_key)).json()
    assert found["bound"] is True and found["person"]["id"] == alice.id
    assert api.post("/api/v1/feishu/unbind", json={"open_id": "ou_new"}, headers=auth(admin_key)).status_code == 200
    assert (
        api.post("/api/v1/feishu/lookup", json={"open_id": "ou_new"}, headers=auth(admin_key)).json()["bound"] is False
    )
    # An unknown Lark user clicks: a pending binding appears, and an admin approves it to Bob
    from pagerless.people.identities import ChatIdentityService

    ChatIdentityService().request("default", "lark", LARK_APP.app_id, "ou_unknown")
    pending = api.get("/api/v1/feishu/pending", headers=auth(admin_key)).json()["items"]
    assert [p["user"] for p in pending] == ["ou_unknown"]
    no_person = api.post("/api/v1/feishu/bind-pending", json={"open_id": "ou_unknown"}, headers=auth(admin_key))
    assert no_person.status_code == 400 and no_person.json()["error"]["code"] == "VALIDATION_ERROR"
    approved = api.post(
        "/api/v1/feishu/bind-pending",
        json={"open_id": "ou_unknown", "person_id": people["bob"].id},
        headers=auth(admin_key),
    )
    assert approved.status_code == 200 and approved.json()["status"] == "bound"
    status = api.get("/api/v1/feishu/status", headers=auth(admin_key)).json()
    assert status["configured"] is True and status["pending_bindings"] == 0 and status["bound_users"] == 3


def test_chat_apps_keep_their_secrets_in_ssm_and_never_show_them(runtime, api, admin_key):
    created = api.post(
        "/api/chat-apps",
        json={"provider": "slack", "app_id": "A0TEST", "signing_secret": "s3cr3t-value"},
        headers=auth(admin_key),
    )
    assert created.status_code == 201, created.text
    listed = api.get("/api/chat-apps", headers=auth(admin_key))
    assert "s3cr3t-value" not in listed.text and "s3cr3t-value" not in created.text
    [app] = [a for a in listed.json()["items"] if a["app_id"] == "A0TEST"]
    parameter = app["secrets"]["signing_secret"]
    stored = runtime.client("ssm").get_parameter(Name=parameter, WithDecryption=True)["Parameter"]
    assert stored["Type"] == "SecureString" and stored["Value"] == "s3cr3t-value"
    missing = api.post("/api/chat-apps", json={"provider": "slack", "app_id": "A0NOPE"}, headers=auth(admin_key))
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.delete("/api/chat-apps/slack/A0TEST", headers=auth(admin_key)).status_code == 200


@pytest.mark.parametrize("app_id", ["A0 TEST", "A0\nTEST", "cli_飞书", "A0:TEST", "a" * 65])
def test_an_app_id_ssm_cannot_name_a_parameter_by_is_refused_and_nothing_is_stored(runtime, api, admin_key, app_id):
    # When an app is registered with an id that cannot be part of an SSM parameter name (its secrets' home)
    body = {"provider": "slack", "app_id": app_id, "signing_secret": "s3cr3t-value"}
    created = api.post("/api/chat-apps", json=body, headers=auth(admin_key))
    # Then it is refused naming app_id (deployed SSM refuses such a parameter name: it answered 500)
    assert created.status_code == 400, created.text
    assert created.json()["error"]["details"][0]["field"] == "app_id"
    assert api.get("/api/chat-apps", headers=auth(admin_key)).json()["items"] == []
    assert runtime.client("ssm").describe_parameters()["Parameters"] == []


def test_a_lark_user_asks_the_bot_to_bind_and_an_admin_approves(chat_apps, people, api, admin_key):
    import uuid

    from pagerless.chat import lark

    # Given a Lark user writes "bind bob@example.com" to the bot (an im.message.receive_v1 event)
    event = {
        "schema": "2.0",
        "header": {
            "event_id": uuid.uuid4().hex,
            "event_type": "im.message.receive_v1",
            "app_id": LARK_APP.app_id,
            "token": "xxxxxx",
        },
        "event": {
            "sender": {"sender_id": {"open_id": "ou_asking"}, "sender_type": "user"},
            "message": {
                "message_type": "text",
                "chat_type": "p2p",
                "content": json.dumps({"text": "@_user_1 bind bob@example.com"}),
            },
        },
    }
    plain = json.dumps(event).encode()
    body = json.dumps({"encrypt": lark.encrypt(plain, LARK_APP.encrypt_key, uuid.uuid4().bytes)}).encode()
    assert api.post("/lark/event", content=body, headers=lark_headers(body)).status_code == 200
    # Then a pending binding names Bob, and the admin approves it without naming anyone
    [pending] = api.get("/api/v1/feishu/pending", headers=auth(admin_key)).json()["items"]
    assert (pending["user"], pending["person_id"]) == ("ou_asking", people["bob"].id)
    approved = api.post("/api/v1/feishu/bind-pending", json={"open_id": "ou_asking"}, headers=auth(admin_key))
    assert approved.status_code == 200 and approved.json()["status"] == "bound"
    found = api.post("/api/v1/feishu/lookup", json={"open_id": "ou_asking"}, headers=auth(admin_key)).json()
    assert found["person"]["name"] == "Bob Li"


def test_a_lark_event_whose_handling_failed_is_handled_on_lark_s_retry(
    chat_apps, people, fixture_incident, api, monkeypatch
):
    from pagerless.api.routes import chat as chat_routes

    body = (FIXTURES / "lark" / "card_action_trigger_v2_encrypted.json").read_bytes()

    def broken():
        raise RuntimeError("the store is down")

    # Given handling fails once (the store is down)
    working = chat_routes.chat_actions
    monkeypatch.setattr(chat_routes, "chat_actions", broken)
    assert api.post("/lark/card/action", content=body, headers=lark_headers(body)).status_code == 500
    monkeypatch.setattr(chat_routes, "chat_actions", working)
    # When Lark retries the same event, then it is handled, not answered "Already handled."
    retried = api.post("/lark/card/action", content=body, headers=lark_headers(body)).json()
    assert retried["toast"]["content"] == f"You acknowledged {FIXTURE_INCIDENT}."


def test_non_ascii_signatures_timestamps_and_tokens_are_401_not_500(chat_apps, api):
    # The fixture's url_verification with a token that is not ASCII (Lark does not sign it: anyone can send it)
    data = json.loads((FIXTURES / "lark" / "url_verification_plaintext.json").read_bytes())
    forged = json.dumps({**data, "token": "xxxxxé"}).encode()
    response = api.post("/lark/event", content=forged, headers={"content-type": "application/json"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED", response.text
    # Signature and timestamp headers with bytes outside ASCII (read as Latin-1: "é", "²")
    lark = (FIXTURES / "lark" / "card_action_trigger_v2_encrypted.json").read_bytes()
    slack = (FIXTURES / "slack" / "url_verification.json").read_bytes()
    for path, body, headers in (
        ("/lark/card/action", lark, {**lark_headers(lark), "x-lark-signature": "\xe9" * 64}),
        ("/lark/card/action", lark, {**lark_headers(lark), "x-lark-request-timestamp": "\xb2"}),
        ("/slack/interactivity", slack, {**slack_headers(slack), "x-slack-signature": "v0=" + "\xe9" * 64}),
        ("/slack/interactivity", slack, {**slack_headers(slack), "x-slack-request-timestamp": "\xb2"}),
    ):
        raw = {k: v.encode("latin-1") for k, v in headers.items()}
        response = api.post(path, content=body, headers=raw)
        assert response.status_code == 401, (path, headers, response.text)
        assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_a_stale_ack_card_of_an_incident_its_source_resolved_says_so_in_words(chat_apps, people, fixture_incident, api):
    from datetime import UTC, datetime

    from pagerless.store.incidents import IncidentRecord

    # Given the page cards' incident, resolved because every alert cleared at its source (resolved_by "source")
    fixture_incident.update(
        actions=[
            IncidentRecord.status.set("resolved"),
            IncidentRecord.resolved_by.set("source"),
            IncidentRecord.resolved_at.set(datetime(2024, 5, 14, 10, 0, tzinfo=UTC)),
        ]
    )
    # When Alice taps Acknowledge on the Slack card
    vectors = json.loads((FIXTURES / "slack" / "signature_vectors.json").read_text())
    slack_body = vectors["block_actions_computed"]["raw_body"].encode()
    text = api.post("/slack/interactivity", content=slack_body, headers=slack_headers(slack_body)).json()["text"]
    # Then the answer says its source resolved it, not "resolved by source" as if a person named source had
    assert text == f"{FIXTURE_INCIDENT} is already resolved by its source (every alert cleared); nothing changed."
