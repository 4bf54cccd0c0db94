"""The seeds' own paths, served by the same routes as Pagerless's `/api/...` paths.

Each alias names a seed path and the canonical route that serves it. ``add_aliases(app)`` copies
the canonical route of that app to the alias path: the same handler, the same role requirement,
the same request and response shapes (Pagerless's format). An alias with a ``shape`` adds the
seed's own field names to that answer (``pagerless.api.seed_shapes``), so that a client written
against the seed reads what it expects. The template routes each alias path to the function that
owns the canonical route, so API Gateway and ``pagerless dev`` deliver it there; a test keeps both
in step. docs/seed-paths.md is the table.

An alias is the same route for an ``Idempotency-Key`` too: ``resolve(method, path)`` names the canonical
route's path a request is for, and a shaped alias records the canonical answer it shaped
(``recording_canonical_answers``), so a retry through either path replays one answer in its own shape.
"""

import contextlib
import functools
import inspect
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI
from fastapi.encoders import jsonable_encoder
from pydantic import TypeAdapter
from starlette.responses import Response

from pagerless.api import seed_shapes
from pagerless.api.deferred import DeferredRoute


@dataclass(frozen=True)
class Alias:
    method: str
    path: str  # the seed's path
    canonical: str  # the Pagerless route that serves it
    seed: str  # which seed documents it
    # Adds the seed's field names to the canonical answer. A mutating alias's shape reads only the answer
    # and the path's parameters: an Idempotency-Key replay through the alias shapes the stored answer with them.
    shape: seed_shapes.Shape | None = None


_INCIDENT = "/incidents/{incident_id}"

