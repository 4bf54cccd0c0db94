"""Rate limits per key: 429 RATE_LIMITED with Retry-After, one shared count across instances,
and alert intake queued (202), never refused."""

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

NOW = 1_789_999_990.0  # 10 s into a minute: every request of a test falls in one window
ALERT = {"title": "orders queue backing up", "service": "orders", "namespace": "shop", "severity": "high"}


@pytest.fixture
def limits(runtime, monkeypatch):
    """Small limits and a fixed clock (the window must not roll over mid-test)."""
    from pagerless import settings
    from pagerless.api import ratelimit

    monkeypatch.setenv("PAGERLESS_RATE_LIMIT_DEFAULT_PER_MINUTE", "3")
    monkeypatch.setenv("PAGERLESS_RATE_LIMIT_INTAKE_PER_MINUTE", "1")
    settings.reset()
    monkeypatch.setattr(ratelimit.LIMITER, "clock", lambda: NOW)
    ratelimit.LIMITER.reset()
    yield ratelimit
    ratelimit.LIMITER.reset()


def _key(role: str) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role=role, name=f"test {role}").secret


class DynamoCalls:
    """Counts DynamoDB UpdateItem calls made by any client, from botocore's events."""

    def __init__(self) -> None:
        self.updates = 0

    def __call__(self, **kwargs) -> None:
        self.updates += 1


def test_over_the_limit_a_key_gets_429_with_retry_after_and_other_keys_do_not(api, limits):
    first, second = _key("viewer"), _key("viewer")
    answers = [api.get("/api/version", headers=auth(first)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    # When the fourth request of the minute comes from the same key
    refused = api.get("/api/version", headers=auth(first))
    # Then it is refused in the API's error format, saying when to come back
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMITED" and "600" not in error["message"]
    assert error["details"] == [{"bucket": "default", "limit": 3, "retry_after": 50}]
    assert refused.headers["Retry-After"] == "50"
    # And another key is counted on its own
    assert api.get("/api/version", headers=auth(second)).status_code == 200


def test_the_count_is_shared_by_instances_with_one_update_per_request(runtime, limits):
    from pagerless.store.ratelimits import RateCounterRecord
    from pagerless.store.session import dynamodb_events

    calls = DynamoCalls()
    events = dynamodb_events(RateCounterRecord)  # the client the store uses
    events.register("before-call.dynamodb.UpdateItem", calls)
    try:
        # Given two Lambda instances (two limiters) counting the same key
        one, two = limits.Limiter(clock=lambda: NOW), limits.Limiter(clock=lambda: NOW)
        verdicts = [one.check("key-a", "runs", 3), two.check("key-a", "runs", 3), one.check("key-a", "runs", 3)]
        assert [v.allowed for v in verdicts] == [True, True, True]
        assert [v.remaining for v in verdicts] == [2, 1, 0]
        # Then the fourth is refused wherever it arrives, each request cost one UpdateItem
        assert two.check("key-a", "runs", 3).allowed is False
        assert calls.updates == 4
        # And once an instance knows the window is full it answers without calling DynamoDB
        assert two.check("key-a", "runs", 3).allowed is False
        assert calls.updates == 4
        assert one.check("key-a", "runs", 3).allowed is False  # the other instance's requests filled it: asks once
        assert one.check("key-a", "runs", 3).allowed is False
        assert calls.updates == 5
        # And the next window starts over
        later = limits.Limiter(clock=lambda: NOW + 60)
        assert later.check("key-a", "runs", 3).allowed is True
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", calls)


def test_alert_intake_over_the_limit_is_queued_and_processed_never_dropped(api, runtime, limits):
    ingest, admin = _key("ingest"), _key("admin")
    first = api.post("/api/webhooks/generic", json=ALERT, headers=auth(ingest))
    assert first.status_code == 200, first.text
    # When the same key sends a second, different alert in the same minute
    second = api.post("/api/webhooks/generic", json={**ALERT, "title": "orders DLQ growing"}, headers=auth(ingest))
    # Then it is accepted for later, and the answer says why
    assert second.status_code == 202, second.text
    body = second.json()
    assert body["queued"] is True and body["reason"] == "rate_limited" and "not dropped" in body["message"]
    assert second.headers["Retry-After"] == "50"
    # And when the alert queue is drained it opens its incident
    runtime.poller.drain()
    limits.LIMITER.reset()
    titles = {i["title"] for i in api.get("/api/incidents", headers=auth(admin)).json()["items"]}
    assert titles == {ALERT["title"], "orders DLQ growing"}


def test_alert_intake_over_the_limit_while_the_queue_is_down_is_processed_not_refused(api, runtime, limits):
    ingest, admin = _key("ingest"), _key("admin")
    assert api.post("/api/webhooks/generic", json=ALERT, headers=auth(ingest)).status_code == 200
    # Given an alert queue that cannot take anything (an outage)
    runtime.client("sqs").delete_queue(QueueUrl=runtime.provisioned.queues["AlertQueue"])
    # When the same key, over its limit, sends another alert
    second = api.post("/api/webhooks/generic", json={**ALERT, "title": "orders DLQ growing"}, headers=auth(ingest))
    # Then it is not refused for the queue (the store is up): it is processed in the request, as
    # any sender's alerts are while the queue is down
    assert second.status_code == 200, second.text
    assert second.json()["alerts"][0]["incident_id"]
    titles = {i["title"] for i in api.get("/api/incidents", headers=auth(admin)).json()["items"]}
    assert titles == {ALERT["title"], "orders DLQ growing"}


def test_an_unreachable_counter_lets_requests_through(runtime, limits):
    # Given the system table is gone (an outage of the counter's store)
    runtime.client("dynamodb").delete_table(TableName=runtime.provisioned.tables["SystemTable"])
    limiter = limits.Limiter(clock=lambda: NOW)
    # Then requests are allowed rather than refused: the limiter must not take the API down
    assert all(limiter.check("key-b", "default", 1).allowed for _ in range(3))
