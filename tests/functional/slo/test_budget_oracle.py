"""Error budgets and burn rates against an independent calculation: seeded random SLIs on CloudWatch (moto) with
gaps, zero traffic, all good and all bad stretches, burn rates exactly at and just above the multiwindow thresholds,
and Pagerless's own downtime SLI with an incident across the window's start and a reopened one; each is evaluated
and read through the API, and compared with plain Python over the raw inputs."""

import random
from datetime import datetime, timedelta
from fractions import Fraction

import boto3
import pytest

from pagerless.clock import parse_time, utcnow
from pagerless.slo.budget import align
from tests.conftest import auth
from tests.functional.slo.history import seed_episodes

pytestmark = pytest.mark.functional

FIVE = timedelta(minutes=5)
LOOKBACKS = {"5m": 5, "30m": 30, "1h": 60, "6h": 360, "1d": 1440, "3d": 4320}


def oracle(
    buckets: dict[datetime, tuple[int, int]], end: datetime, days: int, target: str, slice_target: str | None
) -> dict:
    """The budget answer from the raw (good, total) per 5-minute bucket, as README's "Budget maths" defines it."""
    allowed = 1 - Fraction(target)
    budget = days * 1440 * allowed

    def bad_slice(good, total):
        return total > 0 and Fraction(good, total) < Fraction(slice_target)

    def within(minutes):
        return [v for t, v in buckets.items() if end - timedelta(minutes=minutes) <= t < end]

    window = within(days * 1440)
    # the window's elapsed part: from its start, or from the SLI's first bucket when that is later
    first = min((t for t in buckets if t < end), default=end)
    elapsed = Fraction(int((end - max(first, end - timedelta(days=days))).total_seconds()), 60)
    if slice_target:
        consumed = Fraction(5 * sum(1 for g, n in window if bad_slice(g, n)))
    else:  # the error ratio so far, over the time so far
        total = sum(n for _, n in window)
        consumed = Fraction(sum(n - g for g, n in window), total) * elapsed if total else Fraction(0)
    rates = {}
    for name, minutes in LOOKBACKS.items():
        inside = within(minutes)
        if slice_target:
            rates[name] = Fraction(5 * sum(1 for g, n in inside if bad_slice(g, n)), minutes) / allowed
        else:
            total = sum(n for _, n in inside)
            rates[name] = Fraction(sum(n - g for g, n in inside), total) / allowed if total else Fraction(0)
    remaining = budget - consumed
    if (rates["1h"] > Fraction("14.4") and rates["5m"] > Fraction("14.4")) or (rates["6h"] > 6 and rates["30m"] > 6):
        level = "critical"
    elif (rates["3d"] > 1 and rates["6h"] > 1) or remaining <= 0:
        level = "warning"
    else:
        level = "ok"
    if remaining <= 0:
        exhaustion = Fraction(0)
    else:
        exhaustion = remaining / (rates["1h"] * allowed) / 60 if rates["1h"] else None
    return {
        "elapsed_minutes": elapsed,
        "elapsed_budget_minutes": elapsed * allowed,
        "budget_total_minutes": budget,
        "budget_consumed_minutes": consumed,
        "budget_remaining_minutes": remaining,
        "budget_remaining_percent": remaining / budget * 100,
        "burn_rates": rates,
        "time_to_exhaustion_hours": exhaustion,
        "alert_level": level,
    }


