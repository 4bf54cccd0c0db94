"""The local HTTP API: routes each request to the function that owns it in template.yaml.

Like API Gateway, it matches the template's routes (`{param}` and `{proxy+}`); a path that
exists with another method is a 405, anything else a 404, both in the API's error format. The
matched function's ASGI app then serves the request in-process (SSE streams pass through).
While a request is answered, until its response starts, background work steps aside
(`pagerless.local.priority`).
"""

import json
import re

from starlette.types import Receive, Scope, Send

from pagerless.api.errors import error_body
from pagerless.local.lambdas import InProcessLambdas, running_function
from pagerless.local.priority import FOREGROUND


def _compile(path: str) -> re.Pattern:
    pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(path))
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
    return re.compile(f"^{pattern}$")


def _allows(route_method: str, method: str) -> bool:
    return route_method in (method, "ANY") or (method == "HEAD" and route_method == "GET")


class Gateway:
    def __init__(self, lambdas: InProcessLambdas) -> None:
        self.lambdas = lambdas
        routes = sorted(lambdas.template.http_routes(), key=lambda r: (r[1].count("{"), -len(r[1])))
        # Literal paths win over templated ones, as in API Gateway: looked up first, by the path.
        self.literal: dict[str, list[tuple[str, str]]] = {}
        self.templated: list[tuple[str, str, re.Pattern, str]] = []  # (method, literal prefix, pattern, id)
        for method, path, logical_id in routes:
            if "{" in path:
                self.templated.append((method, path[: path.index("{")], _compile(path), logical_id))
            else:
                self.literal.setdefault(path, []).append((method, logical_id))

    def owner(self, method: str, path: str) -> tuple[str | None, bool]:
        """(logical id of the owning function or None, whether the path exists at all)."""
        path_exists = False
        for route_method, logical_id in self.literal.get(path, ()):
            path_exists = True
            if _allows(route_method, method):
                return logical_id, True
        for route_method, prefix, pattern, logical_id in self.templated:
            if path.startswith(prefix) and pattern.match(path):
                path_exists = True
                if _allows(route_method, method):
                    return logical_id, True
        return None, path_exists

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
        if logical_id is None:
            if scope["method"] == "OPTIONS" and path_exists:
                await _send(
                    send,
                    204,
                    b"",
                    [
                        (b"access-control-allow-origin", b"*"),
                        (b"access-control-allow-headers", b"*"),
                        (b"access-control-allow-methods", b"GET,POST,PUT,DELETE,OPTIONS"),
                    ],
                )
                return
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


async def _send(send: Send, status: int, body: bytes, headers: list) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
