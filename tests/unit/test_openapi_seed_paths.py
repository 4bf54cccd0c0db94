"""The seeds' own paths (pagerless.api.aliases) are in the OpenAPI, each as the operation it is, so a client
written against a seed finds them in /docs."""

import pytest

from pagerless.api.aliases import ALIASES

pytestmark = pytest.mark.unit

NOT_DOCUMENTED = {("GET", "/console")}  # the console's page (GET /), which the API document leaves out


@pytest.fixture(scope="module")
def schema() -> dict:
    from pagerless.api.openapi import combined_schema

    return combined_schema()


@pytest.mark.parametrize("alias", ALIASES, ids=lambda a: f"{a.method} {a.path}")
def test_a_seed_path_is_documented_as_the_operation_it_is(schema, alias):
    if (alias.method, alias.path) in NOT_DOCUMENTED:
        assert alias.canonical not in schema["paths"]
        return
    documented = schema["paths"][alias.path][alias.method.lower()]
    canonical = schema["paths"][alias.canonical][alias.method.lower()]
    assert "seed paths" in documented["tags"]
    if "x-seed-path-of" not in documented:  # served directly by a route of its own, seed 002's on-call paths
        assert documented["operationId"] != canonical["operationId"]
        return
    assert documented["x-seed-path-of"] == f"{alias.method} {alias.canonical}"
    assert documented["tags"] == ["seed paths"] and alias.canonical in documented["description"]
    assert documented.get("parameters") == canonical.get("parameters")
    assert documented.get("requestBody") == canonical.get("requestBody")
    assert set(documented["responses"]) == set(canonical["responses"])


@pytest.mark.parametrize("alias", [a for a in ALIASES if a.shape], ids=lambda a: f"{a.method} {a.path}")
def test_a_seed_path_with_its_own_field_names_documents_them(schema, alias):
    documented = schema["paths"][alias.path][alias.method.lower()]
    canonical = schema["paths"][alias.canonical][alias.method.lower()]
    [success] = [status for status in documented["responses"] if status.startswith("2") and status != "202"]
    answer = documented["responses"][success]["content"]["application/json"]["schema"]
    base, added = answer["allOf"]
    assert base == canonical["responses"][success]["content"]["application/json"]["schema"]
    assert set(added["properties"]) == set(alias.shape.adds) and all(alias.shape.adds.values())


def test_operation_ids_stay_unique(schema):
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
