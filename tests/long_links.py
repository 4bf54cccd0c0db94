"""A long real-world runbook link: a Grafana Explore URL (Grafana 10's ``panes`` state) with the three queries an
SRE opens for a crash-looping pod, as a ``runbook_url`` annotation often is. 2,015 characters: past the 2,000 that
links were once cut at, within the 2,048 a link is kept whole up to (`pagerless.notify.links.MAX_URL_CHARS`)."""

import json
from urllib.parse import quote

LOGQL = (
    'sum by (pod, container, reason) (count_over_time({cluster="prod-eu-1", namespace="shop-prod", app="checkout"} '
    '|= "CrashLoopBackOff" != "readiness" | json | line_format "{{.pod}} {{.container}} {{.reason}} {{.message}}" '
    "| label_format reason=`{{ if .reason }}{{ .reason }}{{ else }}unknown{{ end }}` [5m]))"
)
WAITING = (
    'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", job="kube-state-metrics", '
    'namespace="shop-prod", container="checkout"}[5m]) >= 1'
)
THROTTLED = (
    'sum(rate(container_cpu_cfs_throttled_periods_total{namespace="shop-prod", container="checkout"}[5m])) '
    '/ sum(rate(container_cpu_cfs_periods_total{namespace="shop-prod", container="checkout"}[5m]))'
)


def _query(ref: str, expr: str, kind: str, uid: str) -> dict:
    return {
        "refId": ref,
        "expr": expr,
        "range": True,
        "datasource": {"type": kind, "uid": uid},
        "editorMode": "code",
        "legendFormat": "{{pod}}",
    }


def grafana_explore_url() -> str:
    queries = [
        _query("A", LOGQL, "loki", "loki-prod"),
        _query("B", WAITING, "prometheus", "prometheus-k8s"),
        _query("C", THROTTLED, "prometheus", "prometheus-k8s"),
    ]
    panes = {"x7k": {"datasource": "loki-prod", "queries": queries, "range": {"from": "now-1h", "to": "now"}}}
    state = quote(json.dumps(panes, separators=(",", ":")), safe="")
    return f"https://grafana.shop.example.com/explore?schemaVersion=1&panes={state}&orgId=1"