def agrees(answer: dict, want: dict) -> list[str]:
    """What differs between the API's answer and the oracle's (the answer rounds to 2 or 4 decimals)."""
    wrong = []
    for key in ("budget_total_minutes", "budget_consumed_minutes", "budget_remaining_minutes"):
        if abs(answer[key] - float(want[key])) > 0.006:
            wrong.append(f"{key}: {answer[key]} != {float(want[key])}")
    if answer["elapsed"]["minutes"] != want["elapsed_minutes"]:
        wrong.append(f"elapsed: {answer['elapsed']['minutes']} != {want['elapsed_minutes']}")
    if abs(answer["elapsed"]["budget_total_minutes"] - float(want["elapsed_budget_minutes"])) > 0.006:
        wrong.append(f"elapsed budget: {answer['elapsed']['budget_total_minutes']} != {want['elapsed_budget_minutes']}")
    if abs(answer["budget_remaining_percent"] - float(want["budget_remaining_percent"])) > 0.006:
        wrong.append(f"percent: {answer['budget_remaining_percent']} != {float(want['budget_remaining_percent'])}")
    for name, rate in want["burn_rates"].items():
        if abs(answer["burn_rates"][name] - float(rate)) > 0.00006:
            wrong.append(f"burn {name}: {answer['burn_rates'][name]} != {float(rate)}")
    if answer["burn_rate"] != answer["burn_rates"]["1h"]:
        wrong.append("burn_rate is not the 1 h rate")
    hours, wanted = answer["time_to_exhaustion_hours"], want["time_to_exhaustion_hours"]
    if (hours is None) != (wanted is None) or (hours is not None and abs(hours - float(wanted)) > 0.006):
        wrong.append(f"time to exhaustion: {hours} != {wanted}")
    if answer["alert_level"] != want["alert_level"]:
        wrong.append(f"level: {answer['alert_level']} != {want['alert_level']}")
    return wrong


def cloudwatch_slo(name: str, days: int, target: str, slice_target: str | None) -> dict:
    def source(metric):
        dimensions = [{"name": "Slo", "value": name}]
        return {
            "metricSource": {
                "type": "CloudWatch",
                "spec": {"namespace": "Oracle", "metricName": metric, "dimensions": dimensions},
            }
        }

    method = {"budgetingMethod": "Timeslices"} if slice_target else {"budgetingMethod": "Occurrences"}
    objective = {"target": float(target), **({"timeSliceTarget": float(slice_target)} if slice_target else {})}
    return {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": name},
        "spec": {
            "service": f"{name}-svc",
            "indicator": {"spec": {"ratioMetric": {"counter": True, "good": source("Good"), "total": source("Total")}}},
            "timeWindow": [{"duration": f"{days}d", "isRolling": True}],
            **method,
            "objectives": [objective],
        },
    }


def put_series(name: str, buckets: dict[datetime, tuple[int, int]]) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    dims = [{"Name": "Slo", "Value": name}]
    data = []
    for moment, (good, total) in buckets.items():
        stamp = moment + timedelta(seconds=90)
        data.append({"MetricName": "Total", "Dimensions": dims, "Timestamp": stamp, "Value": total, "Unit": "Count"})
        data.append({"MetricName": "Good", "Dimensions": dims, "Timestamp": stamp, "Value": good, "Unit": "Count"})
    for n in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace="Oracle", MetricData=data[n : n + 500])


def random_series(rng: random.Random, style: str, end: datetime) -> dict[datetime, tuple[int, int]]:
    """Eight hours of buckets, and a scatter over the three days before, with gaps and 0/0: ``mixed`` error
    ratios (none to all), ``mild`` ones (around the allowed), ``clean``, an ``outage`` (all bad for the last hour) or ``quiet`` (no traffic)."""
    out = {}
    moments = [end - FIVE * (n + 1) for n in range(96)]
    moments += [end - FIVE * rng.randrange(97, 864) for _ in range(40)]
    for moment in moments:
        if rng.random() < 0.1:
            continue  # a gap: no data
        total = 0 if style == "quiet" or rng.random() < 0.05 else rng.randrange(1, 5000)
        if style == "clean":
            bad = 0
        elif style == "outage" and moment >= end - timedelta(hours=1):
            bad = total
        elif style == "mild":
            bad = min(total, int(total * rng.choice((0, 0, 0, 0.0002, 0.0005, 0.001))))
        else:
            bad = min(total, int(total * rng.choice((0, 0, 0.0005, 0.002, 0.02, 0.2, 1))))
        out[moment] = (total - bad, total)
    return out


def at_threshold(end: datetime, bad_per_10000: int, hours: int, span: int = 6) -> dict[datetime, tuple[int, int]]:
    """``span`` (six) clean hours, the last ``hours`` of them burning ``bad_per_10000`` errors per 10,000 requests."""
    out = {}
    for n in range(span * 12):
        moment = end - FIVE * (n + 1)
        bad = bad_per_10000 if moment >= end - timedelta(hours=hours) else 0
        out[moment] = (10000 - bad, 10000)
    return out


