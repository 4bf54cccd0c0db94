"""What the sandbox's StatefulSet, DaemonSet and Job controllers do when one of their pods is evicted or deleted,
instantly: the pod is replaced and the workload's status counts its pods again.

- A StatefulSet's pod comes back under the same name (``<sts>-<ordinal>``), on the same node.
- A DaemonSet's pod comes back under a new name (``<ds>-<5 chars>``), on the same node (one pod per node).
- A Job's pod comes back under a new name (``<job>-<5 chars>``) while the Job has neither completed nor failed;
  a restarted pod counts in ``status.failed`` as the Job controller counts a pod that did not succeed.
Replacement pods are Ready with restartCount 0. A CronJob (batch/v1) is served as recorded and never schedules.
"""

import copy

from pagerless.local.sandbox.controller import emit_event
from pagerless.local.sandbox.failures import healthy_status, is_pod_ready
from pagerless.local.sandbox.store import SANDBOX_LABEL, ClusterState

# the pod controllers this module plays, by the kind in a pod's ownerReferences
RESOURCE_OF = {"StatefulSet": "statefulsets", "DaemonSet": "daemonsets", "Job": "jobs"}


def controller_ref(pod: dict) -> dict | None:
    refs = pod["metadata"].get("ownerReferences") or []
    return next((r for r in refs if r.get("controller")), refs[0] if refs else None)


def pods_of(state: ClusterState, workload: dict) -> list[dict]:
    meta = workload["metadata"]
    return [
        p
        for p in state.list("pods", meta["namespace"])
        if (ref := controller_ref(p)) and ref.get("kind") == workload["kind"] and ref.get("name") == meta["name"]
    ]


def replace_pod(state: ClusterState, pod: dict) -> bool:
    """Replace ``pod`` if a StatefulSet, DaemonSet or Job the sandbox holds owns it; True when one does."""
    ref = controller_ref(pod)
    resource = RESOURCE_OF.get((ref or {}).get("kind", ""))
    workload = state.find(resource, pod["metadata"]["namespace"], ref["name"]) if resource else None
    if workload is None:
        return False
    if resource != "jobs" or not _finished(workload):
        _create_like(state, workload, pod)
    if resource == "jobs":
        workload.setdefault("status", {})["failed"] = workload["status"].get("failed", 0) + 1
    refresh_status(state, workload)
    return True


def _create_like(state: ClusterState, workload: dict, gone: dict) -> dict:
    meta = workload["metadata"]
    template = copy.deepcopy((workload.get("spec") or {}).get("template") or {})
    name = gone["metadata"]["name"] if workload["kind"] == "StatefulSet" else f"{meta['name']}-{state.unique_suffix()}"
    spec = template.get("spec") or copy.deepcopy(gone.get("spec") or {})
    node = (gone.get("spec") or {}).get("nodeName") or "sandbox-node-1"
    spec["nodeName"] = node
    labels = (template.get("metadata") or {}).get("labels") or gone["metadata"].get("labels") or {}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": {**labels, SANDBOX_LABEL: "true"},
            "annotations": {SANDBOX_LABEL: "true"},
            "ownerReferences": copy.deepcopy(gone["metadata"].get("ownerReferences") or []),
        },
        "spec": spec,
    }
    if workload["kind"] != "StatefulSet":
        pod["metadata"]["generateName"] = f"{meta['name']}-"
    state.put("pods", pod)
    pod["status"] = healthy_status(pod, node)
    emit_event(state, workload, "SuccessfulCreate", f"Created pod: {name}")
    return pod


def _finished(job: dict) -> bool:
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or []
    )


def refresh_status(state: ClusterState, workload: dict) -> None:
    """The workload's status counted from its pods, as its controller writes it."""
    pods = pods_of(state, workload)
    ready = sum(is_pod_ready(p) for p in pods)
    status = workload.setdefault("status", {})
    if workload["kind"] == "StatefulSet":
        status.update(
            replicas=len(pods),
            readyReplicas=ready,
            availableReplicas=ready,
            currentReplicas=len(pods),
            updatedReplicas=len(pods),
        )
    elif workload["kind"] == "DaemonSet":
        desired = status.get("desiredNumberScheduled", len(pods))
        status.update(
            currentNumberScheduled=len(pods),
            updatedNumberScheduled=len(pods),
            numberReady=ready,
            numberAvailable=ready,
        )
        if desired - ready > 0:
            status["numberUnavailable"] = desired - ready
        else:
            status.pop("numberUnavailable", None)
    else:
        running = [p for p in pods if (p.get("status") or {}).get("phase") in ("Pending", "Running")]
        status["active"] = len(running)
        status["ready"] = sum(is_pod_ready(p) for p in running)
        if not status["active"]:
            status.pop("active")
    if workload["kind"] != "Job":
        status["observedGeneration"] = workload["metadata"].get("generation", 1)
    state.put(RESOURCE_OF[workload["kind"]], workload)
