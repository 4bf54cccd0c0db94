"""Who is on call across DST changes, through the API, against an independent computation
(tests/functional/oncall/oracle.py, zoneinfo only): schedules in zones with and without DST, handoffs
inside the skipped and the repeated hour, restriction windows that cross midnight and a change,
overrides at odd instants in other offsets, and a rotation that starts later. At many instants around
each change the API's final shifts and "who is on call now" must be the oracle's, and the shifts of a
window never overlap, never have a zero or negative length, and add up to the window when it is
covered."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import auth
from tests.functional.oncall.oracle import Oracle, transitions

pytestmark = pytest.mark.functional

DST_ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "America/Santiago")
PLAIN_ZONES = ("Asia/Shanghai", "Asia/Kolkata", "UTC")


def _person(api, h, name: str) -> str:
    return api.post("/api/people", json={"name": name.title(), "email": f"{name}@example.com"}, headers=h).json()["id"]


def _wall(t: datetime, zone: ZoneInfo) -> str:
    return t.astimezone(zone).strftime("%H:%M")


def _odd_times(zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """(UTC instant of a change, a wall time in its skipped or repeated hour); for a zone without
    changes, 02:30 on 8 March and 01:30 on 1 November as plain times."""
    found = [
        (change, (change + min(before, after)).replace(tzinfo=None) + abs(after - before) / 2)
        for change, before, after in transitions(zone, 2026)
    ]
    plain = (datetime(2026, 3, 8, 2, 30), datetime(2026, 11, 1, 1, 30))
    return found or [(t.replace(tzinfo=zone).astimezone(UTC), t) for t in plain]


def _layers(odd: datetime, people: list[str]) -> list[dict]:
    """Layers whose handoffs and restriction bounds fall at ``odd`` (inside a skipped or repeated hour)."""
    day = odd.date()
    hh = odd.strftime("%H:%M")
    late = (odd + timedelta(hours=20)).strftime("%H:%M")  # an evening start for windows past midnight
    return [
        {
            "name": "weekly",
            "participants": people[:3],
            "rotation_start": str(day - timedelta(days=14)),
            "handoff_time": hh,
            "rrule": "FREQ=WEEKLY",
        },
        {
            "name": "daily",
            "participants": people[1:4],
            "rotation_start": str(day - timedelta(days=3)),
            "handoff_time": hh,
            "rrule": "FREQ=DAILY",
            "restrictions": [
                {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": late, "end": hh},
                {"days": ["sat", "sun"], "start": hh, "end": "12:15"},
            ],
        },
        {
            "name": "half-days",
            "participants": people[2:5],
            "rotation_start": str(day - timedelta(days=1)),
            "handoff_time": (odd - timedelta(minutes=45)).strftime("%H:%M"),
            "rrule": "FREQ=HOURLY;INTERVAL=12",
            "restrictions": [{"days": [d for d in ("mon", "wed", "fri", "sun")], "start": "23:40", "end": "07:05"}],
        },
        {  # starts after the change: nobody from it before
            "name": "later",
            "participants": [people[0], people[4]],
            "rotation_start": str(day + timedelta(days=2)),
            "handoff_time": hh,
            "rrule": "FREQ=DAILY;INTERVAL=2",
            "restrictions": [{"start": "13:00", "end": "14:30"}],
        },
    ]


def _in_offset(t: datetime, offset: str) -> str:
    """``t`` written with another offset ("+05:45")."""
    sign = 1 if offset[0] == "+" else -1
    return t.astimezone(timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:])))).isoformat()


def _overrides(change: datetime, people: list[str]) -> list[dict]:
    """Overrides at odd instants (seconds past the minute, over the change), written in other offsets."""
    odd = [
        (change - timedelta(hours=5, minutes=17, seconds=13), change + timedelta(minutes=29, seconds=1), "+05:45"),
        (change + timedelta(hours=7, seconds=59), change + timedelta(hours=7, minutes=1), "-03:30"),
        (change + timedelta(days=1, hours=2), change + timedelta(days=1, hours=5), "+00:00"),
    ]
    return [
        {"person_id": people[(i + 3) % len(people)], "start": _in_offset(start, off), "end": _in_offset(end, off)}
        for i, (start, end, off) in enumerate(odd)
    ]


def _check(api, h, sid: str, oracle: Oracle, start: datetime, end: datetime, samples: list[datetime]) -> None:
    zone = oracle.zone
    got = api.get(
        f"/api/oncall/schedules/{sid}/shifts", params={"start": start.isoformat(), "end": end.isoformat()}, headers=h
    )
    assert got.status_code == 200, got.text
    shifts = [
        (
            datetime.fromisoformat(s["start"]),
            datetime.fromisoformat(s["end"]),
            s["person_id"],
            s["layer"],
            s["rotation_index"],
            s["override_id"],
        )
        for s in got.json()["shifts"]
    ]
    expected = [(s.start, s.end, s.person, s.layer, s.index, s.override) for s in oracle.shifts(start, end)]
    assert expected and shifts == expected, f"{zone.key}: shifts differ"
    for a, b in zip(shifts, shifts[1:], strict=False):
        assert a[1] <= b[0], "shifts overlap"
    assert all(s[1] > s[0] for s in shifts), "a shift of no length"
    assert all(start <= s[0] and s[1] <= end for s in shifts)
    # the unrestricted weekly layer began two weeks earlier: the window is covered, its shifts add up to it
    assert shifts[0][0] == start and shifts[-1][1] == end
    assert sum((s[1] - s[0] for s in shifts), timedelta()) == end - start
    wide = oracle.shifts(start - timedelta(days=20), end + timedelta(days=20))
    for t in samples:
        now = api.get("/api/oncall/current", params={"schedule": sid, "at": t.isoformat()}, headers=h)
        assert now.status_code == 200, now.text
        body = now.json()
        seg = next((s for s in wide if s.start <= t < s.end), None)
        where = f"{zone.key} at {t.astimezone(zone).isoformat()}"
        assert body["oncall"] == (seg.person if seg else None), where
        if seg is None:
            continue
        assert (body["layer"], body["rotation_index"], body["override_id"]) == (seg.layer, seg.index, seg.override)
        assert datetime.fromisoformat(body["shift_start"]) == seg.start, where
        if seg.end < end + timedelta(days=20):
            assert body["shift_end"] is not None and datetime.fromisoformat(body["shift_end"]) == seg.end, where


def _samples(oracle: Oracle, change: datetime, start: datetime, end: datetime) -> list[datetime]:
    """Every 47 minutes around the change, plus a second either side of every boundary near it."""
    found = [change - timedelta(hours=14) + i * timedelta(minutes=47) for i in range(37)]
    for seg in oracle.shifts(start, end):
        for edge in (seg.start, seg.end):
            if abs(edge - change) < timedelta(hours=30):
                found += [edge - timedelta(seconds=1), edge]
    return sorted(set(found))


@pytest.mark.parametrize("tz", DST_ZONES + PLAIN_ZONES)
def test_shifts_and_current_agree_with_an_independent_computation_around_each_change(api, admin_key, tz):
    h = auth(admin_key)
    people = [_person(api, h, n) for n in ("ann", "ben", "cy", "dee", "eve")]
    zone = ZoneInfo(tz)
    for change, odd in _odd_times(zone):
        doc = {"name": f"{tz} {change:%m}", "timezone": tz, "layers": _layers(odd, people)}
        created = api.post("/api/oncall/schedules", json=doc, headers=h)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        overrides = []
        for body in _overrides(change, people):
            made = api.post(f"/api/oncall/schedules/{sid}/overrides", json=body, headers=h)
            assert made.status_code == 201, made.text
            overrides.append(made.json())
        oracle = Oracle(created.json(), overrides)
        start, end = change - timedelta(days=4), change + timedelta(days=3)
        _check(api, h, sid, oracle, start, end, _samples(oracle, change, start, end))


def _quiet(doc: dict, t: datetime) -> bool:
    """The person's quiet hours hold ``t`` back: its wall time in their zone is in the window."""
    local = t.astimezone(ZoneInfo(doc["timezone"])).time()
    start, end = (datetime.strptime(doc[k][:5], "%H:%M").time() for k in ("start", "end"))
    return start <= local < end if start < end else (local >= start or local < end)


