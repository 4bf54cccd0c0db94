"""The scheduled handoff message, run on a fixed clock (``announce_handoffs(now=...)``) every five minutes across
New York's autumn change: each handoff is announced once to whoever takes over, not twice and not never, also when
an override made just after a handoff puts someone else on call from that same moment (a swap aligned on the
weekly handoff, made late: the person told first is no longer the one on call)."""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

NY = "America/New_York"  # clocks go back at 02:00 EDT on Sunday 1 November 2026


def _handoff_jobs(runtime) -> list[dict]:
    from pagerless import settings

    sqs, url, jobs = runtime.client("sqs"), settings.workflow().notify_queue_url, []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            jobs.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [job for job in jobs if job["event"] == "oncall.handoff"]


def _every_five_minutes(start: datetime, end: datetime, runtime) -> list[tuple[str, str]]:
    """(person, starts_at) of each handoff message the check queued, run every five minutes from start to end; a
    message telling its person they are off call is ("off", person, since when)."""
    from pagerless.oncall.handoff import announce_handoffs

    at = start
    while at < end:
        announce_handoffs(now=at)
        at += timedelta(minutes=5)
    return [_told(job) for job in _handoff_jobs(runtime)]


def _told(job: dict) -> tuple[str, ...]:
    said = (job["targets"][0]["id"], job["data"]["starts_at"])
    return ("off", *said) if job["data"].get("off_call") else said


def test_a_handoff_is_announced_once_to_whoever_takes_over_across_the_autumn_change(runtime, api, admin_key):
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService
    from pagerless.people.service import PeopleService

    # Given a weekly Monday 09:00 rotation of ann and ben, and a daily 01:30 one of cy and dee (01:30 happens twice
    # on Sunday 1 November), in New York
    people = PeopleService()
    ann, ben, cy, dee, eve = (
        people.create("default", name=n.title(), email=f"{n}@example.com").id
        for n in ("ann", "ben", "cy", "dee", "eve")
    )
    service = OncallService()
    weekly = models.LayerIn(
        name="weekly", participants=[ann, ben], rotation_start=date(2026, 10, 26), handoff_time=time(9, 0)
    )
    nightly = models.LayerIn(
        name="nightly",
        participants=[cy, dee],
        rotation_start=date(2026, 10, 31),
        handoff_time=time(1, 30),
        rrule="FREQ=DAILY",
    )
    primary = service.create_schedule("default", models.ScheduleIn(name="primary", timezone=NY, layers=[weekly]), "t")
    night = service.create_schedule("default", models.ScheduleIn(name="night", timezone=NY, layers=[nightly]), "t")
    # When the check runs every five minutes through the night of the change
    told = _every_five_minutes(
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC), datetime(2026, 11, 1, 8, 0, tzinfo=UTC), runtime
    )
    # Then dee is told once, at the first 01:30 (EDT), and nobody again at the second one
    assert told == [(dee, "2026-11-01T05:30:00+00:00")]
    # When ben takes over on Monday at 09:00 EST (14:00 UTC), and the check runs then and for half an hour
    told = _every_five_minutes(
        datetime(2026, 11, 2, 13, 55, tzinfo=UTC), datetime(2026, 11, 2, 14, 10, tzinfo=UTC), runtime
    )
    assert told == [(ben, "2026-11-02T14:00:00+00:00")]
    # And at 09:10 a swap is made: eve covers ben's week from that same 09:00
    swap = {"person_id": eve, "start": "2026-11-02T09:00:00-05:00", "end": "2026-11-09T09:00:00-05:00"}
    added = api.post(f"/api/oncall/schedules/{primary['id']}/overrides", json=swap, headers=auth(admin_key))
    assert added.status_code == 201, added.text
    told = _every_five_minutes(
        datetime(2026, 11, 2, 14, 10, tzinfo=UTC), datetime(2026, 11, 2, 14, 45, tzinfo=UTC), runtime
    )
    # Then eve, who is on call now, is told once, and ben, told first, once that he is off call from that 09:00
    assert told == [(eve, "2026-11-02T14:00:00+00:00"), ("off", ben, "2026-11-02T14:00:00+00:00")]
    assert night["id"] != primary["id"]


