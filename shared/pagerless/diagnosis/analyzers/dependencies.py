"""What a log line's host is inside the cluster: its pods, its Deployment, whether it is healthy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pagerless.diagnosis.analyzers.base import evidence
from pagerless.diagnosis.evidence_phrases import said
from pagerless.diagnosis.models import Evidence
from pagerless.diagnosis.snapshot import Pod, Snapshot

_SERVICE_SUFFIX = re.compile(r"-(?:svc|service|headless|primary|master|leader|rw|ro|lb|internal|\d+)$")


def same_service(host: str, workload: str) -> bool:
    """Whether a host name's first label names the workload ("orders-db-svc" and "orders-db", "pg-0" and "pg")."""
    if not host or not workload:
        return False
    return host == workload or _SERVICE_SUFFIX.sub("", host) == _SERVICE_SUFFIX.sub("", workload)


# the remediations that bring a dependency back: for a dependency that is down both plan as the one scale-back
# (`remediation.dependency`), so a diagnosis lists one
RESTORING = ("restore_dependency", "scale_deployment")


def restoring_once(category: str, target: dict[str, str], remediations: list[str]) -> list[str]:
    """``remediations`` of a diagnosis, listing ``restore_dependency`` once, where the first of `RESTORING` stood,
    when the diagnosis blames a dependency of its target (``dependency_unavailable`` naming a ``dependency``)."""
    if category != "dependency_unavailable" or not target.get("dependency"):
        return remediations
    said = ["restore_dependency" if r in RESTORING else r for r in remediations]
    return list(dict.fromkeys(said))


@dataclass
class DependencyState:
    host: str
    namespace: str = ""
    known: bool = False  # a workload of that name exists in the snapshot
    healthy: bool = False  # every pod Running and Ready, none restarting recently
    scaled_to_zero: bool = False
    deployment: str = ""  # the Deployment serving the host, when one does
    evidence: list[Evidence] = field(default_factory=list)


def dependency_state(snapshot: Snapshot, host: str, namespace: str) -> DependencyState:
    """Look the host up among workloads (same namespace first) and judge its health."""
    state = DependencyState(host=host)
    if not host:
        return state
    pods = _pods_named(snapshot, host, namespace)
    deployment = snapshot.deployment(namespace, host) or next(
        (d for d in sorted(snapshot.deployments, key=lambda d: d.namespace != namespace) if same_service(host, d.name)),
        None,
    )
    if deployment is not None:
        state.known, state.namespace, state.deployment = True, deployment.namespace, deployment.name
        if deployment.replicas == 0:
            state.scaled_to_zero = True
            state.evidence.append(evidence(f"deployment {deployment.namespace}/{deployment.name}/spec.replicas", "0"))
        elif deployment.available == 0:
            state.evidence.append(
                evidence(
                    f"deployment {deployment.namespace}/{deployment.name}/status",
                    f"replicas={deployment.replicas} readyReplicas={deployment.ready} "
                    f"availableReplicas={deployment.available}",
                )
            )
    if pods:
        state.known, state.namespace = True, pods[0].namespace
        state.healthy = all(_pod_healthy(p) for p in pods) and not state.scaled_to_zero
        for pod in pods:
            if not _pod_healthy(pod):
                state.evidence.append(evidence(f"{pod.ref()}/status", _pod_status_line(pod)))
                break
    elif state.known and not state.scaled_to_zero:
        state.evidence.append(said(f"pods {namespace}/{host}", "no_pods_for_workload"))
    return state


def _pods_named(snapshot: Snapshot, host: str, namespace: str) -> list[Pod]:
    named = [p for p in snapshot.pods if same_service(host, p.workload) or same_service(host, p.app)]
    same_ns = [p for p in named if p.namespace == namespace]
    return same_ns or named


def _pod_healthy(pod: Pod) -> bool:
    if pod.phase != "Running" or not pod.containers:
        return False
    return all(c.ready and c.running for c in pod.containers)


def _pod_status_line(pod: Pod) -> str:
    parts = [f"phase={pod.phase}"]
    for c in pod.containers:
        reason = c.waiting.get("reason") or c.terminated.get("reason") or ("running" if c.running else "")
        last = c.last_terminated.get("reason")
        parts.append(
            f"{c.name}: ready={c.ready} state={reason} restarts={c.restart_count}"
            + (f" lastState={last}" if last else "")
        )
    return " ".join(parts)
