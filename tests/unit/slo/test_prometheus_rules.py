"""Exported Prometheus rule files pass `promtool check rules` and `promtool test rules`:
a 2 % error ratio against 99.9 % pages and tickets, a 0.05 % one stays quiet."""

import subprocess

import pytest
import yaml

from pagerless.slo.rules import rule_file
from pagerless.slo.spec import SloDocument, load_yaml
from tests.conftest import FIXTURES
from tests.functional.slo.prometheus_server import MISSING, PROMTOOL

SLOS = load_yaml((FIXTURES / "slo" / "payments.yaml").read_text())
LABELS = {"slo": "payments-api-availability", "service": "payments-api"}
SUMMARY = "SLO payments-api-availability is burning its error budget"


def _alert(severity: str, description: str) -> dict:
    return {
        "exp_labels": {**LABELS, "severity": severity},
        "exp_annotations": {"summary": SUMMARY, "description": description},
    }


def _series(good: int, bad: int) -> list[dict]:
    return [
        {"series": 'http_requests_total{job="payments-api",code="200"}', "values": f"0+{good}x300"},
        {"series": 'http_requests_total{job="payments-api",code="500"}', "values": f"0+{bad}x300"},
    ]


def test_only_prometheus_slos_are_exported():
    groups = yaml.safe_load(rule_file(SLOS))["groups"]
    assert [g["name"] for g in groups] == ["slo-payments-api-availability"]
    alerts = [r for r in groups[0]["rules"] if "alert" in r]
    assert [a["labels"]["severity"] for a in alerts] == ["critical", "warning"]
    assert "> (14.4 * 0.0005)" in alerts[0]["expr"] and "> (6 * 0.0005)" in alerts[0]["expr"]


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_rule_file_passes_promtool(tmp_path):
    # Given the exported rules, and promtool unit tests written from the workbook's thresholds
    (tmp_path / "slo.rules.yml").write_text(rule_file(SLOS))
    tests = {
        "rule_files": ["slo.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {  # 1 % errors against a 0.05 % allowance: burn 20, every pair fires
                "interval": "1m",
                "input_series": _series(1980, 20),
                "alert_rule_test": [
                    {
                        "eval_time": "90m",
                        "alertname": "SLOErrorBudgetBurn",
                        "exp_alerts": [
                            _alert("critical", "fast burn: 14.4x over 1h and 5m, or 6x over 6h and 30m"),
                            _alert("warning", "slow burn: 1x over 3d and 6h"),
                        ],
                    }
                ],
            },
            {  # 0.025 % errors: burn 0.5, nothing fires
                "interval": "1m",
                "input_series": _series(3999, 1),
                "alert_rule_test": [{"eval_time": "90m", "alertname": "SLOErrorBudgetBurn", "exp_alerts": []}],
            },
        ],
    }
    (tmp_path / "slo.test.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    # When promtool checks and tests them
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "slo.rules.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    run = subprocess.run(
        [PROMTOOL, "test", "rules", "slo.test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    # Then both pass
    assert check.returncode == 0, check.stdout + check.stderr
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_a_rule_file_of_two_slos_has_no_duplicate_rules(tmp_path):
    # Given two Prometheus SLOs (each group has its two SLOErrorBudgetBurn alerts)
    checkout = SLOS[0].to_dict()
    checkout["metadata"] = {"name": "checkout-availability"}
    checkout["spec"]["service"] = "checkout"
    two = [SLOS[0], *load_yaml(yaml.safe_dump(checkout))]
    (tmp_path / "slo.rules.yml").write_text(rule_file(two))
    # When promtool checks them with its lint made fatal
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "--lint-fatal", "slo.rules.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Then it finds no duplicate rule: each alert names its SLO and service in its labels
    assert check.returncode == 0 and "FAILED" not in check.stdout + check.stderr, check.stdout + check.stderr
    alerts = [r for g in yaml.safe_load(rule_file(two))["groups"] for r in g["rules"] if "alert" in r]
    assert [a["labels"]["slo"] for a in alerts] == ["payments-api-availability"] * 2 + ["checkout-availability"] * 2


def _timeslices_slo():
    """Payments' Prometheus SLI budgeted in 5-minute slices: a slice is bad below 99 % good, 99.9 % of slices good."""
    document = SLOS[0].to_dict()
    document["metadata"] = {"name": "payments-api-slices"}
    document["spec"]["budgetingMethod"] = "Timeslices"
    document["spec"]["objectives"] = [{"target": 0.999, "timeSliceTarget": 0.99, "timeSliceWindow": "5m"}]
    return load_yaml(yaml.safe_dump(document))


def _evaluator_level(good: int, bad: int) -> str:
    """What Pagerless's evaluator says of 90 minutes of these per-minute requests in 5-minute buckets."""
    from datetime import UTC, datetime, timedelta
    from fractions import Fraction

    from pagerless.slo import budget as maths

    end = datetime(2026, 12, 7, tzinfo=UTC)
    buckets = [
        maths.Bucket(end - timedelta(minutes=5 * (i + 1)), Fraction(5 * good), Fraction(5 * (good + bad)))
        for i in range(18)
    ]
    objective = maths.Objective(Fraction("0.999"), timeslices=True, time_slice_target=Fraction("0.99"))
    return maths.evaluate(buckets, objective, maths.rolling_window(end, 30)).alert_level


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_timeslices_rules_alert_on_bad_slices_as_the_evaluator_does(tmp_path):
    # Given a Timeslices SLO's exported rules: 0.5 % errors is 5x the events' allowance but no slice is bad,
    # 2 % errors makes every slice bad
    [slo] = _timeslices_slo()
    (tmp_path / "slo.rules.yml").write_text(rule_file([slo]))
    labels = {"slo": "payments-api-slices", "service": "payments-api"}
    summary = "SLO payments-api-slices is burning its error budget"
    fired = [
        {"exp_labels": {**labels, "severity": s}, "exp_annotations": {"summary": summary, "description": d}}
        for s, d in (
            ("critical", "fast burn: 14.4x over 1h and 5m, or 6x over 6h and 30m"),
            ("warning", "slow burn: 1x over 3d and 6h"),
        )
    ]
    cases = [((1990, 10), []), ((1960, 40), fired)]
    tests = {
        "rule_files": ["slo.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": _series(good, bad),
                "alert_rule_test": [{"eval_time": "90m", "alertname": "SLOErrorBudgetBurn", "exp_alerts": expected}],
            }
            for (good, bad), expected in cases
        ],
    }
    (tmp_path / "slo.test.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    # When promtool checks and tests them
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "--lint-fatal", "slo.rules.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    run = subprocess.run(
        [PROMTOOL, "test", "rules", "slo.test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    # Then Prometheus alerts as the evaluator does: quiet on good slices, paging and ticketing on bad ones
    assert check.returncode == 0, check.stdout + check.stderr
    assert run.returncode == 0, run.stdout + run.stderr
    assert [_evaluator_level(*case) for case, _ in cases] == ["ok", "critical"]


def _good_based(budgeting: str) -> SloDocument:
    """Payments' SLI counted by its good requests (code 200), budgeted by events or in 5-minute slices."""
    document = SLOS[0].to_dict()
    document["metadata"] = {"name": f"payments-api-good-{budgeting.lower()}"}
    ratio = document["spec"]["indicator"]["spec"]["ratioMetric"]
    ratio["good"] = {"metricSource": {"type": "Prometheus", "spec": {"query": 'http_requests_total{code="200"}'}}}
    del ratio["bad"]
    document["spec"]["budgetingMethod"] = budgeting
    document["spec"]["objectives"] = [{"target": 0.999, "timeSliceTarget": 0.99, "timeSliceWindow": "5m"}]
    if budgeting == "Occurrences":
        document["spec"]["objectives"] = [{"target": 0.999}]
    return load_yaml(yaml.safe_dump(document))[0]


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
@pytest.mark.parametrize("budgeting", ["Timeslices", "Occurrences"])
def test_requests_without_a_good_series_are_all_bad(tmp_path, budgeting):
    # Given a good-based SLI whose good series does not exist at all (every request failed: only code 500 is
    # exported), and one with neither series (no traffic)
    slo = _good_based(budgeting)
    (tmp_path / "slo.rules.yml").write_text(rule_file([slo]))
    labels = {"slo": slo.name, "service": "payments-api"}
    failing = [{"series": 'http_requests_total{job="payments-api",code="500"}', "values": "0+100x300"}]
    quiet = [{"series": "up", "values": "1x300"}]
    tests = {
        "rule_files": ["slo.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": failing,
                "promql_expr_test": [
                    {  # every window's error ratio (or share of bad slices) is 1
                        "expr": "slo:sli_error:ratio_rate30m",
                        "eval_time": "90m",
                        "exp_samples": [{"labels": f"slo:sli_error:ratio_rate30m{_labels(labels)}", "value": 1}],
                    }
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "90m",
                        "alertname": "SLOErrorBudgetBurn",
                        "exp_alerts": [
                            {
                                "exp_labels": {**labels, "severity": severity},
                                "exp_annotations": {
                                    "summary": f"SLO {slo.name} is burning its error budget",
                                    "description": description,
                                },
                            }
                            for severity, description in (
                                ("critical", "fast burn: 14.4x over 1h and 5m, or 6x over 6h and 30m"),
                                ("warning", "slow burn: 1x over 3d and 6h"),
                            )
                        ],
                    }
                ],
            },
            {  # without any request nothing burns
                "interval": "1m",
                "input_series": quiet,
                "alert_rule_test": [{"eval_time": "90m", "alertname": "SLOErrorBudgetBurn", "exp_alerts": []}],
            },
        ],
    }
    (tmp_path / "slo.test.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    # When promtool checks and tests them
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "--lint-fatal", "slo.rules.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    run = subprocess.run(
        [PROMTOOL, "test", "rules", "slo.test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    # Then the requests count as failed: the burn pages and tickets, as the evaluator counts such buckets
    # (a bucket with a total and no good value is all bad, `pagerless.slo.sources.read_buckets`)
    assert check.returncode == 0, check.stdout + check.stderr
    assert run.returncode == 0, run.stdout + run.stderr


def _labels(labels: dict) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_requests_without_a_bad_series_record_no_errors(tmp_path):
    # Given payments' bad-based SLI while no request has failed yet (no code 500 series at all)
    (tmp_path / "slo.rules.yml").write_text(rule_file(SLOS))
    tests = {
        "rule_files": ["slo.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="payments-api",code="200"}', "values": "0+100x300"}
                ],
                "promql_expr_test": [
                    {
                        "expr": "slo:sli_error:ratio_rate1h",
                        "eval_time": "90m",
                        "exp_samples": [{"labels": f"slo:sli_error:ratio_rate1h{_labels(LABELS)}", "value": 0}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "slo.test.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    # When promtool tests them
    run = subprocess.run(
        [PROMTOOL, "test", "rules", "slo.test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    # Then the error ratio is recorded as 0, not left out (the dashboards' panel shows 0 %, not "no data")
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
@pytest.mark.parametrize("budgeting", ["Timeslices", "Occurrences"])
def test_a_labelled_custom_query_without_a_good_series_is_all_bad(tmp_path, budgeting):
    # Given a good-based SLI written as custom {{window}} queries that keep a label (by job), whose good series does
    # not exist at all (every request failed: only code 500 is exported)
    slo = _good_based(budgeting)
    document = slo.to_dict()
    ratio = document["spec"]["indicator"]["spec"]["ratioMetric"]
    by_job = "sum by (job) (rate(http_requests_total{{code{}}}[{{{{window}}}}]))"
    ratio["good"]["metricSource"]["spec"]["query"] = by_job.format('="200"')
    ratio["total"]["metricSource"]["spec"]["query"] = by_job.format('=~".+"')
    slo = load_yaml(yaml.safe_dump(document))[0]
    assert (
        slo.ratio.good.metric_source.spec["query"] == 'sum by (job) (rate(http_requests_total{code="200"}[{{window}}]))'
    )
    (tmp_path / "slo.rules.yml").write_text(rule_file([slo]))
    labels = {"slo": slo.name, "service": "payments-api", "job": "payments-api"}
    tests = {
        "rule_files": ["slo.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="payments-api",code="500"}', "values": "0+100x300"}
                ],
                "promql_expr_test": [
                    {  # the job's error ratio (or share of bad slices) is recorded, and it is 1
                        "expr": "slo:sli_error:ratio_rate30m",
                        "eval_time": "90m",
                        "exp_samples": [{"labels": f"slo:sli_error:ratio_rate30m{_labels(labels)}", "value": 1}],
                    }
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "90m",
                        "alertname": "SLOErrorBudgetBurn",
                        "exp_alerts": [
                            {
                                "exp_labels": {**labels, "severity": severity},
                                "exp_annotations": {
                                    "summary": f"SLO {slo.name} is burning its error budget",
                                    "description": description,
                                },
                            }
                            for severity, description in (
                                ("critical", "fast burn: 14.4x over 1h and 5m, or 6x over 6h and 30m"),
                                ("warning", "slow burn: 1x over 3d and 6h"),
                            )
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "slo.test.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    # When promtool checks and tests them
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "--lint-fatal", "slo.rules.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    run = subprocess.run(
        [PROMTOOL, "test", "rules", "slo.test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    # Then the missing good series reads as 0 beside the labelled total (not an unlabelled 0 that matches nothing),
    # so the job's requests count as failed and the burn pages and tickets
    assert check.returncode == 0, check.stdout + check.stderr
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
def test_a_window_without_traffic_counts_its_slices_as_good(tmp_path):
    # Given a Timeslices SLO's exported rules, and three services: one whose counters stay where they are (its
    # exporter is up, nobody calls it), one that exports no request counter at all, and one that failed every
    # request for 20 minutes and then had no traffic for an hour
    [slo] = _timeslices_slo()
    (tmp_path / "slo.rules.yml").write_text(rule_file([slo]))
    labels = _labels({"slo": slo.name, "service": "payments-api"})
    still = [
        {"series": 'http_requests_total{job="payments-api",code="200"}', "values": "500x300"},
        {"series": 'http_requests_total{job="payments-api",code="500"}', "values": "7x300"},
    ]
    absent = [{"series": "up", "values": "1x300"}]
    burst_then_quiet = [
        {"series": 'http_requests_total{job="payments-api",code="500"}', "values": "0+100x20 2000x280"},
    ]

    def case(series: list[dict], samples: list[tuple[str, str, float]], alerts: list | None = None) -> dict:
        test = {
            "interval": "1m",
            "input_series": series,
            "promql_expr_test": [
                {"expr": expr, "eval_time": at, "exp_samples": [{"labels": f"{expr}{labels}", "value": value}]}
                for expr, at, value in samples
            ],
        }
        if alerts is not None:
            test["alert_rule_test"] = [{"eval_time": "90m", "alertname": "SLOErrorBudgetBurn", "exp_alerts": alerts}]
        return test

    quiet = [("slo:sli_slice_bad:5m", "90m", 0), ("slo:sli_error:ratio_rate30m", "90m", 0)]
    tests = {
        "rule_files": ["slo.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            # Then a slice of still counters is good: recorded as 0 (a sample in the share, not a gap)
            case(still, [*quiet, ("slo:sli_error:ratio_rate1h", "90m", 0)], alerts=[]),
            # and so is a slice with no counter at all
            case(absent, [*quiet, ("slo:sli_error:ratio_rate1h", "90m", 0)], alerts=[]),
            # and the quiet hour after a burst of bad slices is good slices, not a gap: the burst's slices were bad,
            # and the share of the last 30 minutes (all quiet) is 0
            case(burst_then_quiet, [*quiet, ("slo:sli_slice_bad:5m", "15m", 1)]),
        ],
    }
    (tmp_path / "slo.test.yml").write_text(yaml.safe_dump(tests, sort_keys=False))
    # When promtool checks and tests them
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "--lint-fatal", "slo.rules.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    run = subprocess.run(
        [PROMTOOL, "test", "rules", "slo.test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert run.returncode == 0, run.stdout + run.stderr
    # As the evaluator counts them: a 5-minute bucket without requests spends nothing of a Timeslices budget
    assert _evaluator_level(0, 0) == "ok"


def test_a_rule_file_names_each_slo_it_leaves_out_and_why():
    from pagerless.slo.rules import left_out

    # Given payments' Prometheus SLO, search's CloudWatch one and a downtime SLO counted by Pagerless
    downtime = load_yaml(
        yaml.safe_dump(
            {
                "apiVersion": "openslo/v1",
                "kind": "SLO",
                "metadata": {"name": "orders-uptime"},
                "spec": {
                    "service": "orders",
                    "indicator": {
                        "spec": {
                            "ratioMetric": {
                                "counter": True,
                                "bad": {"metricSource": {"type": "Pagerless", "spec": {"kind": "downtime"}}},
                                "total": {"metricSource": {"type": "Pagerless", "spec": {"kind": "minutes"}}},
                            }
                        }
                    },
                    "timeWindow": [{"duration": "30d", "isRolling": True}],
                    "budgetingMethod": "Occurrences",
                    "objectives": [{"target": 0.999}],
                },
            }
        )
    )
    # When the rule file is made
    text = rule_file([*SLOS, *downtime])
    # Then it opens with a comment per SLO left out, saying its source and why, and has rules for payments only
    assert [o["slo"] for o in left_out([*SLOS, *downtime])] == ["search-api-latency-p99", "orders-uptime"]
    assert text.splitlines()[:2] == [
        "# left out: SLO search-api-latency-p99 (service search-api): its SLI is read from CloudWatch, which "
        "Prometheus cannot query; Pagerless evaluates it",
        "# left out: SLO orders-uptime (service orders): its SLI is its service's incident minutes in Pagerless; "
        "Pagerless evaluates it",
    ]
    assert [g["name"] for g in yaml.safe_load(text)["groups"]] == ["slo-payments-api-availability"]