ALIASES: tuple[Alias, ...] = (
    # seed 000 (ai-fixer): /api/... paths
    Alias("GET", "/api/incidents/{incident_id}/events", "/api/incidents/{incident_id}/timeline", "000"),
    # seed 001: authentication at the root
    *(
        Alias("POST", f"/auth/{verb}", f"/api/auth/{verb}", "001")
        for verb in ("register", "login", "refresh", "logout")
    ),
    Alias("GET", "/auth/me", "/api/auth/me", "001"),
    # seed 002 (AI-SRE): everything at the root
    Alias("GET", "/health", "/healthz", "002, 003, 004"),
    Alias("GET", "/incidents", "/api/incidents", "002", seed_shapes.incident_list),
    Alias("GET", "/incidents/noisy", "/api/incidents/noisy", "002"),
    Alias("GET", _INCIDENT, f"/api{_INCIDENT}", "002", seed_shapes.incident_detail),
    *(
        Alias("GET", f"{_INCIDENT}/{part}", f"/api{_INCIDENT}/{part}", "002", shape)
        for part, shape in (
            ("diagnosis", seed_shapes.diagnosis),
            ("group", seed_shapes.group),
            ("similar", seed_shapes.similar),
            ("timeline", seed_shapes.timeline),
            ("metrics", None),
            ("deploy-correlation", None),
        )
    ),
    Alias("POST", f"{_INCIDENT}/postmortem", f"/api{_INCIDENT}/postmortem", "002"),
    Alias("POST", "/actions/execute", "/api/actions/execute", "002"),
    Alias("GET", f"{_INCIDENT}/actions", f"/api{_INCIDENT}/actions", "002"),
    Alias("POST", "/bot/interact", "/api/bot/interact", "002"),
    Alias("POST", "/demo/seed", "/api/demo/seed", "002"),
    Alias("GET", "/console", "/", "002"),
    Alias("GET", "/adapters", "/api/adapters", "002"),
    Alias("GET", "/autonomy/status", "/api/autonomy/status", "002"),
    Alias("POST", "/autonomy/run", "/api/autonomy/run", "002"),
    Alias("GET", "/metrics/export", "/api/metrics/export", "002"),
    Alias("GET", "/notifications/escalation", "/api/notifications/escalation", "002"),
    Alias("GET", "/notifications/routes", "/api/notifications/routes", "002"),
    Alias("POST", "/notifications/test", "/api/notifications/test", "002"),
    Alias("GET", "/oncall/current", "/api/oncall/current", "002"),
    Alias("GET", "/digest/handoff", "/api/digest/handoff", "002"),
    *(
        Alias("GET", f"/{path}", f"/api/{path}", "002")
        for path in (
            "patterns/incidents",
            "patterns/services",
            "patterns/services/{service_name}",
            "platform/overview",
            "activity",
            "forecasting/capacity",
            "forecasting/drift",
        )
    ),
    Alias("GET", "/slo", "/api/slo", "002"),
    Alias("GET", "/slo/{name}", "/api/slo/{name}", "002"),
    Alias("GET", "/slo/{name}/budget", "/api/slo/{name}/budget", "002"),
    Alias("GET", "/webhook/dead-letter", "/api/webhooks/dead-letter", "002", seed_shapes.dead_letters),
    Alias("GET", "/webhook/deploy/recent", "/api/deploys", "002"),
    Alias("POST", "/webhook/deploy", "/api/deploys", "002", seed_shapes.deploy_created),
    Alias("POST", "/webhook/{source}", "/api/webhooks/{source}", "002"),
    # seed 002: runbooks and workflows at the root
    *(
        Alias("GET", f"/{path}", f"/api/{path}", "002")
        for path in ("runbooks", "runbooks/all", "workflows", "workflows/{run_id}/status")
    ),
    Alias("POST", "/runbooks/generate", "/api/runbooks/generate", "002"),
    Alias("POST", "/runbooks/generate/approve", "/api/runbooks/generate/approve", "002"),
    Alias("POST", "/workflows/{workflow_id}/execute", "/api/workflows/{workflow_id}/execute", "002"),
    Alias("GET", f"{_INCIDENT}/runbooks", f"/api{_INCIDENT}/runbooks", "002"),
    Alias(
        "POST",
        f"{_INCIDENT}/runbooks/{{runbook_id}}/execute",
        f"/api{_INCIDENT}/runbooks/{{runbook_id}}/execute",
        "002",
    ),
    # seed 001: custom runbooks
    Alias("GET", "/custom-runbooks", "/api/custom-runbooks", "001"),
    Alias("POST", "/custom-runbooks", "/api/custom-runbooks", "001"),
    Alias("PUT", "/custom-runbooks/{runbook_id}", "/api/custom-runbooks/{runbook_id}", "001"),
    Alias("DELETE", "/custom-runbooks/{runbook_id}", "/api/custom-runbooks/{runbook_id}", "001"),
    # seed 004 (/api/v1): authentication, knowledge bases, audit logs
    *(Alias("POST", f"/api/v1/auth/{verb}", f"/api/auth/{verb}", "004") for verb in ("register", "login")),
    Alias("GET", "/api/v1/auth/me", "/api/auth/me", "004"),
    Alias("GET", "/api/v1/knowledge-bases", "/api/knowledge-bases", "004"),
    Alias("POST", "/api/v1/knowledge-bases", "/api/knowledge-bases", "004"),
    Alias("GET", "/api/v1/knowledge-bases/{kb_id}", "/api/knowledge-bases/{kb_id}", "004"),
    Alias("DELETE", "/api/v1/knowledge-bases/{kb_id}", "/api/knowledge-bases/{kb_id}", "004"),
    Alias("GET", "/api/v1/knowledge-bases/{kb_id}/documents", "/api/knowledge-bases/{kb_id}/documents", "004"),
    Alias("POST", "/api/v1/knowledge-bases/{kb_id}/documents", "/api/knowledge-bases/{kb_id}/documents", "004"),
    Alias(
        "DELETE",
        "/api/v1/knowledge-bases/{kb_id}/documents/{doc_id}",
        "/api/knowledge-bases/{kb_id}/documents/{doc_id}",
        "004",
    ),
    Alias("POST", "/api/v1/knowledge-bases/{kb_id}/search", "/api/knowledge-bases/{kb_id}/search", "004"),
    Alias("POST", "/api/v1/knowledge-bases/{kb_id}/rag", "/api/knowledge-bases/{kb_id}/rag", "004"),
    Alias("GET", "/api/v1/audit-logs", "/api/audit-logs", "004"),
)


@dataclass(frozen=True)
class Resolved:
    path: str  # the canonical route's path with the request's values: what an Idempotency-Key is scoped to
    alias: Alias | None = None  # the alias asked, if any
    params: dict = field(default_factory=dict)  # its path parameters


