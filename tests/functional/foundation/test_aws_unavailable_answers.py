"""AWS failing on its side (InternalServerError, a 5xx) or out of reach (no connection, a timeout) past botocore's
retries is answered as a throttle is: 503 SERVICE_UNAVAILABLE with Retry-After, logged as a warning, not a 500 with a
traceback. An AWS error that is the caller's (AccessDenied, a ValidationException) stays a 500. The queue consumer
and the workflow's tasks still fail on it, so that SQS or Step Functions runs them again. DynamoDB's answer is
injected at the AWS boundary (tests/functional/refusals.py), on the embedded AWS, through the real apps."""

import json
import logging

import pytest
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from pagerless import settings
from tests.conftest import ROOT, auth
from tests.functional.console.conftest import admin_user  # noqa: F401 - the fixture
from tests.functional.console.test_console import sign_in
from tests.functional.console.test_error_pages import BROWSER
from tests.functional.refusals import failing, refusing

pytestmark = pytest.mark.functional

ENDPOINT = "https://dynamodb.us-east-1.amazonaws.com"
SERVER_ERRORS = [
    ("InternalServerError", 500),  # DynamoDB's
    ("InternalFailure", 500),  # the common one of every AWS service
    ("ServiceUnavailable", 503),
    ("BadGateway", 502),  # a code no list names: its HTTP status tells
]
CONNECTION_ERRORS = {
    "EndpointConnectionError": lambda _: EndpointConnectionError(endpoint_url=ENDPOINT),
    "ConnectTimeoutError": lambda _: ConnectTimeoutError(endpoint_url=ENDPOINT),
    "ReadTimeoutError": lambda _: ReadTimeoutError(endpoint_url=ENDPOINT),
    "ConnectionClosedError": lambda _: ConnectionClosedError(endpoint_url=ENDPOINT),
}


def _messages(caplog) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records]


def _service_logs(caplog):
    return caplog.at_level(logging.INFO, logger=settings.observability().powertools_service_name)


def _assert_unavailable(response, caplog, warning: str) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert int(response.headers["Retry-After"]) >= 1
    assert "Traceback" not in response.text and ENDPOINT not in response.text
    assert ("WARNING", warning) in _messages(caplog)
    assert not any(message == "unhandled error" for _, message in _messages(caplog))
    assert not any(r.exc_info for r in caplog.records if r.levelname in ("ERROR", "CRITICAL"))


@pytest.mark.parametrize(("code", "status"), SERVER_ERRORS, ids=[c for c, _ in SERVER_ERRORS])
def test_an_aws_server_error_is_a_503_with_retry_after(api, admin_key, caplog, code, status):
    # Given an admin whose key is known
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200
    # When DynamoDB answers the incident list's query with its own error, past botocore's retries
    with (
        _service_logs(caplog),
        refusing("Query", code, times=1000, ResponseMetadata={"HTTPStatusCode": status}) as refused,
    ):
        response = api.get("/api/incidents", headers=auth(admin_key))
    # Then the caller is told to retry later, in the API's error format, and the log has a warning naming it
    assert refused, "the list did not query DynamoDB"
    _assert_unavailable(response, caplog, "AWS failed a call on its side; answered 503")
    (warning,) = [r for r in caplog.records if r.getMessage() == "AWS failed a call on its side; answered 503"]
    assert warning.aws_code == code
    # And once DynamoDB answers again, the same request succeeds
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200


@pytest.mark.parametrize("error", sorted(CONNECTION_ERRORS))
def test_aws_out_of_reach_is_a_503_with_retry_after(api, admin_key, caplog, error):
    # Given an admin whose key is known
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200
    # When DynamoDB cannot be reached for the incident list's query (the connection fails, or times out)
    with _service_logs(caplog), failing("Query", CONNECTION_ERRORS[error], times=1000) as failed:
        response = api.get("/api/incidents", headers=auth(admin_key))
    # Then the caller is told to retry later, and the log has a warning naming the error
    assert failed, "the list did not query DynamoDB"
    _assert_unavailable(response, caplog, "AWS could not be reached; answered 503")
    (warning,) = [r for r in caplog.records if r.getMessage() == "AWS could not be reached; answered 503"]
    assert warning.aws_code == error


