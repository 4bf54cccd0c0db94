"""Prometheus rule files for Prometheus-sourced SLOs: the SRE workbook's multiwindow multi-burn-rate alerts.

Per SLO, recording rules ``slo:sli_error:ratio_rate<w>`` (w = 5m, 30m, 1h, 6h, 3d; labels ``slo``
and ``service``) and two alerts on ``SLOErrorBudgetBurn`` (labelled with ``slo`` and ``service`` too, so a file of
several SLOs holds no duplicate rule for `promtool check rules`' lint):

- ``severity: critical`` (page): 1 h and 5 m error ratio above 14.4 × (1 − target), or 6 h and 30 m above 6 ×;
- ``severity: warning`` (ticket): 3 d and 6 h above 1 ×.

The same thresholds as the evaluator (`pagerless.slo.budget`), so Prometheus and Pagerless agree. A
``Timeslices`` SLO burns bad slices, not bad events, as the evaluator counts them: a recording rule
``slo:sli_slice_bad:5m`` is 1 while the last 5 minutes' good/total is below ``timeSliceTarget`` (0 without
traffic, said in the rule's three cases: a slice without data is good, and a 0 in the share, not a gap), and its ``slo:sli_error:ratio_rate<w>`` is the share of bad slices
over ``w`` (``avg_over_time``), the bad-slice minutes / w that the evaluator's burn rate divides by (1 − target).
A good or bad series that does not exist reads as 0 (``or (total * 0)``: ``or on() vector(0)`` with the total's
labels, so a custom query that keeps a label reads its 0 too), as the evaluator reads a bucket with a
total and no value: requests without any good series are all bad (the slice is bad, the error ratio 1), and without
a bad series none failed; only without a total (no traffic) is there nothing to count.
Two differences remain: Prometheus's slices slide with each rule evaluation where the evaluator's are fixed
5-minute buckets, and the share over ``w`` counts only the slices recorded since the rules were loaded.
"""

from pagerless.slo.spec import BudgetingMethod, SloDocument, SourceType

WINDOWS = ("5m", "30m", "1h", "6h", "3d")
RECORD = "slo:sli_error:ratio_rate{window}"
SLICE_RECORD = "slo:sli_slice_bad:5m"
SLICE_WINDOW = "5m"


def _rate(query: str, window: str) -> str:
    if "{{window}}" in query:
        return query.replace("{{window}}", window)
    return f"sum(rate({query}[{window}]))"


def _part(query: str, total: str, window: str) -> str:
    """The good or bad rate, 0 when its series does not exist: requests without a good series are all bad (as the
    evaluator reads a bucket with a total and no good value), and without a bad series none is. The 0 is the total
    times 0, so it has the total's labels: a custom query that keeps a label (``sum by (job)``) finds its 0 beside
    each of its totals, where ``or on() vector(0)``'s unlabelled 0 matched none and nothing was recorded."""
    return f"({_rate(query, window)} or ({total} * 0))"


def _error_ratio(slo: SloDocument, window: str) -> str:
    ratio = slo.ratio
    total = _rate(str(ratio.total.metric_source.spec["query"]), window)
    if ratio.bad is not None:
        return f"{_part(str(ratio.bad.metric_source.spec['query']), total, window)} / {total}"
    return f"1 - ({_part(str(ratio.good.metric_source.spec['query']), total, window)} / {total})"


# Why an SLO whose SLI is not Prometheus's has no rules: said with the export (its comments, the API's header, the
# console's SLO list; the console's catalog has these phrases)
LEFT_OUT_BECAUSE = {
    SourceType.CLOUDWATCH: "its SLI is read from CloudWatch, which Prometheus cannot query; Pagerless evaluates it",
    SourceType.PAGERLESS: "its SLI is its service's incident minutes in Pagerless; Pagerless evaluates it",
}


def _source(slo: SloDocument) -> SourceType:
    """The SLI's source that is not Prometheus (the total's, else the good or bad count's), or Prometheus."""
    ratio = slo.ratio
    part = ratio.good or ratio.bad
    kinds = [ratio.total.metric_source.type, part.metric_source.type]
    return next((kind for kind in kinds if kind is not SourceType.PROMETHEUS), SourceType.PROMETHEUS)


