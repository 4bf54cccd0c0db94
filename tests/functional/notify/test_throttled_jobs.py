"""A throttled job on NotifyQueue: its returns are not failures the queue counts (maxReceiveCount), so the delivery's
own give-up decides, with its bookkeeping; and a replay that reaches people noted unreachable says so."""

import pytest

from tests.conftest import auth
from tests.functional.notify.conftest import (
    create_channel,
    make_due,
    notify_queue_messages,
    route_all,
    save_incident,
    slack_channel,
    wait_over,
)

pytestmark = pytest.mark.functional

THROTTLED_RECEIVES = 7  # more than NotifyQueue's maxReceiveCount (5)


def _logs(api, key, incident_id: str) -> list[dict]:
    response = api.get("/api/notification-logs", headers=auth(key), params={"incident_id": incident_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _letters(api, key) -> list[dict]:
    return api.get("/api/webhooks/dead-letter", headers=auth(key)).json()["items"]


def _timeline(api, key, incident_id: str, kind: str) -> list[dict]:
    timeline = api.get(f"/api/incidents/{incident_id}/timeline", headers=auth(key)).json()
    items = timeline.get("items", timeline) if isinstance(timeline, dict) else timeline
    return [i for i in items if i["type"] == kind]


def _page_to(incident_id: str, person_id: str):
    from pagerless.outbox.jobs import NotifyJob

    return NotifyJob(
        workspace="default",
        event="escalation.page",
        incident_id=incident_id,
        generation="0-0",
        targets=[{"kind": "person", "id": person_id}],
        data={"step": 1, "repeat": 0},
    )


@pytest.fixture
def bob(runtime):
    """Bob, bound to the fake Slack workspace: a page reaches him by direct message."""
    from pagerless.people.identities import ChatIdentityService
    from pagerless.people.service import PeopleService
    from tests.functional.chat.conftest import SLACK_TEAM

    person = PeopleService().create("default", name="Bob Li", email="bob@example.com", role="operator")
    ChatIdentityService().bind("default", "slack", SLACK_TEAM, "U0G9QF9C6", person.id, actor="test")
    return person


def _comes_back(api, key, incident_id: str) -> None:
    """The job's wait is over: the delivery's hold ends and the queue hands the job over again."""
    [entry] = _logs(api, key, incident_id)
    wait_over(entry["id"])
    messages = notify_queue_messages()
    assert len(messages) == 1, "the queue gave up on the job (its redrive policy moved it to NotifyDLQ)"
    make_due(messages[0])


def test_a_job_throttled_for_more_receives_than_the_queue_allows_is_delivered_when_the_throttle_ends(
    api, notify_env, admin_key, vendors
):
    from pagerless.outbox.jobs import NotifyJob, enqueue

    url = f"{vendors.base_url}/cgi-bin/webhook/send?key=k1"
    channel = create_channel(api, admin_key, "robot", "wecom", {"webhook_url": url})
    route_all(api, admin_key, channel["id"])
    incident = save_incident()
    # Given WeCom throttles the robot (45009) at every try, for more returns of the job than maxReceiveCount
    vendors.fail("/cgi-bin/webhook/send", 200, times=10_000, body={"errcode": 45009, "errmsg": "api freq out of limit"})
    enqueue(NotifyJob(workspace="default", event="incident.opened", incident_id=incident.id, generation="g1"))
    notify_env.poller.drain()
    for _ in range(THROTTLED_RECEIVES):
        _comes_back(api, admin_key, incident.id)
        notify_env.poller.drain()
    # Then the queue has not given up on it: it is still waiting, and nothing is dead-lettered
    assert len(notify_queue_messages()) == 1
    [entry] = _logs(api, admin_key, incident.id)
    assert entry["status"] == "failed" and "45009" in entry["last_error"]
    assert _letters(api, admin_key) == []
    # When WeCom stops throttling and the job comes back
    vendors.failures.clear()
    _comes_back(api, admin_key, incident.id)
    notify_env.poller.drain()
    # Then the message is delivered, and nothing was dead-lettered
    [entry] = _logs(api, admin_key, incident.id)
    assert entry["status"] == "sent"
    assert notify_queue_messages() == [] and _letters(api, admin_key) == []


def test_a_page_throttled_past_half_an_hour_over_many_receives_is_given_up_with_its_bookkeeping(
    api, notify_env, admin_key, vendors, bob
):
    from datetime import timedelta

    from pagerless.clock import utcnow
    from pagerless.outbox.jobs import enqueue
    from pagerless.store.deliveries import DeliveryRecord

    slack_channel(api, admin_key, vendors)
    incident = save_incident()
    # Given Slack answers 429 without Retry-After to every direct message, for more returns than maxReceiveCount
    vendors.fail("/slack/api/chat.postMessage", 429, times=10_000)
    enqueue(_page_to(incident.id, bob.id))
    notify_env.poller.drain()
    for _ in range(THROTTLED_RECEIVES):
        _comes_back(api, admin_key, incident.id)
        notify_env.poller.drain()
    assert _letters(api, admin_key) == [] and _timeline(api, admin_key, incident.id, "page_unreachable") == []
    # When the delivery has been throttled for more than half an hour and the job comes back
    [entry] = _logs(api, admin_key, incident.id)
    DeliveryRecord(entry["id"]).update(actions=[DeliveryRecord.created_at.set(utcnow() - timedelta(minutes=31))])
    _comes_back(api, admin_key, incident.id)
    notify_env.poller.drain()
    # Then the delivery gave up on it itself: dead, its dead letter names the delivery (a replay revives it), and
    # Bob is on the timeline as unreachable; the job is off the queue
    [entry] = _logs(api, admin_key, incident.id)
    assert entry["status"] == "dead"
    [letter] = _letters(api, admin_key)
    assert letter["source"] == "slack" and "429" in letter["error"]
    [unreachable] = _timeline(api, admin_key, incident.id, "page_unreachable")
    assert unreachable["data"]["person_ids"] == [bob.id]
    assert notify_queue_messages() == []


def test_a_replay_that_reaches_a_person_noted_unreachable_says_so_on_the_timeline(
    api, notify_env, admin_key, vendors, bob
):
    from pagerless.outbox.jobs import enqueue

    slack_channel(api, admin_key, vendors)
    incident = save_incident()
    # Given Bob's direct message fails until it is dead, so Bob is on the timeline as unreachable
    vendors.fail("/slack/api/chat.postMessage", 500, times=3)
    page = _page_to(incident.id, bob.id)
    enqueue(page)
    notify_env.poller.drain()
    [unreachable] = _timeline(api, admin_key, incident.id, "page_unreachable")
    assert unreachable["data"]["person_ids"] == [bob.id]
    assert _timeline(api, admin_key, incident.id, "page_reached_after_replay") == []
    # When a person replays the dead letter and Slack takes the message (and the queue delivers the job once more)
    [letter] = _letters(api, admin_key)
    replayed = api.post(f"/api/webhooks/dead-letter/{letter['id']}/replay", headers=auth(admin_key))
    assert replayed.status_code == 200, replayed.text
    notify_env.poller.drain()
    enqueue(page)
    notify_env.poller.drain()
    [entry] = _logs(api, admin_key, incident.id)
    assert entry["status"] == "sent"
    # Then the timeline says, once, that the page reached Bob after all (the unreachable entry stays: append-only)
    [reached] = _timeline(api, admin_key, incident.id, "page_reached_after_replay")
    assert reached["data"]["person_ids"] == [bob.id]
    assert bob.id in reached["message"]
    assert len(_timeline(api, admin_key, incident.id, "page_unreachable")) == 1
