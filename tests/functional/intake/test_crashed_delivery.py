"""A delivery that died holding an alert's claim (its Lambda, or `pagerless dev`, was killed) does
not cost the alert: the next delivery waits until the claim goes stale instead of spending the
queue's retries before it, so the alert opens its incident and is never dead-lettered."""

import time
from datetime import timedelta

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import post_alert, wait_for

pytestmark = pytest.mark.functional

ALERT = {"title": "payments latency", "service": "payments", "namespace": "shop", "severity": "high"}


@pytest.fixture
def short_claims(runtime, monkeypatch):
    """Queue-acknowledged intake; a claim goes stale after 5 s and a losing delivery waits 0.2 s."""
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
    monkeypatch.setenv("PAGERLESS_INTAKE_CLAIM_STALE_SECONDS", "5")
    monkeypatch.setenv("PAGERLESS_INTAKE_CLAIM_WAIT_SECONDS", "0.2")
    settings.reset()
    yield
    settings.reset()


def _dead_letters(api, key) -> list[dict]:
    return api.get("/api/webhooks/dead-letter", headers=auth(key)).json()["items"]


def _in_dlq(runtime) -> int:
    sqs = runtime.client("sqs")
    url = runtime.provisioned.queues["AlertDLQ"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_a_claim_left_by_a_dead_delivery_delays_the_retry_until_it_is_stale(
    api, runtime, ingest_key, admin_key, short_claims
):
    from pagerless.clock import utcnow
    from pagerless.intake.sources import normalize
    from pagerless.store.alerts import AlertRepository, alert_key

    # Given an alert acknowledged with a 202 (on the queue, not processed yet)
    assert post_alert(api, ingest_key, "generic", ALERT).status_code == 202
    # And a delivery of it that claimed the alert and then died (nothing released the claim)
    [alert] = normalize("generic", ALERT)
    key = alert_key("default", alert.source, alert.fingerprint)
    stale_after = 5
    claimed_at = utcnow()
    claim = AlertRepository().claim(
        key,
        workspace="default",
        source=alert.source,
        fingerprint=alert.fingerprint,
        now=claimed_at,
        stale_after=timedelta(seconds=stale_after),
    )
    assert claim is not None
    # When the consumer runs at once, with the dev runtime's immediate retries (--retry-delay 0)
    runtime.poller.drain()
    # Then the retries were not spent while the claim was held: the message waits, nothing is dead
    assert _in_dlq(runtime) == 0
    assert [d for d in _dead_letters(api, admin_key) if d.get("status") == "dead"] == []

    # And once the claim is stale, the next delivery takes it over and opens the incident
    def opened():
        runtime.poller.drain()
        return api.get("/api/incidents", headers=auth(admin_key)).json()["items"]

    [incident] = wait_for(opened, timeout=30, interval=0.5)
    assert incident["title"] == ALERT["title"] and incident["alert_count"] == 1
    assert time.time() >= claimed_at.timestamp() + stale_after - 1
    assert _in_dlq(runtime) == 0 and _dead_letters(api, admin_key) == []


def test_only_a_failure_that_names_its_moment_changes_the_retry():
    from pagerless.domain.errors import ServiceUnavailableError
    from pagerless.intake import consumer

    # A held claim is retried when it goes stale; other failures keep the queue's own timing
    assert consumer.retry_after(ServiceUnavailableError("held", retry_after=12.5)) == 12.5
    assert consumer.retry_after(ServiceUnavailableError("queue down")) is None
    assert consumer.retry_after(RuntimeError("boom")) is None
