"""Did the fix work? Checks of what an action promised and of the workload, read through the client.

A workload is healthy when the rollout is complete (observedGeneration current, updatedReplicas ==
replicas == availableReplicas == spec.replicas), every pod of its ReplicaSets is Ready, and no
container restarted since the action (a pod created since then with restarts, or a container
whose last termination finished since then).

``check_action`` is what the incident workflow verifies: a node action (``cordon_node``,
``drain_node``) by what it promised (the node unschedulable, or schedulable for an uncordon; for a
drain also no evictable pod left on it, as ``drain.check_drained`` defines it) and, when the plan's
target names a workload too (the alert's), that workload's health; any other action by the workload.
A pod fix is judged by the pod's owner read from the cluster: its Deployment here, a StatefulSet,
DaemonSet or Job in `verify_owners` (a restarted pod of those may come back under a new name); only
a pod no workload owns is read by its name.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from pagerless.clock import parse_time
from pagerless.domain.phrases import Phrase
from pagerless.kube.clients import KubeClients
from pagerless.remediation.actions import ActionPlan, CordonNode, DrainNode
from pagerless.remediation.check_phrases import check, english
from pagerless.remediation.planner import target_names
from pagerless.remediation.verify_owners import KINDS as OWNER_KINDS
from pagerless.remediation.verify_owners import check_owner
from pagerless.remediation.workloads import controller_of, deployment_of_pod, owned_replicasets, selector_string


class VerificationResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    healthy: bool
    reasons: list[str] = Field(default_factory=list)  # why not healthy (empty when healthy)
    # each reason as data (`check_phrases`), None for one quoted as found (a drain's); not in a dump
    why: list[Phrase | None] = Field(default_factory=list, exclude=True)
    details: dict = Field(default_factory=dict)
    summary: str = ""  # what was found to hold, when healthy ("node x is cordoned"); empty: a workload


def check_action(
    kube: KubeClients, plan: ActionPlan, since: datetime, target: dict[str, str] | None = None
) -> VerificationResult:
    """Check what ``plan``'s action promised and the workload its ``target`` (default: the plan's) names."""
    target = _with_owner(plan, plan.target if target is None else target)
    action = plan.action
    if not isinstance(action, (CordonNode, DrainNode)):
        return check_workload(kube, target, since)
    node = check_node(kube, action)
    namespace, deployment, pod, _ = target_names(target)
    if not namespace or not (deployment or pod):
        return node.model_copy(update={"details": {"node": node.details}})
    workload = check_workload(kube, target, since)
    details = workload.details
    what = f"{details.get('deployment') or details.get('workload') or f'pod {namespace}/{pod}'} is healthy"
    return VerificationResult(
        healthy=node.healthy and workload.healthy,
        reasons=node.reasons + workload.reasons,
        why=_aligned(node) + _aligned(workload),
        details={**workload.details, "node": node.details},
        summary=f"{node.summary} and {what}",
    )


def _with_owner(plan: ActionPlan, target: dict[str, str]) -> dict[str, str]:
    """``target`` naming the pod's owner when the plan read a StatefulSet, DaemonSet or Job as its owner but the
    target does not name it (a plan stored before targets named owners)."""
    kind = (plan.pod_owner or "").partition("/")[0]
    if "owner" in target or kind not in OWNER_KINDS or target.get("pod") != getattr(plan.action, "pod", None):
        return target
    return {**target, "owner": plan.pod_owner}


def check_node(kube: KubeClients, action: CordonNode | DrainNode) -> VerificationResult:
    """A cordon: the node is unschedulable (an uncordon: schedulable). A drain: ``drain.check_drained``."""
    from kubernetes.client.exceptions import ApiException

    from pagerless.remediation.drain import check_drained

    if isinstance(action, DrainNode):
        drained = check_drained(kube, action.node)
        reasons = [] if drained["ok"] else [drained["message"]]
        # its one reason joins its parts' phrases (schedulable, pods left): a Chinese line says each of them
        why = [] if drained["ok"] or not drained.get("said") else [check("parts", parts=drained["said"])]
        return VerificationResult(
            healthy=drained["ok"], reasons=reasons, why=why, details=drained["details"], summary=drained["message"]
        )
    try:
        obj = kube.call(kube.core.read_node, action.node)
    except ApiException as exc:
        return _unhealthy([check("unreadable", kind="node", name=action.node, status=exc.status)])
    unschedulable = bool(obj.get("spec", {}).get("unschedulable"))
    details = {"unschedulable": unschedulable}
    if unschedulable == action.unschedulable:
        state = "cordoned" if unschedulable else "schedulable"
        return VerificationResult(healthy=True, details=details, summary=f"node {action.node} is {state}")
    code = "cordon_not_held" if action.unschedulable else "uncordon_not_held"
    return _unhealthy([check(code, node=action.node)], details)


def check_workload(kube: KubeClients, target: dict[str, str], since: datetime) -> VerificationResult:
    """Check the Deployment named by ``target`` (or owning its pod) and its pods (those of its own
    ReplicaSets, not every pod its selector matches), as of now; when the target names the pod's ``owner`` a
    StatefulSet, DaemonSet or Job, that workload (`verify_owners`); a pod no workload owns, the pod."""
    from kubernetes.client.exceptions import ApiException

    namespace, deployment, pod, _ = target_names(target)
    owner = target.get("owner") or ""
    if namespace and owner.partition("/")[0] in OWNER_KINDS:
        return check_owner(kube, namespace, owner, since)  # a StatefulSet's, DaemonSet's or Job's pod
    if namespace and not deployment and pod:
        deployment = deployment_of_pod(kube, namespace, pod)
    if not namespace or not deployment:
        return _check_bare_pod(kube, namespace, pod, since)
    try:
        obj = kube.call(kube.apps.read_namespaced_deployment, deployment, namespace)
        pods = kube.call(kube.core.list_namespaced_pod, namespace, label_selector=selector_string(obj) or None)["items"]
        # its own pods: the selector also matches a canary's or another workload's with the same labels
        # (ReplicaSets listed after the pods: a pod listed has its ReplicaSet listed too)
        own = {rs["metadata"]["name"] for rs in owned_replicasets(kube, obj)}
        pods = [p for p in pods if (owner := controller_of(p)) and owner[0] == "ReplicaSet" and owner[1] in own]
    except ApiException as exc:
        return _unhealthy([check("unreadable", kind="deployment", name=f"{namespace}/{deployment}", status=exc.status)])
    reasons = rollout_why(obj) + pod_why(pods, since)
    status = obj.get("status", {})
    details = {
        "deployment": f"{namespace}/{deployment}",
        "replicas": obj["spec"].get("replicas", 1),
        "ready_replicas": status.get("readyReplicas", 0),
        "updated_replicas": status.get("updatedReplicas", 0),
        "available_replicas": status.get("availableReplicas", 0),
        "pods": {p["metadata"]["name"]: pod_summary(p) for p in pods},
    }
    return _unhealthy(reasons, details)


def _unhealthy(why: list[Phrase], details: dict | None = None) -> VerificationResult:
    """A result from the reasons found (healthy when there are none): each in English and as its phrase."""
    return VerificationResult(healthy=not why, reasons=[english(w) for w in why], why=why, details=details or {})


def _aligned(result: VerificationResult) -> list[Phrase | None]:
    return list(result.why) if len(result.why) == len(result.reasons) else [None] * len(result.reasons)


def rollout_reasons(deployment: dict) -> list[str]:
    """Why the Deployment's rollout is not complete, if it is not."""
    return [english(w) for w in rollout_why(deployment)]


