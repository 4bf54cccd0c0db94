"""One OpenAPI document for the whole HTTP API, built from every area's router (on first use: the
system function's `/openapi.json`), with every operation's error answers in the error format and the
seeds' own paths (pagerless.api.aliases) beside the operations they are."""

import copy
import importlib
import json
import re
from functools import cache

from fastapi import FastAPI

from pagerless import __version__
from pagerless.api.conditional import PRECONDITION_FAILED
from pagerless.api.routes import ROUTER_MODULES

DOC_PATHS = frozenset({"/openapi.json", "/docs", "/redoc", "/docs/static/{name}"})
SEED_PATHS_TAG = "seed paths"
DESCRIPTION = (
    "Alert intake, incidents, diagnosis, approvals and remediation.\n\n"
    'Errors are answered as `{"error": {"code", "message", "details"}}` (an email approval link\'s refusals '
    "excepted: they are pages for a person).\n\n"
    f"Operations tagged **{SEED_PATHS_TAG}** are the paths of the API documents Pagerless implements "
    "(`GET /incidents`, `POST /webhook/{source}`, `/auth/login`, `/api/v1/...`): each is the operation "
    "its description names, served at the seed's path, and answers as it does, with the seed's own field "
    "names added where the seed reads others (docs/seed-paths.md)."
)


@cache
def combined_schema() -> dict:
    app = FastAPI(title="Pagerless API", version=__version__, description=DESCRIPTION)
    for module in ROUTER_MODULES:
        app.include_router(importlib.import_module(module).router)
    schema = app.openapi()
    schema["components"] = schema.get("components", {})
    schema["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key"},
    }
    schema["paths"] = {path: ops for path, ops in schema["paths"].items() if path not in DOC_PATHS}
    _document_errors(schema, _keyed_operations(app), _signed_callbacks(app))
    _document_seed_paths(schema)
    return schema


def _keyed_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every operation that takes an API key (a role requirement), wherever its path is."""
    from pagerless.api.app import iter_api_routes
    from pagerless.api.security import RoleRequirement

    def takes_a_key(dependant) -> bool:
        return any(isinstance(d.call, RoleRequirement) or takes_a_key(d) for d in dependant.dependencies)

    return {
        (method.lower(), route.path_format)
        for route in iter_api_routes(app.router)
        if route.include_in_schema and takes_a_key(route.dependant)
        for method in route.methods
    }


def _signed_callbacks(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every chat vendor's callback (Slack, Lark): it answers errors in the error format
    (an email approval link's pages do not)."""
    from pagerless.api.app import iter_api_routes
    from pagerless.api.security import SignatureRequirement

    def vendor(dependant) -> str | None:
        found = [d.call.vendor for d in dependant.dependencies if isinstance(d.call, SignatureRequirement)]
        return found[0] if found else None

    return {
        (method.lower(), route.path_format)
        for route in iter_api_routes(app.router)
        if route.include_in_schema and vendor(route.dependant) in ("slack", "lark")
        for method in route.methods
    }


_CALLBACK_ERRORS = {
    "400": "a signed body that is not the vendor's request (VALIDATION_ERROR)",
    "401": "the vendor's signature or timestamp is missing, wrong or too old, or no chat app of that vendor "
    "is configured (UNAUTHORIZED): nothing is done",
    "413": "the request body is larger than PAGERLESS_MAX_REQUEST_BYTES, 1 MiB by default (PAYLOAD_TOO_LARGE)",
    "503": "a dependency is over its capacity or down for the moment (SERVICE_UNAVAILABLE): the vendor retries",
}
_ERRORS = {
    "400": "the request is not valid (VALIDATION_ERROR), e.g. a malformed cursor",
    "401": "no valid API key (UNAUTHORIZED)",
    "403": "the key's role is not enough (FORBIDDEN)",
    "404": "no such resource in the key's workspace (NOT_FOUND)",
    "409": "the resource changed meanwhile or the action is no longer possible (CONFLICT)",
    "422": "the body or a parameter does not match the schema (VALIDATION_ERROR)",
    "413": "the request body is larger than PAGERLESS_MAX_REQUEST_BYTES, 1 MiB by default (PAYLOAD_TOO_LARGE)",
    "503": "a dependency is over its capacity or down for the moment (SERVICE_UNAVAILABLE): retry after Retry-After",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}