@functools.cache
def _patterns() -> tuple:
    """Every alias's path pattern, literal paths first (the order ``add_aliases`` serves them in)."""
    from starlette.routing import compile_path

    return tuple((alias, compile_path(alias.path)[0]) for alias in sorted(ALIASES, key=lambda a: a.path.count("{")))


def resolve(method: str, path: str) -> Resolved:
    """The canonical route a request for ``method path`` is served by: an alias's path is its canonical
    path with the same values; any other path is itself."""
    for alias, pattern in _patterns():
        if alias.method == method and (match := pattern.match(path)):
            return Resolved(re.sub(r"\{(\w+)[^}]*\}", lambda m: match[m[1]], alias.canonical), alias, match.groupdict())
    return Resolved(path)


_CANONICAL_ANSWER: ContextVar[dict | None] = ContextVar("pagerless_canonical_answer", default=None)


@contextlib.contextmanager
def recording_canonical_answers() -> Iterator[dict]:
    """While a request is served in this block: ``["answer"]`` of the yielded dict is the canonical route's
    answer (as JSON data) that a shaped alias shaped, if one did. (A dict, not a value set in the context:
    a sync endpoint runs in a worker thread, in a copy of the context that shares the dict.)"""
    recorded: dict = {}
    token = _CANONICAL_ANSWER.set(recorded)
    try:
        yield recorded
    finally:
        _CANONICAL_ANSWER.reset(token)


def add_aliases(app: FastAPI | APIRouter) -> list[Alias]:
    """Serve every alias whose canonical route is one of ``app``'s; returns the ones added."""
    from pagerless.api.app import iter_api_routes

    router = app.router if isinstance(app, FastAPI) else app
    routes = {(method, route.path): route for route in iter_api_routes(router) for method in route.methods}
    added = []
    # Literal paths first, so /webhook/deploy is matched before /webhook/{source}.
    for alias in sorted(ALIASES, key=lambda a: a.path.count("{")):
        route = routes.get((alias.method, alias.canonical))
        if route is None or (alias.method, alias.path) in routes:  # not this app's, or served directly
            continue
        name = f"{route.name}_seed_alias"
        options = functools.partial(_options, alias, route, name, router.dependency_overrides_provider)
        router.routes.append(
            DeferredRoute.later(
                alias.path, route.endpoint, options, methods=[alias.method], name=name, include_in_schema=False
            )
        )
        added.append(alias)
    mark_changed = getattr(router, "_mark_routes_changed", None)
    if added and mark_changed is not None:  # FastAPI >= 0.16x caches the effective routes per version
        mark_changed()
    return added


def _options(alias: Alias, route, name: str, provider) -> dict:
    """The alias's route as its canonical route is (read when the alias is first matched: pagerless.api.deferred)."""
    return {
        "endpoint": _shaped(route.endpoint, route.response_model, alias.shape) if alias.shape else route.endpoint,
        "methods": [alias.method],
        "response_model": None if alias.shape else route.response_model,
        "status_code": route.status_code,
        "response_class": route.response_class,
        "dependencies": route.dependencies,
        "responses": route.responses,
        "include_in_schema": False,
        "name": name,
        "openapi_extra": route.openapi_extra,
        "description": f"Alias of {alias.method} {alias.canonical} (seed {alias.seed}).",
        "dependency_overrides_provider": provider,
    }


@functools.cache  # one wrapper per endpoint and shape, however many times an app is built
def _shaped(endpoint, response_model, shape: seed_shapes.Shape):
    """The canonical endpoint, its answer serialized as the canonical route would, then shaped."""
    model = TypeAdapter(response_model) if response_model is not None else None

    def finish(answer, params: dict):
        if isinstance(answer, Response):
            return answer
        data = model.dump_python(model.validate_python(answer), mode="json") if model else jsonable_encoder(answer)
        recording = _CANONICAL_ANSWER.get()
        if recording is not None:
            recording["answer"] = data
        return shape(data, params)

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def shaped_async(**params):
            return finish(await endpoint(**params), params)

        return shaped_async

    @functools.wraps(endpoint)
    def shaped(**params):
        return finish(endpoint(**params), params)

    return shaped
