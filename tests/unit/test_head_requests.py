"""HEAD on every GET route of an app built by the shared factory (uptime monitors and load
balancers probe with HEAD): the GET's status and headers, never a body, never the stream's work,
and no HEAD operation in the OpenAPI document."""

import asyncio

import pytest
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from pagerless.api.app import create_app

pytestmark = pytest.mark.unit


def _app(produced: list):
    router = APIRouter()

    @router.get("/things")
    def things() -> dict:
        """The things."""
        return {"items": ["a", "b"]}

    @router.post("/things")
    def add_thing() -> dict:
        """Add a thing."""
        return {}

    @router.get("/stream", response_class=StreamingResponse)
    def stream() -> StreamingResponse:
        """An event stream (finite, so that a HEAD that ran it would end, and fail)."""

        async def events():
            for _ in range(3):
                produced.append("event")
                yield "data: tick\n\n"
                await asyncio.sleep(0)

        return StreamingResponse(events(), media_type="text/event-stream")

    return create_app("test", [router])


def _call(app, method: str, path: str, spec_version: str = "2.4") -> list[dict]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"testserver")],
    }
    sent: list[dict] = []
    requests = iter([{"type": "http.request", "body": b"", "more_body": False}])

    async def receive():  # as a server: the request, then nothing until the client leaves
        for message in requests:
            return message
        await asyncio.Event().wait()

    async def send(message):
        # the server reads the method from its scope as it writes (uvicorn: no body for a HEAD)
        assert scope["method"] == method, "the server's scope must keep the request's method"
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def _headers(start: dict) -> dict:
    return {k.decode(): v.decode() for k, v in start["headers"] if k != b"x-request-id"}


def test_head_answers_the_get_status_and_headers_without_a_body():
    # Given an app with a GET route
    app = _app([])
    # When it is asked with HEAD and with GET
    head, got = _call(app, "HEAD", "/things"), _call(app, "GET", "/things")
    # Then HEAD has the GET's status and headers, and an empty body
    assert head[0]["status"] == got[0]["status"] == 200
    assert _headers(head[0]) == _headers(got[0])
    assert b"".join(m.get("body", b"") for m in head[1:]) == b""
    assert head[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


# below 2.4 (Mangum, uvicorn) a stream runs beside a disconnect listener; from 2.4 alone
@pytest.mark.parametrize("spec_version", ["2.0", "2.4"])
def test_head_on_a_stream_ends_after_the_headers_and_never_runs_the_stream(spec_version):
    # Given an app with an event stream
    produced: list = []
    app = _app(produced)
    # When it is asked with HEAD
    sent = _call(app, "HEAD", "/stream", spec_version)
    # Then the headers come, the response ends, and no event was ever produced
    assert sent[0]["status"] == 200
    assert _headers(sent[0])["content-type"].startswith("text/event-stream")
    assert sent[1:] == [{"type": "http.response.body", "body": b"", "more_body": False}]
    assert produced == []


def test_head_on_a_route_without_get_is_405_and_unknown_paths_404():
    app = _app([])
    assert _call(app, "HEAD", "/nowhere")[0]["status"] == 404
    app_post_only = create_app("test", [_post_only()])
    assert _call(app_post_only, "HEAD", "/only-post")[0]["status"] == 405


def test_head_adds_no_operation_to_the_openapi_document():
    from fastapi.openapi.utils import get_openapi

    from pagerless.api.app import iter_api_routes

    document = get_openapi(title="t", version="1", routes=list(iter_api_routes(_app([]))))
    assert {path: set(ops) for path, ops in document["paths"].items()} == {
        "/things": {"get", "post"},
        "/stream": {"get"},
    }


def _post_only() -> APIRouter:
    router = APIRouter()

    @router.post("/only-post")
    def only_post() -> dict:
        """Only POST."""
        return {}

    return router
