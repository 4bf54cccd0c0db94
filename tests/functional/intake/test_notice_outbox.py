"""A reopen's and a source resolve's notices are not lost when their job cannot be queued (SQS refusing it, or the
process stopping between the incident's change and the job): the change puts a marker in its own transaction, the
writer deletes it once the job is queued, and the scheduled sweep queues the job of a marker left past the grace
(`pagerless.incidents.notice_sweep`). Queued twice (the sweep after a marker whose delete failed), a notice is still
delivered once: its generation is the change's. SQS and DynamoDB refuse at the AWS boundary (botocore events)."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.intake.conftest import delivery_mark, intake_at
from tests.functional.notify.conftest import create_channel, notify_env, route_all, vendors  # noqa: F401
from tests.functional.refusals import refusing, sqs_refusing

pytestmark = pytest.mark.functional

WORKSPACE = "default"
GRACE = timedelta(seconds=150)  # PAGERLESS_INTAKE_NOTICE_GRACE_SECONDS' default


def _alert(status: str = "firing"):
    from pagerless.domain.alerts import Alert

    return Alert(source="generic", fingerprint="outbox-1", status=status, title="orders backlog", service=None)


def _sweep(now: datetime) -> list[dict]:
    from pagerless.incidents import notice_sweep

    return notice_sweep.sweep(now=now)


def _jobs(event: str, incident_id: str) -> list[dict]:
    """The ``event`` jobs on NotifyQueue for the incident (received and kept)."""
    import json

    import boto3

    from pagerless import settings

    sqs, jobs = boto3.client("sqs"), []
    while messages := sqs.receive_message(
        QueueUrl=settings.workflow().notify_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600
    ).get("Messages", []):
        jobs += [json.loads(m["Body"]) for m in messages]
    return [j for j in jobs if j["event"] == event and j["incident_id"] == incident_id]


def _markers(incident_id: str) -> list[str]:
    from pagerless.store.sweeps import NOTICE, NoticeMarker

    return [m.event for m in NoticeMarker.query(NOTICE, NoticeMarker.sk.startswith(f"{incident_id}|"))]


def _as_an_older_version_put_it(incident_id: str, *, episode: bool) -> None:
    """The incident's one notice marker moved to the key a version before one marker per change used (``<incident
    id>|<event>``), without the episode it ended unless ``episode``."""
    from pagerless.store.sweeps import NOTICE, NoticeMarker

    [marker] = NoticeMarker.query(NOTICE, NoticeMarker.sk.startswith(f"{incident_id}|"))
    marker.delete()
    marker.sk = f"{incident_id}|{marker.event}"
    if not episode:
        marker.episode = None
    marker.save()


def _resolved_messages(vendors) -> list[str]:  # noqa: F811
    return [m.body["markdown"]["content"] for m in vendors.to("/cgi-bin/webhook/send") if "RESOLVED" in str(m.body)]


@pytest.fixture
def wecom(api, notify_env, admin_key, vendors):  # noqa: F811
    channel = create_channel(
        api, admin_key, "wx", "wecom", {"webhook_url": f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"}
    )
    route_all(api, admin_key, channel["id"])
    return vendors


def test_a_source_resolve_whose_notice_sqs_refused_is_told_once_by_the_sweep(wecom, notify_env):  # noqa: F811
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose transaction is made while SQS refuses its notification job
    now[0] = t0 + timedelta(seconds=5)
    with sqs_refusing("SendMessage") as refused:
        resolved = intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert (resolved.status, refused) == ("resolved", ["SendMessage"])
    notify_env.poller.drain()
    assert _resolved_messages(wecom) == []
    assert _markers(incident_id) == ["incident.resolved"]
    # When the sweep runs within the grace (the writer may still be at work), then after it
    assert _sweep(now[0] + GRACE - timedelta(seconds=1)) == []
    swept = _sweep(now[0] + GRACE + timedelta(seconds=1))
    # Then the notice is queued once, the group hears that the incident resolved once, and nothing is left owed
    assert swept == [{"incident_id": incident_id, "event": "incident.resolved", "notice": "queued"}]
    notify_env.poller.drain()
    [message] = _resolved_messages(wecom)
    assert "resolved by its source" in message, message
    assert _markers(incident_id) == []
    assert _sweep(now[0] + 2 * GRACE) == []


def test_a_redelivered_source_resolve_that_tells_it_again_clears_its_marker(wecom, notify_env, meter):  # noqa: F811
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose transaction is made while SQS refuses its notification job (its marker left)
    now[0] = t0 + timedelta(seconds=5)
    resolve = delivery_mark("resolved", now[0])
    with sqs_refusing("SendMessage"):
        intake.process(_alert("resolved"), WORKSPACE, resolve)
    assert _markers(incident_id) == ["incident.resolved"]
    # When the same resolve is delivered again (Alertmanager's retry, SQS's redelivery): it tells of it again
    with meter.measure("redelivered, owed"):
        assert intake.process(_alert("resolved"), WORKSPACE, resolve).action == "ignored"
    # Then its notice is queued and the marker cleared (one write): the sweep has nothing more to queue
    assert meter.costs["redelivered, owed"].writes == 1, meter.costs["redelivered, owed"].as_dict()
    assert _markers(incident_id) == []
    assert _sweep(now[0] + GRACE + timedelta(seconds=1)) == []
    notify_env.poller.drain()
    assert len(_resolved_messages(wecom)) == 1
    # And a redelivery once nothing is owed writes nothing (the marker is read, not deleted blindly)
    with meter.measure("redelivered"):
        intake.process(_alert("resolved"), WORKSPACE, resolve)
    assert (meter.costs["redelivered"].writes, meter.costs["redelivered"].failed) == (0, 0)


def test_a_notice_queued_twice_is_delivered_once(wecom, notify_env):  # noqa: F811
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose notice was queued, but whose marker DynamoDB refused to delete
    now[0] = t0 + timedelta(seconds=5)
    with refusing("DeleteItem", "ProvisionedThroughputExceededException") as refused:
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert refused == ["DeleteItem"] and _markers(incident_id) == ["incident.resolved"]
    # When the sweep queues the notice again
    swept = _sweep(now[0] + GRACE + timedelta(seconds=1))
    assert swept == [{"incident_id": incident_id, "event": "incident.resolved", "notice": "queued"}]
    notify_env.poller.drain()
    # Then the group heard of the resolve once (the notify function's delivery key: the same generation)
    assert len(_resolved_messages(wecom)) == 1


def test_a_reopen_whose_notice_sqs_refused_is_queued_by_the_sweep(runtime):
    from pagerless.incidents.notices import generation_of
    from pagerless.store.incidents import IncidentRecord

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    now[0] = t0 + timedelta(seconds=5)
    intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    _jobs("incident.resolved", incident_id)  # read off the queue
    # Given a reopen made while SQS refuses its notice (the cards its resolve closed would stay closed)
    now[0] = t0 + timedelta(seconds=60)
    with sqs_refusing("SendMessage") as refused:
        reopened = intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0]))
    assert (reopened.action, refused) == ("reopened", ["SendMessage"])
    assert _jobs("incident.reopened", incident_id) == []
    # When the sweep runs after the grace
    swept = _sweep(now[0] + GRACE + timedelta(seconds=1))
    # Then the reopen's own job is queued, once
    assert swept == [{"incident_id": incident_id, "event": "incident.reopened", "notice": "queued"}]
    [job] = _jobs("incident.reopened", incident_id)
    reopened_at = IncidentRecord.get(incident_id).reopened_at
    assert job["generation"] == generation_of("reopened", reopened_at.isoformat())
    assert _markers(incident_id) == []


def test_a_resolve_a_later_reopen_superseded_is_not_said_and_only_closes_its_episodes_cards(runtime):
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose notice SQS refused, and the alert firing again (the reopen's notice queued)
    now[0] = t0 + timedelta(seconds=5)
    with sqs_refusing("SendMessage"):
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    now[0] = t0 + timedelta(seconds=60)
    assert intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0])).action == "reopened"
    # When the sweep runs
    swept = _sweep(now[0] + GRACE + timedelta(seconds=1))
    # Then the resolve is not told after the reopen (its cards would read resolved while it is open): its job only
    # edits, the page cards of the episode it ended (the first opening), and nothing is left owed
    assert swept == [{"incident_id": incident_id, "event": "incident.resolved", "notice": "superseded: cards closed"}]
    [job] = _jobs("incident.resolved", incident_id)
    assert (job["data"]["cards_only"], job["data"]["episode"]) == (True, None)
    assert _markers(incident_id) == []


def test_a_second_resolve_after_a_reopen_leaves_the_first_resolves_owed_notice_in_place(runtime):
    from pagerless.store.incidents import IncidentRecord

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose notice SQS refused, the alert firing again (the reopen's notice queued), and a second
    # resolve whose notice SQS refused too
    now[0] = t0 + timedelta(seconds=5)
    with sqs_refusing("SendMessage"):
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    now[0] = t0 + timedelta(seconds=60)
    assert intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0])).action == "reopened"
    now[0] = t0 + timedelta(seconds=90)
    with sqs_refusing("SendMessage") as refused:
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    assert refused == ["SendMessage"]
    # Then both resolves' notices are owed: the second did not take the first's place
    assert _markers(incident_id) == ["incident.resolved", "incident.resolved"]
    # When the sweep runs
    swept = _sweep(now[0] + GRACE + timedelta(seconds=1))
    # Then the first resolve closes the page cards of the episode it ended (the first opening), the second is told,
    # and nothing is left owed
    assert swept == [
        {"incident_id": incident_id, "event": "incident.resolved", "notice": "superseded: cards closed"},
        {"incident_id": incident_id, "event": "incident.resolved", "notice": "queued"},
    ]
    reopened_at = IncidentRecord.get(incident_id).reopened_at.isoformat()
    jobs = _jobs("incident.resolved", incident_id)
    assert sorted((j["data"].get("cards_only", False), str(j["data"]["episode"])) for j in jobs) == [
        (False, reopened_at),
        (True, "None"),
    ]
    assert _markers(incident_id) == []


def test_a_superseded_resolve_marker_of_an_older_version_is_dropped_unsent(runtime):
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose notice SQS refused, its marker put by a version that did not record the episode (and
    # kept one marker per incident and event, under that key)
    now[0] = t0 + timedelta(seconds=5)
    with sqs_refusing("SendMessage"):
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    _as_an_older_version_put_it(incident_id, episode=False)
    now[0] = t0 + timedelta(seconds=60)
    assert intake.process(_alert(), WORKSPACE, delivery_mark("firing", now[0])).action == "reopened"
    # When the sweep runs
    swept = _sweep(now[0] + GRACE + timedelta(seconds=1))
    # Then it is dropped unsent, as before (which episode it ended is not known)
    assert swept == [{"incident_id": incident_id, "event": "incident.resolved", "notice": "superseded"}]
    assert _jobs("incident.resolved", incident_id) == []
    assert _markers(incident_id) == []


def test_a_marker_put_under_an_older_versions_key_is_still_queued_and_deleted(runtime):
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose notice SQS refused, its marker under the key of a version with one marker per incident
    # and event
    now[0] = t0 + timedelta(seconds=5)
    with sqs_refusing("SendMessage"):
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    _as_an_older_version_put_it(incident_id, episode=True)
    # When the sweep runs
    swept = _sweep(now[0] + GRACE + timedelta(seconds=1))
    # Then its notice is queued once and the marker deleted, as one of this version's
    assert swept == [{"incident_id": incident_id, "event": "incident.resolved", "notice": "queued"}]
    assert len(_jobs("incident.resolved", incident_id)) == 1
    assert _markers(incident_id) == []


def _scheduled_sweep(runtime) -> dict:
    """Fire the template's escalation sweep as EventBridge would (the scheduled function, with its role)."""
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-EscalationSweep"]
    return runtime.scheduler.fire(target)["result"]


