"""The SLO API on the embedded AWS: definitions in JSON and YAML, roles, errors, CloudWatch SLIs
(moto), and seed 001's SLA aliases over hand-computed incident downtime."""

import math
from datetime import UTC, date, datetime, time, timedelta

import boto3
import pytest
import yaml

from pagerless.clock import utcnow
from pagerless.slo.budget import align, calendar_month
from tests.conftest import FIXTURES, auth
from tests.functional.intake.conftest import make_key
from tests.functional.slo.history import minutes, seed_incident

pytestmark = pytest.mark.functional

YAML = (FIXTURES / "slo" / "payments.yaml").read_text()


def _import(api, key, text=YAML, **params):
    return api.post(
        "/api/slo/import",
        content=text.encode(),
        params=params,
        headers={**auth(key), "content-type": "application/yaml"},
    )


def test_yaml_import_list_get_export_delete(api, admin_key):
    # Given the two OpenSLO documents imported as YAML
    imported = _import(api, admin_key)
    assert imported.status_code == 200, imported.text
    assert [i["action"] for i in imported.json()["imported"]] == ["created", "created"]

    # When listed: seed 002's shape
    listed = api.get("/api/slo", headers=auth(admin_key)).json()
    assert listed["count"] == 2
    payments = next(s for s in listed["slos"] if s["name"] == "payments-api-availability")
    assert payments == {
        "name": "payments-api-availability",
        "service": "payments-api",
        "target": 0.9995,
        "target_percent": 99.95,
        "window_days": 30,
        "indicator": "availability",
        "budgeting_method": "Occurrences",
        "display_name": "Payments API availability",
    }
    latency = next(s for s in listed["slos"] if s["name"] == "search-api-latency-p99")
    assert latency["latency_threshold_ms"] == 200 and latency["latency_percentile"] == "p99"

    # And exported, the YAML holds the same documents
    exported = api.get("/api/slo/export", headers=auth(admin_key))
    assert exported.headers["content-type"].startswith("application/yaml")
    assert list(yaml.safe_load_all(exported.text)) == list(yaml.safe_load_all(YAML))

    # And importing again without replace is refused, with replace updates
    assert _import(api, admin_key).status_code == 400
    assert [i["action"] for i in _import(api, admin_key, replace="true").json()["imported"]] == ["updated", "updated"]

    # And a new SLO's budget is whole
    budget = api.get("/api/slo/payments-api-availability/budget", headers=auth(admin_key)).json()
    assert budget["budget_total_minutes"] == 21.6  # 43,200 min × 0.0005, seed 002's example
    assert budget["budget_remaining_percent"] == 100.0 and budget["alert_level"] == "ok"

    # When deleted, it is gone
    assert api.delete("/api/slo/payments-api-availability", headers=auth(admin_key)).status_code == 204
    assert api.get("/api/slo/payments-api-availability", headers=auth(admin_key)).status_code == 404


def test_bad_documents_and_roles(api, admin_key):
    viewer = make_key("viewer")
    # A viewer reads but cannot create
    assert api.get("/api/slo", headers=auth(viewer)).status_code == 200
    assert _import(api, viewer).status_code == 403
    # YAML that does not parse, and a document with an unsupported window, are 400 with details
    broken = _import(api, admin_key, text="kind: [")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "VALIDATION_ERROR"
    document = next(yaml.safe_load_all(YAML))
    document["spec"]["timeWindow"] = [{"duration": "90d", "isRolling": True}]
    refused = api.post("/api/slo", json=document, headers=auth(admin_key))
    assert refused.status_code == 400
    assert any(d["field"].startswith("spec.timeWindow") for d in refused.json()["error"]["details"])
    # A calendar time zone that is a folder of the zone database ("America") is a 400 too, not a 500
    document = next(yaml.safe_load_all(YAML))
    document["spec"]["timeWindow"] = [{"duration": "1M", "isRolling": False, "calendar": {"timeZone": "America"}}]
    refused = api.post("/api/slo", json=document, headers=auth(admin_key))
    assert refused.status_code == 400, refused.text
    assert any(d["field"].startswith("spec.timeWindow") for d in refused.json()["error"]["details"])
    # Nothing was stored by the refused calls
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 0
    # A name that exists is a conflict
    good = next(yaml.safe_load_all(YAML))
    assert api.post("/api/slo", json=good, headers=auth(admin_key)).status_code == 201
    assert api.post("/api/slo", json=good, headers=auth(admin_key)).status_code == 409
    assert api.get("/api/slo/nope/budget", headers=auth(admin_key)).status_code == 404


