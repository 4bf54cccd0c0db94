"""Pending pods: not enough CPU/memory versus taints, nodeSelector or affinity nobody satisfies."""

from __future__ import annotations

import re

from pagerless.diagnosis.analyzers.base import evidence
from pagerless.diagnosis.analyzers.grouping import WorkloadFindings
from pagerless.diagnosis.models import Finding
from pagerless.diagnosis.snapshot import Pod, Snapshot
from pagerless.diagnosis.snapshot_objects import dicts

NAME = "scheduling"
# Scheduler wording changed across releases; each pattern reads "<count> <reason>" and, for releases
# before 1.10, "<reason> (<count>)" ("No nodes are available that match all of the following predicates::
# Insufficient cpu (3), MatchNodeSelector (1).").
_INSUFFICIENT = re.compile(
    r"(\d+) (?:Insufficient ([\w/-]+(?:\.[\w/-]+)*)|Too many pods)|"
    r"Insufficient ([\w/-]+(?:\.[\w/-]+)*) \((\d+)\)"
)
_TAINT = re.compile(r"(\d+) node\(s\) had (?:untolerated )?taints? \{([^}]*)\}")
# Taints named without their key: "had taints that the pod didn't tolerate" (1.10-1.24), PodToleratesNodeTaints.
_ANON_TAINT = re.compile(
    r"(\d+) (?:node\(s\) had taints? that the pod didn't tolerate|PodToleratesNodeTaints)|"
    r"PodToleratesNodeTaints \((\d+)\)"
)
_MISMATCH = re.compile(
    r"(\d+) node\(s\) (?:didn't (?:match|satisfy) (?:Pod's |pod )?(?:node affinity|node selector|"
    r"pod affinity|pod anti-affinity|existing pods anti-affinity|topology spread|inter-pod affinity)|"
    r"had volume node affinity conflict|were unschedulable|didn't have free ports)[\w /-]*|"
    r"(\d+) (?:MatchNodeSelector|NodeUnschedulable|MatchInterPodAffinity|NodeAffinity|"
    r"PodFitsHostPorts|CheckNodeUnschedulable|EvenPodsSpread)\b|"
    r"(?:MatchNodeSelector|NodeUnschedulable|MatchInterPodAffinity|PodFitsHostPorts) \((\d+)\)"
)
_CONTROL_PLANE = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
_CONDITION_PREFIXES = tuple(
    f"node.kubernetes.io/{t}"
    for t in (  # what the node lifecycle taints sick nodes with
        "disk-pressure",
        "memory-pressure",
        "pid-pressure",
        "not-ready",
        "unreachable",
        "network-unavailable",
    )
)
_PRESSURE_TAINT = re.compile(r"taints? \{node\.kubernetes\.io/(?:disk|memory|pid)-pressure")
_CONDITION_TAINT = re.compile(
    r"taints? \{node\.kubernetes\.io/(?:disk-pressure|memory-pressure|pid-pressure|"
    r"not-ready|unreachable|network-unavailable)"
)
_PREEMPTION = re.compile(r"\bpreemption: ", re.I)
_STORAGE = re.compile(r"PersistentVolumeClaim|persistent volumes to bind|non-existent pv", re.I)


