"""Prometheus rule files for Prometheus-sourced SLOs: the SRE workbook's multiwindow multi-burn-rate alerts.

Per SLO, recording rules ``slo:sli_error:ratio_rate<w>`` (w = 5m, 30m, 1h, 6h, 3d; labels ``slo``
and ``service``) and two alerts on ``SLOErrorBudgetBurn`` (labelled with ``slo`` and ``service`` too, so a file of
several SLOs holds no duplicate rule for `promtool check rules`' lint):

- ``severity: critical`` (page): 1 h and 5 m error ratio above 14.4 × (1 − target), or 6 h and 30 m above 6 ×;
- ``severity: warning`` (ticket): 3 d and 6 h above 1 ×.

The same thresholds as the evaluator (`pagerless.slo.budget`), so Prometheus and Pagerless agree.
"""

from pagerless.slo.spec import SloDocument, SourceType

WINDOWS = ("5m", "30m", "1h", "6h", "3d")
RECORD = "slo:sli_error:ratio_rate{window}"


def _rate(query: str, window: str) -> str:
    if "{{window}}" in query:
        return query.replace("{{window}}", window)
    return f"sum(rate({query}[{window}]))"


def _error_ratio(slo: SloDocument, window: str) -> str:
    ratio = slo.ratio
    total = _rate(str(ratio.total.metric_source.spec["query"]), window)
    if ratio.bad is not None:
        return f"{_rate(str(ratio.bad.metric_source.spec['query']), window)} / {total}"
    return f"1 - ({_rate(str(ratio.good.metric_source.spec['query']), window)} / {total})"


def exportable(slo: SloDocument) -> bool:
    ratio = slo.ratio
    part = ratio.good or ratio.bad
    return ratio.total.metric_source.type is SourceType.PROMETHEUS and part.metric_source.type is SourceType.PROMETHEUS


def _threshold(factor: str, allowed: str) -> str:
    return f"({factor} * {allowed})"


def rule_group(slo: SloDocument) -> dict:
    labels = {"slo": slo.name, "service": slo.service}
    selector = f'{{slo="{slo.name}"}}'
    allowed = f"{1 - slo.target:.10g}"

    def above(window: str, factor: str) -> str:
        return f"{RECORD.format(window=window)}{selector} > {_threshold(factor, allowed)}"

    records = [
        {"record": RECORD.format(window=w), "expr": _error_ratio(slo, w), "labels": dict(labels)} for w in WINDOWS
    ]
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
    """A Prometheus rule file (YAML) for every SLO whose SLI is Prometheus; others are left out."""
    import yaml

    groups = [rule_group(slo) for slo in slos if exportable(slo)]
    return yaml.safe_dump({"groups": groups}, sort_keys=False, width=1000)
