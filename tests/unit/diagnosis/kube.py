"""Small hand-built Kubernetes objects for analyzer unit tests (kubectl -o json field names)."""

from datetime import UTC, datetime, timedelta

from pagerless.diagnosis.snapshot import Snapshot, snapshot_from_scenario

AT = "2026-03-11T14:22:00Z"
_AT = datetime(2026, 3, 11, 14, 22, tzinfo=UTC)


def ago(minutes: float) -> str:
    return (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def running(minutes_ago: float = 60) -> dict:
    return {"running": {"startedAt": ago(minutes_ago)}}


def waiting(reason: str, message: str = "") -> dict:
    return {"waiting": {"reason": reason, "message": message}}


def terminated(reason: str, code: int, finished_min_ago: float, message: str = "") -> dict:
    body = {
        "reason": reason,
        "exitCode": code,
        "startedAt": ago(finished_min_ago + 1),
        "finishedAt": ago(finished_min_ago),
    }
    if message:
        body["message"] = message
    return {"terminated": body}


def cstatus(
    name: str = "app",
    *,
    state: dict | None = None,
    last: dict | None = None,
    ready: bool | None = None,
    restarts: int = 0,
    image: str = "registry/app:1.0",
) -> dict:
    state = state or running()
    return {
        "name": name,
        "image": image,
        "ready": ("running" in state) if ready is None else ready,
        "restartCount": restarts,
        "state": state,
        "lastState": last or {},
    }


def cspec(name: str = "app", image: str = "registry/app:1.0", **extra) -> dict:
    return {"name": name, "image": image, **extra}


def pod(
    name: str,
    ns: str = "shop",
    *,
    workload: str = "checkout",
    statuses: list | None = None,
    specs: list | None = None,
    phase: str = "Running",
    node: str | None = "node-1",
    hash_: str = "6d5f7c9b8",
    init_statuses: list | None = None,
    init_specs: list | None = None,
    volumes: list | None = None,
    reason: str = "",
    message: str = "",
    conditions: list | None = None,
    created_min_ago: float = 600,
) -> dict:
    statuses = statuses if statuses is not None else [cstatus()]
    specs = specs or [cspec(s["name"], s["image"]) for s in statuses] or [cspec()]
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "creationTimestamp": ago(created_min_ago),
            "labels": {"app": workload, "pod-template-hash": hash_},
            "ownerReferences": [{"kind": "ReplicaSet", "name": f"{workload}-{hash_}", "controller": True}],
        },
        "spec": {
            "containers": specs,
            **({"nodeName": node} if node else {}),
            **({"initContainers": init_specs} if init_specs else {}),
            **({"volumes": volumes} if volumes else {}),
        },
        "status": {"phase": phase, "containerStatuses": statuses, "conditions": conditions or []},
    }
    if init_statuses:
        body["status"]["initContainerStatuses"] = init_statuses
    if reason:
        body["status"].update({"reason": reason, "message": message})
    return body


def event(
    ns: str,
    kind: str,
    name: str,
    reason: str,
    message: str,
    *,
    minutes_ago: float = 2,
    type_: str = "Warning",
    count: int = 1,
) -> dict:
    return {
        "involvedObject": {"kind": kind, "name": name, "namespace": ns},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": ago(minutes_ago + 5),
        "lastTimestamp": ago(minutes_ago),
    }


def deployment(name: str, ns: str = "shop", *, replicas: int = 2, ready: int = 2, revision: int = 3) -> dict:
    return {
        "metadata": {
            "name": name,
            "namespace": ns,
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
        },
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [cspec()]}}},
        "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready},
    }


def replicaset(workload: str, hash_: str, revision: int, created_min_ago: float, image: str, ns: str = "shop") -> dict:
    return {
        "metadata": {
            "name": f"{workload}-{hash_}",
            "namespace": ns,
            "creationTimestamp": ago(created_min_ago),
            "labels": {"pod-template-hash": hash_},
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [{"kind": "Deployment", "name": workload}],
        },
        "spec": {"replicas": 2, "template": {"spec": {"containers": [cspec(image=image)]}}},
        "status": {"readyReplicas": 2},
    }


def node(
    name: str,
    *,
    ready: str = "True",
    message: str = "kubelet is posting ready status",
    pressure: tuple[str, ...] = (),
    taints: list | None = None,
) -> dict:
    conditions = [
        {
            "type": "Ready",
            "status": ready,
            "reason": "KubeletReady" if ready == "True" else "NodeStatusUnknown",
            "message": message,
            "lastTransitionTime": ago(8),
        }
    ]
    conditions += [{"type": kind, "status": "True", "message": f"kubelet has {kind}"} for kind in pressure]
    return {"metadata": {"name": name}, "spec": {"taints": taints or []}, "status": {"conditions": conditions}}


def scenario(
    *,
    pods: list | None = None,
    events: list | None = None,
    logs: dict | None = None,
    labels: dict | None = None,
    title: str = "CheckoutHigh5xx",
    description: str = "",
    **lists,
) -> dict:
    cluster = {
        "pods": {"kind": "List", "items": pods or []},
        "events": {"kind": "List", "items": events or []},
        "logs": logs or {},
    }
    deploys = lists.pop("deploys", [])
    for key, items in lists.items():
        cluster[key] = {"kind": "List", "items": items}
    return {
        "alert": {
            "title": title,
            "description": description,
            "severity": "critical",
            "source": "prometheus",
            "labels": {"namespace": "shop", "service": "checkout"} if labels is None else labels,
            "starts_at": AT,
        },
        "cluster": cluster,
        "deploys": deploys,
    }


def snap(**kwargs) -> Snapshot:
    return snapshot_from_scenario(scenario(**kwargs))
