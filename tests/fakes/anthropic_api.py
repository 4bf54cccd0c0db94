"""A real local HTTP server that speaks enough of the Anthropic Messages API for tests.

Point the real ``anthropic.Anthropic`` client at ``FakeMessagesApi.base_url``. Script it with a
queue of responses (``enqueue``) or a function of the request (``respond_with``); every request is
recorded (headers, raw body, parsed JSON) so tests can assert on exactly what left the process.
"""

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any  # parsed JSON, None when the body was not JSON


@dataclass
class FakeResponse:
    status: int
    body: Any  # dict/list → JSON; bytes → sent as is (malformed output)
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[RecordedRequest], FakeResponse]


# --- response builders ----------------------------------------------------------------------------


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def tool_use_block(name: str, input: dict[str, Any], id: str | None = None) -> dict[str, Any]:
    return {"type": "tool_use", "id": id or f"toolu_fake{next(_ids):05d}", "name": name, "input": input}


def message(
    *content: dict[str, Any],
    stop_reason: str | None = None,
    input_tokens: int = 1_000,
    output_tokens: int = 100,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
) -> FakeResponse:
    """A 200 Messages API response; ``stop_reason`` defaults to tool_use when a tool is called."""
    if stop_reason is None:
        stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
    return FakeResponse(
        200,
        {
            "id": f"msg_fake{next(_ids):05d}",
            "type": "message",
            "role": "assistant",
            "model": None,  # filled with the requested model
            "content": list(content),
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_creation_input_tokens": cache_creation_input_tokens,
                "cache_read_input_tokens": cache_read_input_tokens,
            },
        },
    )


def error(status: int, error_type: str, text: str, headers: dict[str, str] | None = None) -> FakeResponse:
    """An error in Anthropic's format: ``{"type": "error", "error": {"type", "message"}}``."""
    body = {"type": "error", "error": {"type": error_type, "message": text}, "request_id": f"req_fake{next(_ids):05d}"}
    return FakeResponse(status, body, headers or {})


def rate_limited(retry_after: str = "0") -> FakeResponse:
    return error(
        429,
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit",
        {"retry-after": retry_after},
    )


def overloaded() -> FakeResponse:
    return error(529, "overloaded_error", "Overloaded")


def server_error() -> FakeResponse:
    return error(500, "api_error", "Internal server error")


def unauthorized() -> FakeResponse:
    return error(401, "authentication_error", "invalid x-api-key")


def malformed(raw: bytes = b'{"id": "msg_broken", "type": "message", "content": [') -> FakeResponse:
    """A 200 whose body is not valid JSON."""
    return FakeResponse(200, raw)


# --- the server -----------------------------------------------------------------------------------


class FakeMessagesApi:
    """``POST /v1/messages`` on 127.0.0.1, an ephemeral port, in a daemon thread."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._queue: deque[FakeResponse] = deque()
        self._responder: Responder | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeMessagesApi":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeMessagesApi":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def enqueue(self, *responses: FakeResponse) -> None:
        """Answer the next requests with these, in order."""
        self._queue.extend(responses)

    def respond_with(self, responder: Responder) -> None:
        """Answer every request (once the queue is empty) with ``responder(request)``."""
        self._responder = responder

    @property
    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith("/v1/messages")]

    def _next_response(self, request: RecordedRequest) -> FakeResponse:
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
        if self._responder is not None:
            return self._responder(request)
        return error(500, "api_error", "fake server: no scripted response left")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                request = RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, raw, body)
                if not self.path.startswith("/v1/messages"):
                    api.requests.append(request)
                    return self._send(error(404, "not_found_error", f"no route {self.path}"))
                response = api._next_response(request)
                if (
                    isinstance(response.body, dict)
                    and response.body.get("type") == "message"
                    and response.body.get("model") is None
                ):
                    response.body["model"] = (body or {}).get("model", "claude-fake")
                self._send(response)

            def _send(self, response: FakeResponse) -> None:
                payload = response.body if isinstance(response.body, bytes) else json.dumps(response.body).encode()
                self.send_response(response.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("request-id", f"req_fake{next(_ids):05d}")
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
