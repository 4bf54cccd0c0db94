"""A client that hangs up mid-request is logged as a disconnect, never as an unhandled 500."""

import asyncio
import logging

import pytest

pytestmark = pytest.mark.functional


def test_hang_up_mid_body_is_a_disconnect(runtime, admin_key, caplog):
    app = runtime.gateway()
    messages = iter(
        [{"type": "http.request", "body": b'{"title": "half', "more_body": True}, {"type": "http.disconnect"}]
    )
    sent = []

    async def receive():
        return next(messages, {"type": "http.disconnect"})

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/webhooks/generic",
        "raw_path": b"/api/webhooks/generic",
        "query_string": b"",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {admin_key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"100"),
        ],
    }
    with caplog.at_level(logging.INFO):
        asyncio.run(app(scope, receive, send))
    messages_logged = [r.getMessage() for r in caplog.records]
    assert "client disconnected" in messages_logged and "unhandled error" not in messages_logged
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [499]