def test_an_unreachable_key_lookup_is_a_503_not_a_wrong_key(api, runtime):
    from pagerless.api.security import key_service

    # Given a key not used yet (its lookup is not cached)
    secret = key_service().create(workspace="default", role="viewer", name="fresh").secret
    # When DynamoDB cannot be reached for the lookup
    with failing("GetItem", CONNECTION_ERRORS["EndpointConnectionError"], times=1000):
        response = api.get("/api/incidents", headers=auth(secret))
    # Then the caller is told to retry, not that the server is broken nor that the key is wrong
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]


@pytest.mark.parametrize(
    ("code", "status"), [("AccessDeniedException", 400), ("ValidationException", 400), ("AccessDenied", 403)]
)
def test_an_aws_error_that_is_the_callers_is_still_a_500(api, admin_key, caplog, code, status):
    # Given an admin whose key is known
    assert api.get("/api/incidents", headers=auth(admin_key)).status_code == 200
    # When DynamoDB refuses the query for something a retry does not change
    with _service_logs(caplog), refusing("Query", code, times=1000, ResponseMetadata={"HTTPStatusCode": status}):
        response = api.get("/api/incidents", headers=auth(admin_key))
    # Then it is the internal error it is, logged as unhandled with its traceback
    assert response.status_code == 500, response.text
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "Retry-After" not in response.headers
    assert ("ERROR", "unhandled error") in _messages(caplog)


def test_the_console_says_to_retry_when_aws_is_out_of_reach(api, admin_user):  # noqa: F811
    # Given a signed-in admin
    sign_in(api, "root@example.com")
    assert api.get("/console/incidents", headers=BROWSER).status_code == 200
    # When DynamoDB cannot be reached for the incident list
    with failing("Query", CONNECTION_ERRORS["ReadTimeoutError"], times=1000):
        page = api.get("/console/incidents", headers=BROWSER)
    # Then a browser gets the page saying to retry, not "something went wrong"
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html"), page.text[:300]
    assert "Something went wrong" not in page.text


def _event(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


def test_the_alert_consumer_fails_a_record_aws_could_not_take_and_its_retry_is_kept(runtime):
    from pagerless.local.lambdas import FunctionError
    from pagerless.store.incidents import IncidentRecord

    consumer = runtime.lambdas.by_logical_id["AlertConsumerFunction"].name
    event = _event("alert_consumer/sqs_queued_webhook_envelope.json")
    # When DynamoDB fails on its side while the queued alert opens its incident
    with refusing(
        "TransactWriteItems", "InternalServerError", times=1000, ResponseMetadata={"HTTPStatusCode": 500}
    ) as refused:
        # Then the record fails: its batch's only one, the whole invocation fails and SQS delivers it again
        with pytest.raises(FunctionError, match="All records failed"):
            runtime.lambdas.invoke(consumer, event)
    assert refused, "the consumer wrote no transaction"
    assert list(IncidentRecord.scan()) == []
    # And SQS's next delivery opens the incident
    assert runtime.lambdas.invoke(consumer, event) == {"batchItemFailures": []}
    assert len(list(IncidentRecord.scan())) == 1


def test_a_workflow_task_fails_when_aws_is_out_of_reach(runtime):
    from pagerless.domain.alerts import Alert
    from pagerless.intake.service import IntakeService
    from pagerless.local.lambdas import FunctionError

    # Given an incident whose workflow starts
    opened = IntakeService().process(Alert(source="generic", fingerprint="sfn", title="sfn"), "default")
    workflow = runtime.lambdas.by_logical_id["WorkflowFunction"].name
    event = {**_event("workflow/incident_opened.json"), "incident_id": opened.incident_id}
    # When DynamoDB cannot be reached during its first task
    with failing("GetItem", CONNECTION_ERRORS["ConnectTimeoutError"], times=1000) as failed:
        # Then the task fails (Step Functions decides what follows), it does not report success
        with pytest.raises(FunctionError):
            runtime.lambdas.invoke(workflow, event)
    assert failed, "the task wrote nothing"