def test_a_person_an_edit_puts_on_call_mid_shift_is_told_once(runtime, api, admin_key):
    from pagerless.oncall.handoff import announce_handoffs

    # Given a daily rotation of ann and ben whose shift on call now began two hours ago (its handoff long announced)
    names = ("ann", "ben", "cy")
    ids = {
        n: api.post(
            "/api/people", json={"name": n.title(), "email": f"{n}@example.com"}, headers=auth(admin_key)
        ).json()["id"]
        for n in names
    }
    now = datetime.now(UTC)
    began = (now - timedelta(hours=2)).replace(second=0, microsecond=0)
    layer = {
        "name": "daily",
        "participants": [ids["ann"], ids["ben"]],
        "rotation_start": (began - timedelta(days=10)).date().isoformat(),
        "handoff_time": f"{began:%H:%M}",
        "rrule": "FREQ=DAILY",
    }
    body = {"name": "primary", "timezone": "UTC", "layers": [layer]}
    created = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key)).json()
    on_call = api.get(f"/api/oncall/current?schedule={created['id']}", headers=auth(admin_key)).json()["oncall"]
    assert announce_handoffs()["announced"] == []  # the shift began before the check's lookback
    # When an admin replaces whoever is on call with cy
    layer["participants"] = [ids["cy"] if p == on_call else p for p in layer["participants"]]
    edited = api.put(
        f"/api/oncall/schedules/{created['id']}", json={**body, "layers": [layer]}, headers=auth(admin_key)
    )
    assert edited.status_code == 200, edited.text
    # Then the check tells cy, once, that she is on call for the shift as it began, and tells nobody else
    announce_handoffs()
    announce_handoffs()
    told = [(j["targets"][0]["id"], j["data"]["starts_at"]) for j in _handoff_jobs(runtime)]
    assert told == [(ids["cy"], began.isoformat())]
    # And an edit that changes nobody's shift tells nobody again
    renamed = api.put(
        f"/api/oncall/schedules/{created['id']}",
        json={**body, "name": "primary on call", "layers": [layer]},
        headers=auth(admin_key),
    )
    assert renamed.status_code == 200, renamed.text
    assert announce_handoffs()["announced"] == []


def test_a_first_edit_of_a_schedule_announces_no_shift_it_did_not_change(runtime, api, admin_key):
    from pagerless.oncall.handoff import announce_handoffs

    # Given a daily rotation of ann and ben created in the middle of a shift (nobody handed over to whoever is on call)
    ids = {
        n: api.post(
            "/api/people", json={"name": n.title(), "email": f"{n}@example.com"}, headers=auth(admin_key)
        ).json()["id"]
        for n in ("ann", "ben", "cy")
    }
    now = datetime.now(UTC)
    began = (now - timedelta(hours=2)).replace(second=0, microsecond=0)
    layer = {
        "name": "daily",
        "participants": [ids["ann"], ids["ben"]],
        "rotation_start": (began - timedelta(days=10)).date().isoformat(),
        "handoff_time": f"{began:%H:%M}",
        "rrule": "FREQ=DAILY",
    }
    body = {"name": "primary", "timezone": "UTC", "layers": [layer]}
    created = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key)).json()
    on_call = api.get(f"/api/oncall/current?schedule={created['id']}", headers=auth(admin_key)).json()["oncall"]
    assert announce_handoffs()["announced"] == []
    # When its first edit renames it
    path = f"/api/oncall/schedules/{created['id']}"
    renamed = api.put(path, json={**body, "name": "primary on call"}, headers=auth(admin_key))
    assert renamed.status_code == 200, renamed.text
    # Then the check announces nothing: the edit put nobody on call
    assert announce_handoffs()["announced"] == []
    assert _handoff_jobs(runtime) == []
    # When an edit then replaces whoever is on call with cy, and another renames it back before the check runs
    layer["participants"] = [ids["cy"] if p == on_call else p for p in layer["participants"]]
    swapped = api.put(path, json={**body, "name": "primary on call", "layers": [layer]}, headers=auth(admin_key))
    assert swapped.status_code == 200, swapped.text
    assert api.put(path, json={**body, "layers": [layer]}, headers=auth(admin_key)).status_code == 200
    # Then the check tells cy, once, for the shift as it began
    announce_handoffs()
    announce_handoffs()
    assert [(j["targets"][0]["id"], j["data"]["starts_at"]) for j in _handoff_jobs(runtime)] == [
        (ids["cy"], began.isoformat())
    ]
