from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse

from pagerless import __version__
from pagerless.api.metrics import REGISTRY
from pagerless.api.security import ViewerDep
from pagerless.system.status import collect_status

router = APIRouter(tags=["system"])


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
    """Swagger UI for the whole HTTP API."""
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Pagerless API")


@router.get("/api/status")
def status(principal: ViewerDep) -> dict:
    """What is configured and reachable: store, queues, state machines, LLM key, Kubernetes."""
    return collect_status(principal.workspace)


@router.get("/api/adapters")
def adapters(principal: ViewerDep) -> dict:
    """What Pagerless can plug into: alert sources, action providers and names, notification channels."""
    from pagerless.intake.sources import ALIASES, SOURCES
    from pagerless.notify.channels import CHANNELS
    from pagerless.remediation.actions import catalog

    return {"alert_sources": sorted({*SOURCES, *ALIASES}), "log_backends": ["kubernetes"],
            "action_providers": ["kubernetes"], "action_names": [a["name"] for a in catalog()],
            "notification_channels": sorted(CHANNELS)}


@router.get("/api/version")
def version(principal: ViewerDep) -> dict:
    """The running version."""
    return {"version": __version__}
