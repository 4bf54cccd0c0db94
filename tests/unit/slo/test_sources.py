"""SLI sources: the PromQL each bucket is read with, CloudWatch queries, Pagerless downtime per bucket."""

import socket
from datetime import UTC, datetime, timedelta

import pytest

from pagerless.domain.errors import ServiceUnavailableError, ValidationError
from pagerless.slo.sources import cloudwatch, prometheus
from pagerless.slo.sources.pagerless_incidents import bucket_minutes, downtime_intervals

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_selector_is_summed_with_increase_over_the_bucket():
    assert (
        prometheus.promql('http_requests_total{job="api",code=~"5.."}')
        == 'sum(increase(http_requests_total{job="api",code=~"5.."}[5m]))'
    )
    assert prometheus.promql("sum(rate(x_total[{{window}}])) * 300") == "sum(rate(x_total[5m])) * 300"


@pytest.mark.parametrize("query", ["rate(x[5m])", "x_total + y_total", "sum(x_total)"])
def test_an_expression_without_window_is_refused(query):
    with pytest.raises(ValidationError):
        prometheus.promql(query)


def test_an_unreachable_prometheus_is_service_unavailable():
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ServiceUnavailableError):
        prometheus.read({"query": "up", "url": f"http://127.0.0.1:{port}"}, T0, at(10))


def test_no_prometheus_url_is_a_validation_error(monkeypatch):
    from pagerless.slo.config import slo_settings

    monkeypatch.delenv("PAGERLESS_SLO_PROMETHEUS_URL", raising=False)
    slo_settings.cache_clear()
    with pytest.raises(ValidationError):
        prometheus.read({"query": "up"}, T0, at(10))
    slo_settings.cache_clear()


def test_cloudwatch_query_is_a_five_minute_metric_stat():
    query = cloudwatch.metric_query(
        {"namespace": "App", "metricName": "Errors", "dimensions": [{"name": "Service", "value": "api"}]}
    )
    assert query["MetricStat"] == {
        "Metric": {"Namespace": "App", "MetricName": "Errors", "Dimensions": [{"Name": "Service", "Value": "api"}]},
        "Period": 300,
        "Stat": "Sum",
    }
    with pytest.raises(ValidationError):
        cloudwatch.metric_query({"namespace": "App", "metricName": "Errors", "dimensions": ["Service=api"]})


def test_overlapping_incidents_count_once_and_open_ones_run_until_now():
    # 10:02–10:08 and 10:06–10:11 overlap into 10:02–10:11; an open incident from 10:13 runs until now (10:14)
    spans = [(at(2), at(8)), (at(6), at(11)), (at(13), None)]
    merged = downtime_intervals(spans, now=at(14))
    assert merged == [(at(2), at(11)), (at(13), at(14))]
    # buckets 10:00, 10:05, 10:10: 3, 5 and 1 + 1 minutes down
    assert bucket_minutes(merged, T0, at(15)) == {T0: 3.0, at(5): 5.0, at(10): 2.0}