def _document_errors(schema: dict, keyed: set[tuple[str, str]], callbacks: set[tuple[str, str]]) -> None:
    """Every operation answers errors in one format: {"error": {"code", "message", "details"}}. Each one under
    /api, or taking a key elsewhere, documents the answers every such operation may give; a request that
    does not match the schema is a 422 in that format everywhere, and a body over the limit a 413. A chat
    vendor's callback documents its own (a signature instead of a key)."""
    schema["components"].setdefault("schemas", {})["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "examples": ["NOT_FOUND"]},
                    "message": {"type": "string", "examples": ["incident INC-20260101-0001 not found"]},
                    "details": {"type": "array", "items": {}},
                },
            }
        },
    }
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses["413"] = {"description": _ERRORS["413"], "content": reference}
            if "422" in responses:  # FastAPI's own validation answer is not what the server answers
                responses["422"] = {"description": _ERRORS["422"], "content": reference}
            if (method, path) in callbacks:
                for status, description in _CALLBACK_ERRORS.items():
                    responses[status] = {"description": description, "content": reference}
                responses["503"]["headers"] = RETRY_AFTER
                continue
            if not path.startswith("/api") and (method, path) not in keyed:
                continue
            for status, description in _ERRORS.items():
                if (status == "409" and method == "get") or status == "413":
                    continue
                answer = {"description": description, "content": reference}
                if status == "503":
                    answer["headers"] = RETRY_AFTER
                if status == "422":
                    responses[status] = answer
                else:
                    responses.setdefault(status, answer)
            if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in operation.get("parameters", [])):
                responses["412"] = {"description": PRECONDITION_FAILED, "content": reference}
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 answer, now referenced by nothing
        if f'"#/components/schemas/{name}"' not in json.dumps(schema):
            schema["components"]["schemas"].pop(name, None)


def _document_seed_paths(schema: dict) -> None:
    """Each seed path (pagerless.api.aliases) as its own entry: the operation it is, tagged "seed paths", with
    the fields its seed's shape adds to the answer. A path served directly (its own route) is tagged too. Not
    listed: an alias of an operation the document leaves out (the console's page, GET /console)."""
    from pagerless.api.aliases import ALIASES

    paths = schema["paths"]
    for alias in ALIASES:
        method = alias.method.lower()
        operation = paths.get(alias.canonical, {}).get(method)
        served = paths.get(alias.path, {}).get(method)
        if served is not None:
            served["tags"] = [*served.get("tags", []), SEED_PATHS_TAG]
            continue
        if operation is None:
            continue
        documented = copy.deepcopy(operation)
        documented.update(
            tags=[SEED_PATHS_TAG],
            operationId=f"seed_{re.sub(r'[^a-z0-9]+', '_', f'{method} {alias.path}'.lower()).strip('_')}",
            description=f"Seed {alias.seed}'s path of `{alias.method} {alias.canonical}`. "
            + operation.get("description", ""),
        )
        documented["x-seed-path-of"] = f"{alias.method} {alias.canonical}"
        if alias.shape is not None:
            _add_seed_fields(documented, alias.shape)
        paths.setdefault(alias.path, {})[method] = documented


def _add_seed_fields(operation: dict, shape) -> None:
    """The success answer's schema with the fields the seed's shape adds (``seed_shapes.adds``)."""
    added = {"type": "object", "properties": {name: {"description": text} for name, text in shape.adds.items()}}
    for status, response in operation["responses"].items():
        media = response.get("content", {}).get("application/json")
        if status.startswith("2") and media is not None:
            media["schema"] = {"allOf": [media.get("schema") or {}, added]}
            response["description"] += " (with the seed's field names added)"
