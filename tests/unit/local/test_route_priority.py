"""The local gateway picks a route as API Gateway does for HTTP APIs: a full match of route and
method (`{param}` segments included; the most specific first), then a greedy `{proxy+}` route
(the longest prefix first), then `$default` (pagerless.local.routes cites AWS's rule)."""

import pytest

from pagerless.local.gateway import Gateway
from pagerless.local.template import Template

pytestmark = pytest.mark.unit


def _gateway(tmp_path, **events_by_function) -> Gateway:
    """A gateway over a template whose functions declare the given (method, path) routes; a path
    of None is the API's `$default` route."""
    lines = ["Resources:", "  HttpApi:", "    Type: AWS::Serverless::HttpApi"]
    for function, routes in events_by_function.items():
        lines += [f"  {function}:", "    Type: AWS::Serverless::Function", "    Properties:"]
        lines += ["      CodeUri: functions/x/", "      Events:"]
        for n, (method, path) in enumerate(routes):
            where = "" if path is None else f', Path: "{path}", Method: {method}'
            lines.append(f"        Route{n}: {{Type: HttpApi, Properties: {{ApiId: !Ref HttpApi{where}}}}}")
    (tmp_path / "template.yaml").write_text("\n".join(lines) + "\n")

    class Lambdas:
        template = Template(tmp_path / "template.yaml")

    return Gateway(Lambdas())


def test_a_param_route_of_one_function_wins_over_another_functions_greedy_route(tmp_path):
    gateway = _gateway(
        tmp_path,
        A=[("ANY", "/api/incidents"), ("ANY", "/api/incidents/{proxy+}")],
        B=[("ANY", "/api/incidents/{incident_id}/runbooks/{runbook_id}/execute")],
    )
    assert gateway.owner("POST", "/api/incidents/inc-1/runbooks/rb-1/execute") == ("B", True)
    assert gateway.owner("GET", "/api/incidents/inc-1") == ("A", True)
    assert gateway.owner("GET", "/api/incidents/inc-1/runbooks/rb-1") == ("A", True)
    assert gateway.owner("GET", "/api/incidents") == ("A", True)


def test_a_literal_route_wins_over_a_param_route_and_the_leftmost_literal_decides(tmp_path):
    gateway = _gateway(
        tmp_path,
        A=[("ANY", "/api/incidents/{incident_id}"), ("ANY", "/a/{x}/c")],
        B=[("ANY", "/api/incidents/triage"), ("ANY", "/a/b/{y}")],
    )
    assert gateway.owner("GET", "/api/incidents/triage") == ("B", True)
    assert gateway.owner("GET", "/api/incidents/inc-1") == ("A", True)
    assert gateway.owner("GET", "/a/b/c") == ("B", True)
    assert gateway.owner("GET", "/a/z/c") == ("A", True)


def test_the_longest_greedy_prefix_wins(tmp_path):
    gateway = _gateway(tmp_path, A=[("ANY", "/{proxy+}")], B=[("ANY", "/api/v1/{proxy+}")])
    assert gateway.owner("GET", "/api/v1/knowledge-bases/kb-1") == ("B", True)
    assert gateway.owner("GET", "/api/v2/x") == ("A", True)


def test_a_greedy_route_takes_only_paths_below_its_prefix(tmp_path):
    gateway = _gateway(tmp_path, A=[("ANY", "/api/slo/{proxy+}")])
    assert gateway.owner("GET", "/api/slo/checkout/budget") == ("A", True)
    assert gateway.owner("GET", "/api/slo") == (None, False)
    assert gateway.owner("GET", "/api/slo/") == (None, False)


def test_a_declared_method_wins_over_any_on_the_same_path(tmp_path):
    gateway = _gateway(tmp_path, A=[("ANY", "/api/keys")], B=[("POST", "/api/keys")])
    assert gateway.owner("POST", "/api/keys") == ("B", True)
    assert gateway.owner("DELETE", "/api/keys") == ("A", True)


def test_a_full_match_of_another_method_falls_through_to_the_greedy_route(tmp_path):
    gateway = _gateway(tmp_path, A=[("ANY", "/api/jobs/{proxy+}")], B=[("GET", "/api/jobs/{job_id}")])
    assert gateway.owner("GET", "/api/jobs/j-1") == ("B", True)
    assert gateway.owner("DELETE", "/api/jobs/j-1") == ("A", True)


def test_head_reaches_only_head_or_any_routes_as_on_aws(tmp_path):
    gateway = _gateway(tmp_path, A=[("GET", "/healthz")], B=[("ANY", "/health")])
    assert gateway.owner("HEAD", "/healthz") == (None, True)
    assert gateway.owner("HEAD", "/health") == ("B", True)


def test_the_default_route_takes_what_no_other_route_matches(tmp_path):
    gateway = _gateway(tmp_path, A=[("ANY", "/api/slo/{proxy+}")], B=[("ANY", None)])
    assert gateway.owner("GET", "/api/slo/x") == ("A", True)
    assert gateway.owner("GET", "/api/slo") == ("B", True)
    assert gateway.owner("PATCH", "/nowhere/at/all") == ("B", True)
    assert gateway.owner("GET", "/") == ("B", True)
