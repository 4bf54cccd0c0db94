"""Reading a workload through the client as Kubernetes JSON: a Deployment, its ReplicaSets, its pods."""

from __future__ import annotations

from pagerless.kube.clients import KubeClients
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.planner import Workload, target_names
from pagerless.remediation.verify_owners import KINDS as OWNER_KINDS


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
    """(kind, name) of the workload that owns ``pod``: its ReplicaSet's Deployment, its Job's CronJob, or its
    controller (StatefulSet, DaemonSet, a ReplicaSet or a Job of its own); None for a bare pod or one that is gone."""
    from kubernetes.client.exceptions import ApiException

    try:
        return _top_owner(kube, namespace, kube.call(kube.core.read_namespaced_pod, pod, namespace))
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def _top_owner(kube: KubeClients, namespace: str, pod: dict) -> tuple[str, str] | None:
    """The pod's controller, or the controller of that: a ReplicaSet's Deployment, a Job's CronJob (each pod of a
    CronJob has a Job of its own, named after the run)."""
    owner = controller_of(pod)
    if owner and owner[0] in _READ_OWNER:
        parent = kube.call(_READ_OWNER[owner[0]](kube), owner[1], namespace)
        owner = controller_of(parent) or owner
    return owner


# how to read the kinds of controller that may have a controller of their own
_READ_OWNER = {
    "ReplicaSet": lambda kube: kube.apps.read_namespaced_replica_set,
    "Job": lambda kube: kube.batch.read_namespaced_job,
}


def deployment_of_pod(kube: KubeClients, namespace: str, pod: str) -> str | None:
    """The Deployment that owns ``pod`` through its ReplicaSet, if any (and if the pod still exists)."""
    owner = pod_owner(kube, namespace, pod)
    return owner[1] if owner and owner[0] == "Deployment" else None


# what has been read of pods, by (namespace, pod): `pod_facts` answers (see `with_pod_owner`'s ``read``)
PodReads = dict[tuple[str, str], dict]


def with_pod_owner(
    plan: ActionPlan, kube: KubeClients | None = None, *, when_unnamed: bool = False, read: PodReads | None = None
) -> ActionPlan:
    """``plan`` with the facts of the pod it acts on read from the cluster: ``pod_owner``, the workload that owns it
    (the rate limit counts the pod against it, not its name: a restarted pod comes back under a new one; the service
    scope refuses a pod of another workload), or ``pod_owner_unknown``, why that is not known. The pod's owner is read
    even when the action names a deployment: that name came from an alert's labels or a diagnosis, the pod's
    ownerReferences are the cluster's word; so verification watches the owner (the plan's ``target``: its
    Deployment, its StatefulSet, DaemonSet or Job as ``owner``, or the pod itself when another kind owns it), the
    action stored names the owner as its ``deployment`` (none when another kind owns the pod), and the deployment
    named stays only when nothing was read. ``when_unnamed``: read only for an action that names no deployment, and
    keep the action as it was sent (a person named the target; only the rate limit needs the owner). ``read``: what was read already (`read_workload`'s), and where to keep what this
    reads. A plan that acts on no pod, or already knows, comes back as it is. Connects to the configured cluster only
    when it has to read."""
    action = plan.action
    pod = getattr(action, "pod", None)
    if not pod or plan.pod_owner or plan.pod_owner_unknown or (when_unnamed and getattr(action, "deployment", None)):
        return plan
    if kube is None:
        from pagerless.kube import cluster

        own = cluster.connect()
        try:
            return with_pod_owner(plan, own, when_unnamed=when_unnamed, read=read)
        finally:
            own.close()
    facts = _read_pod(kube, action.namespace, pod, read)
    fields = {k: v for k, v in facts.items() if k in ("pod_owner", "pod_owner_unknown")}
    watched = watched_target(plan.target, pod, facts.get("pod_job") or facts.get("pod_owner"))
    stored = action if when_unnamed else acted_on(action, facts.get("pod_owner"))  # a person's request as they sent it
    return plan.model_copy(update={**fields, "target": watched, "action": stored})


