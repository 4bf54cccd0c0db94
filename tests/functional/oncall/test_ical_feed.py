"""The iCal feed is stable: a calendar app that downloads it again (a day later, over a range that moved with the
day) finds every event it knew with the same start and end. A one-person rotation was one event from its first
handoff to wherever the range ended, so its DTEND moved with every download. The feed is read here by RFC 5545's
rules (3.1 content lines and folding, 3.3.5 DATE-TIME, 3.4/3.6 components): icalendar is not a dependency."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

BERLIN = ZoneInfo("Europe/Berlin")

CONTENT_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9-]+)(?P<params>(;[A-Za-z0-9-]+=(\"[^\"]*\"|[^\";:,]*)(,(\"[^\"]*\"|[^\";:,]*))*)*):(?P<value>.*)$"
)


def parse(feed: str) -> list[dict]:
    """The VEVENTs of a VCALENDAR, each as {property name: value}, by RFC 5545: CRLF line ends, a line beginning
    with a space or tab continues the one before (3.1), BEGIN/END nest components (3.4, 3.6)."""
    assert feed.endswith("\r\n")
    unfolded = re.sub(r"\r\n[ \t]", "", feed)
    stack, events = [], []
    for line in unfolded[:-2].split("\r\n"):
        match = CONTENT_LINE.match(line)
        assert match, repr(line)
        name, value = match["name"].upper(), match["value"]
        if name == "BEGIN":
            stack.append((value.upper(), {}))
        elif name == "END":
            kind, props = stack.pop()
            assert kind == value.upper()
            if kind == "VEVENT":
                events.append(props)
        else:
            assert stack, f"{name} outside any component"
            stack[-1][1][name] = value
    assert not stack
    return events


def utc(value: str) -> datetime:
    """A DATE-TIME in UTC form (3.3.5, FORM #2): 19980119T070000Z."""
    assert re.fullmatch(r"\d{8}T\d{6}Z", value), value
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_a_one_person_rotation_is_the_same_events_in_every_download(api, admin_key):
    h = auth(admin_key)
    # Given a schedule whose only layer is one person, handing over to herself every Monday at 09:00 Berlin
    ann = api.post("/api/people", json={"name": "Ann Lee", "email": "ann@example.com"}, headers=h).json()["id"]
    layer = {"name": "solo", "participants": [ann], "handoff_time": "09:00", "rotation_start": "2026-03-02"}
    body = {"name": "solo", "timezone": "Europe/Berlin", "layers": [{**layer, "rrule": "FREQ=WEEKLY"}]}
    sid = api.post("/api/oncall/schedules", json=body, headers=h).json()["id"]

    def download(start: str, end: str) -> dict[str, tuple[datetime, datetime]]:
        response = api.get(f"/api/oncall/schedules/{sid}/ical", params={"start": start, "end": end}, headers=h)
        assert response.status_code == 200, response.text
        return {e["UID"]: (utc(e["DTSTART"]), utc(e["DTEND"])) for e in parse(response.text)}

    # When it is downloaded on two days, each time from a week before to four weeks after
    first = download("2026-03-04T10:00:00Z", "2026-04-08T10:00:00Z")
    second = download("2026-03-05T10:00:00Z", "2026-04-09T10:00:00Z")
    # Then every event is one week, from a Monday 09:00 Berlin to the next, and each says the same in both downloads
    spans = sorted(first.values())
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    local = [(s.astimezone(BERLIN), e.astimezone(BERLIN)) for s, e in spans]
    assert all(s.weekday() == 0 and (s.hour, e.hour) == (9, 9) and (e - s).days in (6, 7) for s, e in local)
    assert {uid: first[uid] for uid in first.keys() & second.keys()} == {
        uid: second[uid] for uid in first.keys() & second.keys()
    }
    assert len(first.keys() & second.keys()) >= 5
    # And the last event does not end where the range does
    assert max(end for _, end in first.values()) == datetime(2026, 4, 13, 7, tzinfo=UTC)  # CEST since 29 March


def test_a_rotation_of_two_keeps_its_last_shift_whole(api, admin_key):
    h = auth(admin_key)
    # Given two people rotating daily at 09:00 UTC
    ids = [
        api.post("/api/people", json={"name": n, "email": f"{n}@example.com"}, headers=h).json()["id"]
        for n in ("ann", "ben")
    ]
    layer = {"name": "daily", "participants": ids, "handoff_time": "09:00", "rotation_start": "2026-03-02"}
    body = {"name": "two", "timezone": "UTC", "layers": [{**layer, "rrule": "FREQ=DAILY"}]}
    sid = api.post("/api/oncall/schedules", json=body, headers=h).json()["id"]
    # When the feed's range ends mid-shift
    params = {"start": "2026-03-04T12:00:00Z", "end": "2026-03-06T12:00:00Z"}
    feed = api.get(f"/api/oncall/schedules/{sid}/ical", params=params, headers=h).text
    # Then its first and last events are whole days, 09:00 to 09:00
    spans = sorted((utc(e["DTSTART"]), utc(e["DTEND"])) for e in parse(feed))
    assert spans[0] == (datetime(2026, 3, 4, 9, tzinfo=UTC), datetime(2026, 3, 5, 9, tzinfo=UTC))
    assert spans[-1] == (datetime(2026, 3, 6, 9, tzinfo=UTC), datetime(2026, 3, 7, 9, tzinfo=UTC))
