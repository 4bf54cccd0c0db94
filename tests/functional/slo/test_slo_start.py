"""Where an SLO's window starts: at its creation when that is in the window (stored with its definition), and a
quiet stretch after it is no data, not a later start."""

from datetime import timedelta

import pytest

from pagerless.clock import utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.functional.slo.test_budget_oracle import cloudwatch_slo

pytestmark = pytest.mark.functional

NAME = "checkout-quiet-start"


def test_a_quiet_week_after_its_creation_counts_from_the_creation(api, admin_key):
    from pagerless.slo.service import SloService
    from pagerless.store.slos import SloRepository

    # Given a 30-day SLO created now, whose service serves nothing for 8 days and then 1 % errors for 2 days
    created = api.post("/api/slo", json=cloudwatch_slo(NAME, 30, "0.999", None), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    created_at = SloRepository().get("default", NAME).created_at
    end = align(utcnow()) + timedelta(days=10)
    rows, moment = [], end - timedelta(days=2)
    while moment < end:
        rows.append((moment, 990.0, 1000.0))
        moment += timedelta(minutes=5)
    SloRepository().put_buckets("default", NAME, rows)

    # When its budget is read 10 days after its creation, as evaluated to then
    later = SloService(clock=lambda: end)
    budget = later.budget("default", NAME, evaluated_to=end)

    # Then the window's elapsed part starts at the creation (its bucket), not at the first samples 2 days ago:
    # 1 % errors over the 10 days spend 10 x their 14.4 min (144 of 43.2), not 10 x 2 days' 2.88 min
    assert budget["elapsed"]["start"] == align(created_at).isoformat()
    assert budget["elapsed"]["minutes"] == int((end - align(created_at)).total_seconds() // 60)
    assert budget["budget_consumed_minutes"] == pytest.approx(budget["elapsed"]["minutes"] * 0.01, abs=0.01)
    # And the burn-down's even-spend line starts there too: 10 of the 30 days spent evenly leave two thirds
    [point] = later.burn_down("default", later.get("default", NAME), [end])
    assert point["even_percent"] == pytest.approx(100 * (1 - budget["elapsed"]["minutes"] / 43200), abs=0.01)


def test_an_slos_creation_time_is_the_applications_clock_not_the_stores(api):
    from datetime import UTC, datetime

    from pagerless.slo.service import SloService
    from pagerless.store.slos import SloRepository

    # Given the application's clock at a moment that is not the machine's
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    service = SloService(clock=lambda: moment)
    # When an SLO is created, and another imported, on it
    service.create("default", cloudwatch_slo("clocked-create", 30, "0.999", None))
    service.import_yaml("default", _yaml(cloudwatch_slo("clocked-import", 30, "0.999", None)), replace=False)
    # Then both were created then: their windows may start at that moment
    assert SloRepository().get("default", "clocked-create").created_at == moment
    assert SloRepository().get("default", "clocked-import").created_at == moment


def _yaml(document: dict) -> str:
    import yaml

    return yaml.safe_dump(document)


@pytest.mark.parametrize("lone", [timedelta(minutes=-5), timedelta(0)], ids=["before_the_read_range", "at_its_start"])
def test_the_burn_down_its_even_line_and_the_budget_agree_where_the_window_starts(api, lone):
    from datetime import UTC, datetime

    from pagerless.slo.service import SloService
    from pagerless.store.slos import SloRepository

    # Given a 30-day SLO created on 1 March, whose first evaluation read back a lone sample from before its window
    # (here on the edge of what a burn-down reads), then nothing until the day before its creation
    created = datetime(2026, 3, 1, tzinfo=UTC)
    name = "checkout-lone-sample"
    SloService(clock=lambda: created).create("default", cloudwatch_slo(name, 30, "0.999", None))
    moment = created + timedelta(days=5)
    window_start = moment - timedelta(days=30)
    rows, at = [(window_start + lone, 1000.0, 1000.0)], created - timedelta(days=1)
    while at < moment:
        rows.append((at, 999.0, 1000.0))
        at += timedelta(minutes=5)
    SloRepository().put_buckets("default", name, rows)
    later = SloService(clock=lambda: moment)
    slo = later.get("default", name)

    # When its burn-down, its even line (as a report stored without it computes it) and its budget are read then
    [point] = later.burn_down("default", slo, [moment])
    [even] = later.even_line("default", slo, [moment])
    budget = later.budget("default", name, evaluated_to=moment)

    # Then all three start the window's elapsed part at the window's start (the SLO had a sample before it: the quiet
    # stretch after it is no data, not a later start), so the even line has spent the whole window
    assert budget["elapsed"]["start"] == window_start.isoformat()
    assert point["even_percent"] == even == 0.0
