"""The app factory every HTTP function uses: one shape for docs, errors, limits and logs."""

from collections.abc import Iterator

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from pagerless import __version__, settings
from pagerless.api.errors import register_exception_handlers
from pagerless.api.idempotency import IdempotencyMiddleware
from pagerless.api.lazy import Lazy, LazyApp, Routers, include_all
from pagerless.api.middleware import BodyLimitMiddleware, HeadMiddleware, RequestContextMiddleware


def create_app(title: str, routers: list[APIRouter | Lazy], *, description: str = "") -> FastAPI:
    """A FastAPI app with the shared error format, body limit, idempotency, request ids,
    metrics, audit trail and HEAD on every GET route. The system function serves the combined `/openapi.json` and `/docs`
    for all areas (pagerless.api.openapi), so areas do not serve their own.

    A router given as ``Lazy(module, prefixes)`` is imported when a request first reaches one of
    its prefixes (pagerless.api.lazy); ``include_all(app)`` builds them all."""
    app = LazyApp(
        title=f"Pagerless {title}",
        version=__version__,
        description=description,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.routers = Routers(app, routers)  # includes the routers already built, and their aliases
    register_exception_handlers(app)
    # Added last = outermost: the body limit runs before idempotency reads the body; HEAD is
    # innermost, so the request is logged and counted as the HEAD it is.
    app.add_middleware(HeadMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api().max_request_bytes)
    app.add_middleware(RequestContextMiddleware, audit_writer=write_audit)
    return app


def write_audit(principal, scope, route: str, status: int, request_id: str) -> None:
    """Record who did what: one audit item per authenticated mutating call (a route may add
    ``request.state.audit_details``, e.g. an approval's decision and comment, and
    ``request.state.audit_once``, the key of a record another writer may write in its stead:
    ``incidents.decision_audit``)."""
    from pagerless.store.audit import AuditRepository

    path_params = scope.get("path_params") or {}
    once = scope.get("state", {}).get("audit_once")
    AuditRepository().write(
        principal.workspace,
        actor=principal.key_id,
        role=principal.role.value,
        action=f"{scope['method']} {route}",
        target=",".join(f"{k}={v}" for k, v in sorted(path_params.items())),
        status=status,
        request_id=request_id,
        details={
            "path": scope["path"],
            "actor_name": getattr(principal, "name", ""),
            **(scope.get("state", {}).get("audit_details") or {}),
        },
        once=once.key if once else None,
        at=once.at if once else None,
    )


def iter_api_routes(app_or_router) -> Iterator[APIRoute]:
    """Every APIRoute of an app, through included routers (FastAPI >= 0.16x nests them); an app's
    routers built on first use are all built first."""
    include_all(app_or_router)
    for route in app_or_router.routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from iter_api_routes(route.original_router)