def analyze(snapshot: Snapshot) -> list[Finding]:
    """One finding per workload whose pods the scheduler cannot place."""
    found = WorkloadFindings(NAME)
    for pod in snapshot.pods:
        if pod.phase not in ("Pending", ""):
            continue
        messages = _messages(snapshot, pod)
        if not messages:
            continue
        source, message = messages[0]
        if _STORAGE.search(message):
            continue  # the storage analyzer owns unbound claims
        short, constrained, sick, resources = _counts(message)
        proof = [evidence(source, message)]
        # Taints the node lifecycle puts on sick nodes (pressure, not-ready) mean the node, not the pod spec,
        # is the problem: still a finding, but one a node finding about the same pods should outrank.
        confidence = 0.8 if _CONDITION_TAINT.search(message) else 0.9
        if short >= constrained and short > 0:
            requests = _requests(pod)
            if requests:
                proof.append(evidence(f"{pod.ref()}/spec.containers[*].resources.requests", requests))
            found.add(
                pod,
                "unschedulable_insufficient_resources",
                confidence,
                f"pod {pod.name} is Pending: no node has enough {'/'.join(sorted(resources)) or 'capacity'}",
                proof,
                ["add_node_capacity", "reduce_resource_requests"],
                pod.target(),
            )
        elif sick and not constrained:
            # Only taints of sick nodes keep the pod off: tolerating them would be the wrong fix.
            pressure = _PRESSURE_TAINT.search(message)
            category, remediations = (
                ("node_pressure_eviction", ["clean_node_disk", "remediate_node"])
                if pressure
                else ("node_not_ready", ["remediate_node"])
            )
            found.add(
                pod,
                category,
                0.75,
                f"pod {pod.name} is Pending: the only nodes left are "
                f"{'under resource pressure' if pressure else 'not ready'}",
                proof,
                remediations,
                pod.target(),
            )
        elif constrained > 0:
            for key in ("nodeSelector", "affinity", "tolerations"):
                if pod.spec.get(key):
                    proof.append(evidence(f"{pod.ref()}/spec.{key}", str(pod.spec[key])))
            found.add(
                pod,
                "unschedulable_taint_affinity",
                confidence,
                f"pod {pod.name} is Pending: no node satisfies its taints/nodeSelector/affinity",
                proof,
                ["fix_scheduling_constraints"],
                pod.target(),
            )
    return found.findings()


def _messages(snapshot: Snapshot, pod: Pod) -> list[tuple[str, str]]:
    failed = [e for e in snapshot.events_for("Pod", pod.namespace, pod.name) if e.reason == "FailedScheduling"]
    # The scheduler starts a new event when its reason changes (nodes came, went or fell sick): the newest is current.
    failed.sort(key=lambda e: e.last or e.first or snapshot.at, reverse=True)
    messages = [(e.source, e.detail) for e in failed]
    condition = pod.conditions.get("PodScheduled") or {}
    if condition.get("status") == "False" and condition.get("message"):
        messages.append(
            (f"{pod.ref()}/status.conditions[PodScheduled]", f"{condition.get('reason', '')}: {condition['message']}")
        )
    return messages


def _counts(message: str) -> tuple[int, int, int, set[str]]:
    """Nodes short of resources, nodes excluded by the pod's constraints, nodes excluded as sick; resources."""
    # Since 1.24 the message ends with "preemption: 0/N nodes are available: ..." which repeats some reasons.
    message = _PREEMPTION.split(message, maxsplit=1)[0]
    resources: set[str] = set()
    short = 0
    for match in _INSUFFICIENT.finditer(message):
        short += int(match.group(1) or match.group(4))
        resources.add(match.group(2) or match.group(3) or "pods")
    constrained = sum(_count(m) for m in _MISMATCH.finditer(message))
    constrained += sum(_count(m) for m in _ANON_TAINT.finditer(message))
    condition = control_plane = 0
    for match in _TAINT.finditer(message):
        key = match.group(2).strip()
        if key.startswith(_CONDITION_PREFIXES):
            condition += int(match.group(1))
        elif key.startswith(_CONTROL_PLANE):
            control_plane += int(match.group(1))
        else:
            constrained += int(match.group(1))
    if control_plane and not (short or constrained or condition):
        constrained = control_plane  # only control-plane nodes exist (a single-node cluster): their taint is the block
    return short, constrained, condition, resources


def _count(match: re.Match[str]) -> int:
    return int(next(g for g in match.groups() if g))


def _requests(pod: Pod) -> str:
    parts = []
    for container in dicts(pod.spec.get("containers")):
        resources = container.get("resources")
        requests = resources.get("requests") if isinstance(resources, dict) else None
        if isinstance(requests, dict) and requests:
            parts.append(f"{container.get('name')}: " + ", ".join(f"{k}={v}" for k, v in requests.items()))
    return "; ".join(parts)
