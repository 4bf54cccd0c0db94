"""Lark/Feishu: event signature, AES decryption, url_verification and card clicks.

- Event and schema-2.0 callback signature: X-Lark-Signature = hex(SHA-256(timestamp + nonce +
  encrypt_key + raw body)) — plain SHA-256, not HMAC (seed 000; oapi-sdk-go event/event.go).
- Legacy (v1) card callback signature: hex(SHA-1(timestamp + nonce + verification_token + raw body)).
- Encrypted bodies are ``{"encrypt": base64(iv(16) + AES-256-CBC(PKCS#7))}`` with
  key = SHA-256(encrypt_key).
- url_verification is not signed: an encrypted one is answered for an app whose Encrypt Key opens
  it (and whose token, if it has one, it carries; apps may share a key); a plaintext one on the
  token of an app without an Encrypt Key.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

from pagerless.chat.clicks import Click, member, parse_button_value
from pagerless.chat.commands import ChatMessage

WINDOW_SECONDS = 300  # Lark retries within minutes; an older timestamp is a replay


class LarkSignatureError(Exception):
    """The request is not from Lark (or not from a configured app), or it is a replay."""


class LarkDecryptError(Exception):
    """The ``encrypt`` field cannot be decrypted with the configured key."""


@dataclass(frozen=True)
class LarkApp:
    app_id: str
    encrypt_key: str = ""
    verification_token: str = ""


def event_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def legacy_card_signature(timestamp: str, nonce: str, verification_token: str, body: bytes) -> str:
    return hashlib.sha1((timestamp + nonce + verification_token).encode() + body).hexdigest()  # noqa: S324 (Lark's scheme)


def decrypt(encrypt: str, encrypt_key: str) -> bytes:
    """AES-256-CBC with key SHA-256(encrypt_key) and the first 16 bytes as IV; PKCS#7 unpadded."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        raw = base64.b64decode(encrypt, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise LarkDecryptError("encrypt is not base64") from exc
    if len(raw) < 32 or len(raw) % 16:
        raise LarkDecryptError("encrypt has the wrong length")
    key = hashlib.sha256(encrypt_key.encode()).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(raw[:16])).decryptor()
    padded = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise LarkDecryptError("encrypt does not decrypt with this key") from exc


