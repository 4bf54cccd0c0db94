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
    routes = {"routes": [{"channels": ["x"], "active_times": [{"timezone": zone}]}]}
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


def test_documents_stored_before_are_read_as_they_were(api, admin_key):
    from pagerless.store.notify import ConfigRepository
    from pagerless.store.reports import ReportRepository
    from pagerless.store.system import SystemRepository

    # Given routes, a policy and report settings stored with `localtime` before it was refused
    h = auth(admin_key)
    ConfigRepository().put_routes(
        "default", {"routes": [{"channels": ["x"], "active_times": [{"timezone": "localtime"}]}]}
    )
    SystemRepository().put(
        "policy",
        "default",
        {"weekly_freezes": [{"days": ["fri"], "start": "18:00", "hours": 4, "timezone": "Factory"}]},
    )
    ReportRepository().put_settings("default", {"timezone": "localtime", "language": "en"})
    # When they are read back
    routes = api.get("/api/notifications/routes", headers=h)
    policy = api.get("/api/policy", headers=h)
    settings = api.get("/api/reports/settings", headers=h)
    # Then they still load (the routes still route, the freeze still holds) rather than failing every read
    assert routes.status_code == 200, routes.text
    assert routes.json()["routes"][0]["active_times"][0]["timezone"] == "localtime"
    assert policy.status_code == 200 and policy.json()["policy"]["weekly_freezes"][0]["timezone"] == "Factory"
    assert settings.status_code == 200 and settings.json()["timezone"] == "localtime"