CASES = [
    # name, window days, target, time slice target, series (seed, or a threshold construction)
    *[
        (f"{style}-{seed}", days, "0.999", None, (seed, style))
        for seed, style, days in ((1, "mixed", 7), (2, "mixed", 1), (3, "outage", 7), (4, "quiet", 1), (7, "clean", 7))
    ],
    ("mild-8", 7, "0.9995", None, (8, "mild")),
    ("mild-9", 1, "0.999", None, (9, "mild")),
    *[(f"slices-{seed}", 7, "0.99", "0.95", (seed, style)) for seed, style in ((5, "mixed"), (6, "outage"))],
    ("fast-at-14-4", 7, "0.999", None, ("threshold", 144, 1)),  # 1 h and 5 m burn exactly 14.4: no page
    ("fast-above-14-4", 7, "0.999", None, ("threshold", 145, 1)),
    ("slow-at-6", 7, "0.999", None, ("threshold", 60, 6)),  # 6 h and 30 m exactly 6: a ticket, no page
    ("slow-above-6", 7, "0.999", None, ("threshold", 61, 6)),
    ("spent-exactly", 1, "0.999", None, ("threshold", 30, 8, 24)),  # a whole day's error ratio exactly 0.001: all spent
    ("new-and-burning", 7, "0.999", None, ("threshold", 30, 2)),  # 6 h of a new SLO at 0.001: 6 h's budget spent
]


def test_budgets_agree_with_an_independent_calculation(api, admin_key):
    end = align(utcnow())
    series = {}
    for name, days, target, slice_target, how in CASES:
        if how[0] != "threshold":
            series[name] = random_series(random.Random(how[0]), how[1], end)
        else:
            series[name] = at_threshold(end, *how[1:])
        created = api.post("/api/slo", json=cloudwatch_slo(name, days, target, slice_target), headers=auth(admin_key))
        assert created.status_code == 201, created.text
        put_series(name, series[name])

    wrong, levels = {}, set()
    for name, days, target, slice_target, _ in CASES:
        # When each SLO is evaluated and its budget read
        evaluated = api.post(f"/api/slo/{name}/evaluate", headers=auth(admin_key))
        assert evaluated.status_code == 200, evaluated.text
        answer = api.get(f"/api/slo/{name}/budget", headers=auth(admin_key)).json()
        # Then it is the independent calculation's, over the window the answer covers
        window_end = parse_time(answer["window"]["end"])
        want = oracle(series[name], window_end, days, target, slice_target)
        levels.add(answer["alert_level"])
        if problems := agrees(answer, want):
            wrong[name] = problems
    assert not wrong
    assert levels == {"ok", "warning", "critical"}  # the cases reach every level


def test_downtime_budget_across_the_window_start_and_a_reopen_agrees(api, admin_key):
    # Given a daily 99 % SLO over payments-api's own downtime, and its incidents: one from 26 h to 20 h ago
    # (across the window's start), one that fired twice (35 min, then 20 min 3 h later), one firing for 40 min now
    end = align(utcnow())
    document = cloudwatch_slo("downtime", 1, "0.99", None)
    down = {"metricSource": {"type": "Pagerless", "spec": {"kind": "downtime"}}}
    minutes = {"metricSource": {"type": "Pagerless", "spec": {"kind": "minutes"}}}
    document["spec"].update({"service": "payments-api"})
    document["spec"]["indicator"] = {"spec": {"ratioMetric": {"counter": True, "bad": down, "total": minutes}}}
    assert api.post("/api/slo", json=document, headers=auth(admin_key)).status_code == 201
    at = end - timedelta(seconds=97)
    firings = {
        "INC-D1": [(at - timedelta(hours=26), None, at - timedelta(hours=20))],
        "INC-D2": [
            (at - timedelta(hours=9), None, at - timedelta(hours=9) + timedelta(minutes=35)),
            (at - timedelta(hours=6), None, at - timedelta(hours=6) + timedelta(minutes=20)),
        ],
        "INC-D3": [(at - timedelta(minutes=40), at - timedelta(minutes=30), None)],
    }
    for incident_id, episodes in firings.items():
        seed_episodes(incident_id, episodes, service="payments-api", severity="critical")

    # When it is evaluated and its budget read
    assert api.post("/api/slo/downtime/evaluate", headers=auth(admin_key)).status_code == 200
    answer = api.get("/api/slo/downtime/budget", headers=auth(admin_key)).json()

    # Then each bucket's downtime (its seconds covered by a firing, the open one until now) gives the oracle's
    window_end = parse_time(answer["window"]["end"])
    now = utcnow()
    spans = [(s, e or now) for episodes in firings.values() for s, _, e in episodes]
    buckets = {}
    moment = window_end - timedelta(days=3)
    while moment < window_end:
        covered = sum(max(timedelta(0), min(e, moment + FIVE) - max(s, moment)).total_seconds() for s, e in spans)
        buckets[moment] = (Fraction(300) - Fraction(covered), 300)  # seconds: the same ratio as minutes
        moment += FIVE
    assert not agrees(answer, oracle(buckets, window_end, 1, "0.99", None))
    # And, by hand: the first incident's last 4 h but 97 s, 35 + 20 min, and the open one's 40 min and 97 s
    assert answer["budget_consumed_minutes"] == pytest.approx(240 + 35 + 20 + 40, abs=0.01)


