"""Fixing a dependency that is down, where it is down.

A ``dependency_unavailable`` finding is about the caller (its pods log the refused connections) and names the
dependency in its target: ``dependency`` (the host the caller dials) and, when a Deployment serves that host,
``dependency_namespace`` and ``dependency_deployment`` (the analyzers find it in the cluster; for a diagnosis that
names only the host, `catalogued_dependency` reads it from the service catalog's dependency entry). Nothing the caller's Deployment can be given (more replicas,
a restart) brings the dependency back, so every remediation of such a diagnosis is planned on the dependency:

- scaled to zero (``spec.replicas`` 0 in the cluster now): scale it back to what it ran before, as the cluster tells
  it (`previous_replicas`), else to 1, and the plan's reason says which;
- down for another reason (crashing, not ready, no endpoints): no automatic fix, with the reason; the dependency's
  own diagnosis (its own incident) calls for its fix;
- no Deployment Pagerless can read: no automatic fix, a human brings it back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# RESTORING: the remediations that bring a dependency back; any other is not run on the caller for its outage
from pagerless.diagnosis.analyzers.dependencies import RESTORING, same_service
from pagerless.kube.annotations import DESIRED_REPLICAS, LAST_APPLIED, REVISION
from pagerless.remediation.actions import ActionPlan, NoAction, Risk, ScaleDeployment, not_a_name
from pagerless.remediation.reasons import not_planned, reason
from pagerless.remediation.service_scope import ServiceScope

# the deployment controller's event for a scale-down (Kubernetes 1.26+ says the count it scaled from)
_SCALED_DOWN = re.compile(r"^Scaled down replica set (\S+) to 0 from (\d+)$")


@dataclass(frozen=True)
class Previous:
    """A replica count the cluster records for a Deployment from before it was scaled to zero, and where from
    (``source``: hpa_min, scaled_down_event, last_applied, replicaset, none; ``detail``: the object that says it)."""

    replicas: int
    source: str
    detail: str = ""


def dependency_target(target: dict[str, str]) -> dict[str, str] | None:
    """The dependency's Deployment as a target ({"kind": "Deployment", "namespace", "name", "deployment"}), when a
    caller's finding names it; None otherwise."""
    deployment, namespace = target.get("dependency_deployment"), target.get("dependency_namespace")
    if not deployment or not namespace:
        return None
    return {"kind": "Deployment", "namespace": namespace, "name": deployment, "deployment": deployment}


def catalogued_dependency(target: dict[str, str], scope: ServiceScope) -> dict[str, str]:
    """``target`` naming the Deployment of the dependency it names, from the service catalog, when it names the
    dependency (a host) but not its Deployment, as a Claude diagnosis may (the analyzers find it in the cluster): the
    incident's service's dependency the catalog lists under that host's name ("cart-redis" for
    "cart-redis.shop.svc.cluster.local:6379"), its Deployment the one its own catalog entry lists (the dependency's
    name when it lists none), in the dependency's catalogued namespace, else the service's, else the caller's.
    ``target`` as it is when it names its Deployment already, or the catalog does not say."""
    host = target.get("dependency") or ""
    name = host.split("://")[-1].split(":")[0].split(".")[0]
    if not name or dependency_target(target):
        return target
    listed = next((d for d in scope.dependencies if same_service(name, d)), None)
    if listed is None:
        return target
    workloads = scope.workloads.get(listed) or []
    deployments = [w.partition("/")[2] for w in workloads if w.startswith("Deployment/")]
    if workloads and len(deployments) != 1:  # the dependency's entry lists no Deployment, or several: which one?
        return target
    namespace = scope.catalog.get(listed) or scope.catalog.get(scope.service or "") or target.get("namespace")
    if not namespace:
        return target
    deployment = deployments[0] if deployments else listed
    return {**target, "dependency_namespace": namespace, "dependency_deployment": deployment}


def is_dependency_outage(category: str, target: dict[str, str]) -> bool:
    """Whether a diagnosis blames a dependency of its target (the caller) rather than the target itself."""
    return category == "dependency_unavailable" and bool(target.get("dependency"))


