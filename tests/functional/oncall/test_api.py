"""The on-call API through the local gateway and the real apps: schedules, overrides, who is on
call (seed 002), rendered shifts, iCal, policies, the escalation preview and the handoff digest."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ROOT, auth

pytestmark = pytest.mark.functional

SCHEDULE = {
    "name": "payments primary",
    "timezone": "America/New_York",
    "team": "payments-team",
    "services": ["payments"],
    "layers": [
        {
            "name": "weekly",
            "participants": ["carol", "dave", "erin"],
            "rotation_start": "2026-03-02",
            "handoff_time": "09:00",
            "rrule": "FREQ=WEEKLY",
        }
    ],
}


@pytest.fixture
def operator_key(runtime) -> str:
    from pagerless.api.security import key_service

    return key_service().create(workspace="default", role="operator", name="on-call").secret


@pytest.fixture
def ppl(runtime) -> dict[str, str]:
    """Persons (pagerless.people) by first name -> person id."""
    from pagerless.people.service import PeopleService

    people = PeopleService()
    return {
        name: people.create("default", name=name.title(), email=f"{name}@example.com").id
        for name in ("carol", "dave", "erin", "frank", "gina")
    }


@pytest.fixture
def schedule(api, admin_key, ppl) -> dict:
    body = {
        **SCHEDULE,
        "layers": [{**SCHEDULE["layers"][0], "participants": [ppl[n] for n in ("carol", "dave", "erin")]}],
    }
    response = api.post("/api/oncall/schedules", json=body, headers=auth(admin_key))
    assert response.status_code == 201, response.text
    return response.json()


def test_schedule_crud_and_validation(api, admin_key, operator_key, schedule):
    h = auth(admin_key)
    assert (
        api.get(f"/api/oncall/schedules/{schedule['id']}", headers=h).json()["layers"][0]["handoff_time"] == "09:00:00"
    )
    assert [s["id"] for s in api.get("/api/oncall/schedules", headers=h).json()["items"]] == [schedule["id"]]
    # Bad input is a 422 in the error format, naming the field
    for bad in (
        {**SCHEDULE, "timezone": "Mars/Olympus"},
        {**SCHEDULE, "timezone": "America"},  # a folder of the time-zone database, not a zone
        {**SCHEDULE, "layers": [{**SCHEDULE["layers"][0], "rrule": "FREQ=SOMETIMES"}]},
        {**SCHEDULE, "layers": [{**SCHEDULE["layers"][0], "rrule": "FREQ=MINUTELY"}]},
        {**SCHEDULE, "layers": []},
    ):
        response = api.post("/api/oncall/schedules", json=bad, headers=h)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    # Participants must be persons of the workspace
    unknown = api.post("/api/oncall/schedules", json=SCHEDULE, headers=h)
    assert unknown.status_code == 400 and {"person_id": "carol"} in unknown.json()["error"]["details"]
    # Operators cannot define schedules
    assert api.post("/api/oncall/schedules", json=SCHEDULE, headers=auth(operator_key)).status_code == 403
    body = {**schedule, "team": "payments-sre"}
    for key in ("id", "workspace", "created_at", "updated_at", "updated_by"):
        body.pop(key)
    updated = api.put(f"/api/oncall/schedules/{schedule['id']}", json=body, headers=h)
    assert updated.json()["team"] == "payments-sre"
    assert api.delete(f"/api/oncall/schedules/{schedule['id']}", headers=h).status_code == 204
    missing = api.get(f"/api/oncall/schedules/{schedule['id']}", headers=h)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_current_oncall_in_seed_shape_with_an_override(api, admin_key, operator_key, schedule, ppl):
    h = auth(operator_key)
    # Monday 9 March 2026 09:30 EDT: the second week, dave (index 1), after the DST change
    at = "2026-03-09T09:30:00-04:00"
    body = api.get("/api/oncall/current", params={"service": "payments", "at": at}, headers=h).json()
    assert {k: body[k] for k in ("service", "oncall", "team", "week_number", "rotation_index")} == {
        "service": "payments",
        "oncall": ppl["dave"],
        "team": "payments-team",
        "week_number": 11,
        "rotation_index": 1,
    }
    assert "escalation_contact" in body and body["shift_start"] == "2026-03-09T09:00:00-04:00"
    # An override lets erin cover that morning
    cover = api.post(
        f"/api/oncall/schedules/{schedule['id']}/overrides",
        headers=h,
        json={"person_id": ppl["erin"], "start": "2026-03-09T09:15:00-04:00", "end": "2026-03-09T12:00:00-04:00"},
    )
    assert cover.status_code == 201, cover.text
    body = api.get("/api/oncall/current", params={"schedule": schedule["id"], "at": at}, headers=h).json()
    assert (body["oncall"], body["override_id"]) == (ppl["erin"], cover.json()["id"])
    # Exactly one of schedule and service
    assert api.get("/api/oncall/current", headers=h).status_code == 400
    assert api.get("/api/oncall/current", params={"service": "search"}, headers=h).status_code == 404
    # A bad override is refused
    bad = api.post(
        f"/api/oncall/schedules/{schedule['id']}/overrides",
        headers=h,
        json={"person_id": ppl["erin"], "start": "2026-03-09T12:00:00Z", "end": "2026-03-09T11:00:00Z"},
    )
    assert bad.status_code == 422


def test_where_overrides_overlap_the_newest_one_is_on_call(api, operator_key, schedule, ppl):
    h = auth(operator_key)
    url = f"/api/oncall/schedules/{schedule['id']}/overrides"
    # Given erin covers Tuesday 10 March all day, and then frank is asked to cover its afternoon
    first = api.post(
        url,
        headers=h,
        json={"person_id": ppl["erin"], "start": "2026-03-10T00:00:00-04:00", "end": "2026-03-11T00:00:00-04:00"},
    ).json()
    newest = first
    while newest["id"] <= first["id"]:  # the store lists overrides by id: make the newest come last
        newest = api.post(
            url,
            headers=h,
            json={"person_id": ppl["frank"], "start": "2026-03-10T12:00:00-04:00", "end": "2026-03-10T18:00:00-04:00"},
        ).json()

    # Then frank, the newest override, is on call that afternoon; erin before and after it
    def oncall(at: str) -> tuple[str, str]:
        body = api.get("/api/oncall/current", params={"schedule": schedule["id"], "at": at}, headers=h).json()
        return body["oncall"], body["override_id"]

    assert oncall("2026-03-10T13:00:00-04:00") == (ppl["frank"], newest["id"])
    assert oncall("2026-03-10T11:59:00-04:00") == (ppl["erin"], first["id"])
    assert oncall("2026-03-10T18:00:00-04:00") == (ppl["erin"], first["id"])
    shifts = api.get(
        f"/api/oncall/schedules/{schedule['id']}/shifts",
        params={"start": "2026-03-10T00:00:00-04:00", "end": "2026-03-11T00:00:00-04:00"},
        headers=h,
    ).json()["shifts"]
    assert [(x["person_id"], x["start"], x["end"]) for x in shifts] == [
        (ppl["erin"], "2026-03-10T00:00:00-04:00", "2026-03-10T12:00:00-04:00"),
        (ppl["frank"], "2026-03-10T12:00:00-04:00", "2026-03-10T18:00:00-04:00"),
        (ppl["erin"], "2026-03-10T18:00:00-04:00", "2026-03-11T00:00:00-04:00"),
    ]


def test_shifts_and_ical_export(api, operator_key, schedule, ppl):
    h = auth(operator_key)
    params = {"start": "2026-03-01T00:00:00Z", "end": "2026-03-17T00:00:00Z"}
    shifts = api.get(f"/api/oncall/schedules/{schedule['id']}/shifts", params=params, headers=h).json()["shifts"]
    assert [(s["person_id"], s["start"]) for s in shifts] == [
        (ppl["carol"], "2026-03-02T09:00:00-05:00"),
        (ppl["dave"], "2026-03-09T09:00:00-04:00"),
        (ppl["erin"], "2026-03-16T09:00:00-04:00"),
    ]
    response = api.get(f"/api/oncall/schedules/{schedule['id']}/ical", params=params, headers=h)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    text = response.text
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 3
    assert "DTSTART:20260309T130000Z\r\nDTEND:20260316T130000Z" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    too_long = api.get(
        f"/api/oncall/schedules/{schedule['id']}/shifts",
        headers=h,
        params={"start": "2026-01-01T00:00:00Z", "end": "2028-01-01T00:00:00Z"},
    )
    assert too_long.status_code == 400


def test_policies_and_the_escalation_preview(api, admin_key, operator_key, schedule, ppl):
    h = auth(admin_key)
    channel = api.post(
        "/api/notifications/channels",
        headers=h,
        json={"name": "payments", "channel_type": "webhook", "config": {"url": "https://payments.test/hook"}},
    ).json()
    policy = {
        "name": "payments",
        "services": ["payments"],
        "repeat": 1,
        "steps": [
            {"delay_seconds": 600, "targets": [{"kind": "schedule", "id": schedule["id"]}]},
            {
                "delay_seconds": 900,
                "targets": [{"kind": "person", "id": ppl["frank"]}, {"kind": "channel", "id": channel["id"]}],
            },
        ],
    }
    created = api.post("/api/escalation-policies", json=policy, headers=h)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    missing = api.post(
        "/api/escalation-policies",
        headers=h,
        json={**policy, "steps": [{"delay_seconds": 60, "targets": [{"kind": "schedule", "id": "nope"}]}]},
    )
    assert missing.status_code == 400 and missing.json()["error"]["details"] == [{"step": 0, "schedule_id": "nope"}]
    # A schedule that a policy targets cannot be deleted
    assert api.delete(f"/api/oncall/schedules/{schedule['id']}", headers=h).status_code == 409
    # When 15 minutes have passed on a critical payments incident
    preview = api.get(
        "/api/notifications/escalation",
        headers=auth(operator_key),
        params={"service": "payments", "severity": "critical", "minutes_elapsed": 15},
    ).json()
    # Then level 1 (the schedule) and level 2 (frank + the channel) were paged; the repeat comes at 25 minutes
    assert preview["policy"]["id"] == pid and preview["current_level"] == 2
    assert [(lv["level"], lv["repeat"], lv["at_minutes"], lv["status"]) for lv in preview["levels"]] == [
        (1, 0, 0.0, "paged"),
        (2, 0, 10.0, "paged"),
        (1, 1, 25.0, "upcoming"),
        (2, 1, 35.0, "upcoming"),
    ]
    assert preview["levels"][1]["targets"][0]["persons"] == [ppl["frank"]]
    assert preview["next"] == {"level": 1, "repeat": 1, "in_minutes": 10.0}
    # A warning matches no policy (critical and high by default)
    assert (
        api.get(
            "/api/notifications/escalation", params={"service": "payments", "severity": "warning"}, headers=h
        ).json()["policy"]
        is None
    )
    assert api.put(f"/api/escalation-policies/{pid}", json={**policy, "repeat": 0}, headers=h).json()["repeat"] == 0
    assert api.delete(f"/api/escalation-policies/{pid}", headers=h).status_code == 204
    assert api.get(f"/api/escalation-policies/{pid}", headers=h).status_code == 404


def test_the_escalation_preview_goes_past_a_schedule_with_nobody_on_call_at_once(api, admin_key, operator_key, ppl):
    h = auth(admin_key)
    # Given a schedule whose rotation starts in 2099 (nobody on call now) as the first step of a policy
    layer = {**SCHEDULE["layers"][0], "participants": [ppl["carol"]], "rotation_start": "2099-01-05"}
    gap = api.post("/api/oncall/schedules", json={**SCHEDULE, "layers": [layer]}, headers=h).json()
    steps = [
        {"delay_seconds": 600, "targets": [{"kind": "schedule", "id": gap["id"]}]},
        {"delay_seconds": 900, "targets": [{"kind": "person", "id": ppl["frank"]}]},
    ]
    policy = {"name": "payments", "services": ["payments"], "steps": steps}
    assert api.post("/api/escalation-policies", json=policy, headers=h).status_code == 201
    # When a critical payments incident is one minute old
    preview = api.get(
        "/api/notifications/escalation",
        headers=auth(operator_key),
        params={"service": "payments", "severity": "critical", "minutes_elapsed": 1},
    ).json()
    # Then level 1 reached nobody and level 2 (frank) was paged at once, as the engine does
    assert [(lv["level"], lv["at_minutes"], lv["status"]) for lv in preview["levels"]] == [
        (1, 0.0, "paged"),
        (2, 0.0, "paged"),
    ]
    assert preview["levels"][0]["targets"][0]["persons"] == []
    assert preview["levels"][1]["targets"][0]["persons"] == [ppl["frank"]]
    assert preview["current_level"] == 2 and preview["next"] is None


def test_handoff_digest_and_the_scheduled_handoff_message(runtime, api, admin_key, operator_key, schedule, ppl):
    from pagerless import settings
    from pagerless.oncall.handoff import announce_handoffs

    h = auth(operator_key)
    digest = api.get("/api/digest/handoff", params={"hours": 12, "workspace_id": "default"}, headers=h)
    assert digest.status_code == 200, digest.text
    body = digest.json()
    assert body["hours"] == 12 and body["summary"]["open"] == 0
    assert body["oncall"][0]["schedule_id"] == schedule["id"] and body["oncall"][0]["next"]
    assert api.get("/api/digest/handoff", params={"workspace_id": "other"}, headers=h).status_code == 403
    assert api.get("/api/digest/handoff", params={"hours": 49}, headers=h).status_code == 422
    # Given an override that began a minute ago (a handoff to gina)
    now = datetime.now(UTC)
    api.post(
        f"/api/oncall/schedules/{schedule['id']}/overrides",
        headers=h,
        json={
            "person_id": ppl["gina"],
            "start": (now - timedelta(minutes=1)).isoformat(),
            "end": (now + timedelta(hours=2)).isoformat(),
        },
    )
    # When the template's scheduled check fires, and runs again
    [target] = [t for t in runtime.schedules() if t.name == "ScheduledFunction-OncallHandoff"]
    runtime.scheduler.fire(target)
    again = runtime.lambdas.invoke(
        runtime.lambdas.by_logical_id["ScheduledFunction"].name,
        json.loads((ROOT / "events" / "scheduled" / "oncall_handoff.json").read_text()),
    )
    # Then gina was told exactly once
    assert again == {"job": "oncall_handoff", "result": {"announced": []}}
    assert announce_handoffs()["announced"] == []
    sqs = runtime.client("sqs")
    messages = sqs.receive_message(QueueUrl=settings.workflow().notify_queue_url, MaxNumberOfMessages=10)["Messages"]
    jobs = [json.loads(m["Body"]) for m in messages if json.loads(m["Body"])["event"] == "oncall.handoff"]
    # (the weekly rotation's own handoff, Monday 09:00 New York, is announced too when the test runs within the
    # check's 30-minute lookback of it: only the override's is this test's)
    to_gina = [j for j in jobs if j["targets"] == [{"kind": "person", "id": ppl["gina"]}]]
    assert [j["data"]["schedule_id"] for j in to_gina] == [schedule["id"]]


def test_the_readme_worked_example(api, admin_key):
    h = auth(admin_key)
    carol, dave, eve = (
        api.post("/api/people", json={"name": n.title(), "email": f"{n}@example.com"}, headers=h).json()["id"]
        for n in ("carol", "dave", "eve")
    )
    sch = api.post(
        "/api/oncall/schedules",
        headers=h,
        json={
            "name": "payments primary",
            "timezone": "America/New_York",
            "team": "payments-team",
            "services": ["payments"],
            "layers": [
                {
                    "name": "weekly",
                    "participants": [carol, dave],
                    "rotation_start": "2026-03-02",
                    "handoff_time": "09:00",
                    "rrule": "FREQ=WEEKLY",
                }
            ],
        },
    ).json()["id"]
    created = api.post(
        "/api/escalation-policies",
        headers=h,
        json={
            "name": "payments",
            "services": ["payments"],
            "steps": [
                {"delay_seconds": 300, "targets": [{"kind": "schedule", "id": sch}]},
                {"delay_seconds": 600, "targets": [{"kind": "person", "id": eve}]},
            ],
        },
    )
    assert created.status_code == 201, created.text
    now = api.get(
        "/api/oncall/current", params={"service": "payments", "at": "2026-03-09T09:30:00-04:00"}, headers=h
    ).json()
    assert (now["oncall"], now["escalation_contact"], now["week_number"], now["rotation_index"]) == (dave, eve, 11, 1)
    # seed 002's own paths answer the same, with the seed's X-API-Key header
    seed = {"X-API-Key": admin_key}
    assert (
        api.get(
            "/oncall/current", params={"service": "payments", "at": "2026-03-09T09:30:00-04:00"}, headers=seed
        ).json()
        == now
    )
    assert api.get("/digest/handoff", params={"hours": 12}, headers=seed).json()["oncall"][0]["schedule_id"] == sch
    assert (
        api.get(
            "/notifications/escalation", params={"service": "payments", "minutes_elapsed": 45}, headers=seed
        ).json()["current_level"]
        == 2
    )
    assert api.get("/oncall/current", params={"service": "payments"}).status_code == 401
    preview = api.get(
        "/api/notifications/escalation",
        headers=h,
        params={"service": "payments", "severity": "critical", "minutes_elapsed": 7},
    ).json()
    assert [(lv["level"], lv["at_minutes"], lv["status"]) for lv in preview["levels"]] == [
        (1, 0, "paged"),
        (2, 5, "paged"),
    ]
    assert preview["levels"][1]["targets"][0]["persons"] == [eve]
    assert (preview["current_level"], preview["next"]) == (2, None)


def test_the_sample_current_oncall_event_through_the_oncall_function(runtime, admin_key):
    from pagerless.api.security import key_service
    from pagerless.domain.roles import Role
    from pagerless.oncall import models
    from pagerless.oncall.service import OncallService
    from pagerless.people.service import PeopleService

    # Given the sample key and a schedule covering payments-api
    key_service().ensure(
        "pl_sample_events_key_do_not_use_in_production", workspace="default", role=Role.OPERATOR, name="sample events"
    )
    ann = PeopleService().create("default", name="Ann", email="ann@example.com").id
    OncallService().create_schedule(
        "default",
        models.ScheduleIn(
            name="payments",
            timezone="UTC",
            services=["payments-api"],
            layers=[models.LayerIn(name="l", participants=[ann], rotation_start="2026-01-01")],
        ),
        "test",
    )
    # When API Gateway's event reaches the real handler
    event = json.loads((ROOT / "events" / "oncall" / "current_oncall.json").read_text())
    result = runtime.lambdas.invoke(runtime.lambdas.by_logical_id["OncallFunction"].name, event)
    # Then
    assert result["statusCode"] == 200, result["body"]
    assert json.loads(result["body"])["oncall"] == ann


def test_an_incident_opened_by_an_alert_has_its_escalations_read_within_the_oncall_role(api, admin_key):
    # Given an incident an alert opened (it has a fingerprint, so reading it whole reads the alerts table)
    opened = api.post(
        "/api/webhooks/generic?sync=true",
        json={"title": "checkout 5xx", "service": "checkout", "severity": "critical"},
        headers=auth(admin_key),
    )
    assert opened.status_code in (200, 201, 202), opened.text
    incident_id = opened.json()["alerts"][0]["incident_id"]
    # When its escalations are asked for (the on-call function, which is not granted the alerts table)
    response = api.get(f"/api/incidents/{incident_id}/escalations", headers=auth(admin_key))
    # Then they answer, and the runtime fixture's IAM check finds no call the role denies
    assert response.status_code == 200, response.text
    assert response.json()["incident_id"] == incident_id
    assert api.get("/api/incidents/INC-20260101-9999/escalations", headers=auth(admin_key)).status_code == 404
