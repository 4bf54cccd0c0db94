"""Reading a workload through the client as Kubernetes JSON: a Deployment, its ReplicaSets, its pods."""

from __future__ import annotations

from pagerless.kube.clients import KubeClients
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.planner import Workload, target_names


def owner_name(obj: dict, kind: str) -> str | None:
    return next(
        (ref["name"] for ref in obj.get("metadata", {}).get("ownerReferences") or [] if ref.get("kind") == kind), None
    )


def selector_string(deployment: dict) -> str:
    labels = (deployment.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def controller_of(obj: dict) -> tuple[str, str] | None:
    """(kind, name) of the object's controller: the owner reference marked ``controller``, else the first."""
    refs = obj.get("metadata", {}).get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return (ref["kind"], ref["name"]) if ref else None


def pod_owner(kube: KubeClients, namespace: str, pod: str) -> tuple[str, str] | None:
    """(kind, name) of the workload that owns ``pod``: its ReplicaSet's Deployment, or its controller
    (StatefulSet, DaemonSet, a ReplicaSet of its own, a Job); None for a bare pod or one that is gone."""
    from kubernetes.client.exceptions import ApiException

    try:
        owner = controller_of(kube.call(kube.core.read_namespaced_pod, pod, namespace))
        if owner and owner[0] == "ReplicaSet":
            rs = kube.call(kube.apps.read_namespaced_replica_set, owner[1], namespace)
            owner = controller_of(rs) or owner
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return owner


def deployment_of_pod(kube: KubeClients, namespace: str, pod: str) -> str | None:
    """The Deployment that owns ``pod`` through its ReplicaSet, if any (and if the pod still exists)."""
    owner = pod_owner(kube, namespace, pod)
    return owner[1] if owner and owner[0] == "Deployment" else None


def with_pod_owner(plan: ActionPlan, kube: KubeClients | None = None) -> ActionPlan:
    """``plan`` with ``pod_owner`` read from the cluster when it acts on a pod and names no deployment,
    so that the rate limit counts the pod against its workload and not its name (a restarted pod
    comes back under a new one). Connects to the configured cluster only when it has to read."""
    action = plan.action
    pod = getattr(action, "pod", None)
    if not pod or getattr(action, "deployment", None) or plan.pod_owner:
        return plan
    if kube is None:
        from pagerless.kube import cluster

        own = cluster.connect()
        try:
            return with_pod_owner(plan, own)
        finally:
            own.close()
    owner = pod_owner(kube, action.namespace, pod)
    return plan.model_copy(update={"pod_owner": "/".join(owner)}) if owner else plan


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
    return Workload(deployment=obj, replicasets=owned_replicasets(kube, obj), hpas=autoscalers_of(kube, obj))


def autoscalers_of(kube: KubeClients, deployment: dict) -> list[dict]:
    """The HorizontalPodAutoscalers whose scaleTargetRef is ``deployment``; none when the API does not
    serve them or RBAC does not let Pagerless read them (404, 403)."""
    from kubernetes.client.exceptions import ApiException

    meta = deployment["metadata"]
    try:
        listed = kube.call(kube.autoscaling.list_namespaced_horizontal_pod_autoscaler, meta["namespace"])
    except ApiException as exc:
        if exc.status in (403, 404):
            return []
        raise
    return [
        hpa
        for hpa in listed["items"]
        if (ref := (hpa.get("spec") or {}).get("scaleTargetRef") or {}).get("kind") == "Deployment"
        and ref.get("name") == meta["name"]
    ]


def deployment_events(kube: KubeClients, deployment: dict) -> list[dict]:
    """The events about ``deployment`` (its scale-downs among them); none when RBAC does not let Pagerless read
    them (403)."""
    from kubernetes.client.exceptions import ApiException

    meta = deployment["metadata"]
    about = f"involvedObject.kind=Deployment,involvedObject.name={meta['name']}"
    try:
        listed = kube.call(kube.core.list_namespaced_event, meta["namespace"], field_selector=about)
    except ApiException as exc:
        if exc.status in (403, 404):
            return []
        raise
    return listed["items"]