def encrypt(plaintext: bytes, encrypt_key: str, iv: bytes) -> str:
    """The inverse of ``decrypt`` (tests and the local curl recipe use it)."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(hashlib.sha256(encrypt_key.encode()).digest()), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode()


def verify(apps: list[LarkApp], headers, body: bytes, *, legacy_ok: bool = False, now: float | None = None) -> LarkApp:
    """Check X-Lark-Signature over the raw body against each configured app; return the first that signed."""
    return signers(apps, headers, body, legacy_ok=legacy_ok, now=now)[0]


def signers(
    apps: list[LarkApp], headers, body: bytes, *, legacy_ok: bool = False, now: float | None = None
) -> list[LarkApp]:
    """Every configured app whose secret produced X-Lark-Signature over the raw body (apps may share
    an Encrypt Key: ``addressee`` tells them apart).

    An app without an encrypt key cannot be checked with the event scheme; with ``legacy_ok``
    (the card callback URL) the v1 SHA-1 scheme over the verification token is accepted too.
    """
    timestamp = headers.get("x-lark-request-timestamp") or ""
    nonce = headers.get("x-lark-request-nonce") or ""
    signature = (headers.get("x-lark-signature") or "").lower()
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        raise LarkSignatureError("missing X-Lark-Signature / X-Lark-Request-Timestamp")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > WINDOW_SECONDS:
        raise LarkSignatureError("the request timestamp is outside the 5-minute window")

    def signed(app: LarkApp) -> bool:
        if app.encrypt_key and _same(event_signature(timestamp, nonce, app.encrypt_key, body), signature):
            return True
        return bool(
            legacy_ok
            and app.verification_token
            and _same(legacy_card_signature(timestamp, nonce, app.verification_token, body), signature)
        )

    found = [app for app in apps if signed(app)]
    if not found:
        raise LarkSignatureError("the signature does not match any configured Lark app")
    return found


def addressee(data: dict, signed_by: list[LarkApp]) -> LarkApp:
    """The app a verified event is for, among the apps whose secret signed it: the one its
    ``header.app_id`` names, else the one whose verification token it carries, else the first."""
    if len(signed_by) == 1:
        return signed_by[0]
    header = data.get("header") if isinstance(data.get("header"), dict) else {}
    app_id, token = named_app(data), str(header.get("token") or data.get("token") or "")
    named = [a for a in signed_by if app_id and a.app_id == app_id]
    named = named or [a for a in signed_by if token and a.verification_token and _same(a.verification_token, token)]
    return (named or signed_by)[0]


def named_app(data: dict) -> str:
    """The app an event names: ``header.app_id`` (schema 2.0), else ``event.app_id`` (schema 1.0); "" if none."""
    header = data.get("header") if isinstance(data.get("header"), dict) else {}
    event = data.get("event") if isinstance(data.get("event"), dict) else {}
    return str(header.get("app_id") or event.get("app_id") or "")


def check_named_app(data: dict, app: LarkApp) -> None:
    """LarkSignatureError if the event names another app than ``app`` (`named_app`), whose secret
    signed it: Lark names the app an event is for, and a user is keyed by app id and open_id, so an
    event signed with one app's key must not act for another app's users."""
    named = named_app(data)
    if named and named != app.app_id:
        raise LarkSignatureError(f"the event is for Lark app {named}, but no secret of that app signed it")


def _same(expected: str, presented: str) -> bool:
    """A constant-time comparison that any presented text can go through (not only ASCII)."""
    return hmac.compare_digest(expected.encode(), presented.encode())


def open_body(body: bytes, apps: list[LarkApp]) -> tuple[dict, LarkApp | None]:
    """The JSON of a request, decrypted if it is ``{"encrypt": ...}`` (with the app whose key opens it)."""
    data = json.loads(body or b"{}")
    if not isinstance(data, dict):
        raise ValueError("the body is not a JSON object")
    if "encrypt" not in data:
        return data, None
    for app in apps:
        if not app.encrypt_key:
            continue
        try:
            opened = json.loads(decrypt(str(data["encrypt"]), app.encrypt_key))
        except (LarkDecryptError, ValueError):
            continue
        if not isinstance(opened, dict):  # it is JSON, so this was the key: the content is wrong
            raise ValueError("the decrypted body is not a JSON object")
        return opened, app
    raise LarkDecryptError("no configured Lark app's encrypt key opens this body")


def url_verification(data: dict, apps: list[LarkApp], opened_by: LarkApp | None) -> str | None:
    """The challenge to echo if ``data`` is a url_verification from Lark for a configured app.

    An encrypted one (``opened_by`` is an app whose Encrypt Key decrypted it) is Lark's for an app
    with that Encrypt Key; it must carry that app's verification token when the app has one (two apps
    may share a key: any of them whose token it carries). A plaintext one needs
    the token of an app without an Encrypt Key: Lark encrypts everything it sends an app that has one.
    """
    if data.get("type") != "url_verification":
        return None
    token = str(data.get("token") or "")
    if opened_by is not None:
        # Every app with the same Encrypt Key opens it; it is for one of them whose token it carries.
        if not any(
            app.encrypt_key == opened_by.encrypt_key
            and (not app.verification_token or _same(app.verification_token, token))
            for app in [opened_by, *apps]
        ):
            raise LarkSignatureError(
                "the url_verification token is not the verification token of an app whose Encrypt Key opens it"
            )
    elif not any(
        app.verification_token and not app.encrypt_key and _same(app.verification_token, token) for app in apps
    ):
        raise LarkSignatureError(
            "a plaintext url_verification token is not the verification token of an app without an Encrypt Key"
        )
    return str(data.get("challenge") or "")


def event_id(data: dict) -> str | None:
    """The dedup key: header.event_id (schema 2.0) or uuid (schema 1.0); a legacy v1 card action, which has
    neither, by its ``token`` (one per action: the card's update token, ``c-…``); ValueError if malformed."""
    found = member(data, "header").get("event_id") or data.get("uuid")
    if not found and "open_id" in data and "action" in data:  # a legacy v1 card callback (`click`)
        token = data.get("token")
        found = f"card-token#{token}" if isinstance(token, str) and token else None
    return str(found) if found else None


def click(data: dict, app: LarkApp) -> Click | None:
    """The button of a ``card.action.trigger`` (v2) or a legacy v1 card callback.

    ValueError if the event does not have Lark's shape."""
    if data.get("schema") == "2.0":
        header, event = member(data, "header"), member(data, "event")
        if header.get("event_type") != "card.action.trigger":
            return None
        operator, action, context = member(event, "operator"), member(event, "action"), member(event, "context")
        value = parse_button_value(action.get("value"))
        return Click(
            provider="lark",
            tenant=app.app_id,  # the app whose secret signed it (`check_named_app`)
            user=str(operator.get("open_id") or ""),
            action=str(value.get("action") or ""),
            value=value,
            message_ref=str(context.get("open_message_id") or ""),
            channel=str(context.get("open_chat_id") or ""),
        )
    if "open_id" in data and "action" in data:  # legacy v1 card callback
        value = parse_button_value(member(data, "action").get("value"))
        return Click(
            provider="lark",
            tenant=app.app_id,
            user=str(data.get("open_id") or ""),
            action=str(value.get("action") or ""),
            value=value,
            message_ref=str(data.get("open_message_id") or ""),
            channel=str(data.get("open_chat_id") or ""),
        )
    return None


_BIND = re.compile(r"(?:^|\s)(bind|绑定)\s+([^\s@]+@[^\s@]+\.[^\s@]+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class BindRequest:
    """A user's "bind <email>" (or "绑定 <email>") to the bot, and the message to reply to."""

    open_id: str
    email: str
    message_id: str | None = None
    language: str = "en"  # "zh" when the user wrote 绑定
    group: bool = False  # written in a group chat: for the bot only when it mentions the bot (`for_bot`)
    mentions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Text:
    """An ``im.message.receive_v1`` text message from a user."""

    open_id: str
    text: str
    message_id: str | None
    chat_id: str
    group: bool  # chat_type is not p2p: in a group chat the bot acts only when mentioned
    mentions: tuple[tuple[str, str], ...]  # message.mentions: (key in the text, e.g. "@_user_1", open_id)


def bind_request(data: dict) -> BindRequest | None:
    """The bind request an ``im.message.receive_v1`` text event carries, or None.

    ValueError if the event does not have Lark's shape."""
    said = _text_message(data)
    if said is None:
        return None
    found = _BIND.search(said.text.strip())
    if found is None:
        return None
    language = "zh" if found.group(1) == "绑定" else "en"
    return BindRequest(said.open_id, found.group(2), said.message_id, language, said.group, said.mentions)


def message(data: dict, app: LarkApp) -> ChatMessage | None:
    """The text a user sent the bot (``im.message.receive_v1``; not a bind request, see ``bind_request``), or None.

    ValueError if the event does not have Lark's shape."""
    said = _text_message(data)
    if said is None or _BIND.search(said.text.strip()):
        return None
    root = str(member(member(data, "event"), "message").get("root_id") or "")  # a reply's thread: its first message
    return ChatMessage(
        "lark",
        app.app_id,
        said.open_id,
        said.text,
        said.message_id or "",
        said.chat_id,
        thread=root,
        group=said.group,
        mentions=said.mentions,
    )


def for_bot(group: bool, mentions: tuple[tuple[str, str], ...], text: str, bot_open_id: str | None) -> str | None:
    """The text of a message for the bot, without the bot's mention; None when it is not for the bot: a group
    message that does not mention it (an app with the "read all group messages" scope gets every message of its
    groups). A direct (p2p) message is for the bot without a mention. When the bot's open_id is not known, a group
    message that mentions anybody is taken for the bot (an app without that scope is sent only those)."""
    if group and not any(open_id == bot_open_id or not bot_open_id for _, open_id in mentions):
        return None
    for key, open_id in mentions:
        if key and open_id == bot_open_id:
            text = text.replace(key, " ")
    return " ".join(text.split())


def _text_message(data: dict) -> _Text | None:
    """The ``im.message.receive_v1`` text event of a user, or None."""
    header, event = member(data, "header"), member(data, "event")
    if header.get("event_type") != "im.message.receive_v1":
        return None
    sent, sender = member(event, "message"), member(event, "sender")
    open_id = member(sender, "sender_id").get("open_id")
    if sent.get("message_type") != "text" or not open_id or sender.get("sender_type", "user") != "user":
        return None
    try:
        text = json.loads(sent.get("content") or "{}").get("text", "")
    except (ValueError, TypeError, AttributeError):
        return None
    mentions = sent.get("mentions") or []
    if not isinstance(mentions, list) or not all(isinstance(m, dict) for m in mentions):
        raise ValueError("message.mentions is not a list of objects")
    return _Text(
        str(open_id),
        str(text),
        str(sent.get("message_id") or "") or None,
        str(sent.get("chat_id") or ""),
        group=str(sent.get("chat_type") or "p2p") != "p2p",
        mentions=tuple((str(m.get("key") or ""), str(member(m, "id").get("open_id") or "")) for m in mentions),
    )


def toast(kind: str, text: str, card: dict | None = None) -> dict:
    """The v2 callback answer: a toast (info | success | error | warning), optionally the new card."""
    answer: dict = {"toast": {"type": kind, "content": text}}
    if card is not None:
        answer["card"] = {"type": "raw", "data": card}
    return answer
