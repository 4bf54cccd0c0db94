"""GET /api/status answers from the probe the scheduled `status-probe` job stores every minute (every table,
queue and state machine), while it is younger than PAGERLESS_STATUS_MAX_AGE_SECONDS; older, missing or
unreadable, or with ``?live=true``, it probes live. The answer says which, and when the probe was taken."""

import json
import time

import pytest

from pagerless.local.template import ACCOUNT_ID
from tests.conftest import ROOT, auth
from tests.iam import calls as iam_calls

pytestmark = pytest.mark.functional

TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table"


def _status(api, key, query: str = "") -> dict:
    response = api.get(f"/api/status{query}", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def _scheduled_probe(runtime) -> dict:
    """What EventBridge does every minute: the template's StatusProbe schedule fires the scheduled function."""
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-StatusProbe"]
    assert target.expression == "rate(1 minute)"
    answer = runtime.scheduler.fire(target)
    assert answer and answer["job"] == "status-probe", answer
    return answer["result"]


def _max_age(monkeypatch, seconds: float) -> None:
    from pagerless import settings

    monkeypatch.setenv("PAGERLESS_STATUS_MAX_AGE_SECONDS", str(seconds))
    settings.reset()


def _send(runtime, queue_url: str, count: int) -> None:
    sqs = runtime.client("sqs")
    for n in range(count):
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"n": n}))


def test_the_scheduled_job_stores_the_probe_of_every_table_queue_and_state_machine(runtime):
    from pagerless import settings
    from pagerless.store.system import SystemRepository

    # When the scheduled function runs the sample status-probe event (events/scheduled/status_probe.json)
    spec = runtime.lambdas.by_logical_id["ScheduledFunction"]
    event = json.loads((ROOT / "events/scheduled/status_probe.json").read_text("utf-8"))
    answer = runtime.lambdas.invoke(spec.name, event)
    # Then it says when it probed and that everything answered, and the system table holds the result
    assert answer["job"] == "status-probe" and answer["result"]["unreachable"] == [], answer
    stored = SystemRepository().get("heartbeat", "status-probe")
    assert stored is not None and stored.data["checked_at"] == answer["result"]["checked_at"]
    assert set(stored.data["store"]) == set(settings.tables().model_dump())
    assert set(stored.data["queues"]) == {"alerts", "alerts_dlq", "notify", "notify_dlq"}
    assert set(stored.data["state_machines"]) == {"incident_response", "selfcheck"}


def test_a_fresh_scheduled_probe_is_served_with_its_age_and_live_true_probes_again(runtime, api, admin_key):
    from pagerless import settings

    # Given the scheduler's probe, taken before 3 alerts arrived on the AlertQueue
    probe = _scheduled_probe(runtime)
    _send(runtime, settings.workflow().alert_queue_url, 3)
    # When the status is read
    status = _status(api, admin_key)
    # Then the queues are the stored probe's (the 3 alerts came after it), and the answer says so
    assert status["probes"]["source"] == "scheduled"
    assert status["probes"]["checked_at"] == probe["checked_at"]
    assert 0 <= status["probes"]["age_seconds"] < 60 and status["probes"]["max_age_seconds"] == 120
    assert status["queues"]["alerts"]["messages"] == 0
    assert status["status"] == "ok" and status["healthy"] is True
    # And the heartbeats still list the components that ran, not the stored probe
    assert "status-probe" not in status["heartbeats"]
    # When the status is read with ?live=true
    live = _status(api, admin_key, "?live=true")
    # Then it probed now and sees the 3 alerts
    assert live["probes"]["source"] == "live" and live["probes"]["checked_at"] > probe["checked_at"]
    assert live["queues"]["alerts"]["messages"] == 3
    # And that probe is what the next caller gets
    again = _status(api, admin_key)
    assert again["probes"]["source"] == "earlier_request"
    assert again["probes"]["checked_at"] == live["probes"]["checked_at"]
    assert again["queues"]["alerts"]["messages"] == 3


def test_a_probe_older_than_the_max_age_is_taken_again_live_and_stored(runtime, api, admin_key, monkeypatch):
    from pagerless import settings
    from pagerless.store.system import SystemRepository

    # Given a scheduled probe older than the max age (0.5 s), and a notification given up on the NotifyDLQ since
    _max_age(monkeypatch, 0.5)
    probe = _scheduled_probe(runtime)
    _send(runtime, settings.workflow().notify_dlq_url, 1)
    time.sleep(0.6)
    # When the status is read
    status = _status(api, admin_key)
    # Then it probed live and sees the DLQ's message
    assert status["probes"]["source"] == "live" and status["probes"]["checked_at"] > probe["checked_at"]
    assert status["queues"]["notify_dlq"]["messages"] == 1 and status["status"] == "degraded"
    # And stored what it found for the next caller
    stored = SystemRepository().get("heartbeat", "status-probe").data
    assert stored["checked_at"] == status["probes"]["checked_at"] and stored["queues"]["notify_dlq"]["messages"] == 1


