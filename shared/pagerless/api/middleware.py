"""ASGI middleware every HTTP function shares.

Pure ASGI (not BaseHTTPMiddleware) so the SSE stream passes through unbuffered.
- RequestContextMiddleware: request id, structured access log, Prometheus metrics, audit record
  for every authenticated mutating call.
- BodyLimitMiddleware: 413 over the limit, with or without Content-Length.
- HeadMiddleware: HEAD on every GET route (uptime monitors and load balancers probe with HEAD).
"""

import json
import time
import uuid

import anyio
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pagerless.api.errors import _domain_error as domain_error
from pagerless.api.errors import error_body, nameless_key_error, unavailable_error
from pagerless.domain.errors import PagerlessError
from pagerless.observability import logger
from pagerless.prometheus import REGISTRY

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MATCHED = ("route", "endpoint", "path_params")  # what routing adds to a request's scope


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, audit_writer=None) -> None:
        self.app = app
        self.audit_writer = audit_writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = (headers.get(b"x-request-id") or b"").decode("latin-1")[:64] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder.update(status=message["status"], started=True)
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # no handler took it: AWS unavailable for a moment is a 503, a key DynamoDB
            # refuses as longer than any key can be a 404 (it names nothing stored), the rest the 500 it is
            answer = None
            if not status_holder["started"]:
                answer = unavailable_error(exc, path=scope["path"], request_id=request_id) or nameless_key_error(exc)
            if answer is None:
                raise
            # answered as the app answers its domain errors (the API's JSON, the console's page)
            handlers = getattr(scope.get("app"), "exception_handlers", {})
            response = await handlers.get(PagerlessError, domain_error)(Request(scope), answer)
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            status = status_holder["status"]
            REGISTRY.observe_request(route, scope["method"], status, elapsed)
            logger().info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "ms": round(elapsed * 1000, 1),
                },
            )
            if self.audit_writer is not None and scope["method"] in MUTATING and _audited(scope):
                principal = scope.get("state", {}).get("principal")
                if principal is not None:
                    await anyio.to_thread.run_sync(
                        lambda: self.audit_writer(principal, scope, route, status, request_id)
                    )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await _too_large(send, self.max_bytes)


class HeadMiddleware:
    """HEAD is answered as GET: the GET's status and headers, no body. FastAPI declares no HEAD
    operations (the OpenAPI documents stay GET-only), so the route matches a GET scope here, while
    the server and the outer middleware still see the HEAD. A response without Content-Length
    (an SSE stream) is ended after its headers and its producer cancelled, so a HEAD never waits
    for the stream; a response with a length finishes its own work (background tasks) unseen."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        answered = False

        async def send_headers_only(message: Message) -> None:
            nonlocal answered
            if answered or message["type"] != "http.response.start":
                return
            answered = True
            await send(message)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            if not any(name.lower() == b"content-length" for name, _ in message.get("headers") or ()):
                stream.cancel()
                await anyio.sleep(0)  # the stream stops here, at its first send, before any event

        # A copy: the server reads the request's method from its own scope when it writes the
        # response (uvicorn writes no body, and no chunked framing, for a HEAD).
        as_get = {**scope, "method": "GET"}
        try:
            with anyio.CancelScope() as stream:
                await self.app(as_get, receive, send_headers_only)
        finally:
            scope.update((key, as_get[key]) for key in _MATCHED if key in as_get)  # for the access log


class _TooLarge(StarletteHTTPException):
    """An HTTPException so FastAPI's body parsing re-raises it instead of turning it into a 400."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body is too large")


async def _too_large(send: Send, max_bytes: int) -> None:
    body = json.dumps(error_body("PAYLOAD_TOO_LARGE", f"request body is larger than {max_bytes} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def _audited(scope: Scope) -> bool:
    route = scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    return extra.get("x-audit", True)
