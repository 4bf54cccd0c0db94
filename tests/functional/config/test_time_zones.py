"""Every API that takes a time zone refuses names the zone database holds that are no IANA zone:
`localtime` (the server's own zone: a laptop's, or UTC on Lambda), `Factory` (a placeholder),
`posixrules` and the posix/ and right/ copies. Before, each was stored, and the schedule, quiet
hours, freeze, report day or SLO month then followed whatever zone the server ran in. Each area
answers its own validation status (400 or 422, as for any unknown zone), naming the field."""

import pytest
import yaml

from tests.conftest import FIXTURES, auth

pytestmark = pytest.mark.functional

NOT_ZONES = ["localtime", "Factory", "posixrules", "posix/Europe/Berlin", "right/UTC"]


def _person(api, h) -> str:
    body = {"name": "Ann", "email": "ann@example.com", "timezone": "UTC"}
    return api.post("/api/people", json=body, headers=h).json()["id"]


def _schedule(api, h, zone):
    layer = {"name": "l", "participants": [_person(api, h)], "rotation_start": "2026-03-02", "rrule": "FREQ=WEEKLY"}
    return api.post("/api/oncall/schedules", json={"name": "s", "timezone": zone, "layers": [layer]}, headers=h)


def _quiet_hours(api, h, zone):
    body = {"timezone": zone, "start": "22:00", "end": "07:00"}
    return api.put(f"/api/oncall/quiet-hours/{_person(api, h)}", json=body, headers=h)


def _person_with_zone(api, h, zone):
    return api.post("/api/people", json={"name": "Bo", "email": "bo@example.com", "timezone": zone}, headers=h)


def _report_settings(api, h, zone):
    return api.put("/api/reports/settings", json={"timezone": zone}, headers=h)


def _notify_routes(api, h, zone):
    routes = {"routes": [{"channels": [], "active_times": [{"timezone": zone}]}]}
    return api.put("/api/notifications/routes", json=routes, headers=h)


def _policy(api, h, zone):
    policy = api.get("/api/policy", headers=h).json()["policy"]
    freeze = {"days": ["fri"], "start": "18:00", "hours": 4, "timezone": zone}
    return api.put("/api/policy", json={**policy, "weekly_freezes": [freeze]}, headers=h)


def _slo(api, h, zone):
    document = next(yaml.safe_load_all((FIXTURES / "slo" / "payments.yaml").read_text()))
    document["spec"]["timeWindow"] = [{"duration": "1M", "isRolling": False, "calendar": {"timeZone": zone}}]
    return api.post("/api/slo", json=document, headers=h)


WRITES = {
    "schedule": (_schedule, "timezone"),
    "quiet hours": (_quiet_hours, "timezone"),
    "person": (_person_with_zone, "timezone"),
    "report settings": (_report_settings, "timezone"),
    "notification routes": (_notify_routes, "timezone"),
    "policy freeze": (_policy, "timezone"),
    "slo calendar": (_slo, "timeZone"),
}


@pytest.mark.parametrize("zone", NOT_ZONES)
@pytest.mark.parametrize("where", WRITES)
def test_a_name_that_is_no_iana_zone_is_refused_naming_the_field(api, admin_key, where, zone):
    write, field = WRITES[where]
    # When a zone that is no IANA zone is sent
    response = write(api, auth(admin_key), zone)
    # Then it is refused in the error format, naming the field
    assert response.status_code in (400, 422), response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert any(d["field"].endswith(field) for d in error["details"]), error


@pytest.mark.parametrize("where", WRITES)
def test_a_real_zone_is_still_taken(api, admin_key, where):
    write, _ = WRITES[where]
    assert write(api, auth(admin_key), "Europe/Berlin").status_code in (200, 201)