def _not_queued(incident_id: str) -> list:
    from pagerless.store.timeline import items_of_type

    return items_of_type(incident_id, "notification_not_queued")


def test_an_owed_notice_the_scheduled_sweep_cannot_queue_is_on_the_timeline_once(runtime):
    from pagerless.incidents.notices import generation_of
    from pagerless.store.incidents import IncidentRecord

    t0 = datetime.now(UTC) - 2 * GRACE  # the scheduled sweep runs on the real clock
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose notice was never queued, and whose writer stopped before it said so on the timeline
    now[0] = t0 + timedelta(seconds=5)
    with sqs_refusing("SendMessage"):
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    [written] = _not_queued(incident_id)
    written.delete()
    # When the scheduled sweep runs twice while SQS still refuses the job
    with sqs_refusing("SendMessage", times=2) as refused:
        swept = [_scheduled_sweep(runtime)["notices"] for _ in range(2)]
    assert refused == ["SendMessage", "SendMessage"]
    assert [[entry["notice"] for entry in run] for run in swept] == [["not queued"], ["not queued"]]
    # Then the incident's timeline says once that the notice was not queued, as its writer would have said it (the
    # scheduled function's role allows the entry: the runtime checks each call against it)
    [entry] = _not_queued(incident_id)
    resolved_at = IncidentRecord.get(incident_id).resolved_at
    generation = generation_of("resolved", resolved_at)
    assert (entry.actor, entry.message) == ("notify", "incident.resolved: ClientError")
    assert (entry.data["event"], entry.data["generation"]) == ("incident.resolved", generation)
    # And once SQS takes it, the next sweep queues it, and says on the timeline that it was queued late (the role
    # allows that entry too)
    assert [e["notice"] for e in _scheduled_sweep(runtime)["notices"]] == ["queued"]
    assert _markers(incident_id) == []
    [late] = _queued_late(incident_id)
    assert (late.data["event"], late.data["generation"]) == ("incident.resolved", generation)


