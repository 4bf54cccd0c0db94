"""template.yaml's routes, matched with API Gateway's priorities (pagerless.local.routes), send
every request each app serves to that app, every other path to some app (its 404 in the API's
error format), and stay far under API Gateway's and CloudFormation's limits."""

import json
import re
import subprocess

import pytest

from pagerless.local.routes import DEFAULT, RouteTable
from tests.conftest import ROOT, TEMPLATE, auth

pytestmark = pytest.mark.functional

ROUTE_QUOTA = 300  # API Gateway: routes per HTTP API (a quota; raising it takes a request to AWS)
RESOURCE_LIMIT = 500  # CloudFormation: resources per stack


def _served(runtime):
    """(method, path, function) for every operation of every function's app."""
    from pagerless.api.app import iter_api_routes

    for logical_id in sorted({lid for _, _, lid in runtime.template.http_routes()}):
        for route in iter_api_routes(runtime.lambdas.module(logical_id).app):
            for method in route.methods:
                yield method, route.path, logical_id


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "p-1", path)


def test_every_operation_of_every_app_is_routed_to_that_function(runtime):
    gateway = runtime.gateway()
    served = list(_served(runtime))
    assert len(served) > 300
    wrong = []
    for method, path, logical_id in served:
        for asked in {method, "HEAD"} if method == "GET" else {method}:
            owner, _ = gateway.owner(asked, _concrete(path))
            if owner != logical_id:
                wrong.append(f"{asked} {path}: served by {logical_id}, routed to {owner}")
    assert not wrong, "\n".join(wrong)


def test_routing_relies_on_no_tie_break_that_aws_leaves_unsaid():
    # Every route takes every method (so a declared method never competes with ANY), and no greedy
    # route lies under another's prefix (so no two greedy routes compete for one path): only
    # "full match, then {proxy+}, then $default", which AWS documents, decides.
    routes = RouteTable([(m, p, lid) for m, p, lid in _template().http_routes()]).routes
    assert {route.method for route in routes} == {"ANY"}
    assert [route.path for route in routes].count(DEFAULT) == 1
    prefixes = [route.path[: -len("{proxy+}")] for route in routes if route.greedy]
    nested = [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]
    assert not nested


@pytest.mark.parametrize(
    "path",
    ["/nope", "/api/nope", "/api/incidents/p-1/nope", "/api/v1/nope", "/incidents/p-1/nope/more", "/api/slo/x/y/z"],
)
def test_a_path_no_app_serves_reaches_an_app_and_is_its_404(api, admin_key, path):
    response = api.get(path, headers=auth(admin_key))
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_a_method_an_app_does_not_serve_on_its_path_is_its_405(api, admin_key):
    for method, path in [("PUT", "/api/keys"), ("DELETE", "/api/incidents/p-1/diagnosis"), ("PATCH", "/webhook")]:
        response = api.request(method, path, headers=auth(admin_key))
        assert response.status_code == 405, (method, path, response.text)
        assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_cors_preflight_is_answered_by_the_gateway_as_api_gateway_does(api):
    # API Gateway answers OPTIONS itself when the API has a CORS configuration, whatever the routes
    response = api.options("/api/incidents/p-1/diagnosis", headers={"Access-Control-Request-Method": "GET"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"


def _template():
    from pagerless.local.template import Template

    return Template(TEMPLATE)


def test_the_routes_stay_far_under_the_route_quota():
    routes = _template().http_routes()
    assert len(routes) <= ROUTE_QUOTA // 2, f"{len(routes)} routes: declare a greedy route per prefix (README)"


def test_the_transformed_stack_stays_far_under_cloudformation_s_resource_limit():
    # SAM's own transform (make validate installs the SAM CLI into .tools/sam: CI runs it first)
    python = ROOT / ".tools" / "sam" / "bin" / "python"
    if not python.exists():
        pytest.skip("the SAM CLI is not installed in .tools/sam (make validate installs it)")
    script = """
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
class NoManagedPolicies:
    def load(self):
        return {}
template = yaml_parse(open(sys.argv[1]).read())
for resource in template["Resources"].values():
    for key in ("CodeUri", "DefinitionUri", "ContentUri"):
        if isinstance(resource.get("Properties", {}).get(key), str):
            resource["Properties"][key] = "s3://bucket/key"
print(json.dumps(sorted(r["Type"] for r in transform(template, {}, NoManagedPolicies())["Resources"].values())))
"""
    done = subprocess.run(
        [str(python), "-c", script, str(TEMPLATE)],
        capture_output=True,
        text=True,
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    kinds = json.loads(done.stdout)
    assert len(kinds) < RESOURCE_LIMIT // 2, f"{len(kinds)} resources after the SAM transform"
    assert kinds.count("AWS::Lambda::Permission") <= len(_template().http_routes()) + 10
