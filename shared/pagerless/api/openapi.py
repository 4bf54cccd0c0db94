"""One OpenAPI document for the whole HTTP API, built from every area's router."""

import importlib
from functools import cache

from fastapi import FastAPI

from pagerless import __version__
from pagerless.api.conditional import PRECONDITION_FAILED
from pagerless.api.routes import ROUTER_MODULES

DOC_PATHS = frozenset({"/openapi.json", "/docs", "/redoc", "/docs/static/{name}"})


@cache
def combined_schema() -> dict:
    app = FastAPI(
        title="Pagerless API",
        version=__version__,
        description="Alert intake, incidents, diagnosis, approvals and remediation.",
    )
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
    _document_errors(schema)
    return schema


_ERRORS = {
    "400": "the request is not valid (VALIDATION_ERROR), e.g. a malformed cursor",
    "401": "no valid API key (UNAUTHORIZED)",
    "403": "the key's role is not enough (FORBIDDEN)",
    "404": "no such resource in the key's workspace (NOT_FOUND)",
    "409": "the resource changed meanwhile or the action is no longer possible (CONFLICT)",
    "422": "the body or a parameter does not match the schema (VALIDATION_ERROR)",
    "503": "a dependency is over its capacity or down for the moment (SERVICE_UNAVAILABLE): retry after Retry-After",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}


def _document_errors(schema: dict) -> None:
    """Every /api operation answers errors in one format: {"error": {"code", "message", "details"}}."""
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
        if not path.startswith("/api"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, description in _ERRORS.items():
                if status == "409" and method == "get":
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
