"""Verification of a pod fix whose pod a StatefulSet, DaemonSet or Job owns: the workload is judged, not the pod by
its name (a DaemonSet's or a Job's replacement pod has a new one; a StatefulSet's keeps it, but the StatefulSet is
healthy only when all its replicas are).

- StatefulSet: ``readyReplicas == spec.replicas``, ``currentRevision == updateRevision`` when both are set, and its
  pods (its own, among those its selector matches) Ready and not restarted since the fix (`verify.pod_why`).
- DaemonSet: ``numberReady == desiredNumberScheduled``, ``numberUnavailable`` 0, and its pods as above.
- Job (a CronJob's pod: the Job of the run whose pod was restarted): failed (a ``Failed`` condition: its
  backoffLimit or deadline reached) is unhealthy; active or succeeded is healthy; neither (no pod running, none
  succeeded) is not.

The target names the workload as ``owner``: "DaemonSet/node-agent" (`workloads.with_pod_owner` sets it).
"""

from __future__ import annotations

from datetime import datetime

from pagerless.domain.phrases import Phrase
from pagerless.kube.clients import KubeClients
from pagerless.remediation.check_phrases import check

# the kinds of pod owner verification judges as a workload here, and the name `check_phrases.unreadable` gives each
KINDS = {"StatefulSet": "statefulset", "DaemonSet": "daemonset", "Job": "job"}


def check_owner(kube: KubeClients, namespace: str, owner: str, since: datetime):
    """The `verify.VerificationResult` of the workload ``owner`` ("DaemonSet/node-agent") in ``namespace``."""
    from kubernetes.client.exceptions import ApiException

    from pagerless.remediation.verify import _unhealthy, pod_summary, pod_why

    kind, _, name = owner.partition("/")
    workload = f"{kind}/{namespace}/{name}"
    try:
        obj = kube.call(_reader(kube, kind), name, namespace)
        pods = [] if kind == "Job" else _own_pods(kube, namespace, kind, obj)
    except ApiException as exc:
        return _unhealthy([check("unreadable", kind=KINDS[kind], name=f"{namespace}/{name}", status=exc.status)])
    status = obj.get("status") or {}
    if kind == "Job":
        why = job_why(obj, workload)
        counts = {k: status.get(k, 0) for k in ("active", "succeeded", "failed")}
        return _unhealthy(why, {"workload": workload, **counts})
    why = (statefulset_why if kind == "StatefulSet" else daemonset_why)(obj, workload) + pod_why(pods, since)
    details = {
        "workload": workload,
        **_counts(kind, obj),
        "pods": {p["metadata"]["name"]: pod_summary(p) for p in pods},
    }
    return _unhealthy(why, details)


def _reader(kube: KubeClients, kind: str):
    if kind == "StatefulSet":
        return kube.apps.read_namespaced_stateful_set
    if kind == "DaemonSet":
        return kube.apps.read_namespaced_daemon_set
    return kube.batch.read_namespaced_job


def _own_pods(kube: KubeClients, namespace: str, kind: str, obj: dict) -> list[dict]:
    """The workload's pods: those its selector matches whose controller it is (another workload's pods may carry
    the same labels)."""
    from pagerless.remediation.workloads import controller_of, selector_string

    listed = kube.call(kube.core.list_namespaced_pod, namespace, label_selector=selector_string(obj) or None)
    return [p for p in listed["items"] if controller_of(p) == (kind, obj["metadata"]["name"])]


def _counts(kind: str, obj: dict) -> dict:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "StatefulSet":
        return {
            "replicas": spec.get("replicas", 1),
            "ready_replicas": status.get("readyReplicas", 0),
            "current_revision": status.get("currentRevision"),
            "update_revision": status.get("updateRevision"),
        }
    return {
        "desired": status.get("desiredNumberScheduled", 0),
        "ready": status.get("numberReady", 0),
        "unavailable": status.get("numberUnavailable", 0),
    }


def statefulset_why(obj: dict, workload: str) -> list[Phrase]:
    """Why the StatefulSet is not healthy: replicas not all Ready, a rollout not at its update revision."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    wanted, ready = spec.get("replicas", 1), status.get("readyReplicas", 0)
    reasons = [] if ready == wanted else [check("replicas_not_ready", workload=workload, ready=ready, wanted=wanted)]
    current, update = status.get("currentRevision"), status.get("updateRevision")
    if current and update and current != update:
        reasons.append(check("revision_pending", workload=workload, current=current, update=update))
    return reasons


def daemonset_why(obj: dict, workload: str) -> list[Phrase]:
    """Why the DaemonSet is not healthy: not Ready on every node it should run on, or unavailable somewhere."""
    status = obj.get("status") or {}
    desired, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
    unavailable = status.get("numberUnavailable", 0)
    if ready == desired and not unavailable:
        return []
    return [check("daemonset_not_ready", workload=workload, ready=ready, desired=desired, unavailable=unavailable)]


def job_why(obj: dict, workload: str) -> list[Phrase]:
    """Why the Job is not healthy: it failed, or it has no pod running and none succeeded."""
    status = obj.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    if failed := conditions.get("Failed"):
        return [
            check(
                "job_failed",
                workload=workload,
                reason=failed.get("reason") or "Failed",
                message=failed.get("message") or "",
            )
        ]
    if "Complete" in conditions or status.get("succeeded", 0) or status.get("active", 0):
        return []
    return [check("job_not_running", workload=workload, failed=status.get("failed", 0))]
