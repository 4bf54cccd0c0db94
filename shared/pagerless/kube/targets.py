"""Which Kubernetes object a Prometheus-style alert is about, from its labels.

Exporters put their own labels on alerts about other objects: a kube-state-metrics alert on
deployment "payments" carries ``job="kube-state-metrics"``, ``container="kube-state-metrics"``,
``service="…-kube-state-metrics"`` and the exporter's own ``pod``; a node-exporter alert carries
the exporter's ``job`` and ``instance``; a blackbox probe the prober's ``job``. Naming the
service after any of these would fold every such alert into one incident. So the target's labels
come first (``deployment``, ``statefulset``, ``daemonset``, ``job_name``, the pod's owner, the
probed host), and a label whose value names an exporter is never taken for the service.
"""

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

# Label values that name the scraper or exporter, not the object an alert is about.
EXPORTER = re.compile(
    r"(^|[-_/])(kube-state-metrics|node-exporter|blackbox(-exporter)?|kubelet|cadvisor|"
    r"prometheus(-operator)?|alertmanager|windows-exporter|process-exporter)$"
)
BLACKBOX = re.compile(r"blackbox|probe")

# The workload labels kube-state-metrics and recording rules put on alerts, most specific first.
WORKLOAD_LABELS = ("deployment", "statefulset", "daemonset", "job_name", "cronjob", "replicaset")
OWNER_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet"})
# Labels that name the service only when they are not the exporter's own.
SERVICE_LABELS = ("service", "app_kubernetes_io_name", "app", "container", "job")
OWN_SERVICE_LABELS = ("service", "app_kubernetes_io_name", "app")
NAMESPACE_LABELS = ("namespace", "kubernetes_namespace")
POD_LABELS = ("pod", "kubernetes_pod_name", "pod_name")

_SAFE = "[bcdfghjklmnpqrstvwxz2456789]"  # the alphabet of Kubernetes' generated name suffixes
_REPLICASET_POD = re.compile(rf"^(?P<name>.+)-{_SAFE}{{6,10}}-{_SAFE}{{5}}$")
_REPLICASET = re.compile(rf"^(?P<name>.+)-{_SAFE}{{6,10}}$")
_STATEFUL_POD = re.compile(r"^(?P<name>.+)-\d+$")
_GENERATED_POD = re.compile(rf"^(?P<name>.+)-{_SAFE}{{5}}$")


def is_exporter(value: str | None) -> bool:
    """Whether a label value names an exporter or scraper ("kube-state-metrics", "prometheus-node-exporter")."""
    return bool(value) and bool(EXPORTER.search(value.strip().lower()))


def workload_of_pod(pod: str) -> str:
    """The controller name a generated pod name comes from ("payments-7d9f8c6b5-x2k4m" → "payments")."""
    for pattern in (_REPLICASET_POD, _STATEFUL_POD, _GENERATED_POD):
        match = pattern.match(pod)
        if match:
            return match["name"]
    return pod


def kubernetes_target(labels: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """(service, namespace, pod) of the object the alert is about, not of the exporter that saw it."""
    exporter = any(is_exporter(labels.get(name)) for name in ("job", "container", "service", "app"))
    pod = _first(labels, POD_LABELS)
    if not exporter:  # the app's own metrics: its service label says best what it is
        service = _first(labels, OWN_SERVICE_LABELS) or _workload(labels) or _first(labels, SERVICE_LABELS)
        return service, _first(labels, NAMESPACE_LABELS), pod
    # the exporter's own pod ("kube-state-metrics-6c9f8d7b5-abcde") is not the target
    pod = _first(labels, ("exported_pod",)) or (None if pod and is_exporter(workload_of_pod(pod)) else pod)
    service = _workload(labels) or (workload_of_pod(pod) if pod else None) or _first(labels, ("exported_service",))
    if service is not None:
        return service, _first(labels, ("exported_namespace", *NAMESPACE_LABELS)), pod
    # Nothing names a Kubernetes object (a node, a probed URL): the namespace is the exporter's.
    namespace = _first(labels, ("exported_namespace",))
    if BLACKBOX.search((labels.get("job") or "").lower()):
        return _probed_host(labels.get("target") or labels.get("instance")), namespace, None
    service = next(
        (
            labels[name].strip()
            for name in SERVICE_LABELS
            if (labels.get(name) or "").strip() and not is_exporter(labels[name])
        ),
        None,
    )
    return service, namespace, None


def _workload(labels: Mapping[str, str]) -> str | None:
    for name in WORKLOAD_LABELS:
        value = (labels.get(name) or "").strip()
        if value and not is_exporter(value):
            match = _REPLICASET.match(value) if name == "replicaset" else None
            return match["name"] if match else value
    owner = (labels.get("owner_name") or labels.get("created_by_name") or "").strip()
    kind = labels.get("owner_kind") or labels.get("created_by_kind")
    if owner and kind in OWNER_KINDS and owner != "<none>":
        match = _REPLICASET.match(owner) if kind == "ReplicaSet" else None
        return match["name"] if match else owner
    return None


def _probed_host(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    parts = urlsplit(value if "://" in value else f"//{value}")
    return parts.hostname or value


def _first(labels: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((labels[name].strip() for name in names if (labels.get(name) or "").strip()), None)
