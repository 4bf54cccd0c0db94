"""The whole-document PUTs document their conditional requests: If-Match, 412 and the ETag they answer."""

import pytest

CONDITIONAL = [
    ("/api/oncall/schedules/{schedule_id}", "put"),
    ("/api/escalation-policies/{policy_id}", "put"),
    ("/api/oncall/quiet-hours/{person_id}", "put"),
    ("/api/notifications/routes", "put"),
    ("/api/policy", "put"),
    ("/api/reports/settings", "put"),
    ("/api/environment-context", "put"),
    ("/api/slo/{name}", "put"),
]
READS = [(path, "get") for path, _ in CONDITIONAL]
CREATES = ["/api/oncall/schedules", "/api/escalation-policies", "/api/slo"]


@pytest.fixture(scope="module")
def schema() -> dict:
    from pagerless.api.openapi import combined_schema

    return combined_schema()


@pytest.mark.parametrize(("path", "method"), CONDITIONAL)
def test_a_conditional_put_declares_if_match_and_412(schema, path, method):
    operation = schema["paths"][path][method]
    headers = {p["name"].lower(): p for p in operation.get("parameters", []) if p["in"] == "header"}
    assert "if-match" in headers and headers["if-match"].get("description")
    assert headers["if-match"].get("required") is not True  # without it, last writer wins
    assert "412" in operation["responses"]
    assert operation["responses"]["412"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "ETag" in operation["responses"]["200"].get("headers", {})


@pytest.mark.parametrize(("path", "method"), READS)
def test_the_read_declares_its_etag(schema, path, method):
    assert "ETag" in schema["paths"][path][method]["responses"]["200"].get("headers", {})


@pytest.mark.parametrize("path", CREATES)
def test_a_create_declares_the_etag_of_its_first_version(schema, path):
    assert "ETag" in schema["paths"][path]["post"]["responses"]["201"].get("headers", {})
