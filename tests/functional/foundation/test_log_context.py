"""Under `pagerless dev` every function shares one process: a function's log keys stay on its own lines."""

import io
import json
import logging

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


@pytest.fixture
def log_lines():
    """The JSON lines the shared Powertools logger writes, formatted by its own formatter."""
    from pagerless.observability import logger

    log = logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.registered_formatter)
    previous = log._logger.level
    log._logger.addHandler(handler)
    log._logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    finally:
        log._logger.removeHandler(handler)
        log._logger.setLevel(previous)


def test_workflow_keys_do_not_leak_onto_api_request_lines(runtime, api, admin_key, log_lines):
    # Given a workflow step that logged with its function name and incident id
    spec = runtime.lambdas.by_logical_id["WorkflowFunction"]
    runtime.lambdas.invoke(
        spec.name, {"step": "selfcheck_start", "check_id": "0123456789ab", "incident_id": "INC-LEAK-0001"}
    )
    before = len(log_lines())
    # When an API request is served afterwards in the same process
    api.get("/api/status", headers=auth(admin_key))
    # Then its log lines carry neither the workflow's function name nor its incident id
    lines = log_lines()[before:]
    assert any(line.get("message") == "request" for line in lines), lines
    for line in lines:
        assert line.get("incident_id") != "INC-LEAK-0001", line
        assert "workflow" not in str(line.get("function_name", "")), line
