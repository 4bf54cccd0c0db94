"""The gateway counts a request as being answered from its arrival to the start of its response
(`pagerless.local.priority`): background work waits for what is counted, and a stream's long body
holds nothing back."""

import asyncio
import json

import pytest

from pagerless.local.priority import FOREGROUND
from tests.conftest import asgi_post

pytestmark = pytest.mark.functional


def test_a_request_counts_until_its_response_starts(runtime, admin_key):
    app = runtime.gateway()
    body = json.dumps({"title": "disk full", "service": "db", "fingerprint": "prio-1"}).encode()
    seen: dict[str, int] = {}
    sent: list[dict] = []

    async def receive():
        seen.setdefault("while reading the body", FOREGROUND.active())
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            seen["at the response start"] = FOREGROUND.active()
        sent.append(message)

    scope = asgi_post("/api/webhooks/generic", admin_key, len(body), query=b"sync=true")
    before = FOREGROUND.active()
    asyncio.run(app(scope, receive, send))

    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [200]
    assert seen == {"while reading the body": before + 1, "at the response start": before}
    assert FOREGROUND.active() == before
