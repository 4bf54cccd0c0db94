from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from pagerless import __version__
from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import ViewerDep
from pagerless.api.static import DOCS_ASSETS, vendored_asset
from pagerless.prometheus import REGISTRY

router = APIRouter(tags=["system"], route_class=DeferredRoute)


@router.get("/healthz")
def healthz() -> dict:
    """Liveness: answers without auth and without touching the store."""
    return {"status": "ok", "version": __version__}


@router.get("/metrics", response_class=PlainTextResponse)
def metrics() -> str:
    """Prometheus text format: request counts and latency by route and status, plus domain gauges."""
    return REGISTRY.render()


@router.get("/openapi.json", include_in_schema=False)
def openapi() -> dict:
    """The OpenAPI document of the whole HTTP API."""
    from pagerless.api.openapi import combined_schema

    return combined_schema()


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI for the whole HTTP API (assets served by Pagerless: works offline)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Pagerless API",
        swagger_js_url="/docs/static/swagger-ui-bundle.js",
        swagger_css_url="/docs/static/swagger-ui.css",
        swagger_favicon_url="/docs/static/favicon.svg",
    )


@router.get("/redoc", include_in_schema=False, response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    """ReDoc for the whole HTTP API (assets served by Pagerless: works offline)."""
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="Pagerless API",
        redoc_js_url="/docs/static/redoc.standalone.js",
        redoc_favicon_url="/docs/static/favicon.svg",
        with_google_fonts=False,
    )


@router.get("/docs/static/{name}", include_in_schema=False)
def docs_asset(name: str) -> Response:
    """The vendored Swagger UI and ReDoc files."""
    return vendored_asset(DOCS_ASSETS, name)


@router.get("/api/status")
def status(principal: ViewerDep, live: bool = False) -> dict:
    """What is configured and reachable: store, queues, state machines, LLM key, Kubernetes."""
    from pagerless.system.status import collect_status  # the store: not imported for /healthz

    # the tables, queues and state machines from the scheduled probe while it is fresh, unless ?live=true
    return collect_status(principal.workspace, live=live)


@router.get("/api/version")
def version(principal: ViewerDep) -> dict:
    """The running version."""
    return {"version": __version__}
