"""Every request body in the OpenAPI has an example and a description per field; errors are documented."""

import pytest

# Request bodies still without an example or field descriptions ("METHOD path"). This list only
# shrinks: a new route must come documented, and a route documented since must leave the list.
UNDOCUMENTED: set[str] = set()


@pytest.fixture(scope="module")
def schema() -> dict:
    from pagerless.api.openapi import combined_schema

    return combined_schema()


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield f"{method.upper()} {path}", method, path, operation


def _problems(schema: dict, operation: dict) -> list[str]:
    components = schema.get("components", {}).get("schemas", {})
    problems = []
    for content_type, media in (operation.get("requestBody") or {}).get("content", {}).items():
        body = media.get("schema", {})
        # an optional body is anyOf [model, null]: the model is what is documented
        body = next((b for b in body.get("anyOf", []) if "$ref" in b), body)
        if "$ref" in body:
            body = components[body["$ref"].rsplit("/", 1)[-1]]
        if not any(k in media for k in ("example", "examples")) and not any(k in body for k in ("example", "examples")):
            problems.append(f"{content_type}: no example")
        problems += [
            f"{content_type}: field {name!r} has no description"
            for name, prop in (body.get("properties") or {}).items()
            if not prop.get("description")
        ]
    return problems


def test_every_request_body_has_an_example_and_described_fields(schema):
    found = {
        name: problems for name, _, _, operation in _operations(schema) if (problems := _problems(schema, operation))
    }
    new = {name: problems for name, problems in found.items() if name not in UNDOCUMENTED}
    assert not new, "request bodies without an example or field descriptions:\n" + "\n".join(
        f"{name}: {'; '.join(problems)}" for name, problems in sorted(new.items())
    )
    stale = UNDOCUMENTED - set(found)
    assert not stale, f"documented now, remove from UNDOCUMENTED: {sorted(stale)}"


# The chat vendors' callbacks: signed by the vendor instead of keyed, so no 403/404/409/422
CALLBACKS = {"POST /slack/interactivity", "POST /lark/event", "POST /lark/card/action", "POST /api/v1/feishu/event"}


def test_every_api_operation_documents_its_error_answers(schema):
    missing = []
    for name, method, path, operation in _operations(schema):
        if not path.startswith("/api") and name not in CALLBACKS:
            continue
        wanted = {"400", "401", "403", "404", "422", "503"} | ({"409"} if method != "get" else set())
        if name in CALLBACKS:
            wanted = {"400", "401", "413", "503"}
            if set(operation["responses"]) != wanted | {"200"}:
                missing.append(f"{name}: answers {sorted(operation['responses'])}, not a callback's")
            if "API key" in operation["responses"]["401"]["description"]:
                missing.append(f"{name}: its 401 is about a signature, not a key")
        for status in sorted(wanted - set(operation["responses"])):
            missing.append(f"{name}: {status}")
        for status in wanted & set(operation["responses"]):
            content = operation["responses"][status].get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("$ref") != "#/components/schemas/Error":
                missing.append(f"{name}: {status} is not the error format")
        if "503" in operation["responses"] and "Retry-After" not in operation["responses"]["503"].get("headers", {}):
            missing.append(f"{name}: 503 does not say when to retry (Retry-After)")
    assert not missing, "\n".join(missing)


ERROR = {"$ref": "#/components/schemas/Error"}
# Routes that read their body themselves (FastAPI sees no body parameter): the content types they read
RAW_BODIES = {
    "POST /webhook": {"application/json", "text/plain", "application/x-www-form-urlencoded"},
    "POST /api/webhooks/{source}": {"application/json", "text/plain", "application/x-www-form-urlencoded"},
    "POST /api/alert": {"application/json", "text/plain", "application/x-www-form-urlencoded"},
    "POST /api/auth/login": {"application/json", "application/x-www-form-urlencoded", "multipart/form-data"},
    "POST /api/slo/import": {"application/yaml", "text/plain"},
}


def test_every_422_is_documented_in_the_error_format_the_server_answers(schema):
    # FastAPI documents its own {"detail": [...]}; the server answers {"error": {...}} (pagerless.api.errors)
    wrong = [
        name
        for name, _, _, operation in _operations(schema)
        if "422" in operation["responses"]
        and operation["responses"]["422"].get("content", {}).get("application/json", {}).get("schema") != ERROR
    ]
    assert wrong == []
    assert "HTTPValidationError" not in str(schema)


def test_every_operation_that_takes_a_body_documents_413(schema):
    missing = [
        name
        for name, _, _, operation in _operations(schema)
        if "requestBody" in operation
        and operation["responses"].get("413", {}).get("content", {}).get("application/json", {}).get("schema") != ERROR
    ]
    assert missing == []


@pytest.mark.parametrize("name", sorted(RAW_BODIES))
def test_a_route_that_reads_its_own_body_declares_it_with_examples(schema, name):
    method, path = name.split(" ")
    body = schema["paths"][path][method.lower()].get("requestBody")
    assert body is not None and body.get("required") is True
    assert set(body["content"]) == RAW_BODIES[name]
    for media in body["content"].values():
        assert media.get("example") or media.get("examples")
