"""What a log line's host is inside the cluster: its pods, its Deployment, whether it is healthy."""

from __future__ import annotations

from dataclasses import dataclass, field

from pagerless.diagnosis.analyzers.base import evidence
from pagerless.diagnosis.models import Evidence
from pagerless.diagnosis.snapshot import Pod, Snapshot


@dataclass
class DependencyState:
    host: str
    namespace: str = ""
    known: bool = False  # a workload of that name exists in the snapshot
    healthy: bool = False  # every pod Running and Ready, none restarting recently
    scaled_to_zero: bool = False
    evidence: list[Evidence] = field(default_factory=list)


def dependency_state(snapshot: Snapshot, host: str, namespace: str) -> DependencyState:
    """Look the host up among workloads (same namespace first) and judge its health."""
    state = DependencyState(host=host)
    if not host:
        return state
    pods = _pods_named(snapshot, host, namespace)
    deployment = snapshot.deployment(namespace, host) or next(
        (d for d in snapshot.deployments if d.name == host), None)
    if deployment is not None:
        state.known, state.namespace = True, deployment.namespace
        if deployment.replicas == 0:
            state.scaled_to_zero = True
            state.evidence.append(evidence(f"deployment {deployment.namespace}/{deployment.name}/spec.replicas", "0"))
        elif deployment.available == 0:
            state.evidence.append(evidence(
                f"deployment {deployment.namespace}/{deployment.name}/status",
                f"replicas={deployment.replicas} readyReplicas={deployment.ready} "
                f"availableReplicas={deployment.available}"))
    if pods:
        state.known, state.namespace = True, pods[0].namespace
        state.healthy = all(_pod_healthy(p) for p in pods) and not state.scaled_to_zero
        for pod in pods:
            if not _pod_healthy(pod):
                state.evidence.append(evidence(f"{pod.ref()}/status", _pod_status_line(pod)))
                break
    elif state.known and not state.scaled_to_zero:
        state.evidence.append(evidence(f"pods {namespace}/{host}", "no pods found for the workload"))
    return state


def _pods_named(snapshot: Snapshot, host: str, namespace: str) -> list[Pod]:
    same_ns = [p for p in snapshot.pods if p.namespace == namespace and (p.workload == host or p.app == host)]
    return same_ns or [p for p in snapshot.pods if p.workload == host or p.app == host]


def _pod_healthy(pod: Pod) -> bool:
    if pod.phase != "Running" or not pod.containers:
        return False
    return all(c.ready and c.running for c in pod.containers)


def _pod_status_line(pod: Pod) -> str:
    parts = [f"phase={pod.phase}"]
    for c in pod.containers:
        reason = c.waiting.get("reason") or c.terminated.get("reason") or ("running" if c.running else "")
        last = c.last_terminated.get("reason")
        parts.append(f"{c.name}: ready={c.ready} state={reason} restarts={c.restart_count}"
                     + (f" lastState={last}" if last else ""))
    return " ".join(parts)
