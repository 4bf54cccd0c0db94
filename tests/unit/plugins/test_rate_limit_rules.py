"""Seed 003's rate-limit table, matched by method and path."""

import pytest

from pagerless.api.ratelimit import rule_for

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "method, path, expected",
    [
        ("POST", "/api/runs", ("runs", 100)),
        ("POST", "/api/jobs/job-123/signal", ("job-signal", 60)),
        ("GET", "/api/jobs/job-123", ("job-read", 300)),
        ("GET", "/api/jobs/job-123/trace", ("job-read", 300)),
        ("GET", "/api/jobs/job-123/events", ("job-read", 300)),
        ("POST", "/api/jobs/job-123/stop", ("default", 600)),
        ("GET", "/api/runs", ("default", 600)),
        ("GET", "/api/incidents", ("default", 600)),
    ],
)
def test_seed_003_routes_have_their_own_limits_and_the_rest_the_default(method, path, expected, monkeypatch):
    from pagerless import settings

    monkeypatch.delenv("PAGERLESS_RATE_LIMIT_DEFAULT_PER_MINUTE", raising=False)
    settings.reset()
    assert rule_for(method, path) == expected


def test_intake_has_its_own_bucket(monkeypatch):
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_RATE_LIMIT_INTAKE_PER_MINUTE", "42")
    settings.reset()
    try:
        assert rule_for("POST", "/api/webhooks/generic", intake=True) == ("intake", 42)
    finally:
        monkeypatch.delenv("PAGERLESS_RATE_LIMIT_INTAKE_PER_MINUTE")
        settings.reset()
