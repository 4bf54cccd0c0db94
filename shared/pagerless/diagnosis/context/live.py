"""Collect a live cluster's context in the scenario ``cluster`` shape (kubectl ``-o json`` Lists).

Objects are the API server's JSON as sent (``KubeClients.call``), not the client's typed models:
those are strict and one unexpected object would fail a whole list.

Collection degrades instead of failing: anything that cannot be read (403 from RBAC, a timeout,
a pod whose container never started) is left out and named in ``notes``. Pods of the hinted
workload come first; logs are bounded by lines and bytes (a cut log is noted), and a container that
restarted also gets its ``#previous`` log, which is where a crash's last words are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pagerless.kube.clients import KubeClients

# Per container log, asked of the API server as limitBytes, so a container that writes megabyte-long
# lines (JSON blobs, stack dumps) is not pulled whole into memory. Ten pods' current and previous
# logs at this size (1.25 MiB) usually compress to within one context item (store.contexts
# MAX_COMPRESSED_BYTES, 350 KiB; it shortens logs further when they do not), and it is a third of
# what the snapshot reads of a log (diagnosis.snapshot: MAX_LOG_LINES lines of 400 characters).
LOG_LIMIT_BYTES = 64 * 1024
LIST_KINDS = {
    "pods": "Pod",
    "events": "Event",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "nodes": "Node",
    "pvcs": "PersistentVolumeClaim",
    "hpas": "HorizontalPodAutoscaler",
}
API_VERSIONS = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "HorizontalPodAutoscaler": "autoscaling/v2"}


def collect_cluster(
    namespace: str,
    *,
    kube: KubeClients,
    deployment: str | None = None,
    pod: str | None = None,
    service: str | None = None,
    log_tail_lines: int = 200,
    log_limit_bytes: int = LOG_LIMIT_BYTES,
    timeout_seconds: float = 5,
    max_pods: int = 50,
    max_log_pods: int = 10,
    max_events: int = 500,
    max_replicasets: int = 50,
) -> dict[str, Any]:
    """Pods, events, deployments, replicasets, the pods' nodes, PVCs, HPAs and logs of ``namespace``.

    ``deployment``/``pod``/``service`` hint at the alert's workload: its pods are kept first when
    ``max_pods`` cuts the list, and get their logs first (``max_log_pods`` pods at most; each log
    its last ``log_tail_lines`` lines, of which the API server sends ``log_limit_bytes`` at most). Events
    are cut to ``max_events`` (warnings, then the newest) and ReplicaSets to ``max_replicasets``
    (the hinted workload's and the scaled-up ones, then the newest), and objects lose their
    ``managedFields`` as kubectl shows them, so that a busy namespace's context still fits the
    context store. Each call is bounded by ``timeout_seconds`` and the whole collection
    by six times that.
    """
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    core, apps = kube.core, kube.apps
    notes: list[str] = []
    deadline = time.monotonic() + timeout_seconds * 6  # the whole collection, not just one call

    def fetch(what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() > deadline:
            notes.append(f"{what}: skipped, collection time budget exhausted")
            return None
        try:
            return kube.call(call, *args, _request_timeout=timeout_seconds, **kwargs)
        except ApiException as exc:
            if exc.status == 400 and call == core.read_namespaced_pod_log:
                return None  # the container is waiting to start or has no previous instance: no log
            reason = {403: "forbidden (403)", 404: "not found (404)", 401: "unauthorized (401)"}.get(
                exc.status, f"error {exc.status}"
            )
            notes.append(f"{what}: {reason}")
        except HTTPError as exc:
            timed_out = "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower()
            notes.append(
                f"{what}: timed out after {timeout_seconds:g}s"
                if timed_out
                else f"{what}: unreachable ({type(exc).__name__})"
            )
        return None

    def items(what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> list[dict]:
        listed = fetch(what, call, *args, **kwargs)
        return listed.get("items", []) if listed else []

    deployments = items("deployments", apps.list_namespaced_deployment, namespace)
    selector = _workload_selector(deployments, deployment)
    if service and not selector:
        found = fetch(f"service {service}", core.read_namespaced_service, service, namespace)
        selector = ((found or {}).get("spec") or {}).get("selector") or {}
    pods = _pods(namespace, fetch, core, pod, selector, max_pods, notes)
    cluster: dict[str, Any] = {
        "pods": pods,
        "events": _events(items("events", core.list_namespaced_event, namespace), max_events, namespace, notes),
        "deployments": deployments,
        "replicasets": _replicasets(
            items("replicasets", apps.list_namespaced_replica_set, namespace), max_replicasets, deployment, notes
        ),
        "nodes": [],
        "pvcs": items("pvcs", core.list_namespaced_persistent_volume_claim, namespace),
        "hpas": items("hpas", kube.autoscaling.list_namespaced_horizontal_pod_autoscaler, namespace),
    }
    for node_name in sorted({p.get("spec", {}).get("nodeName") for p in pods} - {None}):
        if node := fetch(f"node {node_name}", core.read_node, node_name):
            cluster["nodes"].append(node)
    logs = _logs(
        namespace,
        pods[:max_log_pods],
        tail=log_tail_lines,
        limit_bytes=log_limit_bytes,
        fetch_log=lambda what, **kw: fetch(what, core.read_namespaced_pod_log, **kw),
        notes=notes,
    )
    result = {key: _as_list(key, value) for key, value in cluster.items()}
    result["logs"] = logs
    result["notes"] = notes
    return result


def _workload_selector(deployments: list[dict], deployment: str | None) -> dict[str, str]:
    for item in deployments:
        if item["metadata"]["name"] == deployment:
            return (item.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
    return {}


def _pods(
    namespace: str,
    fetch: Callable[..., Any],
    core: Any,
    pod: str | None,
    selector: dict[str, str],
    max_pods: int,
    notes: list[str],
) -> list[dict]:
    """The hinted pod, then the workload's pods, then the namespace's first ``max_pods`` (unhealthy first)."""
    found: list[dict] = []
    if pod and (named := fetch(f"pod {pod}", core.read_namespaced_pod, pod, namespace)):
        found.append(named)
    if selector:
        label_selector = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        found += (fetch("pods", core.list_namespaced_pod, namespace, label_selector=label_selector) or {}).get(
            "items", []
        )
    listed = fetch("pods", core.list_namespaced_pod, namespace, limit=max_pods) or {}
    found += listed.get("items", [])
    unique = list({p["metadata"]["name"]: p for p in reversed(found)}.values())[::-1]

    def in_workload(p):
        return bool(selector) and all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())

    ordered = sorted(unique, key=lambda p: (p["metadata"]["name"] != pod, not in_workload(p), _healthy(p)))
    if len(ordered) > max_pods or (listed.get("metadata") or {}).get("continue"):
        notes.append(
            f"pods: more than {max_pods} in {namespace}; kept {min(max_pods, len(ordered))} "
            "(the alert's workload and unhealthy pods first)"
        )
    return ordered[:max_pods]


def _events(events: list[dict], max_events: int, namespace: str, notes: list[str]) -> list[dict]:
    """At most ``max_events``: the warnings first, then the newest."""
    if len(events) <= max_events:
        return events
    notes.append(f"events: {len(events)} in {namespace}; kept {max_events} (warnings first, then the newest)")

    def newest(event: dict) -> str:
        series = event.get("series") or {}  # a recurring events.k8s.io event: eventTime is its first occurrence
        return (
            event.get("lastTimestamp")
            or series.get("lastObservedTime")
            or event.get("eventTime")
            or event.get("firstTimestamp")
            or ""
        )

    by_age = sorted(events, key=newest, reverse=True)
    return sorted(by_age, key=lambda e: e.get("type") != "Warning")[:max_events]


def _replicasets(replicasets: list[dict], limit: int, deployment: str | None, notes: list[str]) -> list[dict]:
    """At most ``limit``: the hinted Deployment's and those with replicas first, then the newest (a
    namespace keeps up to ten old ReplicaSets per Deployment, each with its whole pod template)."""
    if len(replicasets) <= limit:
        return replicasets
    notes.append(f"replicasets: {len(replicasets)}; kept {limit} (the workload's and the scaled-up ones first)")

    def first(rs: dict) -> tuple[bool, bool]:
        owners = {o.get("name") for o in rs.get("metadata", {}).get("ownerReferences") or []}
        return deployment not in owners, not (rs.get("spec") or {}).get("replicas")

    by_age = sorted(replicasets, key=lambda rs: rs.get("metadata", {}).get("creationTimestamp") or "", reverse=True)
    return sorted(by_age, key=first)[:limit]


def _healthy(pod: dict) -> bool:
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in pod.get("status", {}).get("conditions") or []
    )
    restarts = sum(s.get("restartCount", 0) for s in pod.get("status", {}).get("containerStatuses") or [])
    return ready and not restarts


def _logs(
    namespace: str,
    pods: list[dict],
    *,
    fetch_log: Callable[..., str | None],
    tail: int,
    limit_bytes: int,
    notes: list[str],
) -> dict[str, str]:
    logs: dict[str, str] = {}

    def read(key: str, **kwargs: Any) -> None:
        # The API server stops sending at limitBytes, so a cut log keeps the start of its tail and
        # loses the newest lines, where a crash explains itself: ask again for fewer lines.
        lines = tail
        text = fetch_log(f"log {key}", tail_lines=lines, limit_bytes=limit_bytes, **kwargs)
        while text and len(text.encode("utf-8")) >= limit_bytes and lines > 1:
            fewer = max(1, lines // 10)
            again = fetch_log(f"log {key}", tail_lines=fewer, limit_bytes=limit_bytes, **kwargs)
            if not again:  # unreadable now (a note says why): the cut read is better than none
                break
            lines, text = fewer, again
        if not text:
            return
        logs[key] = text
        if len(text.encode("utf-8")) >= limit_bytes:
            notes.append(f"log {key}: cut at {limit_bytes} bytes (limitBytes) of its last {lines} line(s)")
        elif lines < tail:
            notes.append(f"log {key}: its last {tail} lines are over {limit_bytes} bytes; kept the last {lines}")

    for pod in pods:
        name = pod["metadata"]["name"]
        status_of = pod.get("status", {})
        for status in (status_of.get("initContainerStatuses") or []) + (status_of.get("containerStatuses") or []):
            key = f"{namespace}/{name}/{status['name']}"
            kwargs = {"name": name, "namespace": namespace, "container": status["name"]}
            if (
                status.get("state", {}).get("running")
                or status.get("state", {}).get("terminated")
                or status.get("restartCount")
            ):
                read(key, **kwargs)
            if status.get("restartCount"):
                read(f"{key}#previous", previous=True, **kwargs)
    return logs


def _as_list(key: str, items: list[dict]) -> dict[str, Any]:
    kind = LIST_KINDS[key]
    for item in items:  # list items come without kind/apiVersion; kubectl adds them, so do we
        item.setdefault("apiVersion", API_VERSIONS.get(kind, "v1"))
        item.setdefault("kind", kind)
        # who set which field: often most of an object's size, and no diagnosis reads it (kubectl hides it)
        (item.get("metadata") or {}).pop("managedFields", None)
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}
