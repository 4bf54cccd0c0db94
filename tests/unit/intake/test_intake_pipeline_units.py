"""Pure parts of the intake pipeline: body reading, queue envelopes, SQS deliveries, SNS URLs, SSE gaps."""

import json
from datetime import UTC, datetime

import pytest

from pagerless.domain.errors import ValidationError
from pagerless.incidents import stream
from pagerless.intake.deliveries import parse_delivery
from pagerless.intake.payloads import MAX_DEPTH, parse_payload
from pagerless.intake.queue import IngestEnvelope, is_envelope
from pagerless.intake.senders import is_sns_subscribe_url

pytestmark = pytest.mark.unit


def test_json_depth_limit_counts_brackets_outside_strings():
    # Given documents at and over the limit, and brackets inside strings
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    over = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    in_string = json.dumps({"title": "[" * 500})
    # Then only the real nesting counts
    assert parse_payload(at_limit.encode(), source="generic", content_type="application/json")
    assert parse_payload(in_string.encode(), source="generic", content_type=None)["title"] == "[" * 500
    with pytest.raises(ValidationError, match="nested deeper"):
        parse_payload(over.encode(), source="generic", content_type="application/json")


def test_text_bodies_stay_text_and_bad_bytes_are_refused():
    assert parse_payload(b"disk full", source="generic", content_type="text/plain; charset=utf-8") == "disk full"
    assert parse_payload(b'{"a": 1}', source="text", content_type="application/json") == '{"a": 1}'
    for body in (b"\xff\xfe", b"   ", b"{nope"):
        with pytest.raises(ValidationError):
            parse_payload(body, source="generic", content_type="application/json")


def test_envelope_round_trips_binary_bodies_and_is_recognised():
    # Given a body that is not UTF-8
    envelope = IngestEnvelope.build(
        source="generic",
        workspace="w",
        body=b"\xff\x00x",
        content_type=None,
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    data = json.loads(envelope.to_json())
    # Then it travels as base64 and comes back byte for byte
    assert data["body_encoding"] == "base64" and IngestEnvelope.from_json(data).raw_body() == b"\xff\x00x"
    assert is_envelope(data) and is_envelope({}, {"pagerless_kind": {"stringValue": "ingest"}})
    assert not is_envelope({"Type": "Notification"})


def test_deliveries_tell_envelopes_sns_and_junk_apart_with_stable_ids():
    envelope = IngestEnvelope(source="grafana", workspace="team-a", body="{}", received_at="2026-01-01T00:00:00+00:00")
    queued = parse_delivery(envelope.to_json())
    assert (queued.kind, queued.source, queued.workspace) == ("ingest", "grafana", "team-a")
    assert queued.id == parse_delivery(envelope.to_json(), sent_timestamp="1").id  # redelivery, same record
    alarm = {
        "Type": "Notification",
        "Message": json.dumps({"AlarmName": "x", "NewStateValue": "ALARM"}),
        "Timestamp": "2026-01-02T00:00:00Z",
        "MessageAttributes": {"workspace": {"Type": "String", "Value": "team-b"}},
    }
    sns = parse_delivery(json.dumps(alarm))
    assert (sns.kind, sns.source, sns.workspace) == ("sns", "cloudwatch", "team-b")
    event = {**alarm, "Message": json.dumps({"detail-type": "CloudWatch Alarm State Change"}), "MessageAttributes": {}}
    assert parse_delivery(json.dumps(event)).source == "eventbridge"
    assert parse_delivery(json.dumps({**alarm, "Message": "disk full"})).source == "text"
    junk = parse_delivery("not json", sent_timestamp="1767225600000")
    assert (junk.kind, junk.source) == ("raw", "unknown") and junk.id.startswith("dl-20260101T000000-")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=a&Token=b", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription&Token=b", True),
        ("http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription", False),
        ("https://sns.eu-west-1.amazonaws.com.evil.com/?Action=ConfirmSubscription", False),
        ("https://sns.eu-west-1.amazonaws.com:8443/?Action=ConfirmSubscription", False),
        ("https://user@sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription", False),
        ("https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe", False),
        (None, False),
    ],
)
def test_only_sns_confirmation_urls_are_fetched(url, ok):
    assert is_sns_subscribe_url(url) is ok


class _FakeEvents:
    """An in-memory events table: a list of (seq, type) visible so far, read like the store reads it."""

    def __init__(self, visible):
        self.visible = visible

    def __call__(self, workspace, after, limit=200):
        rows = [r for r in sorted(self.visible) if r[0] > after]
        return [
            type(
                "E", (), {"seq": s, "type": t, "incident_id": None, "at": datetime(2026, 1, 1, tzinfo=UTC), "data": {}}
            )()
            for s, t in rows[:limit]
        ]


def _ids(chunks):
    return [int(line[4:]) for chunk in chunks for line in chunk.splitlines() if line.startswith("id: ")]


