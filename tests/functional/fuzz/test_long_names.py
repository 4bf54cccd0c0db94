"""An id or a name of thousands of characters, in any operation's path or query, names nothing: the answer is
an answer (a 404 where the id is looked up), never a server error. Deployed DynamoDB refuses a read naming a key
longer than a key can be (2,048 bytes, 1,024 for a sort key), and the embedded one does too
(`pagerless.local.moto_limits`), where moto answered "no such item"."""

import re

import pytest

from tests.conftest import auth
from tests.functional.fuzz.test_openapi_fuzz import (  # noqa: F401
    SKIPPED,
    known_ids,
    reachable,
    same_operation_elsewhere,
)

pytestmark = pytest.mark.functional

LONG = ("s" * 2100, "汉" * 700)  # 2,100 bytes of ASCII, of UTF-8


def _operations():
    from pagerless.api.openapi import combined_schema

    document = combined_schema()
    elsewhere = same_operation_elsewhere(document)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path in SKIPPED or (method.upper(), path) in elsewhere:
                continue
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method.upper(), operation


def _url(path: str, known_ids: dict, long_one: str | None = None, long: str = "") -> str:
    for name in re.findall(r"\{(\w+)\}", path):
        known = known_ids.get(name)
        if isinstance(known, dict):
            known = next((v for prefix, v in known.items() if path.startswith(prefix)), None)
        path = path.replace(f"{{{name}}}", long if name == long_one else known or "x")
    return path


def test_no_long_id_in_a_path_or_a_query_causes_a_server_error(api, admin_key, known_ids):  # noqa: F811
    failures, asked = [], 0
    for path, method, operation in _operations():
        queries = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
        for long in LONG:
            for name in re.findall(r"\{(\w+)\}", path):  # each path id in turn, the others real
                response = api.request(method, _url(path, known_ids, name, long), json={}, headers=auth(admin_key))
                asked += 1
                if response.status_code >= 500:
                    failures.append((method, path, name, response.status_code, response.text[:160]))
            for name in queries:
                url = _url(path, known_ids)
                response = api.request(method, url, params={name: long}, json={}, headers=auth(admin_key))
                asked += 1
                if response.status_code >= 500:
                    failures.append((method, path, f"?{name}", response.status_code, response.text[:160]))
    assert asked > 400  # every path id and query parameter of the API
    assert failures == []


def test_a_long_id_is_a_404_in_the_apis_error_format(api, admin_key):
    for long in LONG:
        response = api.get(f"/api/incidents/{long}", headers=auth(admin_key))
        assert response.status_code == 404, response.text
        assert response.json()["error"] == {
            "code": "NOT_FOUND",
            "message": "nothing stored has an id or a name that long",
            "details": [],
        }
