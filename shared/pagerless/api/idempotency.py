"""`Idempotency-Key` on mutating requests, stored with Powertools' DynamoDB persistence layer.

The key is scoped to the caller's credential, method and route: a seed's path and its canonical
`/api/...` path are one route (pagerless.api.aliases), so a retry through either replays the first
answer, in the shape of the path asked (the canonical answer is stored; a seed path's shape is applied
to it on replay). The body's hash is validated, so the same key with another body is a 422. A replay
is only for a credential that still authenticates: a revoked key gets the route's 401. A completed
request is replayed (status, body and a `Idempotent-Replayed: true` header); one still in progress is
a 409. 5xx responses are not stored, so a retry runs again.
"""

import hashlib
import json
from functools import cache

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pagerless import settings
from pagerless.api.errors import error_body

_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_STORED_BODY = 300 * 1024  # DynamoDB items stop at 400 KB
_IN_PROGRESS_MS = 60_000
_BODY_MISMATCH = error_body("VALIDATION_ERROR", "this Idempotency-Key was already used with a different request body")


@cache
def persistence_layer():
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

    from pagerless import aws

    # Its own client would come from a new boto3 session (one more botocore session, its models
    # loaded again): it gets one on the process's session.
    layer = DynamoDBPersistenceLayer(table_name=settings.tables().idempotency, boto3_client=aws.client("dynamodb"))
    layer.configure(
        IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="body",
            expires_after_seconds=settings.api().idempotency_ttl_seconds,
        ),
        key_prefix="http",
    )
    return layer


# Sign-in answers carry fresh session tokens and their bodies carry passwords; a new API key or
# agent token is shown once and only its SHA-256 is kept: never stored for replay.
_NEVER_STORED = ("/api/auth/", "/console/", "/api/keys", "/api/agent-tokens")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        key = headers.get(b"idempotency-key")
        credential = _credential(headers, scope)
        if (
            scope["type"] != "http"
            or scope["method"] not in _MUTATING
            or not key
            or not credential  # nothing to scope the key to: the route refuses or serves it as usual
        ):
            await self.app(scope, receive, send)
            return
        from pagerless.api.aliases import recording_canonical_answers, resolve

        route = resolve(scope["method"], scope["path"])
        if route.path.startswith(_NEVER_STORED):
            await self.app(scope, receive, send)
            return
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyItemAlreadyExistsError,
            IdempotencyValidationError,
        )

        body, replay_receive = await _read_body(receive)
        data = {
            "key": hashlib.sha256(
                b"|".join([credential, scope["method"].encode(), route.path.encode(), key])
            ).hexdigest(),
            "body": hashlib.sha256(body).hexdigest(),
        }
        layer = persistence_layer()
        try:
            await anyio.to_thread.run_sync(
                lambda: layer.save_inprogress(data=data, remaining_time_in_millis=_IN_PROGRESS_MS)
            )
        except IdempotencyValidationError:
            await _send_json(send, 422, _BODY_MISMATCH)
            return
        except IdempotencyItemAlreadyExistsError:
            if not await anyio.to_thread.run_sync(_still_authenticates, scope):
                await self.app(scope, replay_receive, send)  # the route refuses the credential (401)
                return
            await self._answer_existing(layer, data, route, send, IdempotencyValidationError)
            return

        captured: dict = {"status": 500, "headers": [], "body": b""}

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        with recording_canonical_answers() as recorded:
            try:
                await self.app(scope, replay_receive, capturing_send)
            except Exception as exc:
                error = exc  # the lambda runs in a worker thread; bind the exception to a plain name for it
                await anyio.to_thread.run_sync(lambda: layer.delete_record(data=data, exception=error))
                raise
        if captured["status"] >= 500 or len(captured["body"]) > _MAX_STORED_BODY:
            await anyio.to_thread.run_sync(lambda: layer.delete_record(data=data, exception=RuntimeError("not stored")))
            return
        result = {
            "status": captured["status"],
            # a seed path that added its fields to the canonical answer: the canonical answer is kept
            "body": _json(recorded["answer"]) if "answer" in recorded else captured["body"].decode("utf-8", "replace"),
            "content_type": dict(captured["headers"]).get(b"content-type", b"application/json").decode("latin-1"),
        }
        await anyio.to_thread.run_sync(lambda: layer.save_success(data=data, result=result))

    async def _answer_existing(self, layer, data: dict, route, send: Send, validation_error: type) -> None:
        try:
            record = await anyio.to_thread.run_sync(lambda: layer.get_record(data=data))
        except validation_error:
            await _send_json(send, 422, _BODY_MISMATCH)
            return
        if record is None or record.status != "COMPLETED":
            await _send_json(
                send,
                409,
                error_body("CONFLICT", "a request with this Idempotency-Key is still in progress; retry later"),
            )
            return
        stored = record.response_json_as_dict()
        body = _in_shape_of(route, stored).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": stored["status"],
                "headers": [
                    (b"content-type", stored["content_type"].encode("latin-1")),
                    (b"content-length", str(len(body)).encode()),
                    (b"idempotent-replayed", b"true"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _in_shape_of(route, stored: dict) -> str:
    """The stored (canonical) answer as the path asked answers it: a seed path with a shape adds its
    fields to a successful JSON answer, as it did to the first one (errors are never shaped)."""
    shape = route.alias.shape if route.alias is not None else None
    if shape is None or not 200 <= stored["status"] < 300 or not stored["content_type"].startswith("application/json"):
        return stored["body"]
    return _json(shape(json.loads(stored["body"]), route.params))


def _json(data) -> str:
    """As Starlette's JSONResponse renders it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


def _credential(headers: dict, scope: Scope) -> bytes:
    """What the caller authenticates with, wherever ``presented_key`` reads it: an Idempotency-Key
    is scoped to it, so two agents (or a caller without any credential) never share a replay."""
    for name in (b"authorization", b"x-api-key", b"x-agent-token"):
        if headers.get(name):
            return headers[name]
    query = scope.get("query_string", b"")
    return query if b"api_key=" in query else b""


def _still_authenticates(scope: Scope) -> bool:
    """Whether the credential is still valid: a key revoked (or a user disabled) since the first
    request gets the route's 401, not a replay. Any doubt leaves the answer to the route."""
    from starlette.requests import Request

    from pagerless.api.security import key_service, presented_key
    from pagerless.auth.authenticate import authenticate

    try:
        secret = presented_key(Request(scope), allow_query=True)
        return bool(secret) and authenticate(secret, key_service()) is not None
    except Exception:  # noqa: BLE001 - refused, or the store cannot tell: the route answers
        return False


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _send_json(send: Send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
