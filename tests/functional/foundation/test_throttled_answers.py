"""DynamoDB throttling a request past botocore's retries is answered 503 SERVICE_UNAVAILABLE with Retry-After and
logged as a warning: nothing is wrong with the request or the code, and the same request a moment later can
succeed. Any other AWS error, and a programming error, stays a 500 logged with its traceback. DynamoDB's answer is
injected at the AWS boundary (tests/functional/refusals.py) on the embedded AWS."""

import logging

import pytest

from pagerless import settings
from tests.conftest import auth
from tests.functional.refusals import refusing

pytestmark = pytest.mark.functional


def _messages(caplog) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records]


def _service_logs(caplog):
    # the service's logger by name: its own level is POWERTOOLS_LOG_LEVEL's, whatever ran before
    return caplog.at_level(logging.INFO, logger=settings.observability().powertools_service_name)


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_a_throttled_read_is_a_503_with_retry_after(api, admin_key, caplog, code):
    # Given an admin whose key is known
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200
    # When DynamoDB throttles the incident list's query
    with _service_logs(caplog), refusing("Query", code, times=1000) as refused:
        response = api.get("/api/incidents", headers=auth(admin_key))
    # Then the answer is the API's 503, with a time to retry after, and the log says so as a warning
    assert refused, "the list did not query DynamoDB"
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert int(response.headers["Retry-After"]) >= 1
    assert code not in response.text and "Traceback" not in response.text
    assert ("WARNING", "AWS throttled a call; answered 503") in _messages(caplog)
    assert not any(message == "unhandled error" for _, message in _messages(caplog))
    # And once DynamoDB takes requests again, the same request succeeds
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200


def test_another_aws_error_is_still_a_500(api, admin_key, caplog):
    # Given an admin whose key is known
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200
    # When DynamoDB refuses the query for something that is not a throttle
    with _service_logs(caplog), refusing("Query", "ValidationException", times=1000):
        response = api.get("/api/incidents", headers=auth(admin_key))
    # Then it is the internal error it is, logged as unhandled
    assert response.status_code == 500, response.text
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "Retry-After" not in response.headers
    assert ("ERROR", "unhandled error") in _messages(caplog)


def test_a_throttled_key_lookup_is_a_503(api, runtime):
    from pagerless.api.security import key_service

    # Given a key not used yet (its lookup is not cached)
    secret = key_service().create(workspace="default", role="viewer", name="fresh").secret
    # When DynamoDB throttles the lookup
    with refusing("GetItem", "ProvisionedThroughputExceededException", times=1000):
        response = api.get("/api/incidents", headers=auth(secret))
    # Then the caller is told to retry, not that the server is broken (nor that the key is wrong)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
