"""Routes built when a request first matches them (pagerless/api/deferred.py).

A function's first request builds the one route it reaches (a seed alias: the alias and its canonical
route), not every route of the router; a known path with another method still answers 405 with the
route's methods; a route built by several requests at once is built once; and an app that is walked
(every route, the OpenAPI document) builds them all, as FastAPI would have at their declaration.
"""

import runpy
import threading

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from pagerless.api.app import iter_api_routes
from pagerless.api.deferred import DeferredRoute
from tests.conftest import ROOT, auth

pytestmark = pytest.mark.functional


def _fresh(function: str):
    """The function's app as a cold start makes it: nothing routed yet."""
    return runpy.run_path(str(ROOT / "functions" / function / "app.py"))["app"]


def _built(app) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in app.router.routes
        if isinstance(route, DeferredRoute) and route.built
        for method in route.methods
    )


def test_a_first_request_builds_only_the_route_it_reaches(runtime, admin_key):
    app = _fresh("incidents")
    client = TestClient(app, raise_server_exceptions=False)

    answer = client.get("/api/incidents", headers=auth(admin_key))

    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == []
    served = [r for r in app.router.routes if isinstance(r, DeferredRoute)]
    assert len(served) > 10  # the whole incidents router (and its seed aliases) is there, unbuilt
    assert _built(app) == [("GET", "/api/incidents")]


def test_a_seed_alias_builds_itself_and_its_canonical_route_only(runtime, admin_key):
    app = _fresh("incidents")
    client = TestClient(app, raise_server_exceptions=False)

    answer = client.get("/incidents/inc_missing/timeline", headers=auth(admin_key))

    assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND"
    assert _built(app) == [
        ("GET", "/api/incidents/{incident_id}/timeline"),
        ("GET", "/incidents/{incident_id}/timeline"),
    ]


def test_a_known_path_with_another_method_answers_405_with_its_methods(runtime, admin_key):
    app = _fresh("incidents")
    client = TestClient(app, raise_server_exceptions=False)

    answer = client.put("/api/incidents", headers=auth(admin_key))

    assert answer.status_code == 405 and answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert answer.headers["allow"] == "GET"
    assert _built(app) == [("GET", "/api/incidents")]  # built for its 405 only: no route took the request


def test_a_route_matched_by_several_requests_at_once_is_built_once(runtime):
    app = _fresh("incidents")
    app.routers.ensure("/api/incidents")  # the router loaded, as a first request loads it
    route = next(r for r in app.router.routes if isinstance(r, DeferredRoute) and r.path == "/api/incidents")
    start = threading.Barrier(8)
    seen = []

    def first_request():
        start.wait()
        seen.append(route.build().dependant)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(seen) == 8 and all(dependant is seen[0] for dependant in seen)


def test_walking_an_app_builds_every_route_as_fastapi_declares_it(runtime):
    app = _fresh("oncall")

    routes = list(iter_api_routes(app))
    document = app.openapi()

    assert routes and all(isinstance(r, APIRoute) for r in routes)
    assert all(r.built for r in routes if isinstance(r, DeferredRoute))
    for route in routes:  # what FastAPI's own build makes: the dependant, the response model, the handler
        assert route.dependant.call is route.endpoint and callable(route.app)
        assert route.unique_id
    assert {path for path in document["paths"]} >= {r.path for r in routes if r.include_in_schema}


def test_every_router_declares_deferred_routes():
    import importlib
    import pkgutil

    import pagerless.api.routes
    import pagerless.console

    routers = {}
    for package in (pagerless.api.routes, pagerless.console):
        for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            router = getattr(importlib.import_module(module.name), "router", None)
            if router is not None:
                routers[module.name] = router
    assert len(routers) > 30
    plain = sorted(name for name, r in routers.items() if not all(isinstance(x, DeferredRoute) for x in r.routes))
    assert plain == []  # (a plain APIRouter still works, included as FastAPI includes it, built at once)