def test_an_uptime_sli_over_its_minutes_gives_the_budget_of_the_downtime_sli(api, admin_key):
    """The README's three kinds of Pagerless SLI: good = uptime over total = minutes is the same objective as
    bad = downtime over total = minutes."""
    at = align(utcnow()) - timedelta(seconds=97)
    seed_episodes(
        "INC-U1",
        [(at - timedelta(minutes=50), None, at - timedelta(minutes=5))],
        service="payments-api",
        severity="critical",
    )
    minutes = {"metricSource": {"type": "Pagerless", "spec": {"kind": "minutes"}}}
    for name, ratio in (
        ("by-downtime", {"bad": {"metricSource": {"type": "Pagerless", "spec": {"kind": "downtime"}}}}),
        ("by-uptime", {"good": {"metricSource": {"type": "Pagerless", "spec": {"kind": "uptime"}}}}),
    ):
        document = cloudwatch_slo(name, 1, "0.99", None)
        document["spec"].update({"service": "payments-api"})
        document["spec"]["indicator"] = {"spec": {"ratioMetric": {"counter": True, **ratio, "total": minutes}}}
        created = api.post("/api/slo", json=document, headers=auth(admin_key))
        assert created.status_code == 201, created.text
        assert api.post(f"/api/slo/{name}/evaluate", headers=auth(admin_key)).status_code == 200
    down, up = (api.get(f"/api/slo/{n}/budget", headers=auth(admin_key)).json() for n in ("by-downtime", "by-uptime"))
    assert down["budget_consumed_minutes"] > 0
    for key in ("budget_consumed_minutes", "budget_remaining_percent", "burn_rates", "alert_level"):
        assert up[key] == down[key], key


def test_a_new_slos_budget_is_spent_over_the_time_it_has_run(api, admin_key):
    from pagerless.slo.service import SloService
    from pagerless.store.slos import SloRepository

    # Given a new 7-day 99.9 % SLO whose SLI began 6 hours before 08:00, with 0.3 % errors in its last 2 hours
    end = datetime.fromisoformat("2026-12-07T08:00:00+00:00")
    created = api.post("/api/slo", json=cloudwatch_slo("new-and-burning", 7, "0.999", None), headers=auth(admin_key))
    assert created.status_code == 201, created.text
    rows = [(t, float(g), float(n)) for t, (g, n) in at_threshold(end, 30, 2).items()]
    SloRepository().put_buckets("default", "new-and-burning", rows)
    # When its budget is read at 08:00
    answer = SloService(clock=lambda: end).budget("default", "new-and-burning")
    # Then its 6 hours at an error ratio of exactly 0.001 spent 6 hours' budget, 0.36 of the week's 10.08 min,
    # and the whole of its elapsed part's
    assert answer["budget_total_minutes"] == 10.08 and answer["budget_consumed_minutes"] == 0.36
    assert answer["budget_remaining_percent"] == pytest.approx(100 * (1 - 0.36 / 10.08), abs=0.006)
    assert answer["elapsed"] == {
        "start": "2026-12-07T02:00:00+00:00",
        "minutes": 360,
        "budget_total_minutes": 0.36,
        "budget_remaining_minutes": 0.0,
        "budget_remaining_percent": 0.0,
    }
