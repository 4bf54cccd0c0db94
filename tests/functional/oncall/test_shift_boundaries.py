"""Shift boundaries through the API: who is on call reports the real shift however long it is, an
iCal event keeps one UID whatever range is downloaded, and an RRULE's UNTIL may be UTC (RFC 5545)."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ROOT, auth

pytestmark = pytest.mark.functional


def _person(api, h, name: str) -> str:
    return api.post("/api/people", json={"name": name.title(), "email": f"{name}@example.com"}, headers=h).json()["id"]


def _schedule(api, h, people: list[str], **layer) -> str:
    body = {
        "name": "long",
        "timezone": "Europe/Berlin",
        "layers": [{"name": "primary", "participants": people, "handoff_time": "09:00", **layer}],
    }
    created = api.post("/api/oncall/schedules", json=body, headers=h)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _current(api, h, sid: str, at: str) -> dict:
    response = api.get("/api/oncall/current", params={"schedule": sid, "at": at}, headers=h)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("rrule", "at", "who", "start", "end"),
    [
        # every 8 weeks: ben from Mon 2 March to Mon 27 April (a 45-day lookup said 2026-03-06 .. 2026-04-20)
        (
            "FREQ=WEEKLY;INTERVAL=8",
            "2026-04-20T12:00:00+02:00",
            1,
            "2026-03-02T09:00:00+01:00",
            "2026-04-27T09:00:00+02:00",
        ),
        # monthly, three people: cy from 1 March to 1 April, asked on the last day
        ("FREQ=MONTHLY", "2026-03-31T20:00:00+02:00", 2, "2026-03-01T09:00:00+01:00", "2026-04-01T09:00:00+02:00"),
        # quarterly: ann's second turn, from 1 October 2026 to 1 January 2027
        (
            "FREQ=MONTHLY;INTERVAL=3",
            "2026-11-20T10:00:00+01:00",
            0,
            "2026-10-01T09:00:00+02:00",
            "2027-01-01T09:00:00+01:00",
        ),
    ],
)
def test_current_oncall_reports_the_whole_shift_of_a_long_rotation(api, admin_key, rrule, at, who, start, end):
    # Given a Berlin rotation whose shifts last longer than 45 days
    h = auth(admin_key)
    people = [_person(api, h, n) for n in ("ann", "ben", "cy")]
    first = "2026-01-05" if "WEEKLY" in rrule else "2026-01-01"
    sid = _schedule(api, h, people, rotation_start=first, rrule=rrule)
    # When who is on call is asked in the middle of a shift
    current = _current(api, h, sid, at)
    # Then the shift is the real one, handoff to handoff
    assert (current["oncall"], current["shift_start"], current["shift_end"]) == (people[who], start, end)


def test_a_rotation_whose_rrule_ended_keeps_its_last_person_without_an_end(api, admin_key):
    # Given a rotation of three daily handoffs, long over
    h = auth(admin_key)
    ann, ben = _person(api, h, "ann"), _person(api, h, "ben")
    sid = _schedule(api, h, [ann, ben], rotation_start="2026-01-05", rrule="FREQ=DAILY;COUNT=3")
    # When who is on call is asked months later
    current = _current(api, h, sid, "2026-06-01T12:00:00+02:00")
    # Then it is the last handoff's person since that handoff, with no handoff to come
    assert (current["oncall"], current["shift_start"], current["shift_end"]) == (
        ann,
        "2026-01-07T09:00:00+01:00",
        None,
    )
    digest = api.get("/api/digest/handoff", params={"hours": 1}, headers=h)
    assert digest.status_code == 200, digest.text
    [row] = [s for s in digest.json()["oncall"] if s["schedule_id"] == sid]
    assert (row["current"], row["current_until"], row["next"]) == (ann, None, None)


def test_the_handoff_message_of_a_long_shift_names_its_real_end(runtime, api, admin_key):
    from pagerless import settings

    # Given a UTC rotation every 8 weeks whose first handoff was five minutes ago
    h = auth(admin_key)
    ann, ben = _person(api, h, "ann"), _person(api, h, "ben")
    handoff = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    body = {
        "name": "eight weekly",
        "timezone": "UTC",
        "layers": [
            {
                "name": "primary",
                "participants": [ann, ben],
                "rotation_start": handoff.date().isoformat(),
                "handoff_time": handoff.strftime("%H:%M"),
                "rrule": "FREQ=WEEKLY;INTERVAL=8",
            }
        ],
    }
    sid = api.post("/api/oncall/schedules", json=body, headers=h).json()["id"]
    # When the scheduled handoff check runs
    runtime.lambdas.invoke(
        runtime.lambdas.by_logical_id["ScheduledFunction"].name,
        json.loads((ROOT / "events" / "scheduled" / "oncall_handoff.json").read_text()),
    )
    # Then ann is told her shift ends at the next handoff, 8 weeks on (not 45 days on)
    sqs = runtime.client("sqs")
    messages = sqs.receive_message(QueueUrl=settings.workflow().notify_queue_url, MaxNumberOfMessages=10)["Messages"]
    [job] = [j for m in messages if (j := json.loads(m["Body"]))["event"] == "oncall.handoff"]
    assert job["data"]["schedule_id"] == sid and job["data"]["person_id"] == ann
    assert datetime.fromisoformat(job["data"]["ends_at"]) == handoff + timedelta(weeks=8)


def _events(text: str) -> dict[str, dict[str, str]]:
    """VEVENTs of a calendar by UID: their properties (unfolded)."""
    text = text.replace("\r\n ", "")
    events = {}
    for block in re.findall(r"BEGIN:VEVENT\r\n(.*?)END:VEVENT", text, re.S):
        props = dict(line.split(":", 1) for line in block.split("\r\n") if line)
        events[props["UID"]] = props
    return events


def test_an_ical_shift_keeps_its_uid_and_real_times_whatever_range_is_downloaded(api, admin_key):
    # Given a weekly Monday 09:00 Berlin rotation
    h = auth(admin_key)
    ann, ben = _person(api, h, "ann"), _person(api, h, "ben")
    sid = _schedule(api, h, [ann, ben], rotation_start="2026-03-02", rrule="FREQ=WEEKLY")
    url = f"/api/oncall/schedules/{sid}/ical"
    # When the calendar is downloaded twice, from two moments inside ben's shift of 9-16 March
    first = _events(
        api.get(url, params={"start": "2026-03-10T00:00:00Z", "end": "2026-03-12T00:00:00Z"}, headers=h).text
    )
    second = _events(
        api.get(url, params={"start": "2026-03-11T00:00:00Z", "end": "2026-03-20T00:00:00Z"}, headers=h).text
    )
    # Then ben's shift is one event with the same UID in both, at its real times (09:00 CET / CEST)
    [uid] = first
    assert uid in second
    for event in (first[uid], second[uid]):
        assert (event["DTSTART"], event["DTEND"]) == ("20260309T080000Z", "20260316T080000Z")
        assert event["SUMMARY"] == "On call: Ben (long)"
    assert len(second) == 2 and len(set(first) | set(second)) == 2


@pytest.mark.parametrize(
    ("until", "last"),
    [
        ("20260405T070000Z", "2026-04-05T09:00:00+02:00"),  # 09:00 CEST is 07:00Z: included
        ("20260405T065959Z", "2026-04-04T09:00:00+02:00"),  # a second earlier: the 5 April handoff is not
        ("20260405T090000", "2026-04-05T09:00:00+02:00"),  # without Z: the schedule's wall time
    ],
)
def test_an_rrule_until_in_utc_is_accepted_as_rfc_5545_asks(api, admin_key, until, last):
    # Given a daily Berlin rotation whose RRULE ends with a UTC UNTIL (RFC 5545: UTC when DTSTART has a zone)
    h = auth(admin_key)
    ann, ben = _person(api, h, "ann"), _person(api, h, "ben")
    sid = _schedule(api, h, [ann, ben], rotation_start="2026-04-01", rrule=f"FREQ=DAILY;UNTIL={until}")
    # When its shifts are rendered
    shifts = api.get(
        f"/api/oncall/schedules/{sid}/shifts",
        params={"start": "2026-04-01T00:00:00+02:00", "end": "2026-04-10T00:00:00+02:00"},
        headers=h,
    ).json()["shifts"]
    # Then the last handoff is the last occurrence at or before UNTIL
    assert [s["start"] for s in shifts][-1] == last


def test_an_rrule_until_with_an_offset_is_refused_with_a_clear_message(api, admin_key):
    h = auth(admin_key)
    ann = _person(api, h, "ann")
    body = {
        "name": "bad",
        "timezone": "Europe/Berlin",
        "layers": [
            {"name": "p", "participants": [ann], "rotation_start": "2026-04-01", "rrule": "FREQ=DAILY;UNTIL=tomorrow"}
        ],
    }
    response = api.post("/api/oncall/schedules", json=body, headers=h)
    assert response.status_code == 422, response.text
    assert "UNTIL" in response.text and "YYYYMMDDTHHMMSSZ" in response.text
    assert "DTSTART is timezone-aware" not in response.text
