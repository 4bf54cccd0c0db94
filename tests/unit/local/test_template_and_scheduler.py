from datetime import UTC, datetime

import pytest

from pagerless.local.gateway import Gateway
from pagerless.local.scheduler import ScheduleExpressionError, next_fire
from pagerless.local.template import Template
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.unit


def test_template_resolves_refs_subs_and_getatt():
    template = Template(TEMPLATE, stack_name="demo", region="eu-west-1")
    env = template.functions()[0].environment
    assert env["PAGERLESS_TABLE_API_KEYS"] == "demo-ApiKeysTable"
    assert env["PAGERLESS_SELFCHECK_STATE_MACHINE_ARN"] == (
        "arn:aws:states:eu-west-1:123456789012:stateMachine:demo-selfcheck"
    )
    assert template.resolve({"Fn::GetAtt": ["WorkflowFunction", "Arn"]}).endswith(":function:demo-workflow")
    assert template.resolve({"Fn::GetAtt": ["SystemFunction", "Arn"]}).endswith(":function:demo-SystemFunction")
    assert template.resolve({"Fn::Sub": ["${A}-${AWS::Region}", {"A": "x"}]}) == "x-eu-west-1"
    assert template.resolve({"Fn::If": ["HasAnthropicKey", "yes", "no"]}) == "no"


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("rate(5 minutes)", datetime(2026, 1, 1, 10, 0, tzinfo=UTC), datetime(2026, 1, 1, 10, 5, tzinfo=UTC)),
        ("rate(1 day)", datetime(2026, 1, 1, 10, 0, tzinfo=UTC), datetime(2026, 1, 2, 10, 0, tzinfo=UTC)),
        ("cron(0 9 * * ? *)", datetime(2026, 1, 1, 10, 0, tzinfo=UTC), datetime(2026, 1, 2, 9, 0, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", datetime(2026, 1, 1, 10, 7, tzinfo=UTC), datetime(2026, 1, 1, 10, 15, tzinfo=UTC)),
        # 2026-01-01 is a Thursday; MON is AWS day 2
        ("cron(30 8 ? * MON *)", datetime(2026, 1, 1, 10, 0, tzinfo=UTC), datetime(2026, 1, 5, 8, 30, tzinfo=UTC)),
        ("cron(0 0 1 JAN-MAR ? *)", datetime(2026, 4, 1, 0, 0, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_schedule_expressions(expression, after, expected):
    assert next_fire(expression, after) == expected


@pytest.mark.parametrize("expression", ["every 5 minutes", "cron(0 9 * *)", "rate(5 weeks)", "cron(x 9 * * ? *)"])
def test_bad_schedule_expressions_are_rejected(expression):
    with pytest.raises(ScheduleExpressionError):
        next_fire(expression, datetime(2026, 1, 1, tzinfo=UTC))


def test_gateway_matches_like_api_gateway():
    class Lambdas:
        template = Template(TEMPLATE)

    gateway = Gateway(Lambdas())
    # a prefix's greedy route, and a param route of another function under it
    assert gateway.owner("GET", "/api/incidents/inc-1") == ("IncidentsFunction", True)
    assert gateway.owner("POST", "/api/incidents/inc-1/diagnose") == ("DiagnosisFunction", True)
    assert gateway.owner("GET", "/api/incidents/triage") == ("SloFunction", True)
    assert gateway.owner("POST", "/api/webhooks/alertmanager") == ("IngestFunction", True)
    # the rest goes to the $default route: that app answers its own paths and 404s the others
    assert gateway.owner("DELETE", "/api/keys/key_123") == ("AdminFunction", True)
    assert gateway.owner("GET", "/api/keys/key_123/extra") == ("AdminFunction", True)


@pytest.mark.parametrize("path", ["/healthz", "/health", "/api/status"])
def test_the_probe_routes_take_head_on_api_gateway(path):
    # API Gateway matches a route by method: HEAD reaches a function through an ANY route (the app
    # answers it as GET), so uptime monitors probing with HEAD reach the system function.
    routes = Template(TEMPLATE).http_routes()
    assert ("ANY", path, "SystemFunction") in routes
