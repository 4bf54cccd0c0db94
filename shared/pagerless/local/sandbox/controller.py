"""What the sandbox's controllers do after a change, instantly: Deployment → ReplicaSets → Pods.

- A Deployment whose pod template changed gets a new ReplicaSet (or, when the template equals an
  older ReplicaSet's, that one is revived with the next revision: a rollback), scaled to
  ``spec.replicas``; older ReplicaSets go to 0 and their pods are gone. Rollouts are instant.
- A ReplicaSet with fewer pods than replicas creates pods named ``<rs>-<5 chars>``; with more, it
  deletes the not-Ready and newest first.
- A new pod is Ready with restartCount 0 unless its Deployment's failure (see ``failures``) still
  holds for the template, in which case it fails as the scenario's pods do.
- New pods go to the first Ready, schedulable node by turns; if the scenario has nodes and none is
  schedulable, they stay Pending. A cordon never moves running pods.
"""

import copy
import hashlib
import json
import math

from pagerless.kube.annotations import REVISION
from pagerless.local.sandbox.failures import copy_logs, failing_status, healthy_status, is_fixed, is_pod_ready
from pagerless.local.sandbox.selectors import matches_label_selector
from pagerless.local.sandbox.store import SANDBOX_LABEL, ClusterState, now_iso

HASH_LABEL = "pod-template-hash"


def owner(obj: dict, kind: str) -> str | None:
    return next((ref["name"] for ref in obj["metadata"].get("ownerReferences") or [] if ref.get("kind") == kind), None)


def _owner_ref(obj: dict) -> dict:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _bare_template(template: dict) -> dict:
    """The template without its pod-template-hash label and null fields: what "equal templates" compares."""
    bare = _without_nulls(copy.deepcopy(template))
    (bare.get("metadata", {}).get("labels") or {}).pop(HASH_LABEL, None)
    return bare


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _revision(obj: dict) -> int:
    return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))


def owned_replicasets(state: ClusterState, deployment: dict) -> list[dict]:
    namespace, name = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
    return sorted((rs for rs in state.list("replicasets", namespace) if owner(rs, "Deployment") == name), key=_revision)


def pods_of(state: ClusterState, replicaset: dict) -> list[dict]:
    name = replicaset["metadata"]["name"]
    return [p for p in state.list("pods", replicaset["metadata"]["namespace"]) if owner(p, "ReplicaSet") == name]


def emit_event(state: ClusterState, obj: dict, reason: str, message: str, kind: str = "Normal") -> None:
    namespace = obj["metadata"].get("namespace", "default")
    now = now_iso()
    state.put(
        "events",
        {
            "metadata": {
                "name": f"{obj['metadata']['name']}.{state.unique_suffix(8)}",
                "namespace": namespace,
                "labels": {SANDBOX_LABEL: "true"},
            },
            "involvedObject": {
                "apiVersion": obj.get("apiVersion"),
                "kind": obj.get("kind"),
                "namespace": namespace,
                "name": obj["metadata"]["name"],
                "uid": obj["metadata"].get("uid"),
            },
            "reason": reason,
            "message": message,
            "type": kind,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": "pagerless-sandbox"},
        },
    )


def rollout(state: ClusterState, deployment: dict) -> None:
    """Make the ReplicaSets and pods match the Deployment's template and replica count."""
    template = _bare_template(deployment["spec"]["template"])
    replicasets = owned_replicasets(state, deployment)
    current = next((rs for rs in replicasets if _bare_template(rs["spec"]["template"]) == template), None)
    top = max([_revision(rs) for rs in replicasets] + [0])
    if current is None:
        current = _new_replicaset(state, deployment, template, top + 1)
    elif current is not replicasets[-1]:
        current["metadata"].setdefault("annotations", {})[REVISION] = str(top + 1)
    revision = current["metadata"]["annotations"][REVISION]
    deployment["metadata"].setdefault("annotations", {})[REVISION] = revision
    desired = deployment["spec"].get("replicas", 1)
    for rs in owned_replicasets(state, deployment):
        want = desired if rs is current else 0
        if rs["spec"].get("replicas") != want:
            emit_event(state, deployment, "ScalingReplicaSet", f"Scaled replica set {rs['metadata']['name']} to {want}")
        rs["spec"]["replicas"] = want
        sync_replicaset(state, rs)
    refresh_deployment_status(state, deployment)


def _new_replicaset(state: ClusterState, deployment: dict, template: dict, revision: int) -> dict:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    pod_hash = "".join("bcdfghjklmnpqrstvwxz2456789"[int(digest[i : i + 2], 16) % 27] for i in range(0, 20, 2))
    template = copy.deepcopy(template)
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
    selector = copy.deepcopy(deployment["spec"].get("selector") or {"matchLabels": {}})
    selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
    meta = deployment["metadata"]
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{meta['name']}-{pod_hash}",
            "namespace": meta["namespace"],
            "labels": {**template["metadata"]["labels"], SANDBOX_LABEL: "true"},
            "annotations": {REVISION: str(revision), SANDBOX_LABEL: "true"},
            "ownerReferences": [_owner_ref(deployment)],
        },
        "spec": {"replicas": 0, "selector": selector, "template": template},
        "status": {"replicas": 0},
    }
    return state.put("replicasets", rs)


