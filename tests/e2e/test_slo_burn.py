"""`pagerless dev` and a real Prometheus as a user runs them: OpenSLO YAML imported over HTTP, an
evaluation over backfilled counters finds a fast burn, the SLO incident appears through intake,
triage puts it first, and the day's report renders. (Recovery needs time to pass: the functional
test tests/functional/slo/test_prometheus_slo.py evaluates at chosen instants for it.)"""

import time
from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.e2e.harness import DevServer
from tests.functional.slo.prometheus_server import MISSING, PrometheusServer, backfill

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]

ADMIN_KEY = "pl_e2e-slo-burn-admin-key-0123456789abc"

YAML = """apiVersion: openslo/v1
kind: SLO
metadata: {{name: checkout-availability}}
spec:
  service: checkout
  indicator:
    spec:
      ratioMetric:
        counter: true
        bad: {{metricSource: {{type: Prometheus, spec: {{query: 'http_requests_total{{job="checkout",code="500"}}', url: '{url}'}}}}}}
        total: {{metricSource: {{type: Prometheus, spec: {{query: 'http_requests_total{{job="checkout"}}', url: '{url}'}}}}}}
  timeWindow: [{{duration: 28d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives: [{{target: 0.999}}]
"""


def traffic(burn_start):
    def per_minute(moment):
        """1,000 requests a minute; in the last 2 hours 30 fail (burn 30), before that 1 in 2 minutes."""
        if moment > burn_start:
            return 970, 30
        return 1000 - (moment.minute % 2), moment.minute % 2

    return per_minute


def _wait_for(read, predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if predicate(value):
            return value
        time.sleep(0.3)
    raise AssertionError(f"condition not met in time; last value: {value}")


def test_a_fast_burn_pages_through_intake_over_http(tmp_path):
    end = align(utcnow()) - timedelta(minutes=5)
    prometheus_dir = tmp_path / "prometheus"
    prometheus_dir.mkdir()
    data = backfill(prometheus_dir, end - timedelta(days=2), end, traffic(end - timedelta(hours=2)), job="checkout")
    prometheus = PrometheusServer(data, prometheus_dir).start()
    server = DevServer(tmp_path / "state", admin_key=ADMIN_KEY)
    try:
        server.start(timeout=60)
        with server.client(ADMIN_KEY) as api:
            # Given the SLO imported as YAML
            imported = api.post(
                "/api/slo/import",
                content=YAML.format(url=prometheus.url).encode(),
                headers={"content-type": "application/yaml"},
            )
            assert imported.status_code == 200, imported.text

            # When it is evaluated
            evaluated = api.post("/api/slo/checkout-availability/evaluate")
            assert evaluated.status_code == 200, evaluated.text
            assert evaluated.json()["alert_level"] == "critical"

            # Then the budget shows the fast burn: 30 errors per 1,000 against 0.1 % is a burn rate of 30
            budget = api.get("/api/slo/checkout-availability/budget").json()
            assert budget["burn_rates"]["1h"] == pytest.approx(30, rel=0.01)
            assert budget["burn_rate"] == budget["burn_rates"]["1h"]
            assert budget["budget_total_minutes"] == 40.32  # 28 × 1,440 × 0.001

            # And an incident from source slo is open for checkout, first in triage
            incidents = _wait_for(lambda: api.get("/api/incidents").json()["items"], lambda items: len(items) == 1)
            assert incidents[0]["service"] == "checkout" and incidents[0]["source"] == "slo"
            assert incidents[0]["severity"] == "critical"
            triage = api.get("/api/incidents/triage").json()["items"]
            assert triage[0]["id"] == incidents[0]["id"] and triage[0]["slo_burn"] == "critical"

            # And today's report, generated on request, shows the incident and the SLO as HTML
            today = utcnow().date()
            report = api.post(
                "/api/reports/generate",
                json={
                    "report_type": "daily",
                    "period_start": f"{today.isoformat()}T00:00:00+00:00",
                    "period_end": f"{(today + timedelta(days=1)).isoformat()}T00:00:00+00:00",
                },
            )
            assert report.status_code == 200, report.text
            assert report.json()["data"]["total_incidents"] == 1
            html = api.get(f"/api/reports/{report.json()['id']}", params={"format": "html"})
            assert "checkout-availability" in html.text and "<svg" in html.text
    finally:
        server.stop()
        prometheus.stop()