def previous_replicas(
    deployment: dict, replicasets: list[dict], hpas: list[dict], events: list[dict] | None = None
) -> Previous:
    """What ``deployment`` ran before it was scaled to zero, from the most trustworthy record the cluster keeps:

    1. an HPA's ``minReplicas``: the autoscaler owns the count and stops acting at zero; its minimum hands the
       count back to it, and it scales on from there;
    2. the deployment controller's newest ``ScalingReplicaSet`` event for it, "Scaled down replica set … to 0 from
       N": exactly what ran before the scale-down (events expire, an hour by default);
    3. ``kubectl.kubernetes.io/last-applied-configuration``'s ``spec.replicas`` (above 0): the count its owner
       declared in the last ``kubectl apply``;
    4. the ReplicaSet history: ``deployment.kubernetes.io/desired-replicas`` (above 0) of the newest ReplicaSet
       (by ``deployment.kubernetes.io/revision``) that records one: the count of its last rollout;
    5. nothing tells: 1, the smallest count that serves.
    """
    for hpa in hpas:
        minimum = _count((hpa.get("spec") or {}).get("minReplicas", 1))
        if minimum:
            return Previous(minimum, "hpa_min", hpa.get("metadata", {}).get("name", ""))
    if scaled := _scaled_down(deployment, events or []):
        return scaled
    annotations = deployment.get("metadata", {}).get("annotations") or {}
    try:
        applied = json.loads(annotations.get(LAST_APPLIED) or "{}")
    except ValueError:
        applied = {}
    declared = _count((applied.get("spec") or {}).get("replicas")) if isinstance(applied, dict) else None
    if declared:
        return Previous(declared, "last_applied")
    for rs in sorted(replicasets, key=_revision, reverse=True):
        desired = _count((rs.get("metadata", {}).get("annotations") or {}).get(DESIRED_REPLICAS))
        if desired:
            return Previous(desired, "replicaset", rs["metadata"].get("name", ""))
    return Previous(1, "none")


def plan_dependency(remediation: str, target: dict[str, str], dependency, *, limits) -> ActionPlan | NoAction:
    """The plan of ``remediation`` for a caller whose dependency is down: on the dependency, never on the caller.
    ``dependency``: the dependency's `planner.Workload` (empty when it could not be read)."""
    caller = target.get("deployment") or target.get("workload") or target.get("name") or ""
    host = target.get("dependency", "")
    if remediation not in RESTORING:
        return not_planned(remediation, "dependency_not_caller", caller=caller, dependency=host)
    named = dependency_target(target)
    if named is None or dependency.deployment is None:
        return not_planned(remediation, "dependency_not_readable", caller=caller, dependency=host)
    namespace, name = named["namespace"], named["deployment"]
    if not_a_name(namespace=namespace, deployment=name):
        return not_planned(remediation, "dependency_not_readable", caller=caller, dependency=host)
    spec = dependency.deployment.get("spec") or {}
    current = _count(spec.get("replicas", 1))
    if current != 0:
        status = dependency.deployment.get("status") or {}
        return not_planned(
            remediation,
            "dependency_not_scaled_down",
            caller=caller,
            namespace=namespace,
            deployment=name,
            replicas=current,
            available=status.get("availableReplicas") or 0,
        )
    previous = previous_replicas(dependency.deployment, dependency.replicasets, dependency.hpas, dependency.events)
    wanted = min(previous.replicas, limits.max_replicas)
    action = ScaleDeployment(namespace=namespace, deployment=name, replicas=wanted)
    why = reason(
        "scale_dependency_back",
        caller=caller,
        deployment=name,
        wanted=wanted,
        source=previous.source,
        detail=previous.detail,
        capped=wanted < previous.replicas,
    )
    return ActionPlan.of(
        action,
        "restore_dependency",
        why,
        risk=Risk.LOW,
        inverse=None,  # scaling it back to zero would only restore the outage: a failed check escalates to a person
        target={"namespace": namespace, "deployment": name},
    )


def _scaled_down(deployment: dict, events: list[dict]) -> Previous | None:
    """The count of the newest scale-down to zero the deployment controller recorded for ``deployment``."""
    name = deployment.get("metadata", {}).get("name")
    found = []
    for event in events:
        involved = event.get("involvedObject") or {}
        matched = _SCALED_DOWN.match(str(event.get("message") or "").strip())
        if involved.get("kind") == "Deployment" and involved.get("name") == name and matched and int(matched[2]):
            when = (
                event.get("lastTimestamp")
                or event.get("eventTime")
                or event.get("metadata", {}).get("creationTimestamp")
            )
            found.append((str(when or ""), int(matched[2]), matched[1]))
    if not found:
        return None
    _, count, replicaset = max(found)
    return Previous(count, "scaled_down_event", replicaset)


def _count(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value)
    return None


def _revision(rs: dict) -> int:
    return _count((rs.get("metadata", {}).get("annotations") or {}).get(REVISION)) or 0