def exportable(slo: SloDocument) -> bool:
    return _source(slo) is SourceType.PROMETHEUS


def left_out(slos: list[SloDocument]) -> list[dict]:
    """The SLOs a rule file leaves out, each with its SLI's source and why (`LEFT_OUT_BECAUSE`)."""
    return [
        {
            "slo": slo.name,
            "service": slo.service,
            "source": _source(slo).value,
            "reason": LEFT_OUT_BECAUSE[_source(slo)],
        }
        for slo in slos
        if not exportable(slo)
    ]


def _threshold(factor: str, allowed: str) -> str:
    return f"({factor} * {allowed})"


def _event_records(slo: SloDocument, labels: dict) -> list[dict]:
    return [{"record": RECORD.format(window=w), "expr": _error_ratio(slo, w), "labels": dict(labels)} for w in WINDOWS]


def _slice_records(slo: SloDocument, labels: dict, selector: str) -> list[dict]:
    """A bad-slice flag over the last 5 minutes, and the share of bad slices over each window."""
    flag = {"record": SLICE_RECORD, "expr": _slice_flag(slo), "labels": dict(labels)}
    shares = [
        {
            "record": RECORD.format(window=w),
            "expr": f"avg_over_time({SLICE_RECORD}{selector}[{w}])",
            "labels": dict(labels),
        }
        for w in WINDOWS
    ]
    return [flag, *shares]


def _slice_flag(slo: SloDocument) -> str:
    """1 for a bad slice, 0 for a good one, said case by case. A slice with requests is bad when its error ratio is
    above 1 - ``timeSliceTarget``; a slice without requests is good, whether its counters are there and still (a
    total of 0: its error ratio 0/0 is no number, so it is not compared) or not there at all (no total: an
    unlabelled 0), as the evaluator counts a slice without data and the share of bad slices needs a sample for it."""
    total = _rate(str(slo.ratio.total.metric_source.spec["query"]), SLICE_WINDOW)
    allowed = f"{1 - slo.spec.objectives[0].time_slice_target:.10g}"
    with_traffic = f"(({_error_ratio(slo, SLICE_WINDOW)}) > bool {allowed}) and ({total} > 0)"
    return f"({with_traffic}) or ({total} == 0) or on() vector(0)"


def rule_group(slo: SloDocument) -> dict:
    labels = {"slo": slo.name, "service": slo.service}
    selector = f'{{slo="{slo.name}"}}'
    allowed = f"{1 - slo.target:.10g}"

    def above(window: str, factor: str) -> str:
        return f"{RECORD.format(window=window)}{selector} > {_threshold(factor, allowed)}"

    if slo.spec.budgeting_method is BudgetingMethod.TIMESLICES:
        records = _slice_records(slo, labels, selector)
    else:
        records = _event_records(slo, labels)
    page = f"({above('1h', '14.4')} and {above('5m', '14.4')}) or ({above('6h', '6')} and {above('30m', '6')})"
    ticket = f"{above('3d', '1')} and {above('6h', '1')}"
    summary = f"SLO {slo.name} is burning its error budget"
    alerts = [
        {
            "alert": "SLOErrorBudgetBurn",
            "expr": page,
            "labels": {**labels, "severity": "critical"},
            "annotations": {
                "summary": summary,
                "description": "fast burn: 14.4x over 1h and 5m, or 6x over 6h and 30m",
            },
        },
        {
            "alert": "SLOErrorBudgetBurn",
            "expr": ticket,
            "labels": {**labels, "severity": "warning"},
            "annotations": {"summary": summary, "description": "slow burn: 1x over 3d and 6h"},
        },
    ]
    return {"name": f"slo-{slo.name}", "rules": records + alerts}


def rule_file(slos: list[SloDocument]) -> str:
    """A Prometheus rule file (YAML) for every SLO whose SLI is Prometheus; the others are left out, each named in
    a comment at the top with why (`left_out`)."""
    import yaml

    groups = [rule_group(slo) for slo in slos if exportable(slo)]
    notes = [
        f"# left out: SLO {o['slo']} (service {' '.join(o['service'].split())}): {o['reason']}\n"
        for o in left_out(slos)
    ]
    return "".join(notes) + yaml.safe_dump({"groups": groups}, sort_keys=False, width=1000)
