"""Every answer that is not the API's success is an ApiError, and `pagerless remote` says so plainly."""

import json
import socket

import httpx
import pytest

pytestmark = pytest.mark.unit


def _client(status: int, body: bytes, headers: dict | None = None):
    from pagerless.client import Client

    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body, headers=headers or {}))
    return Client("http://pagerless.test", api_key="pl_test", transport=transport)


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (502, b"Bad Gateway", {"content-type": "text/plain"}),  # a proxy's text
        (504, b'{"message":"Endpoint request timed out"}', {}),  # API Gateway's own JSON
        (502, b'{"error":"bad gateway"}', {}),  # a proxy's JSON with a plain error string
        (503, b'{"error":null}', {}),
        (301, b"", {"location": "https://pagerless.test/api/incidents"}),  # http -> https at a load balancer
        (200, b"<html><body>sign in</body></html>", {"content-type": "text/html"}),  # not the API at all
    ],
)
def test_an_answer_that_is_not_the_apis_is_an_api_error(status, body, headers):
    from pagerless.client import ApiError

    # Given a server that answers with something other than the API's JSON
    with _client(status, body, headers) as client:
        # When a list is asked for, and every item is iterated
        with pytest.raises(ApiError) as listed:
            client.incidents.list()
        with pytest.raises(ApiError):
            list(client.iterate(lambda cursor: client.incidents.list(cursor=cursor)))

    # Then the error carries the HTTP status
    assert listed.value.status == status


def test_the_apis_error_format_is_kept():
    from pagerless.client import ApiError

    body = json.dumps({"error": {"code": "NOT_FOUND", "message": "no INC-1", "details": [{"id": "INC-1"}]}}).encode()
    with _client(404, body) as client, pytest.raises(ApiError) as error:
        client.incidents.get("INC-1")
    assert (error.value.status, error.value.code, error.value.message) == (404, "NOT_FOUND", "no INC-1")
    assert error.value.details == [{"id": "INC-1"}]


def test_remote_cli_says_it_cannot_reach_the_server(capsys):
    from pagerless.cli import main

    # Given a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    # When the remote CLI is pointed at it
    code = main(["remote", "--url", f"http://127.0.0.1:{port}", "--key", "pl_x", "incidents", "list"])

    # Then it exits non-zero with one readable line, not a traceback
    out, err = capsys.readouterr()
    assert code != 0 and out == ""
    assert f"127.0.0.1:{port}" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_key_read_with_its_trailing_newline_still_authenticates(monkeypatch):
    from pagerless.client import Client

    # Given the key in the environment as a secret file gives it, newline and all
    monkeypatch.setenv("PAGERLESS_API_KEY", "pl_from_a_file\n")
    monkeypatch.setenv("PAGERLESS_URL", " http://pagerless.test/\n")
    seen = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["authorization"]))
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    # When the client sends a request
    with Client(transport=httpx.MockTransport(server)) as client:
        client.incidents.list()

    # Then the key is sent without the newline (which httpx refuses, echoing the key in its error)
    assert seen == [("http://pagerless.test/api/incidents?limit=50", "Bearer pl_from_a_file")]
