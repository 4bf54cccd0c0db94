"""An alert webhook that meets DynamoDB throttling (what an alert storm brings) is answered honestly: a 503 with
Retry-After when nothing was accepted, so the sender retries; never a 500, and never an acceptance of alerts that
were not kept. DynamoDB's answer is injected at the AWS boundary (tests/functional/refusals.py)."""

import pytest

from tests.conftest import auth
from tests.functional.intake.conftest import make_key
from tests.functional.refusals import refusing

pytestmark = pytest.mark.functional

ALERT = {"title": "orders backlog", "fingerprint": "storm-1", "severity": "high"}


def test_a_webhook_whose_key_lookup_is_throttled_is_a_503_and_keeps_nothing(api, runtime):
    # Given an ingest key not used yet
    key = make_key("ingest")
    # When DynamoDB throttles every read while the alert arrives
    with refusing("GetItem", "ProvisionedThroughputExceededException", times=1000):
        response = api.post("/api/webhooks/generic", json=ALERT, headers=auth(key))
    # Then the sender is told to retry later, and nothing says the alert was accepted
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"]
    # And once DynamoDB answers again, the retry is taken
    assert api.post("/api/webhooks/generic", json=ALERT, headers=auth(key)).status_code in (200, 202)


def test_a_webhook_whose_settings_read_is_throttled_is_a_503_with_retry_after(api, runtime):
    from pagerless.api.security import key_service

    # Given an ingest key already known (its lookup cached), in a workspace whose webhook settings are not read yet
    key = make_key("ingest")
    assert key_service().authenticate(key) is not None
    # When DynamoDB throttles the settings read (a signature may be required: the alert cannot be checked)
    with refusing("GetItem", "ProvisionedThroughputExceededException", times=1000) as refused:
        response = api.post("/api/webhooks/generic", json=ALERT, headers=auth(key))
    # Then the sender is told to retry later, and when
    assert refused, "the webhook read nothing from DynamoDB"
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
