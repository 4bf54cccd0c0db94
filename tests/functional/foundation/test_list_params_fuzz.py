"""Every list route (discovered from the OpenAPI of the apps) answers a malformed or tampered
`?cursor=` and a bad `?limit=` with a client error in the error format, never a 500."""

import base64
import json

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def _b64(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = [
    "!!!",
    "e30",
    _b64([1, 2]),
    _b64({"pk": "x"}),
    _b64({"pk": {"S": "x"}}),
    _b64({"id": {"N": "abc"}}),
    _b64(
        {
            "workspace": {"S": "other"},
            "id": {"S": "dl-1"},
            "created_key": {"S": "x"},
            "sk": {"S": "x"},
            "seq": {"N": "1"},
            "at": {"S": "x"},
            "key_hash": {"S": "x"},
        }
    ),
    _b64(b"\xff\xfe"),
    "a" * 5000,
]
BAD_LIMITS = ["-1", "0", "100000000000000000000", "abc", "1.5", ""]


def _list_routes() -> list[tuple[str, set[str]]]:
    from pagerless.api.openapi import combined_schema
    from tests.functional.fuzz.test_openapi_fuzz import same_operation_elsewhere

    document = combined_schema()
    elsewhere = same_operation_elsewhere(document)
    routes = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if not get or ("GET", path) in elsewhere:
            continue
        names = {p["name"] for p in get.get("parameters", []) if p.get("in") == "query"}
        schema = json.dumps(get.get("responses", {}).get("200", {}))
        if "cursor" in names or "limit" in names or "Page_" in schema:
            routes.append((path, names))
    return routes


LIST_ROUTES = _list_routes()


def test_every_page_route_declares_limit():
    assert LIST_ROUTES, "no list routes discovered"
    assert [path for path, names in LIST_ROUTES if "limit" not in names] == []


@pytest.fixture
def incident_id(api, runtime, admin_key) -> str:
    response = api.post("/api/webhooks/generic", json={"title": "t", "service": "s"}, headers=auth(admin_key))
    return response.json()["alerts"][0]["incident_id"]


def test_bad_cursor_and_limit_on_every_list_route(api, admin_key, incident_id):
    failures = []
    for path, names in LIST_ROUTES:
        url = path.replace("{incident_id}", incident_id).replace("{id}", incident_id)
        base = {"q": "disk"} if "q" in names else {}
        cases = [{"limit": value} for value in BAD_LIMITS]
        if "cursor" in names:
            cases += [{"cursor": value} for value in BAD_CURSORS]
        for params in cases:
            response = api.get(url, params={**base, **params}, headers=auth(admin_key))
            body = response.json()
            ok = response.status_code in (400, 422) and body.get("error", {}).get("code") == "VALIDATION_ERROR"
            if "cursor" in params and response.status_code != 400:
                ok = False
            if not ok:
                failures.append((path, params, response.status_code, str(body)[:120]))

    assert failures == []


def test_keys_list_pages_with_limit_and_cursor(api, admin_key):
    for n in range(3):
        api.post("/api/keys", json={"role": "viewer", "name": f"k{n}"}, headers=auth(admin_key))
    first = api.get("/api/keys", params={"limit": 2}, headers=auth(admin_key)).json()
    rest = api.get("/api/keys", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth(admin_key)).json()
    names = [k["name"] for k in first["items"] + rest["items"]]
    assert names == ["test admin", "k0", "k1", "k2"] and rest["next_cursor"] is None
