"""SQS refusing part of an acknowledgement: a payload too large for one message goes to the alert queue as one
message per alert, in SendMessageBatch calls of ten. SQS may refuse entries of a batch (its ``Failed``, an
``InternalError`` of its own) or a whole call. Nothing answered 2xx is lost: refused entries are sent again; what
SQS still did not take is processed in the request (the answer names it), and only what could be neither queued
nor processed is answered 503, for the sender to retry. The refusals are made at the AWS boundary (botocore's
event hooks on the SQS client the code sends with, `tests.functional.refusals.sqs_events`), on moto's queue."""

import json

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from tests.conftest import auth
from tests.functional.intake.conftest import post_alert

pytestmark = pytest.mark.functional

TOO_LARGE = 30  # alerts of 12 KB each: past one SQS message (256 KiB), three batches of ten


@pytest.fixture
def queue_mode(runtime, monkeypatch):
    """The product default: PAGERLESS_INTAKE_ACKNOWLEDGE=queue (tests/conftest.py sets sync)."""
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_INTAKE_ACKNOWLEDGE", "queue")
    settings.reset()
    yield
    settings.reset()


class Refusals:
    """SQS as it refuses parts of SendMessageBatch calls: ``refuse(fingerprint, times)`` makes that alert's entry
    come back ``Failed`` (SQS's InternalError, not the sender's fault; not queued) in its next ``times`` batch
    calls, and a SendMessage of it alone fail as long as any are left; ``refuse_call(n)`` makes the n-th batch
    call (from 1) fail whole."""

    def __init__(self, events) -> None:
        self.events, self.entries, self.calls, self.whole = events, {}, 0, set()

    def refuse(self, fingerprint: str, times: int) -> None:
        self.entries[fingerprint] = times

    def refuse_call(self, number: int) -> None:
        self.whole.add(number)

    def batch(self, params, context, **_):
        self.calls += 1
        if self.calls in self.whole:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "refused"}}, "SendMessageBatch")
        kept, refused = [], []
        for entry in params["Entries"]:
            if self._refused(entry["MessageBody"]):
                self.entries[_fingerprint(entry["MessageBody"])] -= 1
                refused.append(entry["Id"])
            else:
                kept.append(entry)
        context["refused"] = refused
        params["Entries"][:] = kept or params["Entries"][:1]  # none kept: never sent (`unsent`)
        context["unsent"] = not kept

    def unsent(self, context, **_):
        if context.get("unsent"):
            return AWSResponse("https://sqs.local", 200, {}, None), {"Successful": []}
        return None

    def answered(self, parsed, context, **_):
        parsed.setdefault("Failed", []).extend(
            {"Id": id_, "SenderFault": False, "Code": "InternalError", "Message": "try again"}
            for id_ in context.get("refused", [])
        )

    def single(self, params, **_):
        if self._refused(params["MessageBody"]):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "refused"}}, "SendMessage")

    def _refused(self, body: str) -> bool:
        return self.entries.get(_fingerprint(body), 0) > 0

    HOOKS = (
        ("before-parameter-build.sqs.SendMessageBatch", "batch"),
        ("before-call.sqs.SendMessageBatch", "unsent"),
        ("after-call.sqs.SendMessageBatch", "answered"),
        ("before-parameter-build.sqs.SendMessage", "single"),
    )

    def install(self) -> "Refusals":
        for event, name in self.HOOKS:
            self.events.register(event, getattr(self, name), unique_id=f"refusals-{name}")
        return self

    def uninstall(self) -> None:
        for event, name in self.HOOKS:
            self.events.unregister(event, unique_id=f"refusals-{name}")


def _fingerprint(body: str) -> str | None:
    data = json.loads(body)
    return data["alert"]["fingerprint"] if isinstance(data.get("alert"), dict) else None


@pytest.fixture
def refusals(runtime):
    from tests.functional.refusals import sqs_events

    refusals = Refusals(sqs_events()).install()
    yield refusals
    refusals.uninstall()


def _payload() -> dict:
    """An Alertmanager webhook of ``TOO_LARGE`` alerts whose descriptions make it larger than one SQS message."""
    return {
        "version": "4",
        "status": "firing",
        "receiver": "pagerless",
        "groupKey": "{}:{}",
        "alerts": [
            {
                "status": "firing",
                "fingerprint": f"fp-big{n}",
                "labels": {"alertname": f"Big{n}", "namespace": f"ns-{n}", "service": f"svc-{n}"},
                "annotations": {"summary": f"Big{n} is failing", "description": "x" * 12_000},
                "startsAt": "2026-01-01T00:00:00Z",
            }
            for n in range(TOO_LARGE)
        ],
    }


