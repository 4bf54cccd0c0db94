"""The on-call views name people: who is on call, the escalation contact, rendered shifts, the escalation preview,
the handoff digest and the iCal feed show the person's display name beside the id (which stays, for the API's
callers); a person deleted since is named by their id."""

import re

import pytest

from tests.conftest import auth

pytestmark = pytest.mark.functional

AT = "2026-03-11T10:00:00+01:00"  # ann's week (9-16 March)


def _person(api, h, name: str) -> str:
    return api.post("/api/people", json={"name": name, "email": f"{name.split()[0]}@example.com"}, headers=h).json()[
        "id"
    ]


def _oncall(api, h) -> tuple[str, str, str]:
    """Ann Lee and Ben Okafor rotate weekly on payments' schedule; its policy pages the schedule, then Cy Diaz."""
    ann, ben, cy = (_person(api, h, n) for n in ("Ann Lee", "Ben Okafor", "Cy Diaz"))
    layer = {
        "name": "primary",
        "participants": [ann, ben],
        "handoff_time": "09:00",
        "rotation_start": "2026-03-09",
        "rrule": "FREQ=WEEKLY",
    }
    body = {"name": "payments", "timezone": "Europe/Berlin", "services": ["payments"], "layers": [layer]}
    created = api.post("/api/oncall/schedules", json=body, headers=h)
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    policy = {
        "name": "payments",
        "services": ["payments"],
        "steps": [
            {"delay_seconds": 300, "targets": [{"kind": "schedule", "id": sid}]},
            {"delay_seconds": 300, "targets": [{"kind": "person", "id": cy}]},
        ],
    }
    assert api.post("/api/escalation-policies", json=policy, headers=h).status_code == 201
    return sid, ann, cy


def _summaries(calendar: str) -> list[str]:
    return re.findall(r"^SUMMARY:(.*)\r$", calendar.replace("\r\n ", ""), re.M)


def test_on_call_views_show_names_beside_ids(api, admin_key):
    # Given a schedule with Ann Lee on call and a policy that reaches Cy Diaz next
    h = auth(admin_key)
    sid, ann, cy = _oncall(api, h)
    # When who is on call, the shifts, the preview and the calendar are asked
    now = api.get("/api/oncall/current", params={"service": "payments", "at": AT}, headers=h).json()
    shifts = api.get(
        f"/api/oncall/schedules/{sid}/shifts", params={"start": AT, "end": "2026-03-20T00:00:00+01:00"}, headers=h
    ).json()["shifts"]
    calendar = api.get(
        f"/api/oncall/schedules/{sid}/ical", params={"start": AT, "end": "2026-03-20T00:00:00+01:00"}, headers=h
    ).text
    # Then each names the person beside the id, which stays as it was
    assert (now["oncall"], now["oncall_name"]) == (ann, "Ann Lee")
    assert (now["escalation_contact"], now["escalation_contact_name"]) == (cy, "Cy Diaz")
    assert [(s["person_id"] == ann, s["person_name"]) for s in shifts] == [(True, "Ann Lee"), (False, "Ben Okafor")]
    assert _summaries(calendar) == ["On call: Ann Lee (payments)", "On call: Ben Okafor (payments)"]
    assert f"Ann Lee ({ann}) is on call" in calendar.replace("\r\n ", "")


def test_the_escalation_preview_and_the_handoff_digest_name_people(api, admin_key):
    # Given the same schedule and policy
    h = auth(admin_key)
    _, ann, cy = _oncall(api, h)
    # When the preview of a payments page and the handoff digest are asked
    preview = api.get(
        "/api/notifications/escalation",
        params={"service": "payments", "severity": "critical", "minutes_elapsed": 0},
        headers=h,
    ).json()
    digest = api.get("/api/digest/handoff", headers=h).json()
    # Then both name the people they list
    [[schedule], [person]] = [level["targets"] for level in preview["levels"]]
    assert person["persons"] == [cy] and person["person_names"] == ["Cy Diaz"] and person["name"] == "Cy Diaz"
    assert len(schedule["person_names"]) == len(schedule["persons"]) == 1
    assert schedule["person_names"][0] in ("Ann Lee", "Ben Okafor")
    [oncall] = digest["oncall"]
    assert oncall["current_name"] in ("Ann Lee", "Ben Okafor") and oncall["next_name"] in ("Ann Lee", "Ben Okafor")
    assert oncall["current_name"] != oncall["next_name"]


def test_a_person_deleted_since_is_named_by_their_id(api, admin_key):
    from pagerless.people.service import PeopleService

    # Given Ann Lee on call, deleted behind the schedule's back (data from before the API refused that)
    h = auth(admin_key)
    sid, ann, _ = _oncall(api, h)
    PeopleService().delete("default", ann)
    # When who is on call and the calendar are asked
    now = api.get("/api/oncall/current", params={"schedule": sid, "at": AT}, headers=h).json()
    calendar = api.get(
        f"/api/oncall/schedules/{sid}/ical", params={"start": AT, "end": "2026-03-12T00:00:00+01:00"}, headers=h
    ).text
    # Then her id stands for her name
    assert (now["oncall"], now["oncall_name"]) == (ann, ann)
    assert _summaries(calendar) == [f"On call: {ann} (payments)"]
