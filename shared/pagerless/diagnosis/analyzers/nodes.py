"""Nodes: NotReady nodes and kubelet evictions under Disk/Memory pressure."""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import evidence, is_recent, make_finding
from pagerless.diagnosis.analyzers.grouping import WorkloadFindings
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Pod, Snapshot

NAME = "nodes"
_LOW_ON = re.compile(r"low on resource: ([\w-]+)", re.I)
_NODE_EVENTS = frozenset({"NodeNotReady", "TaintManagerEviction", "NodeLost"})
_STATUS_NOT_READY = re.compile(r"status is now: NodeNotReady", re.I)
_PRESSURE_TAINTS = ("node.kubernetes.io/disk-pressure", "node.kubernetes.io/memory-pressure")
MAX_NAMED_PODS = 20


def analyze(snapshot: Snapshot) -> list[Finding]:
    """NotReady nodes (with the pods they strand) and pressure evictions per workload."""
    return _not_ready(snapshot) + _not_ready_from_events(snapshot) + _evictions(snapshot)


def _not_ready(snapshot: Snapshot) -> list[Finding]:
    findings = []
    for node in snapshot.nodes:
        ready = node.conditions.get("Ready") or {}
        if not ready or ready.get("status") == "True":
            continue
        proof = [
            evidence(
                f"node {node.name}/status.conditions[Ready]",
                f"status={ready.get('status')} reason={ready.get('reason', '')} "
                f"message={ready.get('message', '')} lastTransitionTime={ready.get('lastTransitionTime', '')}",
            )
        ]
        taints = [t for t in node.taints if "unreachable" in str(t.get("key")) or "not-ready" in str(t.get("key"))]
        if taints:
            proof.append(evidence(f"node {node.name}/spec.taints", str(taints[0])))
        stranded = [p for p in snapshot.pods if p.node_name == node.name and not p.system]
        for event in snapshot.events:
            if event.reason in _NODE_EVENTS and any(p.name == event.name for p in stranded):
                proof.append(evidence(event.source, event.detail))
                break
        workloads = sorted({p.workload for p in stranded})
        target = {"kind": "Node", "name": node.name, "node": node.name, "pods": _named_pods(snapshot, stranded)}
        findings.append(
            make_finding(
                NAME,
                "node_not_ready",
                0.88,
                f"node {node.name} is NotReady (Ready={ready.get('status')}) and strands pods of "
                f"{', '.join(workloads[:4]) or 'no workload'}",
                proof,
                ["remediate_node"],
                target,
            )
        )
    return findings


def _not_ready_from_events(snapshot: Snapshot) -> list[Finding]:
    """Without the Node object, the node controller's recent NodeNotReady events on its pods still tell."""
    known = {n.name for n in snapshot.nodes}
    by_node: dict[str, list] = {}
    for pod in snapshot.pods:
        if not pod.node_name or pod.node_name in known or pod.system:
            continue
        events = [
            e
            for e in snapshot.events_for("Pod", pod.namespace, pod.name)
            if e.reason in _NODE_EVENTS and is_recent(snapshot, e.last or e.first, unknown=True)
        ]
        ready = pod.conditions.get("Ready") or {}
        if events and ready.get("status") != "True":
            by_node.setdefault(pod.node_name, []).append((pod, events[0], ready))
    findings = []
    for name, stranded in by_node.items():
        proof = [evidence(event.source, event.detail) for _, event, _ in stranded[:2]]
        pod, _, ready = stranded[0]
        proof.append(
            evidence(
                f"{pod.ref()}/status.conditions[Ready]",
                f"status={ready.get('status', '?')} lastTransitionTime={ready.get('lastTransitionTime', '')}",
            )
        )
        proof.append(evidence(f"{pod.ref()}/spec.nodeName", name))
        target = {
            "kind": "Node",
            "name": name,
            "node": name,
            "pods": _named_pods(snapshot, [p for p, _, _ in stranded]),
        }
        findings.append(
            make_finding(
                NAME,
                "node_not_ready",
                0.8,
                f"node {name} is not ready (node-controller events on its pods "
                f"{', '.join(sorted({p.name for p, _, _ in stranded})[:3])})",
                proof,
                ["remediate_node"],
                target,
            )
        )
    return findings + _node_events(snapshot, known | set(by_node))


