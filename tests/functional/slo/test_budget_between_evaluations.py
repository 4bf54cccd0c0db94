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
