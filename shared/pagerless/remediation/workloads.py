"""Reading a workload through the client as Kubernetes JSON: a Deployment, its ReplicaSets, its pods."""

from __future__ import annotations

from pagerless.kube.clients import KubeClients
from pagerless.remediation.planner import Workload, target_names


def owner_name(obj: dict, kind: str) -> str | None:
    return next(
        (ref["name"] for ref in obj.get("metadata", {}).get("ownerReferences") or [] if ref.get("kind") == kind), None
    )


def selector_string(deployment: dict) -> str:
    labels = (deployment.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def deployment_of_pod(kube: KubeClients, namespace: str, pod: str) -> str | None:
    """The Deployment that owns ``pod`` through its ReplicaSet, if any (and if the pod still exists)."""
    from kubernetes.client.exceptions import ApiException

    try:
        pod_obj = kube.call(kube.core.read_namespaced_pod, pod, namespace)
        rs_name = owner_name(pod_obj, "ReplicaSet")
        if not rs_name:
            return None
        rs = kube.call(kube.apps.read_namespaced_replica_set, rs_name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return owner_name(rs, "Deployment")


def owned_replicasets(kube: KubeClients, deployment: dict) -> list[dict]:
    meta = deployment["metadata"]
    listed = kube.call(
        kube.apps.list_namespaced_replica_set, meta["namespace"], label_selector=selector_string(deployment) or None
    )
    return [rs for rs in listed["items"] if owner_name(rs, "Deployment") == meta["name"]]


def read_workload(kube: KubeClients, target: dict[str, str]) -> Workload:
    """The Deployment (resolved from a pod when the target names only a pod) and its ReplicaSets."""
    from kubernetes.client.exceptions import ApiException

    namespace, deployment, pod, _ = target_names(target)
    if namespace and not deployment and pod:
        deployment = deployment_of_pod(kube, namespace, pod)
    if not namespace or not deployment:
        return Workload()
    try:
        obj = kube.call(kube.apps.read_namespaced_deployment, deployment, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return Workload()
        raise
    return Workload(deployment=obj, replicasets=owned_replicasets(kube, obj))
