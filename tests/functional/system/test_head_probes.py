"""Uptime monitors and load balancers that probe with HEAD (UptimeRobot, Pingdom, ALB health
checks) see the service up: HEAD answers every GET route with the GET's status and headers, no body,
through the local gateway and the real apps; the event stream answers its headers and ends."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.mark.parametrize("path", ["/healthz", "/health"])
def test_the_health_routes_answer_head_as_get_without_a_body(api, path):
    # Given what GET answers
    got = api.get(path)
    # When a monitor probes with HEAD
    head = api.head(path)
    # Then it has the GET's status and content type, and no body
    assert head.status_code == got.status_code == 200
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.content == b""


def test_an_authenticated_get_route_answers_head_and_keeps_its_auth(api, admin_key):
    assert api.head("/api/status", headers=auth(admin_key)).status_code == 200
    refused = api.head("/api/status")
    assert refused.status_code == 401 and refused.content == b""


def test_head_on_the_event_stream_answers_its_headers_and_ends(api, admin_key):
    # When a monitor probes the SSE route with HEAD
    head = api.head("/api/events", headers=auth(admin_key))
    # Then it answers the stream's headers at once, without a single event
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/event-stream")
    assert head.content == b""


def test_head_on_a_route_that_has_no_get_is_405(api, admin_key):
    assert api.head("/api/webhooks/generic", headers=auth(admin_key)).status_code == 405