def _node_events(snapshot: Snapshot, covered: set[str]) -> list[Finding]:
    """The node's own "status is now: NodeNotReady" event, when neither the Node object nor its pods tell."""
    findings = []
    for event in snapshot.events:
        if (
            event.kind != "Node"
            or event.name in covered
            or not is_recent(snapshot, event.last or event.first, unknown=True)
        ):
            continue
        if event.reason in ("NodeNotReady", "NodeLost") or _STATUS_NOT_READY.search(event.message):
            covered.add(event.name)
            stranded = [p for p in snapshot.pods if p.node_name == event.name and not p.system]
            target = {
                "kind": "Node",
                "name": event.name,
                "node": event.name,
                "pods": _named_pods(snapshot, stranded),
            }
            findings.append(
                make_finding(
                    NAME,
                    "node_not_ready",
                    0.8,
                    f"node {event.name} reported NotReady",
                    [evidence(event.source, event.detail)],
                    ["remediate_node"],
                    target,
                )
            )
    return findings


def _named_pods(snapshot: Snapshot, stranded: list[Pod]) -> str:
    """The pods a node finding names, the alert's own first: the ranking ties the node to the alert (and to
    the pods' other findings) through this list, which holds only the first MAX_NAMED_PODS of a busy node's pods."""
    focus = {(p.namespace, p.name) for p in snapshot.focus_pods()}
    ordered = sorted(stranded, key=lambda p: (p.namespace, p.name) not in focus)
    return ",".join(p.name for p in ordered[:MAX_NAMED_PODS])


def _evictions(snapshot: Snapshot) -> list[Finding]:
    found = WorkloadFindings(NAME)
    for pod in [*snapshot.pods, *_deleted_evicted_pods(snapshot)]:
        events = [e for e in snapshot.events_for("Pod", pod.namespace, pod.name) if e.reason == "Evicted"]
        evicted = pod.reason == "Evicted" or bool(events)
        if not evicted:
            continue
        message = pod.message or (events[0].message if events else "")
        if not events and not is_recent(snapshot, _eviction_time(pod), minutes=2 * 60, unknown=True):
            continue  # an old evicted pod nobody cleaned up: Failed pods linger for days
        resource = _LOW_ON.search(message) or _LOW_ON.search(" ".join(e.message for e in events))
        resource_name = resource.group(1) if resource else "resources"
        proof = [evidence(f"{pod.ref()}/status", f"reason=Evicted message={message}")] if pod.reason else []
        proof += [evidence(e.source, e.detail) for e in events[:1]]
        candidates = [snapshot_node(snapshot, pod.node_name)] if pod.node_name else _pressured_nodes(snapshot)
        for node in [n for n in candidates if n is not None][:2]:
            for kind in ("DiskPressure", "MemoryPressure", "PIDPressure"):
                condition = node.conditions.get(kind) or {}
                if condition.get("status") == "True":
                    proof.append(
                        evidence(
                            f"node {node.name}/status.conditions[{kind}]", f"status=True {condition.get('message', '')}"
                        )
                    )
            proof += [
                evidence(f"node {node.name}/spec.taints", str(t))
                for t in node.taints
                if str(t.get("key")) in _PRESSURE_TAINTS
            ][:1]
        disk = resource_name in ("ephemeral-storage", "nodefs", "imagefs") or "disk" in message.lower()
        remediations = (
            ["clean_node_disk", "set_ephemeral_storage_limits"] if disk else ["remediate_node", "increase_memory_limit"]
        )
        target = pod.target()
        found.add(
            pod,
            "node_pressure_eviction",
            0.88,
            f"kubelet evicted {pod.name} from node {pod.node_name or '?'}: node low on {resource_name}",
            proof,
            remediations,
            target,
        )
    return found.findings()


def _deleted_evicted_pods(snapshot: Snapshot) -> list[Pod]:
    """Evicted pods are often gone from the snapshot; their Evicted events still name them."""
    present = {(p.namespace, p.name) for p in snapshot.pods}
    ghosts = {}
    for event in snapshot.events:
        if event.kind == "Pod" and event.reason == "Evicted" and (event.namespace, event.name) not in present:
            ghosts[(event.namespace, event.name)] = Pod.from_obj(
                {"metadata": {"name": event.name, "namespace": event.namespace}, "status": {"phase": "Failed"}}
            )
    return [p for p in ghosts.values() if p is not None]


def _pressured_nodes(snapshot: Snapshot) -> list:
    return [
        n
        for n in snapshot.nodes
        if any(
            (n.conditions.get(k) or {}).get("status") == "True"
            for k in ("DiskPressure", "MemoryPressure", "PIDPressure")
        )
    ]


def _eviction_time(pod) -> str | None:
    times = [str(c.get("lastTransitionTime")) for c in pod.conditions.values() if c.get("lastTransitionTime")]
    times += [str(c.terminated.get("finishedAt")) for c in pod.containers if c.terminated.get("finishedAt")]
    return max(times) if times else None


def snapshot_node(snapshot: Snapshot, name: str):
    return next((n for n in snapshot.nodes if n.name == name), None) if name else None
