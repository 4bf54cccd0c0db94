"""The HTTP API's CORS configuration lets a browser on another origin use what the apps serve: every
method, every request header the OpenAPI documents declare, and the response headers they document;
and the local gateway applies it as API Gateway does (preflight answered, headers on answers)."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

SENT_BY_EVERY_CLIENT = {"authorization", "content-type", "x-api-key", "x-agent-token", "idempotency-key"}


def _documented(api):
    """(methods, request header names, response header names) the API's OpenAPI document declares."""
    methods, requested, answered = set(), set(), set()
    document = api.get("/openapi.json").json()
    for operations in document["paths"].values():
        for method, operation in operations.items():
            methods.add(method.upper())
            requested |= {p["name"].lower() for p in operation.get("parameters", []) if p.get("in") == "header"}
            for response in operation.get("responses", {}).values():
                answered |= {name.lower() for name in response.get("headers", {})}
    return methods, requested, answered


def test_the_cors_configuration_allows_every_method_and_header_the_apps_document(runtime, api):
    cors = runtime.template.cors()
    methods, requested, answered = _documented(api)
    # PATCH /api/people/{id}, If-Match on the conditional PUTs, ETag and Retry-After are among them
    assert {"PATCH", "PUT"} <= methods and "if-match" in requested and {"etag", "retry-after"} <= answered
    assert methods | {"HEAD", "OPTIONS"} <= set(cors["AllowMethods"])
    assert requested | SENT_BY_EVERY_CLIENT <= {h.lower() for h in cors["AllowHeaders"]}
    assert answered <= {h.lower() for h in cors["ExposeHeaders"]}


def test_a_preflight_from_a_browser_is_answered_with_the_configuration(api):
    # When a page on another origin asks before a conditional PATCH
    response = api.options(
        "/api/people/p-1",
        headers={
            "Origin": "https://dashboards.example.com",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match",
        },
    )
    # Then the gateway answers it (as API Gateway does), allowing the method and the headers
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "PATCH" in response.headers["access-control-allow-methods"].split(",")
    assert {"authorization", "if-match"} <= set(response.headers["access-control-allow-headers"].split(","))


def test_an_answer_to_a_browser_lets_it_read_the_etag_and_the_request_id(api, admin_key):
    # When a page on another origin reads the notification routes
    response = api.get(
        "/api/notifications/routes", headers={**auth(admin_key), "Origin": "https://dashboards.example.com"}
    )
    # Then the answer allows that origin and exposes the ETag, Retry-After, the request id and whether an
    # Idempotency-Key's answer was replayed to its script
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = set(response.headers["access-control-expose-headers"].split(","))
    assert {"etag", "x-request-id", "retry-after", "idempotent-replayed"} <= exposed
    # And an answer to a request without an Origin (curl, a monitoring tool) carries none of it
    assert "access-control-allow-origin" not in api.get("/api/notifications/routes", headers=auth(admin_key)).headers