def test_escalation_levels_and_quiet_hours_over_the_autumn_change(api, admin_key):
    from pagerless.oncall import views
    from pagerless.oncall.service import OncallService

    # Given a New York schedule handing over daily at 01:30 (twice on the clock on 1 November), a
    # policy paging it and then ben every 20 and 25 minutes, three rounds, and quiet hours in
    # New York's and London's wall time (London changed a week earlier)
    h = auth(admin_key)
    ann, ben, cy = (_person(api, h, n) for n in ("ann", "ben", "cy"))
    layer = {"name": "night", "participants": [ann, cy], "rotation_start": "2026-10-30", "handoff_time": "01:30"}
    doc = {"name": "ny", "timezone": "America/New_York", "layers": [{**layer, "rrule": "FREQ=DAILY"}]}
    schedule = api.post("/api/oncall/schedules", json=doc, headers=h).json()
    quiet = {
        ben: {"timezone": "America/New_York", "start": "01:00", "end": "01:45"},
        ann: {"timezone": "Europe/London", "start": "05:00", "end": "06:00"},
    }
    for person, body in quiet.items():
        assert api.put(f"/api/oncall/quiet-hours/{person}", json=body, headers=h).status_code == 200
    steps = [
        {"delay_seconds": 1200, "targets": [{"kind": "schedule", "id": schedule["id"]}]},
        {"delay_seconds": 1500, "targets": [{"kind": "person", "id": ben}]},
    ]
    policy = {"name": "p", "steps": steps, "repeat": 2, "services": ["payments"], "severities": ["high"]}
    assert api.post("/api/escalation-policies", json=policy, headers=h).status_code == 201
    # When an incident that opened at 00:40 EDT is previewed 200 minutes later
    opened = datetime(2026, 11, 1, 4, 40, tzinfo=UTC)
    preview = views.escalation_preview(
        OncallService(),
        "default",
        service_name="payments",
        severity="high",
        minutes_elapsed=200,
        now=opened + timedelta(minutes=200),
    )
    # Then each level is paged its delays later in elapsed time (not wall time), to whoever the
    # independent computation has on call then, held back exactly when the wall clock is in quiet hours
    oracle = Oracle(schedule, [])
    wide = oracle.shifts(opened - timedelta(days=3), opened + timedelta(days=1))
    offset, expected = 0, []
    for repeat in range(3):
        for step in steps:
            at = opened + timedelta(seconds=offset)
            target = step["targets"][0]
            person = (
                target["id"] if target["kind"] == "person" else next(s.person for s in wide if s.start <= at < s.end)
            )
            held = person in quiet and _quiet(quiet[person], at)
            expected.append((at, repeat, [] if held else [person], [person] if held else []))
            offset += step["delay_seconds"]
    got = [
        (datetime.fromisoformat(lv["at"]), lv["repeat"], lv["targets"][0]["persons"], lv["targets"][0]["held"])
        for lv in preview["levels"]
    ]
    assert got == expected
    assert {p for _, _, persons, held in expected for p in persons + held} == {ann, ben, cy}  # each case is met
    assert any(held for *_, held in expected) and any(persons for _, _, persons, _ in expected)