def acted_on(action, owner: str | None):
    """The pod action as it is stored: the Deployment it names is the owner read from the cluster (none when
    another kind owns the pod), not one an alert's label named; as it was when nothing was read."""
    if not owner:
        return action
    kind, _, name = owner.partition("/")
    deployment = name if kind == "Deployment" else None
    return action if action.deployment == deployment else action.model_copy(update={"deployment": deployment})


def watched_target(target: dict[str, str], pod: str, owner: str | None) -> dict[str, str]:
    """What verification watches once the pod's owner is known: its Deployment, not one a label named with it; a
    StatefulSet, DaemonSet or Job as the target's ``owner`` (a CronJob's pod: the Job of its run); the pod itself
    when another kind owns it."""
    if not owner or target.get("pod") != pod:
        return target
    kind, _, name = owner.partition("/")
    kept = {k: v for k, v in target.items() if k not in ("deployment", "owner")}
    if kind == "Deployment":
        return {**kept, "deployment": name}
    return {**kept, "owner": owner} if kind in OWNER_KINDS else kept


def _read_pod(kube: KubeClients, namespace: str, pod: str, read: PodReads | None) -> dict:
    if read is None:
        return pod_facts(kube, namespace, pod)
    if (namespace, pod) not in read:
        read[(namespace, pod)] = pod_facts(kube, namespace, pod)
    return read[(namespace, pod)]


def pod_facts(kube: KubeClients, namespace: str, pod: str) -> dict:
    """What the cluster says of the workload that owns ``pod``, as `ActionPlan` fields: ``pod_owner``
    ("Deployment/payments-api", "StatefulSet/db", "CronJob/report"), or ``pod_owner_unknown``: ``gone`` (the pod is
    not found), ``no_owner`` (a bare pod) or the API's answer to a read that failed ("403 Forbidden", "404 Not Found"
    for its ReplicaSet or Job): its owner cannot be read. A CronJob's pod also names the Job of its run
    (``pod_job``: "Job/report-29012345"), which verification watches: not an `ActionPlan` field."""
    from kubernetes.client.exceptions import ApiException

    try:
        found = kube.call(kube.core.read_namespaced_pod, pod, namespace)
    except ApiException as exc:
        return {"pod_owner_unknown": "gone" if exc.status == 404 else _answer(exc)}
    try:
        owner = _top_owner(kube, namespace, found)
    except ApiException as exc:
        return {"pod_owner_unknown": _answer(exc)}
    if not owner:
        return {"pod_owner_unknown": "no_owner"}
    run = controller_of(found) if owner[0] == "CronJob" else None
    return {"pod_owner": "/".join(owner), **({"pod_job": f"Job/{run[1]}"} if run and run[0] == "Job" else {})}


def _answer(exc) -> str:
    return f"{exc.status} {exc.reason or ''}".strip()


def owned_replicasets(kube: KubeClients, deployment: dict) -> list[dict]:
    meta = deployment["metadata"]
    listed = kube.call(
        kube.apps.list_namespaced_replica_set, meta["namespace"], label_selector=selector_string(deployment) or None
    )
    return [rs for rs in listed["items"] if owner_name(rs, "Deployment") == meta["name"]]


def read_workload(kube: KubeClients, target: dict[str, str], read: PodReads | None = None) -> Workload:
    """The Deployment (resolved from a pod when the target names only a pod) and its ReplicaSets. ``read``: keeps
    what it read of the pod, for `with_pod_owner` not to read it again."""
    from kubernetes.client.exceptions import ApiException

    namespace, deployment, pod, _ = target_names(target)
    if namespace and not deployment and pod:
        facts = _read_pod(kube, namespace, pod, read)
        kind, _, name = (facts.get("pod_owner") or "").partition("/")
        deployment = name if kind == "Deployment" else None
        if facts.get("pod_owner_unknown") not in (None, "gone", "no_owner"):
            deployment = deployment_of_pod(kube, namespace, pod)  # the API refused a read: it answers again, or raises
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
