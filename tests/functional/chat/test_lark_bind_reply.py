"""A Lark user writes "bind <email>" to the bot: the request is filed and the bot answers in the
chat, in the command's language, through the Lark app's notification channel (fake Lark server)."""

import json
import uuid

import pytest

from pagerless.chat import lark
from tests.conftest import auth
from tests.fakes.chat_vendors import LARK_APP_ID
from tests.functional.chat.conftest import HALF_WIDTH, LARK_APP, lark_headers
from tests.functional.notify.conftest import lark_channel, vendors  # noqa: F401 (vendors: a fixture)

pytestmark = pytest.mark.functional


@pytest.fixture
def lark_app(runtime, monkeypatch):
    """The Lark app the fake server knows (its id and secret), calling back with LARK_APP's keys."""
    from pagerless.api.routes import chat as chat_routes
    from pagerless.chat import apps

    monkeypatch.setenv("PAGERLESS_LARK_APP_ID", LARK_APP_ID)
    monkeypatch.setenv("PAGERLESS_LARK_ENCRYPT_KEY", LARK_APP.encrypt_key)
    monkeypatch.setenv("PAGERLESS_LARK_VERIFICATION_TOKEN", LARK_APP.verification_token)
    apps.reset()
    chat_routes.chat_apps.cache_clear()
    yield
    apps.reset()
    chat_routes.chat_apps.cache_clear()


def _write_to_bot(api, text: str, *, open_id: str, message_id: str):
    event = {
        "schema": "2.0",
        "header": {"event_id": uuid.uuid4().hex, "event_type": "im.message.receive_v1", "app_id": LARK_APP_ID},
        "event": {
            "sender": {"sender_id": {"open_id": open_id}, "sender_type": "user"},
            "message": {
                "message_id": message_id,
                "message_type": "text",
                "chat_type": "p2p",
                "content": json.dumps({"text": text}, ensure_ascii=False),
            },
        },
    }
    plain = json.dumps(event, ensure_ascii=False).encode()
    body = json.dumps({"encrypt": lark.encrypt(plain, LARK_APP.encrypt_key, uuid.uuid4().bytes)}).encode()
    return api.post("/lark/event", content=body, headers=lark_headers(body))


def _replies(vendors) -> dict[str, str]:
    """Reply text by the message it answers."""
    return {m["reply_to"]: json.loads(m["content"])["text"] for m in vendors.lark_messages.values() if "reply_to" in m}


def _pending(api, admin_key) -> dict[str, str | None]:
    items = api.get("/api/v1/feishu/pending", headers=auth(admin_key)).json()["items"]
    return {p["user"]: p["person_id"] for p in items}


def test_the_bot_answers_a_bind_request_in_the_language_it_was_asked_in(lark_app, people, vendors, api, admin_key):
    lark_channel(api, admin_key, vendors)
    # When one user writes "绑定 bob@example.com" and another "bind nobody@example.com"
    assert _write_to_bot(api, "绑定 bob@example.com", open_id="ou_zh", message_id="om_zh").status_code == 200
    assert _write_to_bot(api, "bind nobody@example.com", open_id="ou_en", message_id="om_en").status_code == 200
    # Then both requests wait for an admin, the first naming Bob
    assert _pending(api, admin_key) == {"ou_zh": people["bob"].id, "ou_en": None}
    # And the bot answered each message in its chat, as the app (with a tenant token)
    replies = _replies(vendors)
    assert set(replies) == {"om_zh", "om_en"}
    assert "已提交绑定申请" in replies["om_zh"] and "bob@example.com" in replies["om_zh"]
    assert not HALF_WIDTH.search(replies["om_zh"]), replies["om_zh"]  # Chinese takes full-width punctuation
    assert "no Pagerless person has the email nobody@example.com" in replies["om_en"]
    assert all(r.headers.get("authorization") for r in vendors.to("/open-apis/im/v1/messages/"))


def test_an_account_already_linked_is_told_so(lark_app, people, vendors, api, admin_key):
    from pagerless.people.identities import ChatIdentityService

    lark_channel(api, admin_key, vendors)
    ChatIdentityService().bind("default", "lark", LARK_APP_ID, "ou_linked", people["bob"].id, actor="test")
    assert _write_to_bot(api, "bind bob@example.com", open_id="ou_linked", message_id="om_1").status_code == 200
    assert "already linked" in _replies(vendors)["om_1"]
    # and in Chinese when asked in Chinese, with full-width punctuation
    assert _write_to_bot(api, "绑定 bob@example.com", open_id="ou_linked", message_id="om_2").status_code == 200
    assert "已关联" in _replies(vendors)["om_2"] and not HALF_WIDTH.search(_replies(vendors)["om_2"])
    assert "ou_linked" not in _pending(api, admin_key)


def test_without_a_usable_lark_channel_or_when_lark_refuses_the_request_is_still_filed(
    lark_app, people, vendors, api, admin_key
):
    # Given no notification channel holds this app's secret: no reply is attempted
    assert _write_to_bot(api, "bind bob@example.com", open_id="ou_a", message_id="om_a").status_code == 200
    assert vendors.to("/open-apis/") == []
    # Given the channel, but Lark switched off in /api/plugins
    lark_channel(api, admin_key, vendors)
    assert api.post("/api/plugins/lark/disable", headers=auth(admin_key)).status_code == 200
    assert _write_to_bot(api, "bind bob@example.com", open_id="ou_off", message_id="om_off").status_code == 200
    assert vendors.to("/open-apis/") == []
    # Given Lark on again, but refusing the reply
    assert api.post("/api/plugins/lark/enable", headers=auth(admin_key)).status_code == 200
    vendors.fail("/open-apis/im/v1/messages/", 400, body={"code": 230002, "msg": "bot not in chat"})
    assert _write_to_bot(api, "bind bob@example.com", open_id="ou_b", message_id="om_b").status_code == 200
    # Then every request waits for an admin all the same, and nothing was answered
    bob = people["bob"].id
    assert _pending(api, admin_key) == {"ou_a": bob, "ou_off": bob, "ou_b": bob}
    assert _replies(vendors) == {}


def test_a_slow_lark_does_not_hold_the_events_answer_past_its_3_seconds(lark_app, people, vendors, api, admin_key):
    from pagerless.api.routes import chat as chat_routes

    lark_channel(api, admin_key, vendors)
    # Given Lark does not answer its API today (neither the tenant token nor the reply)
    vendors.hold()
    # When a user writes "bind bob@example.com" (the whole invocation is what Lark waits for, as under Lambda)
    response = _write_to_bot(api, "bind bob@example.com", open_id="ou_slow", message_id="om_slow")
    # Then Lark got its answer without the reply, which had only what was left of a budget that ends
    # before Lark's 3 seconds: the held calls are still unanswered (unrecorded)
    assert response.status_code == 200, response.text
    assert vendors.to("/open-apis/") == [], "the events answer waited for Lark's API"
    assert chat_routes.LARK_ACK_BUDGET_SECONDS < 3.0
    vendors.release()
    # And the request waits for an admin all the same
    assert _pending(api, admin_key) == {"ou_slow": people["bob"].id}
