"""A client that hangs up mid-request is logged as a disconnect, never as an unhandled 500."""

import asyncio
import logging

import pytest

from pagerless import settings
from tests.conftest import asgi_post

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

    scope = asgi_post("/api/webhooks/generic", admin_key, 100)
    # the service's logger by name: its own level is POWERTOOLS_LOG_LEVEL's, whatever ran before
    with caplog.at_level(logging.INFO, logger=settings.observability().powertools_service_name):
        asyncio.run(app(scope, receive, send))
    messages_logged = [r.getMessage() for r in caplog.records]
    assert "client disconnected" in messages_logged and "unhandled error" not in messages_logged
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [499]
