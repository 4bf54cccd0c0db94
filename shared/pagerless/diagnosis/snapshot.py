"""A small typed, bounded view over a scenario: the alert, the cluster dict and the deploys.

The cluster dict is the scenario-format shape (``kubectl get <kind> -o json`` Lists plus a
``logs`` map), which is also what the live collector returns, so analyzers read recorded and
live context the same way. Junk is tolerated: missing lists, non-dict items, events about
objects that no longer exist and events older than the window are kept out or ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pagerless.clock import parse_time
from pagerless.diagnosis.snapshot_objects import Container, Event, Pod, cronjob_of
from pagerless.diagnosis.snapshot_resources import Deploy, Deployment, Hpa, Node, Pvc, ReplicaSet
from pagerless.domain.alerts import Alert, make_fingerprint
from pagerless.domain.severity import parse_severity

MAX_LOG_LINES = 500  # per container log: the tail is where a crash explains itself
EVENT_WINDOW = timedelta(minutes=65)  # the API server's default event TTL (1 h), plus clock skew
EVENT_AFTER = timedelta(minutes=30)  # a snapshot is taken at or shortly after the alert
_WORKLOAD_LABELS = (
    "deployment",
    "service",
    "app",
    "statefulset",
    "daemonset",
    "workload",
    "app_kubernetes_io_name",
    "k8s_app",
    "service_name",
    "kubernetes_deployment",
    "exported_service",
    "label_app",
    "cronjob",
    "job_name",
    "kube_deployment",
    "kube_stateful_set",
    "kube_daemon_set",
    "kube_cronjob",
    "kube_job",
    "kube_service",
)
# Where monitoring tools put the namespace and pod (Prometheus relabelling, Datadog tags, ...).
_NAMESPACE_LABELS = (
    "namespace",
    "kubernetes_namespace",
    "k8s_namespace",
    "exported_namespace",
    "namespace_name",
    "kube_namespace",
)
_POD_LABELS = ("pod", "kubernetes_pod_name", "pod_name", "exported_pod", "k8s_pod_name", "kube_pod")

__all__ = [
    "Container",
    "Deploy",
    "Deployment",
    "Event",
    "Focus",
    "Hpa",
    "Node",
    "Pod",
    "Pvc",
    "ReplicaSet",
    "Snapshot",
    "load_scenario",
    "snapshot_from_scenario",
    "parse_time",
]


@dataclass(frozen=True, slots=True)
class Focus:
    """Where the alert points: a namespace, workload names and pod names (any may be empty)."""

    namespace: str | None
    workloads: frozenset[str]
    pods: frozenset[str]


@dataclass(slots=True)
class Snapshot:
    """Everything the analyzers read, with ``at`` (the alert's start) as "now"."""

    alert: Alert
    at: datetime
    pods: list[Pod]
    events: list[Event]
    deployments: list[Deployment]
    replicasets: list[ReplicaSet]
    nodes: list[Node]
    pvcs: list[Pvc]
    hpas: list[Hpa]
    network_policies: list[dict]
    logs: dict[str, tuple[str, ...]]
    deploys: list[Deploy]
    focus: Focus
    scenario: Mapping = field(default_factory=dict)  # the raw scenario, for the investigator's tools
    _focus_pods: list[Pod] = field(default_factory=list)

    def pods_in(self, namespace: str) -> list[Pod]:
        return [p for p in self.pods if p.namespace == namespace]

    def focus_pods(self) -> list[Pod]:
        """The pods the alert is about (its workload, else its namespace, else all pods)."""
        return self._focus_pods

    def is_focus(self, namespace: str, workload: str) -> bool:
        return any(p.namespace == namespace and p.workload == workload for p in self._focus_pods) or (
            namespace == self.focus.namespace and workload in self.focus.workloads
        )

    def events_for(self, kind: str, namespace: str, name: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind and e.name == name and e.namespace == namespace]

    def log(self, pod: Pod, container: str, previous: bool = False) -> tuple[str, ...]:
        key = f"{pod.namespace}/{pod.name}/{container}" + ("#previous" if previous else "")
        return self.logs.get(key, ())

    def workload_pods(self, namespace: str, workload: str) -> list[Pod]:
        return [p for p in self.pods if p.namespace == namespace and p.workload == workload]

    def deployment(self, namespace: str, name: str) -> Deployment | None:
        return next((d for d in self.deployments if d.namespace == namespace and d.name == name), None)

    def minutes_before_at(self, when: datetime | None) -> float | None:
        """How long before the alert ``when`` was, in minutes (negative: after it)."""
        return None if when is None else (self.at - when).total_seconds() / 60.0


def load_scenario(path: str | Path) -> dict:
    """Read a scenario JSON file; raises OSError or ValueError when it is unreadable."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("a scenario is a JSON object with 'alert' and 'cluster'")
    return data


def snapshot_from_scenario(scenario: Mapping | str | Path) -> Snapshot:
    """Build a Snapshot from a scenario dict or the path of a scenario file."""
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    alert = _alert(scenario.get("alert") or {})
    cluster = scenario.get("cluster") if isinstance(scenario.get("cluster"), Mapping) else {}
    pods = _parse(Pod, _items(cluster, "pods"))
    events = _parse(Event, _items(cluster, "events"))
    recorded = [t for t in (_latest_time(pods), *(e.last for e in events)) if t]
    at = alert.starts_at or (max(recorded) if recorded else datetime.now(UTC))
    events = [e for e in events if e.last is None or at - EVENT_WINDOW <= e.last <= at + EVENT_AFTER]
    focus = _focus(alert)
    snapshot = Snapshot(
        alert=alert,
        at=at,
        pods=pods,
        events=events,
        deployments=_parse(Deployment, _items(cluster, "deployments")),
        replicasets=_parse(ReplicaSet, _items(cluster, "replicasets")),
        nodes=_parse(Node, _items(cluster, "nodes")),
        pvcs=_parse(Pvc, _items(cluster, "pvcs")),
        hpas=_parse(Hpa, _items(cluster, "hpas")),
        network_policies=_items(cluster, "networkpolicies"),
        logs=_logs(cluster.get("logs")),
        deploys=_parse(Deploy, _as_list(scenario.get("deploys"))),
        focus=focus,
        scenario=scenario,
    )
    snapshot._focus_pods = _focus_pods(pods, focus)
    return snapshot


def _items(cluster: Mapping, key: str) -> list[dict]:
    value = cluster.get(key)
    if isinstance(value, Mapping):
        value = value.get("items")
    return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []


def _parse(kind, objects: list) -> list:
    """Each object as ``kind``; one that cannot be read (junk where a field should be) is skipped."""
    parsed = []
    for obj in objects:
        try:
            item = kind.from_obj(obj)
        except (TypeError, ValueError, AttributeError, KeyError):
            continue
        if item is not None:
            parsed.append(item)
    return parsed


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else []


def _logs(raw: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        return {}
    logs = {}
    for key, text in raw.items():
        if isinstance(text, list):
            text = "\n".join(str(line) for line in text)
        if isinstance(text, str):
            # Only the tail is read: bounded work whatever the log size.
            tail = text[-MAX_LOG_LINES * 400 :].splitlines()[-MAX_LOG_LINES:]
            logs[str(key)] = tuple(line for line in tail if line.strip())
    return logs


def _alert(raw: Mapping) -> Alert:
    raw = raw if isinstance(raw, Mapping) else {}
    raw_labels = raw.get("labels") if isinstance(raw.get("labels"), Mapping) else {}
    labels = {str(k): str(v) for k, v in raw_labels.items() if v is not None}
    source = str(raw.get("source") or "scenario")
    title = str(raw.get("title") or labels.get("alertname") or "alert")
    return Alert(
        source=source,
        fingerprint=make_fingerprint(source, title, labels),
        severity=parse_severity(raw.get("severity")),
        title=title,
        description=str(raw.get("description") or ""),
        service=_first(raw, labels, ("service", "service_name")),
        namespace=_first(raw, labels, _NAMESPACE_LABELS),
        pod=_first(raw, labels, _POD_LABELS),
        labels=labels,
        annotations={str(k): str(v) for k, v in raw.get("annotations").items()}
        if isinstance(raw.get("annotations"), Mapping)
        else {},
        starts_at=parse_time(raw.get("starts_at") or raw.get("startsAt") or raw.get("started_at")),
    )


def _first(raw: Mapping, labels: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The alert's own field (a normalized Alert has namespace/pod/service), else the first label."""
    value = raw.get(keys[0])
    if isinstance(value, str) and value:
        return value
    return next((labels[k] for k in keys if labels.get(k)), None)


def _focus(alert: Alert) -> Focus:
    labels = {k.replace(".", "_").replace("/", "_").replace("-", "_"): v for k, v in alert.labels.items()}
    exporter = _exporter_identity(labels)
    names = {labels[k] for k in _WORKLOAD_LABELS if labels.get(k) and labels[k] not in exporter}
    names |= {cronjob_of(n) for n in names}
    if alert.service and alert.service not in exporter:
        names.add(alert.service)
    pods = {alert.pod} if alert.pod and alert.pod not in exporter else set()
    return Focus(namespace=alert.namespace, workloads=frozenset(names), pods=frozenset(pods))


# Labels naming the object an alert is about. When one is present, the scrape target's own labels (the
# kube-state-metrics / exporter pod, container and service that produced the series) are not the subject.
_OBJECT_LABELS = (
    "deployment",
    "statefulset",
    "daemonset",
    "job_name",
    "cronjob",
    "replicaset",
    "node",
    "horizontalpodautoscaler",
    "persistentvolumeclaim",
    "kube_deployment",
    "kube_stateful_set",
    "kube_daemon_set",
)


def _exporter_identity(labels: dict[str, str]) -> set[str]:
    job = labels.get("job", "")
    if not job or not any(labels.get(k) for k in _OBJECT_LABELS):
        return set()
    subject = {labels[k] for k in _OBJECT_LABELS if labels.get(k)}
    own = {
        labels[k]
        for k in ("pod", "container", "service", "app", "app_kubernetes_io_name")
        if labels.get(k) and (labels[k] == job or labels[k].startswith(job + "-"))
    }
    return own - subject


def _focus_pods(pods: list[Pod], focus: Focus) -> list[Pod]:
    in_scope = [p for p in pods if focus.namespace is None or p.namespace == focus.namespace]
    if focus.pods:
        named = [p for p in in_scope if p.name in focus.pods]
        if named:
            workloads = {p.workload for p in named}
            return [p for p in in_scope if p.workload in workloads]
    if focus.workloads:
        matched = [p for p in in_scope if p.workload in focus.workloads or p.app in focus.workloads]
        if not matched:
            matched = [p for p in in_scope if any(p.name.startswith(w + "-") for w in focus.workloads)]
        if matched:
            return matched
    return in_scope if focus.namespace else [p for p in pods if not p.system]


def _latest_time(pods: list[Pod]) -> datetime | None:
    """Without an alert start, "now" is the latest moment the snapshot itself records."""
    times = [p.created for p in pods if p.created]
    for pod in pods:
        for c in (*pod.containers, *pod.init_containers):
            for state in (c.state, c.last_state):
                for body in state.values():
                    if isinstance(body, dict):
                        times += [
                            t for t in (parse_time(body.get("startedAt")), parse_time(body.get("finishedAt"))) if t
                        ]
    return max(times) if times else None
