"""`pagerless dev` sets the template's Globals variables for every function; a variable whose parameter is left at its
empty default keeps the value the process was started with (the README: `url` else `PAGERLESS_SLO_PROMETHEUS_URL`)."""

import pytest

from pagerless.local.provision import function_environment
from pagerless.local.template import Template
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.unit


def _globals() -> dict[str, str]:
    template = Template(TEMPLATE)
    variables = template.globals.get("Environment", {}).get("Variables", {})
    return {k: ("" if v is None else str(v)) for k, v in template.resolve(variables).items()}


def test_an_empty_parameter_keeps_the_variable_the_process_was_started_with():
    # Given the template's variables, and a process started with the SLOs' Prometheus and a table name of its own
    template = _globals()
    assert template["PAGERLESS_SLO_PROMETHEUS_URL"] == ""  # SloPrometheusUrl's default
    process = {"PAGERLESS_SLO_PROMETHEUS_URL": "http://127.0.0.1:9090", "PAGERLESS_TABLE_SLOS": "elsewhere"}
    # When the functions' environment is made
    environment = function_environment(template, process)
    # Then the Prometheus URL is not erased, and what the template names (its resources) stays the template's
    assert "PAGERLESS_SLO_PROMETHEUS_URL" not in environment
    assert {**process, **environment}["PAGERLESS_SLO_PROMETHEUS_URL"] == "http://127.0.0.1:9090"
    assert environment["PAGERLESS_TABLE_SLOS"] == template["PAGERLESS_TABLE_SLOS"] != "elsewhere"
    # And without it in the process, the empty value is set as before
    assert function_environment(template, {})["PAGERLESS_SLO_PROMETHEUS_URL"] == ""