def _queued(runtime) -> list[str]:
    """The fingerprints of the alerts on the alert queue (each received once, then made visible again)."""
    sqs = runtime.client("sqs")
    url = runtime.provisioned.queues["AlertQueue"]
    received = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        received += messages
    for message in received:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    return [json.loads(m["Body"])["alert"]["fingerprint"] for m in received]


def _incidents(api, key) -> list[dict]:
    return api.get("/api/incidents", headers=auth(key), params={"limit": 100}).json()["items"]


def test_entries_sqs_refuses_in_a_batch_are_sent_again_and_the_payload_is_acknowledged(
    api, runtime, ingest_key, admin_key, queue_mode, refusals
):
    # Given SQS refuses two entries of the acknowledgement's batches once each (InternalError)
    refusals.refuse("fp-big3", 1)
    refusals.refuse("fp-big14", 1)
    # When a payload too large for one message is posted
    response = post_alert(api, ingest_key, "alertmanager", _payload())
    # Then the refused entries were sent again: all 30 are accepted and on the queue, once each
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == TOO_LARGE
    assert sorted(_queued(runtime)) == sorted(f"fp-big{n}" for n in range(TOO_LARGE))
    # And the consumer opens an incident for each
    runtime.poller.drain()
    assert len(_incidents(api, admin_key)) == TOO_LARGE


def test_what_sqs_will_not_take_is_processed_in_the_request_and_only_that(
    api, runtime, ingest_key, admin_key, queue_mode, refusals
):
    # Given SQS refuses one entry every time, and the second batch's call whole
    refusals.refuse("fp-big5", 10)
    refusals.refuse_call(4)  # calls: the first batch, its refused entry twice more (refused each time), the second
    # When the payload is posted
    response = post_alert(api, ingest_key, "alertmanager", _payload())
    # Then the answer is a success naming what was queued, and what was processed here: the refused alert and
    # the second batch's ten (the third batch was still sent), each one or the other
    assert response.status_code == 200, response.text
    body = response.json()
    processed = [r["fingerprint"] for r in body["alerts"]]
    assert processed == ["fp-big5", *(f"fp-big{n}" for n in range(10, 20))]
    assert all(r["incident_id"] and r["action"] == "created" for r in body["alerts"])
    queued = [f"fp-big{n}" for n in range(TOO_LARGE) if n != 5 and not 10 <= n < 20]
    assert body["queued_alerts"] == queued
    assert sorted(_queued(runtime)) == sorted(queued)
    # And once the consumer ran, every alert has its one incident
    runtime.poller.drain()
    incidents = _incidents(api, admin_key)
    assert len(incidents) == TOO_LARGE and all(i["alert_count"] == 1 for i in incidents)


def test_only_what_could_be_neither_queued_nor_processed_is_answered_503(
    api, runtime, ingest_key, admin_key, queue_mode, refusals, monkeypatch
):
    from pagerless.store.incidents import IncidentRecord
    from pagerless.store.session import dynamodb_events

    # Given SQS refuses one entry every time, and the store refuses that alert's incident (a DynamoDB outage
    # for it, at the boundary)
    refusals.refuse("fp-big7", 10)
    events = dynamodb_events(IncidentRecord)

    def refuse_big7(params, **_):
        if "Big7 is failing" in json.dumps(params):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "TransactWriteItems")

    events.register("before-call.dynamodb.TransactWriteItems", refuse_big7, unique_id="refuse-big7")
    try:
        response = post_alert(api, ingest_key, "alertmanager", _payload())
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="refuse-big7")
    # Then the sender is answered 503, naming that alert alone as not kept, and the others as queued
    assert response.status_code == 503, response.text
    [details] = response.json()["error"]["details"]
    assert details["not_kept"] == ["fp-big7"]
    assert sorted(details["queued"]) == sorted(f"fp-big{n}" for n in range(TOO_LARGE) if n != 7)
    # And the sender's retry (SQS takes it now) brings it: every alert has its one incident
    refusals.refuse("fp-big7", 0)
    post_alert(api, ingest_key, "alertmanager", _payload())
    runtime.poller.drain()
    incidents = _incidents(api, admin_key)
    assert len(incidents) == TOO_LARGE and all(i["alert_count"] in (1, 2) for i in incidents)
