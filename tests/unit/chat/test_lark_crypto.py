"""Lark/Feishu decryption and signatures against the documented and computed vectors, byte for byte."""

import json
from pathlib import Path

import pytest

from pagerless.chat import lark

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "chat" / "lark"  # copied from the handbook
VECTORS = json.loads((FIXTURES / "signature_vectors.json").read_text("utf-8"))
APP = lark.LarkApp("cli_a1b2c3d4e5f6a7b8", encrypt_key="test key", verification_token="xxxxxx")


def test_the_documented_vector_decrypts_to_hello_world():
    vector = VECTORS["decrypt_documented"]
    assert lark.decrypt(vector["encrypt"], vector["encrypt_key"]) == vector["expected_plaintext"].encode()


def test_the_encrypted_url_verification_opens_and_echoes_its_challenge():
    vector = VECTORS["encrypt_url_verification_computed"]
    body = (FIXTURES / vector["file"]).read_bytes()
    data, opened_by = lark.open_body(body, [lark.LarkApp("other", encrypt_key="wrong"), APP])
    assert opened_by == APP and json.dumps(data, separators=(",", ":")) == vector["plaintext"]
    assert {"challenge": lark.url_verification(data, [APP], opened_by)} == vector["expected_response_body"]
    # with an app that has only the Encrypt Key too, but not when the only app with that key has another token
    key_only = lark.LarkApp(APP.app_id, encrypt_key="test key")
    assert lark.url_verification(data, [key_only], key_only) == "ajls384kdjx98XX"
    other = lark.LarkApp(APP.app_id, encrypt_key="test key", verification_token="another")
    with pytest.raises(lark.LarkSignatureError):
        lark.url_verification(data, [other], other)
    # and encrypting with the vector's IV gives the fixture's bytes back
    assert lark.encrypt(vector["plaintext"].encode(), "test key", vector["iv_ascii"].encode()) == vector["encrypt"]


def test_an_encrypted_url_verification_is_answered_for_any_app_whose_encrypt_key_opens_it():
    # Given two apps with the fixture's Encrypt Key: the first with another token, the second with the fixture's
    first = lark.LarkApp("cli_first", encrypt_key="test key", verification_token="another")
    apps = [first, APP, lark.LarkApp("cli_other_key", encrypt_key="other key", verification_token="xxxxxx")]
    data, opened_by = lark.open_body((FIXTURES / "url_verification_encrypted.json").read_bytes(), apps)
    assert opened_by == first
    # Then the fixture (the second app's token) is answered
    assert lark.url_verification(data, apps, opened_by) == "ajls384kdjx98XX"
    # but not when only an app with another key carries that token
    with pytest.raises(lark.LarkSignatureError):
        lark.url_verification(data, [first, apps[2]], opened_by)


def test_an_event_signed_with_a_shared_encrypt_key_is_for_the_app_it_names():
    vector = VECTORS["event_signature_computed"]
    body = (FIXTURES / "card_action_trigger_v2_encrypted.json").read_bytes()
    now = int(vector["headers"]["X-Lark-Request-Timestamp"])
    twin = lark.LarkApp("cli_twin", encrypt_key="test key", verification_token="other")
    apps = [twin, APP]
    signers = lark.signers(apps, _headers(vector), body, now=now)
    assert signers == [twin, APP]
    data, _ = lark.open_body(body, apps)
    # the event's header.app_id names APP
    assert lark.addressee(data, signers) == APP
    # without an app_id, the token tells them apart; with neither, the first signer stands
    no_app_id = {**data, "header": {**data["header"], "app_id": ""}}
    assert lark.addressee(no_app_id, signers) == APP
    assert lark.addressee({"header": {}}, signers) == twin


def test_an_event_naming_an_app_that_did_not_sign_it_is_refused_in_either_schema():
    # Given the fixture's card action (schema 2.0, header.app_id), and a schema 1.0 event (event.app_id)
    v2 = json.loads((FIXTURES / "card_action_trigger_v2_ack_button.json").read_text("utf-8"))
    v1 = {"uuid": "u1", "token": "xxxxxx", "type": "event_callback", "event": {"app_id": APP.app_id, "type": "message"}}
    other = lark.LarkApp("cli_other", encrypt_key="test key")
    for data in (v2, v1):
        assert lark.named_app(data) == APP.app_id
        # Then the app it names may act on it, and another app whose key signed it may not
        lark.check_named_app(data, APP)
        with pytest.raises(lark.LarkSignatureError, match=f"Lark app {APP.app_id}"):
            lark.check_named_app(data, other)
        # and among apps sharing the key, it is for the one it names
        assert lark.addressee(data, [other, APP]) == APP


