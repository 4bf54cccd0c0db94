"""The local HTTP API: routes each request to the function that owns it in template.yaml.

Like API Gateway, it matches the template's routes with API Gateway's priorities
(`pagerless.local.routes`: full matches, then `{proxy+}`, then `$default`); as API Gateway does
with the API's CORS configuration, it answers OPTIONS itself, and adds the configuration's
`access-control-allow-origin` and `-expose-headers` to the answers of requests with an Origin. A path that exists with another
method is a 405, anything else a 404, both in the API's error format. The
matched function's ASGI app then serves the request in-process (SSE streams pass through), with a Lambda
context in its scope (``aws.context``, as Mangum's) whose time left counts down from the function's timeout.
While a request is answered, until its response starts, background work steps aside
(`pagerless.local.priority`).
"""

import json

from starlette.types import Receive, Scope, Send

from pagerless.api.errors import error_body
from pagerless.local.lambdas import InProcessLambdas, LambdaContext, running_function
from pagerless.local.priority import FOREGROUND
from pagerless.local.routes import RouteTable


class Gateway:
    def __init__(self, lambdas: InProcessLambdas) -> None:
        self.lambdas = lambdas
        self.routes = RouteTable(lambdas.template.http_routes())
        self.cors = Cors(lambdas.template.cors())

    def owner(self, method: str, path: str) -> tuple[str | None, bool]:
        """(logical id of the owning function or None, whether the path exists at all)."""
        route = self.routes.match(method, path)
        if route is not None:
            return route.target, True
        return None, self.routes.path_exists(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        logical_id, path_exists = self.owner(scope["method"], scope["path"])
        if scope["method"] == "OPTIONS" and path_exists and self.cors:  # the preflight: API Gateway answers it
            await _send(send, 204, b"", self.cors.preflight(_origin(scope)))
            return
        send = self.cors.answering(_origin(scope), send)
        if logical_id is None:
            status, code, message = (
                (405, "METHOD_NOT_ALLOWED", "method not allowed on this route")
                if path_exists
                else (404, "NOT_FOUND", "no such resource or route")
            )
            await _send(
                send, status, json.dumps(error_body(code, message)).encode(), [(b"content-type", b"application/json")]
            )
            return
        app = self.lambdas.module(logical_id).app
        spec = self.lambdas.by_logical_id[logical_id]
        # as Mangum's scope under Lambda: the invocation's context, its time left counted from its function's timeout
        scope = {**scope, "aws.context": LambdaContext(spec.name, spec.timeout, self.lambdas.template.region)}
        running = running_function.set(logical_id)
        with FOREGROUND.serving() as token:

            async def send_and_stop_counting(message: dict) -> None:
                if message["type"] == "http.response.start":
                    FOREGROUND.leave(token)  # a stream's body can take hours: it no longer counts
                await send(message)

            try:
                await app(scope, receive, send_and_stop_counting)
            finally:
                running_function.reset(running)


class Cors:
    """The HTTP API's CorsConfiguration as API Gateway applies it: it answers a preflight (OPTIONS) itself,
    and puts the allowed origin and the exposed headers on every answer to a request with an Origin."""

    def __init__(self, config: dict) -> None:
        self.origins = [o.lower() for o in config.get("AllowOrigins") or []]
        self.methods = ",".join(config.get("AllowMethods") or [])
        self.headers = ",".join(config.get("AllowHeaders") or [])
        self.exposed = ",".join(config.get("ExposeHeaders") or [])
        self.max_age = config.get("MaxAge")

    def __bool__(self) -> bool:
        return bool(self.origins)

    def allowed(self, origin: str | None) -> bytes | None:
        if "*" in self.origins:
            return b"*"
        return origin.encode("latin-1") if origin and origin.lower() in self.origins else None

    def preflight(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        allowed = self.allowed(origin)
        if allowed is None:
            return []
        headers = [(b"access-control-allow-origin", allowed), (b"access-control-allow-methods", self.methods.encode())]
        if self.headers:
            headers.append((b"access-control-allow-headers", self.headers.encode()))
        if self.max_age is not None:
            headers.append((b"access-control-max-age", str(self.max_age).encode()))
        return headers

    def answering(self, origin: str | None, send: Send) -> Send:
        allowed = self.allowed(origin) if origin else None
        if allowed is None:
            return send
        added = [(b"access-control-allow-origin", allowed)]
        if self.exposed:
            added.append((b"access-control-expose-headers", self.exposed.encode()))

        async def send_with_cors(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        return send_with_cors


def _origin(scope: Scope) -> str | None:
    value = dict(scope.get("headers") or []).get(b"origin")
    return value.decode("latin-1") if value else None


async def _send(send: Send, status: int, body: bytes, headers: list) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
