"""Routers built on first use (pagerless.api.lazy): a request loads only the routers its path can
reach, is matched exactly as by an app with every router included, and everything that walks an
app's routes (route, role and template tests, the OpenAPI document) still sees every route."""

import runpy

import pytest
from starlette.routing import Match

from tests.conftest import ROOT, fresh_python

pytestmark = pytest.mark.unit

HTTP_FUNCTIONS = sorted(
    p.parent.name for p in (ROOT / "functions").glob("*/app.py") if "create_app" in p.read_text("utf-8")
)


def _fresh_app(name: str):
    """A new app object of the function, none of its lazy routers loaded."""
    return runpy.run_path(str(ROOT / "functions" / name / "app.py"))["app"]


def _endpoint(app, method: str, path: str):
    """The endpoint the app's router would call for a request, loading what the path needs first."""
    app.routers.ensure(path)
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}
    partial = None
    for route in app.router.routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return child.get("endpoint")
        if match is Match.PARTIAL and partial is None:
            partial = child.get("endpoint")
    return partial


def _fill(path: str) -> str:
    out, depth = [], 0
    for char in path:
        if char == "{":
            depth += 1
            out.append("x1")
        elif char == "}":
            depth -= 1
        elif not depth:
            out.append(char)
    return "".join(out)


@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_a_request_on_a_fresh_app_reaches_the_same_endpoint_as_on_a_fully_built_one(name: str):
    from pagerless.api.app import iter_api_routes

    full = _fresh_app(name)
    routes = list(iter_api_routes(full))  # builds every router, and checks each one's prefixes
    assert routes
    for route in routes:
        for method in route.methods:
            path = _fill(route.path)
            assert _endpoint(_fresh_app(name), method, path) is _endpoint(full, method, path), (name, method, path)


def test_a_request_loads_only_the_routers_its_path_can_reach():
    app = _fresh_app("ingest")
    assert not app.routers.loaded
    app.routers.ensure("/api/deploys")
    assert [app.routers.entries[i].module for i in app.routers.loaded] == ["pagerless.api.routes.deploys"]
    # /webhook/deploy (deploys) is listed before /webhook/{source} (ingest) once both are loaded
    app.routers.ensure("/webhook/github")
    assert _endpoint(app, "POST", "/webhook/deploy").__module__ == "pagerless.api.routes.deploys"
    assert _endpoint(app, "POST", "/webhook/github").__module__ == "pagerless.api.routes.ingest"


def test_a_star_segment_of_a_prefix_stands_for_one_path_segment():
    # /api/incidents/{id}/... is served by several routers of the workflow API: a request loads
    # only the one its path's last part names (the trace loads no approval service)
    app = _fresh_app("workflow_api")
    app.routers.ensure("/api/incidents/inc-1/workflow")
    assert [app.routers.entries[i].module for i in app.routers.loaded] == ["pagerless.api.routes.workflow_trace"]
    assert _endpoint(app, "GET", "/api/incidents/inc-1/workflow").__module__ == "pagerless.api.routes.workflow_trace"
    app.routers.ensure("/api/incidents/inc-1/approve/")  # a trailing slash still reaches it (redirected)
    assert _endpoint(app, "POST", "/api/incidents/inc-1/approve").__module__ == "pagerless.api.routes.approvals"
    # a star matches one non-empty segment, no more, no less
    from pagerless.api.app import Lazy

    lazy = Lazy("unused", ("/api/incidents/*/approve",))
    assert lazy.serves("/api/incidents/a/approve") and lazy.serves("/api/incidents/a/approve/x")
    assert not lazy.serves("/api/incidents//approve") and not lazy.serves("/api/incidents/a/b/approve")
    assert not lazy.serves("/api/incidents/a/reject") and not lazy.serves("/api/incidents/a")


def test_a_router_whose_prefixes_miss_one_of_its_paths_is_refused():
    from pagerless.api.app import Lazy, create_app, iter_api_routes

    app = create_app("broken", [Lazy("pagerless.api.routes.deploys", ("/api/deploys",))])
    with pytest.raises(RuntimeError, match="none of its prefixes"):
        list(iter_api_routes(app))
    # with a star segment: /api/incidents/{incident_id}/workflow is not under /api/incidents/*/trace
    starred = create_app("broken", [Lazy("pagerless.api.routes.workflow_trace", ("/api/incidents/*/trace",))])
    with pytest.raises(RuntimeError, match="none of its prefixes"):
        list(iter_api_routes(starred))
    right = create_app("right", [Lazy("pagerless.api.routes.workflow_trace", ("/api/incidents/*/workflow",))])
    assert [r.path for r in iter_api_routes(right)] == ["/api/incidents/{incident_id}/workflow"]


def _modules_before_and_after(name: str, path: str, prefixes: tuple[str, ...]) -> list[str]:
    """In a fresh process: the loaded modules starting with ``prefixes`` after importing the
    function's handler, after one GET of ``path`` (without a key), and that request's status."""
    code = (
        "import sys, runpy\n"
        f"prefixes = {prefixes!r}\n"
        "ns = runpy.run_path(sys.argv[1])\n"
        "before = sorted(m for m in sys.modules if m.startswith(prefixes))\n"
        "from starlette.testclient import TestClient\n"
        f"status = TestClient(ns['app']).get({path!r}).status_code\n"
        "after = sorted(m for m in sys.modules if m.startswith(prefixes))\n"
        "print(before, after, status)\n"
    )
    stdout = fresh_python("-c", code, str(ROOT / "functions" / name / "app.py"))
    return stdout.splitlines()[-1].split()


def test_importing_a_handler_imports_no_router_and_a_request_only_its_own():
    found = _modules_before_and_after("admin", "/api/keys", ("pagerless.api.routes.",))
    assert found == ["[]", "['pagerless.api.routes.keys']", "401"]


def test_the_workflow_trace_loads_neither_the_approvals_nor_the_runbooks_router():
    found = _modules_before_and_after("workflow_api", "/api/incidents/inc-1/workflow", ("pagerless.api.routes.",))
    assert found == ["[]", "['pagerless.api.routes.workflow_trace']", "401"]


def test_the_health_check_imports_no_store():
    # the key check (pagerless.api.security) imports the store on the first call that needs a key
    assert _modules_before_and_after("system", "/healthz", ("pynamodb", "pagerless.store")) == ["[]", "[]", "200"]


def test_the_console_sign_in_page_imports_no_store():
    # whether anyone has registered yet (the first admin's form) is asked once the page is shown (htmx), by the
    # request for that form (pagerless.console.first_admin): the page itself needs no store
    found = _modules_before_and_after(
        "console", "/console/login", ("pynamodb", "pagerless.store", "pagerless.auth.users")
    )
    assert found == ["[]", "[]", "200"]


def test_the_openapi_document_has_every_route_of_every_function():
    from pagerless.api.app import iter_api_routes
    from pagerless.api.openapi import combined_schema

    documented = {(method.lower(), path) for path, ops in combined_schema()["paths"].items() for method in ops}
    for name in HTTP_FUNCTIONS:
        for route in iter_api_routes(_fresh_app(name)):
            if route.include_in_schema and route.path.startswith("/api/"):
                for method in route.methods:
                    assert (method.lower(), route.path) in documented, (name, method, route.path)