def test_stream_holds_back_at_a_gap_then_skips_it():
    # Given events 1, 2 and 4 are visible; 3 is still being written
    fake = _FakeEvents([(1, "a"), (2, "b"), (4, "d")])
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds
        if now[0] >= 1.0 and (3, "c") not in fake.visible:
            fake.visible.append((3, "c"))  # it lands within the hold

    # When a client streams from the start
    chunks = list(
        stream.stream_events(
            "w",
            0,
            stream.StreamOptions(max_seconds=3, poll_seconds=0.5),
            clock=lambda: now[0],
            sleep=sleep,
            read_after=fake,
        )
    )
    # Then it waited for 3 and delivered everything in order
    assert chunks[0].startswith("retry: ")
    assert _ids(chunks) == [1, 2, 3, 4]


def test_stream_skips_a_gap_that_never_fills_and_sends_heartbeats():
    fake = _FakeEvents([(1, "a"), (3, "c")])
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    chunks = list(
        stream.stream_events(
            "w",
            0,
            stream.StreamOptions(max_seconds=15, poll_seconds=0.5, heartbeat_seconds=5, gap_hold_seconds=2),
            clock=lambda: now[0],
            sleep=sleep,
            read_after=fake,
        )
    )
    assert _ids(chunks) == [1, 3]
    assert any(chunk.startswith(": heartbeat") for chunk in chunks)


def test_form_bodies_are_objects_of_their_fields_and_json_keeps_its_label_free():
    form = "application/x-www-form-urlencoded"
    # Given Datadog's "Encode as form" body, JSON sent by `curl -d` (labelled as a form) and SNS's text/plain
    fields = parse_payload(b"title=%5BTriggered%5D+CPU&alert_id=42&scopes=", source="datadog", content_type=form)
    curl = parse_payload(b'{"title": "disk full"}', source="generic", content_type=form)
    sns = parse_payload(b'{"Type": "Notification"}', source="cloudwatch", content_type="text/plain; charset=UTF-8")
    # Then each is the object it stands for
    assert fields == {"title": "[Triggered] CPU", "alert_id": "42", "scopes": ""}
    assert curl == {"title": "disk full"} and sns == {"Type": "Notification"}
    with pytest.raises(ValidationError):
        parse_payload(b"   ", source="datadog", content_type=form)


def test_bodies_are_decoded_in_their_declared_charset_also_after_the_queue():
    # Given a GBK chat alert that declares its charset, and JSON behind a UTF-8 byte order mark
    gbk = "[告警] 磁盘已满".encode("gbk")
    envelope = IngestEnvelope.build(
        source="text",
        workspace="w",
        body=gbk,
        content_type="text/plain; charset=GBK",
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    queued = IngestEnvelope.from_json(json.loads(envelope.to_json()))
    # Then both read as the text they are, on the webhook and in the consumer alike
    assert parse_payload(gbk, source="text", content_type="text/plain; charset=GBK") == "[告警] 磁盘已满"
    assert parse_payload(queued.raw_body(), source="text", content_type=queued.content_type) == "[告警] 磁盘已满"
    assert parse_payload(b'\xef\xbb\xbf{"a": 1}', source="generic", content_type="application/json") == {"a": 1}
    # And an undeclared non-UTF-8 body or an unknown charset is still a 400
    with pytest.raises(ValidationError, match="not UTF-8"):
        parse_payload(gbk, source="text", content_type="text/plain")
    for charset in ("nope", "base64"):
        with pytest.raises(ValidationError, match="charset"):
            parse_payload(b"x", source="text", content_type=f"text/plain; charset={charset}")


def test_an_executed_action_is_also_seed_000s_execution_completed():
    from pagerless.store.timeline import StreamEventRecord

    # Given the stream event of a fix that worked, and of one that failed
    def executed(seq, status):
        return StreamEventRecord(
            "w",
            seq,
            type="action_executed",
            incident_id="INC-1",
            at=datetime(2026, 1, 15, 10, 30, tzinfo=UTC),
            data={"message": "done", "action": "rollout_restart", "status": status},
        )

    # When they are formatted for the stream
    worked, failed = stream.format_event(executed(7, "succeeded")), stream.format_event(executed(8, "failed"))
    # Then each is followed by seed 000's execution_completed, without an id of its own
    assert worked.count("id: ") == 1 and worked.startswith("id: 7\nevent: action_executed\n")
    alias = worked.split("\n\n")[1]
    assert alias.startswith("event: execution_completed\ndata: ")
    assert json.loads(alias.split("data: ", 1)[1]) == {
        "type": "execution_completed",
        "at": "2026-01-15T10:30:00+00:00",
        "incident_id": "INC-1",
        "success": True,
        "action": "rollout_restart",
    }
    assert json.loads(failed.split("\n\n")[1].split("data: ", 1)[1])["success"] is False
    # And the console's stream, which has no use for them, gets the event alone
    assert "execution_completed" not in stream.format_event(executed(9, "succeeded"), seed_000_events=False)
