"""A CloudWatch metric (`observability.count`) is one EMF line: printed for Lambda to hand to CloudWatch, or, where
PAGERLESS_METRICS_FILE names a file (`pagerless dev` sets it to its state directory's metrics.jsonl), appended there
so the dev console is not drowned in them."""

import json

import pytest

from tests.conftest import cloudwatch_metrics

pytestmark = pytest.mark.unit


@pytest.fixture
def metrics_file(tmp_path, monkeypatch):
    from pagerless import settings

    path = tmp_path / "metrics.jsonl"
    monkeypatch.setenv("PAGERLESS_METRICS_FILE", str(path))
    settings.reset()
    yield path
    monkeypatch.delenv("PAGERLESS_METRICS_FILE")
    settings.reset()


def test_with_a_metrics_file_each_count_is_appended_there_and_not_printed(metrics_file):
    from pagerless.observability import count

    # When two counts are written
    with cloudwatch_metrics() as written:
        count("DeadLettered")
        count("NotificationNotQueued")
    # Then nothing is printed, and the file holds one EMF line each, as CloudWatch reads them
    assert written.named("DeadLettered") == [] and written.named("NotificationNotQueued") == []
    lines = [json.loads(line) for line in metrics_file.read_text("utf-8").splitlines()]
    assert [line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for line in lines] == [
        "DeadLettered",
        "NotificationNotQueued",
    ]
    assert lines[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Pagerless" and lines[0]["DeadLettered"] == [1.0]


def test_without_one_each_count_is_printed_for_cloudwatch():
    from pagerless import settings
    from pagerless.observability import count

    settings.reset()
    with cloudwatch_metrics() as written:
        count("DeadLettered")
    [line] = written.named("DeadLettered")
    assert line["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [{"Name": "DeadLettered", "Unit": "Count"}]
