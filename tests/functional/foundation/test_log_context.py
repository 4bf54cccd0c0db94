"""Under `pagerless dev` every function shares one process: a function's log keys stay on its own lines."""

import json

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional


def _lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def test_workflow_keys_do_not_leak_onto_api_request_lines(runtime, api, admin_key, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "INFO")
    from pagerless.observability import logger

    logger().setLevel("INFO")
    # Given a workflow step that logged with its function name and incident id
    spec = runtime.lambdas.by_logical_id["WorkflowFunction"]
    runtime.lambdas.invoke(spec.name, {"step": "selfcheck_start", "check_id": "0123456789ab", "incident_id": "INC-LEAK-0001"})
    capsys.readouterr()
    # When an API request is served afterwards in the same process
    api.get("/api/status", headers=auth(admin_key))
    # Then its log lines carry neither the workflow's function name nor its incident id
    lines = _lines(capsys.readouterr().out)
    assert any(line.get("message") == "request" for line in lines), lines
    for line in lines:
        assert line.get("incident_id") != "INC-LEAK-0001", line
        assert "workflow" not in str(line.get("function_name", "")), line
