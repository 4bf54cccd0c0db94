"""SLOs against a real Prometheus: backfilled counters with known ratios, budgets and burn rates
within 1 %, and a burn that opens an SLO incident through intake which recovery resolves."""

import json
from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.functional.intake.conftest import workflows_done
from tests.functional.slo.prometheus_server import MISSING, PrometheusServer, backfill

pytestmark = [pytest.mark.functional, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]

NAME = "payments-api-availability"


class Times:
    """The backfilled story, fixed when the module's tests start (not at import: a long suite may import early)."""

    def __init__(self) -> None:
        self.now = align(utcnow())
        self.end = self.now - timedelta(minutes=5)  # the last sample
        self.start = self.end - timedelta(days=4)
        self.burn_start = self.end - timedelta(hours=9)
        self.burn_end = self.burn_start + timedelta(hours=2)

    def per_minute(self, moment):
        """2,000 requests a minute: 1 fails (burn 0.5 of a 99.9 % budget), 40 fail during the burn (burn 20)."""
        if self.burn_start < moment <= self.burn_end:
            return 1960, 40
        return 1999, 1


@pytest.fixture(scope="module")
def times():
    return Times()


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory, times):
    directory = tmp_path_factory.mktemp("prometheus")
    server = PrometheusServer(backfill(directory, times.start, times.end, times.per_minute), directory).start()
    yield server
    server.stop()


def document(url: str) -> dict:
    def source(query):
        return {"metricSource": {"type": "Prometheus", "spec": {"query": query, "url": url}}}

    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": NAME, "displayName": "Payments API availability"},
        "spec": {
            "service": "payments-api",
            "indicator": {
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": source('http_requests_total{job="payments-api",code="500"}'),
                        "total": source('http_requests_total{job="payments-api"}'),
                    }
                }
            },
            "timeWindow": [{"duration": "30d", "isRolling": True}],
            "budgetingMethod": "Occurrences",
            "objectives": [{"target": 0.999}],
        },
    }


def close(actual, expected, tolerance=0.01):
    return abs(actual - expected) <= tolerance * abs(expected)


def slo_incidents():
    from pagerless.store.incidents import IncidentRecord

    return [i for i in IncidentRecord.scan() if i.source == "slo"]


def test_a_burn_opens_an_slo_incident_and_recovery_resolves_it(runtime, api, admin_key, prometheus, times):
    from pagerless.slo.service import SloService

    # Given the SLO, created over the API
    created = api.post("/api/slo", json=document(prometheus.url), headers=auth(admin_key))
    assert created.status_code == 201, created.text

    # When it is evaluated as the 5-minute schedule would have at the end of the 2-hour burn
    at_burn_end = SloService(clock=lambda: times.burn_end + timedelta(seconds=30))
    result = at_burn_end.evaluate("default", NAME)
    budget = at_burn_end.budget("default", NAME)

    # Then the numbers are the hand-computed ones (within 1 %) and the level is critical
    # bad = 1 × (5,340 − 120) + 40 × 120 = 10,020 of 2,000 × 5,340 requests; budget 43.2 min; the SLI covers
    # the 5,340 minutes elapsed, so their error ratio spends 10,020 / 2,000 minutes (the budget's 5,340 × 0.001)
    assert result["alert_level"] == "critical"
    assert budget["budget_total_minutes"] == 43.2
    assert close(budget["budget_consumed_minutes"], 10020 / 2000)
    assert close(budget["elapsed"]["minutes"], 5340) and close(budget["elapsed"]["budget_total_minutes"], 5.34)
    assert close(budget["burn_rates"]["1h"], 20) and close(budget["burn_rates"]["5m"], 20)
    assert close(budget["burn_rates"]["6h"], 7)  # (4,800 + 240) / 720,000 / 0.001
    assert close(budget["burn_rates"]["1d"], 2.125)  # (4,800 + 1,320) / 2,880,000 / 0.001
    assert close(budget["burn_rates"]["3d"], 9000 / 8640)
    assert budget["burn_rate"] == budget["burn_rates"]["1h"]
    remaining = 43.2 - 10020 / 2000
    assert close(budget["time_to_exhaustion_hours"], remaining / (20 * 0.001) / 60)

    # And one incident was opened through intake, as source slo
    incidents = slo_incidents()
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.severity == "critical" and incident.service == "payments-api"
    workflows_done(runtime, 1)

    # And the incident shows the service's budget
    shown = api.get(f"/api/incidents/{incident.id}/slo", headers=auth(admin_key)).json()
    assert [b["slo_name"] for b in shown["budgets"]] == [NAME]

    # When the scheduled tick runs now, 7 hours after the burn stopped
    from tests.functional.foundation.test_events import _invoke, _load

    tick = _invoke(runtime, "ScheduledFunction", _load("scheduled/slo_evaluate.json"))

    # Then the SLO is back to ok and the incident is resolved
    assert tick["result"]["evaluated"] == 1 and tick["result"]["failed"] == []
    from pagerless.store.incidents import IncidentRecord

    assert IncidentRecord.get(incident.id).status == "resolved"

    # And the budget over the whole 4 days: bad = 5,640 + 4,800 of 2,000 × 5,760 requests, in 5,760 minutes
    now = api.get(f"/api/slo/{NAME}/budget", headers=auth(admin_key)).json()
    assert now["alert_level"] == "ok"
    assert close(now["budget_consumed_minutes"], 10440 / 2000)
    assert close(now["burn_rates"]["1h"], 0.5)
    assert now["budget_remaining_percent"] == pytest.approx(100 * (1 - 10440 / 2000 / 43.2), rel=0.01)
    assert now["elapsed"]["budget_remaining_percent"] == pytest.approx(100 * (1 - 10440 / 11520), rel=0.01)


