"""One OpenAPI document for the whole HTTP API, built from every area's router."""

import importlib
from functools import cache

from fastapi import FastAPI

from pagerless import __version__
from pagerless.api.routes import ROUTER_MODULES

DOC_PATHS = frozenset({"/openapi.json", "/docs", "/redoc", "/docs/static/{name}"})


@cache
def combined_schema() -> dict:
    app = FastAPI(title="Pagerless API", version=__version__,
                  description="Alert intake, incidents, diagnosis, approvals and remediation.")
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
    return schema