def test_documents_stored_before_still_load_with_the_zone_they_named(api, admin_key):
    from pagerless.store.system import SystemRepository

    # Given a policy stored with `Factory` before it was refused
    h = auth(admin_key)
    SystemRepository().put(
        "policy",
        "default",
        {"weekly_freezes": [{"days": ["fri"], "start": "18:00", "hours": 4, "timezone": "Factory"}]},
    )
    # When it is read back
    policy = api.get("/api/policy", headers=h)
    # Then it still loads (the freeze still holds) rather than failing every read
    assert policy.status_code == 200 and policy.json()["policy"]["weekly_freezes"][0]["timezone"] == "Factory"


def _stored_with_localtime(api, h) -> dict[str, str]:
    """Documents stored with `localtime` before it was refused, written straight into the store."""
    from pagerless.store.notify import ConfigRepository
    from pagerless.store.oncall import SCHEDULES, DocumentRepository, QuietHoursRepository
    from pagerless.store.people import PeopleRecord
    from pagerless.store.reports import ReportRepository

    ConfigRepository().put_routes(
        "default", {"routes": [{"channels": ["x"], "active_times": [{"timezone": "localtime"}]}]}
    )
    ReportRepository().put_settings("default", {"timezone": "localtime", "language": "en"})
    person = _person(api, h)
    record = next(r for r in PeopleRecord.scan() if r.sort_key == person)
    record.update(actions=[PeopleRecord.data.set({**record.data, "timezone": "localtime"})])
    layer = {
        "name": "daily",
        "participants": [person, _person_with_zone(api, h, "UTC").json()["id"]],
        "rotation_start": "2026-03-02",
        "handoff_time": "09:00:00",
        "rrule": "FREQ=DAILY",
    }
    schedule = {"id": "sch-old", "workspace": "default", "name": "old", "timezone": "localtime", "layers": [layer]}
    DocumentRepository(SCHEDULES).create("default", "sch-old", schedule)
    QuietHoursRepository().put("default", person, {"timezone": "localtime", "start": "22:00", "end": "07:00"})
    return {"person": person, "schedule": "sch-old"}


def test_a_stored_localtime_is_read_as_utc_the_zone_it_meant_on_lambda(api, admin_key, caplog):
    from pagerless import clock

    clock.read_localtime_as_utc.cache_clear()  # the warning is once per process
    h = auth(admin_key)
    # Given documents stored with `localtime` (the server's zone: UTC on Lambda, a laptop's own zone elsewhere)
    stored = _stored_with_localtime(api, h)
    # When they are read back through the API
    with caplog.at_level("WARNING"):
        routes = api.get("/api/notifications/routes", headers=h).json()
        settings = api.get("/api/reports/settings", headers=h).json()
        schedule = api.get(f"/api/oncall/schedules/{stored['schedule']}", headers=h).json()
        listed = api.get("/api/oncall/schedules", headers=h).json()["items"]
        quiet = api.get(f"/api/oncall/quiet-hours/{stored['person']}", headers=h).json()
        person = api.get(f"/api/people/{stored['person']}", headers=h).json()
        shifts = api.get(
            f"/api/oncall/schedules/{stored['schedule']}/shifts",
            params={"start": "2026-03-10T00:00:00Z", "end": "2026-03-11T00:00:00Z"},
            headers=h,
        ).json()["shifts"]
    # Then each says UTC, the zone `localtime` is on AWS Lambda, on every machine
    assert routes["routes"][0]["active_times"][0]["timezone"] == "UTC", routes
    assert settings["timezone"] == "UTC", settings
    assert schedule["timezone"] == "UTC" and [s["timezone"] for s in listed] == ["UTC"], schedule
    assert quiet["timezone"] == "UTC" and person["timezone"] == "UTC", (quiet, person)
    # And the schedule hands over at 09:00 UTC, whatever zone the machine reading it is in
    assert [s["start"][11:16] for s in shifts] == ["00:00", "09:00"], shifts
    assert all(s["start"].endswith(("+00:00", "Z")) for s in shifts), shifts
    # And reading them said so, once
    warnings = [r for r in caplog.records if "localtime" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING", [r.getMessage() for r in warnings]