def test_cloudwatch_timeslices_on_moto(api, admin_key):
    # Given the Shanghai calendar-month latency SLO, and 12 five-minute slices of CloudWatch data
    # in which 3 slices had fewer than 95 % fast requests
    _import(api, admin_key)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    end = align(utcnow())
    first = end - timedelta(hours=1)
    bad_slices = {2, 5, 9}
    for i in range(12):
        stamp = first + timedelta(minutes=5 * i) + timedelta(seconds=30)
        fast = 90 if i in bad_slices else 97
        dims = [{"Name": "Service", "Value": "search-api"}]
        cloudwatch.put_metric_data(
            Namespace="Search",
            MetricData=[
                {"MetricName": "Requests", "Dimensions": dims, "Timestamp": stamp, "Value": 100, "Unit": "Count"},
                {"MetricName": "FastRequests", "Dimensions": dims, "Timestamp": stamp, "Value": fast, "Unit": "Count"},
            ],
        )

    # When it is evaluated
    evaluated = api.post("/api/slo/search-api-latency-p99/evaluate", headers=auth(make_key("operator")))
    assert evaluated.status_code == 200, evaluated.text
    budget = api.get("/api/slo/search-api-latency-p99/budget", headers=auth(admin_key)).json()

    # Then 3 bad slices are 15 bad minutes of the month's 0.1 % (its real length in Shanghai)
    _, _, month_minutes = calendar_month(utcnow(), "Asia/Shanghai")
    month_start = calendar_month(utcnow(), "Asia/Shanghai")[0]
    inside = sum(1 for i in bad_slices if first + timedelta(minutes=5 * i) >= month_start)
    assert budget["budget_total_minutes"] == round(float(month_minutes) * 0.001, 2)
    assert budget["budget_consumed_minutes"] == 5 * inside
    assert budget["burn_rates"]["1h"] == round(15 / 60 / 0.001, 4)  # 250: a fast burn
    # 6 h: 15 bad minutes of 360 → burn 41.7; 30 m: slice 9 → 5 of 30 → 166.7: the 6 h / 30 m pair pages
    assert budget["burn_rates"]["30m"] == round(5 / 30 / 0.001, 4)
    assert budget["alert_level"] == "critical"

    # And the burn opened a search-api incident through intake, which triage ranks above an older critical
    # incident of a service that burns nothing
    seed_incident("INC-OTHER", service="other-api", severity="critical", opened=end - timedelta(hours=3))
    ranked = api.get("/api/incidents/triage", headers=auth(admin_key)).json()["items"]
    assert [(r["service"], r["slo_burn"]) for r in ranked] == [("search-api", "critical"), ("other-api", "ok")]
    assert ranked[0]["score"] > ranked[1]["score"]