def rollout_why(deployment: dict) -> list[Phrase]:
    """`rollout_reasons` as phrases."""
    spec, status, meta = deployment.get("spec", {}), deployment.get("status", {}), deployment["metadata"]
    wanted = spec.get("replicas", 1)
    reasons = []
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        reasons.append(
            check("not_observed", generation=meta.get("generation"), observed=status.get("observedGeneration", 0))
        )
    counts = {k: status.get(k, 0) for k in ("replicas", "updatedReplicas", "availableReplicas")}
    if any(count != wanted for count in counts.values()):
        reasons.append(check("rollout_incomplete", counts=counts, wanted=wanted))
    return reasons


# Why the node, not the workload, ended a pod (the kubelet's status.reason): eviction under node
# pressure, preemption, a graceful node shutdown. Its controller has replaced it; the pod stays listed,
# phase Failed, until the pod garbage collector removes it.
_REMOVED_BY_NODE = frozenset({"Evicted", "Preempting", "Shutdown", "NodeShutdown", "Terminated"})


def pod_reasons(pods: list[dict], since: datetime) -> list[str]:
    """Pods not Ready, or restarted since ``since`` (a pod the node removed, left behind, is history)."""
    return [english(w) for w in pod_why(pods, since)]


def pod_why(pods: list[dict], since: datetime) -> list[Phrase]:
    """`pod_reasons` as phrases."""
    reasons = []
    for pod in pods:
        status = pod.get("status") or {}
        if status.get("phase") == "Failed" and status.get("reason") in _REMOVED_BY_NODE:
            continue
        name = pod["metadata"]["name"]
        if not _ready(pod):
            reasons.append(check("pod_not_ready", pod=name, state=pod_summary(pod)["state"]))
        for status in pod.get("status", {}).get("containerStatuses") or []:
            if _restarted_since(pod, status, since):
                last = ((status.get("lastState") or {}).get("terminated") or {}).get("reason", "restart")
                count = status.get("restartCount", 0)
                reasons.append(check("container_restarted", pod=name, container=status["name"], last=last, count=count))
    return reasons


def pod_summary(pod: dict) -> dict:
    statuses = pod.get("status", {}).get("containerStatuses") or []
    waiting = [
        s["state"]["waiting"].get("reason", "Waiting") for s in statuses if (s.get("state") or {}).get("waiting")
    ]
    return {
        "ready": _ready(pod),
        "phase": pod.get("status", {}).get("phase"),
        "restarts": sum(s.get("restartCount", 0) for s in statuses),
        "state": waiting[0] if waiting else pod.get("status", {}).get("phase", "Unknown"),
    }


def _check_bare_pod(kube: KubeClients, namespace: str | None, pod: str | None, since: datetime) -> VerificationResult:
    from kubernetes.client.exceptions import ApiException

    if not namespace or not pod:
        return _unhealthy([check("no_target")])
    try:
        obj = kube.call(kube.core.read_namespaced_pod, pod, namespace)
    except ApiException as exc:
        return _unhealthy([check("unreadable", kind="pod", name=f"{namespace}/{pod}", status=exc.status)])
    return _unhealthy(pod_why([obj], since), {"pods": {pod: pod_summary(obj)}})


def _ready(pod: dict) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in pod.get("status", {}).get("conditions") or []
    )


def _restarted_since(pod: dict, status: dict, since: datetime) -> bool:
    # API timestamps have whole seconds: compare at that resolution, so "in the same second" counts
    floor = since.replace(microsecond=0)
    finished = parse_time(((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
    if finished is not None and finished >= floor:
        return True
    created = parse_time(pod["metadata"].get("creationTimestamp"))
    return bool(status.get("restartCount", 0)) and created is not None and created >= floor