def test_a_backlog_found_by_the_scheduled_probe_is_degraded(runtime, api, admin_key, monkeypatch):
    from pagerless import settings

    # Given a backlog threshold of 2 and 3 alerts waiting on the AlertQueue when the scheduler probed
    monkeypatch.setenv("PAGERLESS_STATUS_QUEUE_BACKLOG_THRESHOLD", "2")
    settings.reset()
    _send(runtime, settings.workflow().alert_queue_url, 3)
    _scheduled_probe(runtime)
    # When the status is read
    status = _status(api, admin_key)
    # Then the stored probe's backlog makes it degraded, with the reason
    assert status["probes"]["source"] == "scheduled"
    assert status["queues"]["alerts"]["messages"] == 3
    assert status["status"] == "degraded" and status["healthy"] is True
    assert any("alerts" in reason and "3" in reason for reason in status["reasons"]), status["reasons"]


def test_an_outage_found_by_the_scheduled_probe_shows_until_the_max_age_then_its_recovery(
    runtime, api, admin_key, monkeypatch
):
    from pagerless import settings

    sqs, url = runtime.client("sqs"), settings.workflow().notify_dlq_url
    # Given the NotifyDLQ was gone when the scheduler probed
    _max_age(monkeypatch, 1.5)
    sqs.delete_queue(QueueUrl=url)
    _scheduled_probe(runtime)
    # When the status is read
    status = _status(api, admin_key)
    # Then it is unhealthy, saying which dependency, from the scheduler's probe
    assert status["probes"]["source"] == "scheduled"
    assert status["healthy"] is False and status["status"] == "unhealthy"
    assert any("notify_dlq" in reason for reason in status["reasons"]), status["reasons"]
    # When the queue is back, and the probe has grown older than the max age
    assert sqs.create_queue(QueueName=url.rsplit("/", 1)[1])["QueueUrl"] == url
    time.sleep(1.6)
    # Then the status probes again and says it recovered
    status = _status(api, admin_key)
    assert status["probes"]["source"] == "live"
    assert status["healthy"] is True and status["queues"]["notify_dlq"]["reachable"] is True
    assert status["status"] == "ok", status["reasons"]


def test_the_status_answers_when_the_stored_probe_cannot_be_read(runtime, api, admin_key):
    # Given a stored probe, then the system table (which holds it) gone
    _scheduled_probe(runtime)
    runtime.client("dynamodb").delete_table(TableName=runtime.provisioned.tables["SystemTable"])
    # When the status is read
    status = _status(api, admin_key)
    # Then it probed live and says the system table is unreachable
    assert status["probes"]["source"] == "live"
    assert status["store"]["system"]["reachable"] is False
    assert status["status"] == "unhealthy" and status["healthy"] is False
    assert status["heartbeats"] == {}


def test_a_stored_probe_of_other_tables_is_not_served(runtime, api, admin_key, monkeypatch):
    from pagerless import settings

    # Given the scheduler's probe, then this function configured with another deploys table
    _scheduled_probe(runtime)
    monkeypatch.setenv("PAGERLESS_TABLE_DEPLOYS", "pagerless-deploys-elsewhere")
    settings.reset()
    # (in AWS the role describes only the stack's own tables: this one is refused, unreachable all the same)
    iam_calls.expect_denial("SystemFunction", "dynamodb:DescribeTable", f"{TABLE_ARN}/pagerless-deploys-elsewhere")
    # When the status is read
    status = _status(api, admin_key)
    # Then it probed what it is configured with, not answered with what the scheduler probed
    assert status["probes"]["source"] == "live"
    assert status["store"]["deploys"]["reachable"] is False and status["status"] == "unhealthy"


def test_a_probe_that_began_before_the_stored_one_does_not_replace_it(runtime, api, admin_key):
    """A slow live probe that finishes after the scheduler's quicker, later one: the later observation stays."""
    from datetime import timedelta

    from pagerless.clock import parse_time
    from pagerless.system import probes

    scheduled = _scheduled_probe(runtime)
    began = parse_time(scheduled["checked_at"])
    earlier = probes.probe(lambda fn, *args, **kwargs: _Done(fn(*args, **kwargs)))
    earlier["checked_at"] = (began - timedelta(seconds=5)).isoformat()

    probes.store(earlier, by="request")

    served = _status(api, admin_key)["probes"]
    assert served["source"] == "scheduled" and served["checked_at"] == scheduled["checked_at"]


class _Done:
    """A finished future (what `probes.probe`'s ``submit`` gives back), for a probe run in this thread."""

    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value