def _day(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def test_sla_rules_status_violations_and_report(api, admin_key):
    # Given an SLA rule for backend-api (99.9 % monthly)
    created = api.post(
        "/api/sla/rules",
        json={
            "service_id": "backend-api",
            "name": "Backend API SLA",
            "target_percent": 99.9,
            "calculation_window": "monthly",
        },
        headers=auth(admin_key),
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule == {
        "rule_id": "sla-backend-api",
        "service_id": "backend-api",
        "service_name": "backend-api",
        "name": "Backend API SLA",
        "target_percent": 99.9,
        "calculation_window": "monthly",
    }
    # and yesterday: a critical incident 01:00–01:30, a high one 01:20–01:35 (overlapping: 35 min of
    # downtime together), a warning 03:00–03:20 (not downtime), another service's critical 05:00–06:00
    yesterday = utcnow().date() - timedelta(days=1)
    seed_incident(
        "INC-1", service="backend-api", severity="critical", opened=_day(yesterday, 1), resolved=_day(yesterday, 1, 30)
    )
    seed_incident(
        "INC-2", service="backend-api", severity="high", opened=_day(yesterday, 1, 20), resolved=_day(yesterday, 1, 35)
    )
    seed_incident(
        "INC-3", service="backend-api", severity="warning", opened=_day(yesterday, 3), resolved=_day(yesterday, 3, 20)
    )
    seed_incident(
        "INC-4", service="other-api", severity="critical", opened=_day(yesterday, 5), resolved=_day(yesterday, 6)
    )

    # Then a second rule for the service is refused (seed 001: 400)
    again = api.post(
        "/api/sla/rules",
        json={"service_id": "backend-api", "name": "x", "target_percent": 99.0},
        headers=auth(admin_key),
    )
    assert again.status_code == 400

    # And the report for yesterday: 35 minutes down of 1,440 = 97.5694 %
    report = api.get(
        "/api/sla/report",
        params={"service_id": "backend-api", "start_date": yesterday.isoformat(), "end_date": yesterday.isoformat()},
        headers=auth(admin_key),
    ).json()
    assert report["total_downtime_minutes"] == 35.0
    assert report["overall_availability"] == round(100 * (1 - 35 / 1440), 4)
    assert report["daily_trend"] == [{"date": yesterday.isoformat(), "availability": round(100 * (1 - 35 / 1440), 4)}]
    assert [v["duration_minutes"] for v in report["violations"]] == [30.0, 15.0]
    assert "misses" in report["summary"]

    # And the status board counts the same 35 minutes when yesterday is in this month
    board = api.get("/api/sla/status", headers=auth(admin_key)).json()
    assert len(board) == 1
    in_month = yesterday.day < utcnow().day
    assert board[0]["down_checks"] == (35 if in_month else 0)
    month_start = datetime.combine(utcnow().date().replace(day=1), time(0), tzinfo=UTC)
    elapsed = (utcnow() - month_start).total_seconds() / 60
    assert board[0]["error_budget_remaining_minutes"] == pytest.approx(
        elapsed * 0.001 - (35 if in_month else 0), abs=0.05
    )
    assert board[0]["is_met"] is (board[0]["actual_percent"] >= 99.9)

    # And the violations list filters by date
    assert (
        len(
            api.get(
                "/api/sla/violations",
                params={"start_date": yesterday.isoformat(), "end_date": yesterday.isoformat()},
                headers=auth(admin_key),
            ).json()
        )
        == 2
    )

    # When the rule is deleted it is gone from the board
    assert api.delete("/api/sla/rules/sla-backend-api", headers=auth(admin_key)).status_code == 204
    assert api.get("/api/sla/rules", headers=auth(admin_key)).json() == []


def test_an_sla_report_lists_only_its_own_services_violations(api, admin_key):
    # Given SLA rules for two services and yesterday a critical incident on each
    for service in ("backend-api", "payments-api"):
        created = api.post(
            "/api/sla/rules",
            json={"service_id": service, "name": f"{service} SLA", "target_percent": 99.9},
            headers=auth(admin_key),
        )
        assert created.status_code == 201, created.text
    yesterday = utcnow().date() - timedelta(days=1)
    seed_incident(
        "INC-B", service="backend-api", severity="critical", opened=_day(yesterday, 1), resolved=_day(yesterday, 1, 30)
    )
    seed_incident(
        "INC-P", service="payments-api", severity="critical", opened=_day(yesterday, 5), resolved=_day(yesterday, 6)
    )
    days = {"start_date": yesterday.isoformat(), "end_date": yesterday.isoformat()}
    # When each service's availability report is read
    reports = {
        service: api.get("/api/sla/report", params={"service_id": service, **days}, headers=auth(admin_key)).json()
        for service in ("backend-api", "payments-api")
    }
    # Then each lists its own violation only, agreeing with its own downtime
    for service, minutes_down in (("backend-api", 30.0), ("payments-api", 60.0)):
        report = reports[service]
        assert [(v["service_name"], v["duration_minutes"]) for v in report["violations"]] == [
            (service, minutes_down)
        ], report["violations"]
        assert report["total_downtime_minutes"] == minutes_down
    # And the violations list of the date range still names both services
    listed = api.get("/api/sla/violations", params=days, headers=auth(admin_key)).json()
    assert [(v["service_name"], v["rule_id"]) for v in listed] == [
        ("backend-api", "sla-backend-api"),
        ("payments-api", "sla-payments-api"),
    ]


def test_pagerless_downtime_slo_counts_incident_minutes(api, admin_key):
    # Given a rolling-7-day SLA rule (an SLO over Pagerless's own downtime) and one critical incident
    # of 20 minutes that ended an hour ago
    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    end = align(utcnow())
    seed_incident("INC-9", service="cart", severity="critical", opened=end - minutes(80), resolved=end - minutes(60))
    # When evaluated (again if a 5-minute bucket began between the evaluation and the read: the window
    # read then ends a bucket later than the evaluation reached, one bucket short of 10,080 minutes)
    for _ in range(3):
        evaluated_to = align(utcnow()).isoformat()
        api.post("/api/slo/sla-cart/evaluate", headers=auth(admin_key))
        budget = api.get("/api/slo/sla-cart/budget", headers=auth(admin_key)).json()
        if budget["window"]["end"] == evaluated_to:
            break
    # Then 20 bad minutes over the evaluated minutes (a new SLO backfills 7 days: 10,080), scaled to the budget
    assert budget["budget_total_minutes"] == 100.8  # 10,080 × 0.01
    assert budget["budget_consumed_minutes"] == pytest.approx(20.0, abs=0.01)
    assert budget["burn_rates"]["1h"] == 0.0


def test_deleting_a_burning_slo_resolves_its_incident(api, admin_key):
    # Given a downtime SLO of "cart" burning fast: a critical incident open for two hours
    from pagerless.store.incidents import IncidentRecord

    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    seed_incident("INC-10", service="cart", severity="critical", opened=align(utcnow()) - minutes(120))
    evaluated = api.post("/api/slo/sla-cart/evaluate", headers=auth(admin_key)).json()
    assert evaluated["alert_level"] == "critical"
    burn = [i for i in IncidentRecord.scan() if i.source == "slo"]
    assert len(burn) == 1 and burn[0].status != "resolved"
    # When the SLO is deleted (say it paged for the wrong reason)
    assert api.delete("/api/slo/sla-cart", headers=auth(admin_key)).status_code == 204
    # Then its burn incident is resolved: nothing is left firing for an SLO that no longer exists
    assert IncidentRecord.get(burn[0].id).status == "resolved"


def test_the_incident_a_downtime_slos_burn_alert_opens_is_not_downtime_of_its_own(api, admin_key):
    from pagerless.store.incidents import IncidentRecord

    # Given a downtime SLO of "cart" burning fast: a critical incident open for an hour
    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    opened = align(utcnow()) - minutes(60)
    seed_incident("INC-13", service="cart", severity="critical", opened=opened)
    assert api.post("/api/slo/sla-cart/evaluate", headers=auth(admin_key)).json()["alert_level"] == "critical"
    [burn] = [i for i in IncidentRecord.scan() if i.source == "slo"]
    assert burn.service == "cart" and burn.severity == "critical" and burn.status != "resolved"
    # When the real incident is resolved (the burn alert's incident is still open: the budget is still spent)
    assert api.post("/api/incidents/INC-13/resolve", json={}, headers=auth(admin_key)).status_code == 200
    resolved_at = IncidentRecord.get("INC-13").resolved_at
    # Then the service is no longer down: the burn incident is an effect of the downtime, not more of it
    violations = api.get(
        "/api/sla/violations",
        params={"start_date": opened.date().isoformat(), "end_date": utcnow().date().isoformat()},
        headers=auth(admin_key),
    ).json()
    assert [(v["started_at"], v["ended_at"]) for v in violations] == [(opened.isoformat(), resolved_at.isoformat())]
    (board,) = api.get("/api/sla/status", headers=auth(admin_key)).json()
    assert board["down_checks"] == math.ceil((resolved_at - opened).total_seconds() / 60), board
    # And the SLO's next evaluation spends no budget for the time since (or it would never recover)
    api.post("/api/slo/sla-cart/evaluate", headers=auth(admin_key))
    budget = api.get("/api/slo/sla-cart/budget", headers=auth(admin_key)).json()
    down = (min(resolved_at, datetime.fromisoformat(budget["window"]["end"])) - opened).total_seconds() / 60
    assert budget["budget_consumed_minutes"] == pytest.approx(down, abs=0.01), budget


def test_a_reopened_incident_spends_budget_only_while_it_was_open(runtime, api, admin_key):
    from tests.functional.foundation.test_events import _invoke, _load
    from tests.functional.slo.history import seed_reopen

    # Given a rolling-7-day downtime SLO of "cart" and a critical incident of 3 h ago: down 20 min,
    # resolved for 100 min, reopened and down 10 min more, resolved again
    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    opened = align(utcnow()) - timedelta(hours=3)
    seed_incident("INC-11", service="cart", severity="critical", opened=opened, resolved=opened + minutes(130))
    seed_reopen("INC-11", resolved=opened + minutes(20), reopened=opened + minutes(120))
    # When the scheduled job evaluates the SLOs (again if a 5-minute bucket began between the evaluation
    # and the read: the window read then ends a bucket later than the evaluation reached)
    for _ in range(3):
        evaluated_to = align(utcnow()).isoformat()
        result = _invoke(runtime, "ScheduledFunction", _load("scheduled/slo_evaluate.json"))["result"]
        assert result["failed"] == [], result
        budget = api.get("/api/slo/sla-cart/budget", headers=auth(admin_key)).json()
        if budget["window"]["end"] == evaluated_to:
            break
    # Then the SLO spent the 30 minutes it was open, not the 100 it sat resolved
    assert budget["budget_consumed_minutes"] == pytest.approx(30.0, abs=0.01), budget
    # And the SLA status board, the SLA report and its violations count the same 30 minutes
    (board,) = api.get("/api/sla/status", headers=auth(admin_key)).json()
    assert board["down_checks"] == 30, board
    day = opened.date()
    report = api.get(
        "/api/sla/report",
        params={"service_id": "cart", "start_date": day.isoformat(), "end_date": utcnow().date().isoformat()},
        headers=auth(admin_key),
    ).json()
    assert report["total_downtime_minutes"] == 30.0, report
    assert [v["duration_minutes"] for v in report["violations"]] == [20.0, 10.0], report["violations"]
    assert sum(d["availability"] < 100 for d in report["daily_trend"]) >= 1


def test_a_reopened_incident_still_open_is_down_from_its_reopen_until_now(api, admin_key):
    from tests.functional.slo.history import seed_reopen

    # Given a rolling-7-day downtime SLO of "cart" and a critical incident of 3 h ago that was down 20 min,
    # resolved, and reopened 30 min ago: open since
    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    now = align(utcnow())
    opened, reopened = now - timedelta(hours=3), now - minutes(30)
    seed_incident("INC-12", service="cart", severity="critical", opened=opened)
    seed_reopen("INC-12", resolved=opened + minutes(20), reopened=reopened)
    # When the SLO is evaluated (again if a 5-minute bucket began between the evaluation and the read)
    for _ in range(3):
        evaluated_to = align(utcnow())
        api.post("/api/slo/sla-cart/evaluate", headers=auth(admin_key))
        budget = api.get("/api/slo/sla-cart/budget", headers=auth(admin_key)).json()
        if budget["window"]["end"] == evaluated_to.isoformat():
            break
    # Then it spent the 20 minutes of its first firing and the 30 since its reopen, not the 2 h 10 in between
    since_reopen = (evaluated_to - reopened).total_seconds() / 60
    assert budget["budget_consumed_minutes"] == pytest.approx(20.0 + since_reopen, abs=0.01), budget
    # And the violations list its two open periods, the second one not ended
    violations = api.get(
        "/api/sla/violations",
        params={"start_date": opened.date().isoformat(), "end_date": utcnow().date().isoformat()},
        headers=auth(admin_key),
    ).json()
    # (the incident the SLO's burn alert opened since is not downtime of its own: not listed)
    periods = [(v["started_at"], v["ended_at"]) for v in violations]
    assert periods == [
        (opened.isoformat(), (opened + minutes(20)).isoformat()),
        (reopened.isoformat(), None),
    ]


def test_only_a_reopened_incident_costs_the_downtime_sli_a_timeline_query(api, admin_key):
    from pagerless.store.session import dynamodb_events
    from pagerless.store.timeline import TimelineRecord
    from tests.functional.slo.history import seed_reopen

    # Given a downtime SLO of "cart" and three incidents in its window, one of them reopened
    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    opened = align(utcnow()) - timedelta(days=2)
    for n in range(3):
        start = opened + timedelta(hours=5 * n)
        seed_incident(f"INC-2{n}", service="cart", severity="high", opened=start, resolved=start + minutes(40))
    seed_reopen(
        "INC-21", resolved=opened + timedelta(hours=5, minutes=10), reopened=opened + timedelta(hours=5, minutes=30)
    )
    events = dynamodb_events(TimelineRecord)
    timeline_queries: list[str] = []

    def count(model, params, **_):
        if model.name == "Query" and params.get("TableName") == TimelineRecord.Meta.table_name:
            values = params["ExpressionAttributeValues"].values()
            timeline_queries.extend(v["S"] for v in values if v.get("S", "").startswith("INC-"))

    # When the SLO is evaluated (its whole window backfilled)
    events.register("before-parameter-build.dynamodb", count)
    try:
        assert api.post("/api/slo/sla-cart/evaluate", headers=auth(admin_key)).status_code == 200
    finally:
        events.unregister("before-parameter-build.dynamodb", count)
    # Then the SLI read the timeline of the reopened incident alone, once
    assert timeline_queries == ["INC-21"]
    budget = api.get("/api/slo/sla-cart/budget", headers=auth(admin_key)).json()
    assert budget["budget_consumed_minutes"] == pytest.approx(40 + (10 + 10) + 40, abs=0.1), budget


def test_replacing_an_slo_while_it_is_evaluated_keeps_the_evaluation(api, runtime, admin_key):
    from pagerless.store.slos import SloRecord, SloRepository
    from tests.functional.interleave import before_writing

    # Given a downtime SLO of "cart" (a rolling-7-day SLA rule) and its document
    api.post(
        "/api/sla/rules",
        json={"service_id": "cart", "name": "Cart", "target_percent": 99.0, "calculation_window": "weekly"},
        headers=auth(admin_key),
    )
    document = api.get("/api/slo/sla-cart", headers=auth(admin_key)).json()["document"]
    document["spec"]["description"] = "Cart availability, as the SLA promises it"

    # When the scheduled evaluation lands between an admin's read of the SLO and its write of the new document
    def evaluation():
        return api.post("/api/slo/sla-cart/evaluate", headers=auth(admin_key))

    table = runtime.provisioned.tables["SlosTable"]
    definition = lambda key: key.get("sk", {}).get("S") == "sla-cart" and key["pk"]["S"].endswith("#slo")  # noqa: E731
    with before_writing(SloRecord, table, definition, evaluation) as others:
        replaced = api.put("/api/slo/sla-cart", json=document, headers=auth(admin_key))

    # Then the document is the new one and the evaluation's state is kept (so the next one neither reads its whole
    # window again nor pages again for a level it already paged for)
    assert others[0].status_code == 200 and replaced.status_code == 200, replaced.text
    assert api.get("/api/slo/sla-cart", headers=auth(admin_key)).json()["document"] == document
    state = SloRepository().get("default", "sla-cart").state
    assert state.get("last_bucket_end") and state.get("alert_level") == "ok"


def test_the_import_example_the_openapi_documents_imports(api, admin_key):
    """Swagger's "Try it out" sends the documented example: it is an SLO the import takes."""
    operation = api.get("/openapi.json").json()["paths"]["/api/slo/import"]["post"]
    example = operation["requestBody"]["content"]["application/yaml"]["example"]
    imported = _import(api, admin_key, text=example)
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"] == [{"name": "payments-api-downtime", "action": "created"}]


def test_a_calendar_months_window_days_is_that_months_length(api, admin_key):
    from pagerless.slo.service import SloService

    # Given the Asia/Shanghai calendar-month SLO of the fixture
    assert _import(api, admin_key).status_code == 200
    for moment, days in (
        (datetime(2026, 12, 15, 4, tzinfo=UTC), 31),
        (datetime(2027, 2, 10, 4, tzinfo=UTC), 28),
        (datetime(2026, 11, 30, 17, tzinfo=UTC), 31),  # already 1 December in Shanghai
        (datetime(2026, 11, 20, tzinfo=UTC), 30),
    ):
        # When its list item and budget are read at that moment
        service = SloService(clock=lambda moment=moment: moment)
        [latency] = [s for s in service.overview("default") if s["name"] == "search-api-latency-p99"]
        budget = service.budget("default", "search-api-latency-p99")
        # Then window_days (seed 002's field) is the month's own, as its budget's window is
        assert latency["window_days"] == days and budget["window_days"] == days, moment
        assert budget["window"]["minutes"] == days * 1440


def test_a_threshold_sli_is_refused_saying_what_is_supported(api, admin_key):
    # Given an OpenSLO v1 document with a thresholdMetric SLI: p99 latency at most 200 ms in 99 % of slices
    document = next(yaml.safe_load_all(YAML))
    query = 'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{job="payments-api"}[5m])) by (le))'
    document["spec"]["indicator"] = {
        "spec": {"thresholdMetric": {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}}
    }
    document["spec"]["budgetingMethod"] = "Timeslices"
    document["spec"]["objectives"] = [
        {"op": "lte", "value": 0.2, "target": 0.99, "timeSliceTarget": 1, "timeSliceWindow": "5m"}
    ]
    # When it is created as JSON, and imported as YAML
    created = api.post("/api/slo", json=document, headers=auth(admin_key))
    imported = _import(api, admin_key, text=yaml.safe_dump(document))
    # Then both are 422s that say thresholdMetric is not supported and that a ratioMetric is, naming the fields
    for refused in (created, imported):
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert "thresholdMetric SLIs are not supported" in error["message"] and "ratioMetric" in error["message"]
        assert [d["field"] for d in error["details"]] == [
            "spec.indicator.spec.thresholdMetric",
            "spec.objectives.0.op",
            "spec.objectives.0.value",
        ]
    # And nothing was stored
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 0


def test_a_prometheus_query_that_is_no_selector_is_refused_at_import_naming_its_field(api, admin_key):
    # Given the README's SLO with a typo a newcomer makes: the bad query's selector misses its closing brace
    typo = YAML.replace('code=~"5.."}', 'code=~"5.."', 1)
    assert typo != YAML
    # When it is imported, it is a 400 naming the query's field and saying what a query is, not an SLO stored
    # whose every evaluation fails and whose exported rule file Prometheus refuses to load
    refused = _import(api, admin_key, text=typo)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    (detail,) = error["details"]
    assert detail["field"] == "spec.indicator.spec.ratioMetric.bad.metricSource"
    assert "counter selector" in detail["message"] and 'code=~"5.."' in detail["message"]
    # And nothing was stored, by the import nor by POST /api/slo with the same document
    document = next(yaml.safe_load_all(typo))
    assert api.post("/api/slo", json=document, headers=auth(admin_key)).status_code == 400
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 0
    # A full expression with {{window}} is taken as written
    windowed = YAML.replace(
        'http_requests_total{job="payments-api"}', 'sum(rate(http_requests_total{job="payments-api"}[{{window}}]))', 1
    )
    assert windowed != YAML
    assert _import(api, admin_key, text=windowed).status_code == 200


def test_an_sla_target_written_as_a_ratio_is_refused_naming_the_field(api, admin_key):
    # Given a newcomer who writes the SLA's 99.9 % as the ratio an OpenSLO target takes
    rule = {"service_id": "cart", "name": "Cart", "target_percent": 0.999, "calculation_window": "weekly"}
    # When the rule is created
    refused = api.post("/api/sla/rules", json=rule, headers=auth(admin_key))
    # Then it is a 400 that says a percent goes there, not a rule promising 0.999 % availability
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and "99.9" in error["message"]
    assert error["details"][0]["field"] == "target_percent"
    # And nothing was stored
    assert api.get("/api/sla/rules", headers=auth(admin_key)).json() == []
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 0
    # And the percent itself is taken
    assert api.post("/api/sla/rules", json={**rule, "target_percent": 99.9}, headers=auth(admin_key)).status_code == 201


def test_a_yaml_document_posted_where_json_goes_is_told_where_yaml_goes(api, admin_key):
    # Given the OpenSLO YAML a newcomer has, posted to the JSON route
    sent = api.post("/api/slo", content=YAML, headers={**auth(admin_key), "content-type": "application/yaml"})
    # Then the 422 says the body must be JSON and where YAML goes, and nothing is stored
    assert sent.status_code == 422, sent.text
    error = sent.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"][0]["field"] == "body", error
    assert error["message"] == (
        "the request body must be a JSON object (it was sent as application/yaml); YAML goes to POST /api/slo/import"
    )
    assert api.get("/api/slo", headers=auth(admin_key)).json()["count"] == 0
    # And a body that is JSON but no object is said as such, without the YAML hint
    sent = api.post("/api/slo", json=[1], headers=auth(admin_key))
    assert sent.json()["error"]["message"] == (
        "the request body must be a JSON object (it was sent as application/json)"
    ), sent.text