def test_a_plaintext_url_verification_needs_the_token_of_an_app_without_an_encrypt_key():
    data, opened_by = lark.open_body((FIXTURES / "url_verification_plaintext.json").read_bytes(), [APP])
    token_only = lark.LarkApp(APP.app_id, verification_token="xxxxxx")
    assert opened_by is None and lark.url_verification(data, [token_only], None) == "ajls384kdjx98XX"
    # Lark encrypts everything it sends an app with an Encrypt Key, so the same token on such an app is refused
    for apps in ([APP], [lark.LarkApp("cli_x", verification_token="another")]):
        with pytest.raises(lark.LarkSignatureError):
            lark.url_verification(data, apps, None)


def _headers(vector: dict) -> dict:
    return {k.lower(): v for k, v in vector["headers"].items()}


def test_the_event_signature_vector_verifies_over_the_exact_encrypted_bytes():
    vector = VECTORS["event_signature_computed"]
    body = (FIXTURES / "card_action_trigger_v2_encrypted.json").read_bytes()
    assert body == vector["raw_body"].encode()
    now = int(vector["headers"]["X-Lark-Request-Timestamp"])
    assert lark.verify([lark.LarkApp("other", encrypt_key="nope"), APP], _headers(vector), body, now=now) == APP
    # The decrypted body is the plain v2 fixture
    data, _ = lark.open_body(body, [APP])
    plain = json.loads((FIXTURES / "card_action_trigger_v2_ack_button.json").read_text("utf-8"))
    assert data == plain and lark.event_id(data) == "f7984f25108f8137722bb63cee927e66"
    click = lark.click(data, APP)
    assert (click.provider, click.tenant, click.user) == (
        "lark",
        "cli_a1b2c3d4e5f6a7b8",
        "ou_3c14f3a59eaf2825dbe25359f15d4c56",
    )
    assert click.verb == "acknowledge" and click.incident_id == "INC-20240514-0042"
    assert click.message_ref == "om_574d639e4a44e4dd646eaf628e2e8fb6"


def test_a_changed_byte_or_an_old_timestamp_fails():
    vector = VECTORS["event_signature_computed"]
    body = vector["raw_body"].encode()
    now = int(vector["headers"]["X-Lark-Request-Timestamp"])
    with pytest.raises(lark.LarkSignatureError, match="does not match"):
        lark.verify([APP], _headers(vector), body.replace(b"AAEC", b"AAED"), now=now)
    with pytest.raises(lark.LarkSignatureError, match="window"):
        lark.verify([APP], _headers(vector), body, now=now + 301)


def test_the_legacy_card_signature_is_accepted_only_on_the_card_url():
    vector = VECTORS["legacy_card_callback_signature_computed"]
    body = (FIXTURES / "card_action_legacy_v1_resolve_button.json").read_bytes()
    assert body == vector["raw_body"].encode()
    now = int(vector["headers"]["X-Lark-Request-Timestamp"])
    assert lark.verify([APP], _headers(vector), body, legacy_ok=True, now=now) == APP
    with pytest.raises(lark.LarkSignatureError):
        lark.verify([APP], _headers(vector), body, legacy_ok=False, now=now)
    click = lark.click(json.loads(body), APP)
    # a "resolve" button is not one Pagerless's cards carry: it parses, but it is no decision
    assert click.user == "ou_sdfimx9948345" and click.action == "resolve" and click.verb is None


def test_a_body_no_key_opens_is_refused():
    with pytest.raises(lark.LarkDecryptError):
        lark.open_body(
            (FIXTURES / "card_action_trigger_v2_encrypted.json").read_bytes(),
            [lark.LarkApp("x", encrypt_key="wrong key")],
        )


def test_the_custom_bot_vector_is_not_a_callback_scheme():
    """The outbound custom-bot sign belongs to the notify branch; here it only must not verify a callback."""
    vector = VECTORS["custom_bot_outbound_sign_computed"]
    import base64
    import hashlib
    import hmac

    sign = base64.b64encode(hmac.new(vector["hmac_key"].encode(), b"", hashlib.sha256).digest()).decode()
    assert sign == vector["expected_sign"] != vector["common_wrong_implementation"]["value"]


@pytest.mark.parametrize(
    "text, expected, language",
    [
        ("bind alice@example.com", "alice@example.com", "en"),
        ("@_user_1 bind alice@example.com", "alice@example.com", "en"),
        ("Bind alice@example.com", "alice@example.com", "en"),
        ("绑定 alice@example.com", "alice@example.com", "zh"),
        ("please approve INC-1", None, None),
        ("bind not-an-email", None, None),
    ],
)
def test_a_bind_request_is_read_from_a_text_message(text, expected, language):
    data = {
        "header": {"event_type": "im.message.receive_v1"},
        "event": {
            "sender": {"sender_id": {"open_id": "ou_x"}},
            "message": {"message_id": "om_1", "message_type": "text", "content": json.dumps({"text": text})},
        },
    }
    wanted = lark.BindRequest("ou_x", expected, "om_1", language) if expected else None
    assert lark.bind_request(data) == wanted