def sync_replicaset(state: ClusterState, replicaset: dict) -> None:
    """Create or delete pods until the ReplicaSet has ``spec.replicas`` of them."""
    pods = pods_of(state, replicaset)
    want = replicaset["spec"].get("replicas", 0)
    newest_first = sorted(pods, key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True)
    surplus = sorted(newest_first, key=is_pod_ready)  # not Ready first, then newest, as the controller does
    for pod in surplus[: max(len(pods) - want, 0)]:
        state.remove("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
        emit_event(state, replicaset, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
    for _ in range(want - len(pods)):
        create_pod(state, replicaset)
    ready = sum(is_pod_ready(p) for p in pods_of(state, replicaset))
    replicaset["status"] = {
        "replicas": len(pods_of(state, replicaset)),
        "fullyLabeledReplicas": len(pods_of(state, replicaset)),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": replicaset["metadata"].get("generation", 1),
    }
    state.put("replicasets", replicaset)


def create_pod(state: ClusterState, replicaset: dict) -> dict:
    namespace = replicaset["metadata"]["namespace"]
    template = copy.deepcopy(replicaset["spec"]["template"])
    deployment_name = owner(replicaset, "Deployment")
    failure = state.failures.get((namespace, deployment_name))
    healthy = is_fixed(failure, template)
    meta = template.get("metadata", {})
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{replicaset['metadata']['name']}-{state.unique_suffix()}",
            "namespace": namespace,
            "generateName": f"{replicaset['metadata']['name']}-",
            "labels": {**(meta.get("labels") or {}), SANDBOX_LABEL: "true"},
            "annotations": {**(meta.get("annotations") or {}), SANDBOX_LABEL: "true"},
            "ownerReferences": [_owner_ref(replicaset)],
        },
        "spec": template.get("spec", {}),
    }
    node = _pick_node(state)
    if node:
        pod["spec"]["nodeName"] = node
    state.put("pods", pod)
    pod["status"] = healthy_status(pod, node) if healthy else failing_status(pod, failure, node)
    copy_logs(state, namespace, pod, failure, healthy)
    emit_event(state, replicaset, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
    if not healthy and node and failure.kind == "oom":
        emit_event(
            state,
            pod,
            "BackOff",
            f"Back-off restarting failed container {failure.container} in pod {pod['metadata']['name']}",
            "Warning",
        )
    return pod


def _pick_node(state: ClusterState) -> str | None:
    nodes = state.list("nodes")
    if not nodes:
        return "sandbox-node-1"
    usable = sorted(
        n["metadata"]["name"]
        for n in nodes
        if not n.get("spec", {}).get("unschedulable")
        and any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in n.get("status", {}).get("conditions", [])
        )
    )
    return usable[state.serial % len(usable)] if usable else None


def refresh_deployment_status(state: ClusterState, deployment: dict) -> None:
    replicasets = owned_replicasets(state, deployment)
    pods = [p for rs in replicasets for p in pods_of(state, rs)]
    current = replicasets[-1] if replicasets else None
    ready = sum(is_pod_ready(p) for p in pods)
    status = {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        "replicas": len(pods),
        "updatedReplicas": len(pods_of(state, current)) if current else 0,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [
            {
                "type": "Available",
                "status": "True" if ready >= deployment["spec"].get("replicas", 1) else "False",
                "lastUpdateTime": now_iso(),
                "reason": "MinimumReplicasAvailable",
            },
            {"type": "Progressing", "status": "True", "lastUpdateTime": now_iso(), "reason": "NewReplicaSetAvailable"},
        ],
    }
    if len(pods) - ready:
        status["unavailableReplicas"] = len(pods) - ready
    deployment["status"] = status
    state.put("deployments", deployment)


def after_pod_removed(state: ClusterState, pod: dict) -> None:
    """Let the pod's ReplicaSet (and Deployment), StatefulSet, DaemonSet or Job replace it; a bare pod stays gone."""
    from pagerless.local.sandbox.pod_controllers import replace_pod

    if replace_pod(state, pod):
        return
    rs_name = owner(pod, "ReplicaSet")
    replicaset = state.find("replicasets", pod["metadata"]["namespace"], rs_name or "")
    if replicaset is None:
        return
    sync_replicaset(state, replicaset)
    deployment = state.find("deployments", pod["metadata"]["namespace"], owner(replicaset, "Deployment") or "")
    if deployment is not None:
        refresh_deployment_status(state, deployment)


def disruption_blocker(state: ClusterState, pod: dict) -> str | None:
    """The name of a PodDisruptionBudget that forbids evicting ``pod``, or None."""
    labels = pod["metadata"].get("labels") or {}
    namespace = pod["metadata"]["namespace"]
    for pdb in state.list("poddisruptionbudgets", namespace):
        spec = pdb.get("spec", {})
        if not matches_label_selector(spec.get("selector"), labels):
            continue
        covered = [
            p
            for p in state.list("pods", namespace)
            if matches_label_selector(spec.get("selector"), p["metadata"].get("labels") or {})
        ]
        healthy, expected = sum(is_pod_ready(p) for p in covered), len(covered)
        if spec.get("minAvailable") is not None:
            desired = _resolve(spec["minAvailable"], expected)
        else:
            desired = expected - _resolve(spec.get("maxUnavailable", 0), expected)
        if is_pod_ready(pod):
            blocked = healthy - desired < 1
        else:
            blocked = spec.get("unhealthyPodEvictionPolicy") != "AlwaysAllow" and healthy < desired
        if blocked:
            return pdb["metadata"]["name"]
    return None


def _resolve(value: int | str, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(total * int(value[:-1]) / 100)
    return int(value)