def _queued_late(incident_id: str) -> list:
    from pagerless.store.timeline import items_of_type

    return items_of_type(incident_id, "notification_queued_late")


@pytest.mark.parametrize("change", ["resolve", "reopen"])
def test_a_notice_the_sweep_queues_late_is_said_so_on_the_timeline_once(runtime, change):
    from pagerless.console.timeline_phrases import say
    from pagerless.store.incidents import IncidentRecord

    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    now[0] = t0 + timedelta(seconds=5)
    if change == "reopen":
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
        now[0] = t0 + timedelta(seconds=60)
    # Given a resolve's (or a reopen's) notice SQS refused: the timeline says it was not queued
    with sqs_refusing("SendMessage"):
        intake.process(_alert("resolved" if change == "resolve" else "firing"), WORKSPACE, delivery_mark("x", now[0]))
    [not_queued] = _not_queued(incident_id)
    # When the sweep queues it, but DynamoDB refuses to delete its marker, so the next sweep queues it again
    with refusing("DeleteItem", "ProvisionedThroughputExceededException") as refused:
        first = _sweep(now[0] + GRACE + timedelta(seconds=1))
    assert refused == ["DeleteItem"]
    second = _sweep(now[0] + GRACE + timedelta(seconds=2))
    assert [e["notice"] for e in first + second] == ["failed", "queued"]  # queued twice: the delete failed once
    # Then the timeline's last word on that notice is that it was queued late, said once
    [late] = _queued_late(incident_id)
    said = {k: late.data[k] for k in ("event", "generation")}
    assert said == {"event": not_queued.data["event"], "generation": not_queued.data["generation"]}
    assert late.actor == "notify" and late.at > not_queued.at
    event = "incident.resolved" if change == "resolve" else "incident.reopened"
    assert late.message == f"{event}: queued late, by the notice sweep" and late.data["event"] == event
    # in the console's two languages
    entry = late.to_dict()
    assert say(entry, "en", str) == late.message
    said_zh = "事件解决" if change == "resolve" else "事件重新打开"
    assert say(entry, "zh", str) == f"{said_zh}通知已由通知巡检补加入发送队列"
    assert say(not_queued.to_dict(), "zh", str) == f"{said_zh}通知未能加入发送队列"
    assert IncidentRecord.get(incident_id).status == ("resolved" if change == "resolve" else "open")


def test_a_notice_queued_on_time_says_nothing_late(runtime):
    t0 = datetime.now(UTC)
    now = [t0]
    intake = intake_at(now)
    incident_id = intake.process(_alert(), WORKSPACE, delivery_mark("firing", t0)).incident_id
    # Given a resolve whose notice was queued but whose writer stopped before deleting the marker
    now[0] = t0 + timedelta(seconds=5)
    with refusing("DeleteItem", "ProvisionedThroughputExceededException"):
        intake.process(_alert("resolved"), WORKSPACE, delivery_mark("resolved", now[0]))
    # When the sweep queues it again, Then nothing was said to be late: it never was said not queued
    assert [e["notice"] for e in _sweep(now[0] + GRACE + timedelta(seconds=1))] == ["queued"]
    assert _queued_late(incident_id) == [] and _not_queued(incident_id) == []