def test_a_query_prometheus_refuses_is_a_validation_error(runtime, api, admin_key, prometheus):
    # Given a query that is neither a selector nor an expression with {{window}}: refused when the SLO is created
    doc = document(prometheus.url)
    query = doc["spec"]["indicator"]["spec"]["ratioMetric"]["total"]["metricSource"]["spec"]
    query["query"] = "rate(x[5m])"
    refused = api.post("/api/slo", json=doc, headers=auth(admin_key))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "VALIDATION_ERROR", refused.text
    # And an SLO whose expression (taken as written) Prometheus cannot parse, its structure whole
    query["query"] = "sum(rate(x[{{window}}])) bogus"
    assert api.post("/api/slo", json=doc, headers=auth(admin_key)).status_code == 201
    # When it is evaluated on request
    response = api.post(f"/api/slo/{NAME}/evaluate", headers=auth(admin_key))
    # Then the error says so, in the API's format, with what Prometheus said
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["message"] == "Prometheus rejected the query"
    assert json.dumps(response.json())
    # And the SLO's budget says so until an evaluation succeeds
    error = api.get(f"/api/slo/{NAME}/budget", headers=auth(admin_key)).json()["evaluation"]["error"]
    assert error["message"] == "Prometheus rejected the query" and error["details"][0]["error"], error


@pytest.mark.parametrize(
    ("query", "window", "wrong"),
    [
        ("sum(rate(x[{{window}}])", "5m", "'(' at character 4 is not closed"),
        ("sum(rate(x[{{window}}m]))", "5m", "[5mm] is no range"),
        ("sum(rate(x[5m])) * {{window}}", "5m", "the duration 5m stands outside a range"),
        ('sum(rate(x{code="5.."[{{window}}]))', "5m", "'[' at character 22 is inside a label matcher"),
    ],
)
def test_a_window_expression_that_is_no_promql_is_refused_as_it_is_saved_naming_its_field(
    runtime, api, admin_key, prometheus, query, window, wrong
):
    # Given a {{window}} expression that is no PromQL once a window is substituted (Prometheus would say so only
    # when it is read: every evaluation, and the exported rule file, would fail)
    doc = document(prometheus.url)
    doc["spec"]["indicator"]["spec"]["ratioMetric"]["total"]["metricSource"]["spec"]["query"] = query
    # When it is saved (created, replaced, imported), it is a 422 naming the field, the window and what is wrong
    for refused in (
        api.post("/api/slo", json=doc, headers=auth(admin_key)),
        api.post("/api/slo/import", content=json.dumps(doc), headers=auth(admin_key)),
    ):
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        (detail,) = error["details"]
        assert detail["field"] == "spec.indicator.spec.ratioMetric.total.metricSource.spec.query"
        assert detail["window"] == window and detail["query"] == query.replace("{{window}}", window)
        assert detail["message"].startswith(wrong), detail
    # And nothing was stored
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 0
    # And a valid one stored is not replaced by it
    doc["spec"]["indicator"]["spec"]["ratioMetric"]["total"]["metricSource"]["spec"]["query"] = (
        'sum(rate(http_requests_total{job="payments-api"}[{{window}}])) * 300'
    )
    assert api.post("/api/slo", json=doc, headers=auth(admin_key)).status_code == 201
    doc["spec"]["indicator"]["spec"]["ratioMetric"]["total"]["metricSource"]["spec"]["query"] = query
    assert api.put(f"/api/slo/{NAME}", json=doc, headers=auth(admin_key)).status_code == 422
