"""The budget read between two evaluations: the schedule reads each 5-minute bucket up to 5 minutes after it ends,
so until it has, the budget (API, console, incident, report) stands as the last evaluation left it; a bucket not
read yet is not a bucket without errors."""

from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.functional.slo.test_budget_oracle import at_threshold, cloudwatch_slo, put_series

pytestmark = pytest.mark.functional

NAME = "checkout-burning"


def test_a_bucket_not_evaluated_yet_does_not_read_as_a_clean_one(api, admin_key):
    from pagerless.slo.service import SloService

    # Given six hours of traffic whose last hour burns 20 times the allowed rate (a page: 1 h and 5 m above 14.4)
    end = align(utcnow()) - timedelta(minutes=10)
    created = api.post("/api/slo", json=cloudwatch_slo(NAME, 7, "0.999", None), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    put_series(NAME, at_threshold(end, 200, 1))
    # And the schedule evaluated it 2 minutes after the last bucket ended
    evaluated = SloService(clock=lambda: end + timedelta(minutes=2)).evaluate("default", NAME)
    assert evaluated["alert_level"] == "critical"

    # When the budget is read 4 minutes later: the next bucket has ended, and the schedule has not read it yet
    later = SloService(clock=lambda: end + timedelta(minutes=6)).budget("default", NAME)

    # Then it is the budget as evaluated: the burn goes on, the level is the incident's
    assert later["alert_level"] == "critical"
    assert later["burn_rates"]["5m"] == pytest.approx(20)
    assert later["window"]["end"] == end.isoformat()
    # And the report's burn-down of a day still running stands there too
    [point] = SloService(clock=lambda: end + timedelta(minutes=6)).burn_down(
        "default", SloService().get("default", NAME), [end + timedelta(minutes=6)]
    )
    assert point["at"] == end.isoformat()


def test_replacing_an_slos_query_reads_its_window_anew(api, admin_key):
    # Given an SLO whose query counts the last hour's 2 % of errors, evaluated
    end = align(utcnow())
    name = "checkout-requery"
    document = cloudwatch_slo(name, 7, "0.999", None)
    assert api.post("/api/slo", json=document, headers=auth(admin_key)).status_code == 201
    put_series(name, at_threshold(end, 200, 1))
    assert api.post(f"/api/slo/{name}/evaluate", headers=auth(admin_key)).status_code == 200
    assert api.get(f"/api/slo/{name}/budget", headers=auth(admin_key)).json()["budget_consumed_minutes"] > 0

    # When an admin fixes the query (its good requests are every request: no errors) and it is evaluated again
    good = document["spec"]["indicator"]["spec"]["ratioMetric"]["good"]["metricSource"]["spec"]
    good["metricName"] = "Total"
    replaced = api.put(f"/api/slo/{name}", json=document, headers=auth(admin_key))
    assert replaced.status_code == 200, replaced.text
    assert api.post(f"/api/slo/{name}/evaluate", headers=auth(admin_key)).status_code == 200

    # Then the budget is the new query's, not what the old one read
    budget = api.get(f"/api/slo/{name}/budget", headers=auth(admin_key)).json()
    assert budget["budget_consumed_minutes"] == 0 and budget["burn_rates"]["1h"] == 0, budget
    assert budget["sli"]["good"] == budget["sli"]["total"] == 72 * 10000


def test_replacing_only_an_slos_target_keeps_what_was_read(api, admin_key):
    # Given an evaluated SLO
    end = align(utcnow())
    name = "checkout-retarget"
    document = cloudwatch_slo(name, 7, "0.999", None)
    assert api.post("/api/slo", json=document, headers=auth(admin_key)).status_code == 201
    put_series(name, at_threshold(end, 200, 1))
    assert api.post(f"/api/slo/{name}/evaluate", headers=auth(admin_key)).status_code == 200
    # When only its target changes
    document["spec"]["objectives"] = [{"target": 0.99}]
    assert api.put(f"/api/slo/{name}", json=document, headers=auth(admin_key)).status_code == 200
    # Then its buckets stand: the burn is 2 % over the new 1 %, at once
    assert api.get(f"/api/slo/{name}/budget", headers=auth(admin_key)).json()["burn_rates"]["1h"] == 2
