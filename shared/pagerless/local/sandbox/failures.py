"""Which workloads of a scenario are failing, what fixes them, and how their new pods look.

A Deployment's failure is read from its pods when the scenario loads (or set explicitly in the
scenario's optional ``sandbox.failures``) and holds until a change to the pod template fixes it:

- ``oom``: a container was OOMKilled. Fixed when that container's memory limit in the template is
  strictly above the limit it was killed at (or at least ``memory_needed`` when the scenario says),
  or when the template sets no memory limit at all.
- ``crash``: pods are not Ready for any other reason (CrashLoopBackOff, image pull, config error,
  Pending). Fixed when the template's containers change in image, command, args, env or envFrom,
  e.g. a rollback to the previous ReplicaSet or a new image. Resources and annotations do not count.
"""

import copy
import json
from dataclasses import dataclass, field

from pagerless.local.sandbox.store import SANDBOX_LABEL, ClusterState, now_iso
from pagerless.remediation.quantity import memory_bytes


@dataclass(frozen=True)
class Failure:
    kind: str  # "oom" | "crash"
    container: str = ""
    memory_needed_bytes: int = 0  # oom: the smallest memory limit that no longer gets killed
    template_signature: str = ""  # crash: the containers of the template that fails
    sample_status: dict = field(default_factory=dict, hash=False)  # a failing scenario pod's status
    sample_logs: dict = field(default_factory=dict, hash=False)  # its logs by "<container>" / "<container>#previous"


def template_signature(template: dict) -> str:
    spec = template.get("spec", {})
    fields = ("name", "image", "command", "args", "env", "envFrom")
    return json.dumps(
        [[c.get(f) for f in fields] for c in spec.get("initContainers", []) + spec.get("containers", [])],
        sort_keys=True,
    )


def container_memory_limit(template: dict, container: str) -> int | None:
    for item in template.get("spec", {}).get("containers", []):
        if item.get("name") == container:
            limit = (item.get("resources") or {}).get("limits", {}).get("memory")
            return memory_bytes(limit) if limit else None
    return None


def is_fixed(failure: Failure | None, template: dict) -> bool:
    """True when the pod template no longer has the workload's failure."""
    if failure is None:
        return True
    if failure.kind == "oom":
        limit = container_memory_limit(template, failure.container)
        return limit is None or limit >= failure.memory_needed_bytes
    return template_signature(template) != failure.template_signature


def is_pod_ready(pod: dict) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in pod.get("status", {}).get("conditions", [])
    )


def _sample(state: ClusterState, pod: dict) -> dict:
    prefix = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}/"
    logs = {key[len(prefix) :]: text for key, text in state.logs.items() if key.startswith(prefix)}
    return {"sample_status": copy.deepcopy(pod.get("status", {})), "sample_logs": logs}


def detect_failure(state: ClusterState, deployment: dict, pods: list[dict], override: dict | None) -> Failure | None:
    """The failure the scenario shows for one Deployment (or the override says), ``None`` when healthy."""
    template = deployment.get("spec", {}).get("template", {})
    override = override or {}
    kind = override.get("kind")
    if kind == "none":
        return None
    oom_pod, oom_container = _first_oom(pods)
    unhealthy = [p for p in pods if not is_pod_ready(p)]
    if kind == "oom" or (kind is None and oom_pod is not None):
        name = (
            override.get("container")
            or oom_container
            or template.get("spec", {}).get("containers", [{}])[0].get("name", "")
        )
        observed = container_memory_limit(template, name) or 0
        needed = memory_bytes(override["memory_needed"]) if override.get("memory_needed") else observed + 1
        sample = oom_pod or (unhealthy[0] if unhealthy else None)
        return Failure("oom", name, memory_needed_bytes=needed, **(_sample(state, sample) if sample else {}))
    if kind == "crash" or unhealthy:
        return Failure(
            "crash",
            template_signature=template_signature(template),
            **(_sample(state, unhealthy[0]) if unhealthy else {}),
        )
    return None


def _first_oom(pods: list[dict]) -> tuple[dict | None, str | None]:
    for pod in pods:
        for status in pod.get("status", {}).get("containerStatuses") or []:
            if "OOMKilled" in {
                ((status.get(k) or {}).get("terminated") or {}).get("reason") for k in ("state", "lastState")
            }:
                return pod, status["name"]
    return None, None


def healthy_status(pod: dict, node: str | None) -> dict:
    now = now_iso()
    containers = pod["spec"].get("containers", [])
    if node is None:
        return _pending_status(now)
    statuses = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": f"sandbox://{c.get('image', '')}",
            "containerID": f"sandbox://{pod['metadata']['uid']}/{c['name']}",
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": now}},
        }
        for c in containers
    ]
    return {
        "phase": "Running",
        "hostIP": "10.0.0.1",
        "podIP": "10.244.0.10",
        "startTime": now,
        "qosClass": "Burstable",
        "conditions": [_condition(t, "True", now) for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
        "containerStatuses": statuses,
    }


def failing_status(pod: dict, failure: Failure, node: str | None) -> dict:
    """The status of a new pod of a failing workload: a copy of the scenario pod's, at most one restart, now."""
    now = now_iso()
    if node is None:
        return _pending_status(now)
    status = copy.deepcopy(failure.sample_status) or {"phase": "Running", "containerStatuses": []}
    if status.get("phase") == "Pending":  # stuck before running (scheduling, volumes, quota): stays so
        for condition in status.get("conditions") or []:
            condition["lastTransitionTime"] = now
        return status
    status.update(startTime=now, hostIP="10.0.0.1", podIP="10.244.0.11")
    status["conditions"] = [
        _condition("Initialized", "True", now),
        _condition("Ready", "False", now, "ContainersNotReady"),
        _condition("ContainersReady", "False", now, "ContainersNotReady"),
        _condition("PodScheduled", "True", now),
    ]
    for item in status.get("containerStatuses") or []:
        item.update(ready=False, started=False, restartCount=min(item.get("restartCount", 0), 1))
        item["containerID"] = f"sandbox://{pod['metadata']['uid']}/{item['name']}"
        for key in ("state", "lastState"):
            for phase in (item.get(key) or {}).values():
                for stamp in ("startedAt", "finishedAt"):
                    if stamp in phase:
                        phase[stamp] = now
    if failure.kind == "oom":
        for item in status.get("containerStatuses") or []:
            if item["name"] == failure.container:
                item.update(
                    restartCount=1,
                    lastState={
                        "terminated": {"reason": "OOMKilled", "exitCode": 137, "startedAt": now, "finishedAt": now}
                    },
                    state={
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": f"back-off 10s restarting failed container={item['name']}",
                        }
                    },
                )
    return status


def copy_logs(state: ClusterState, namespace: str, pod: dict, failure: Failure | None, healthy: bool) -> None:
    """Give a new pod the logs a container in its condition prints (the sample pod's when failing)."""
    for container in pod["spec"].get("containers", []):
        key = f"{namespace}/{pod['metadata']['name']}/{container['name']}"
        if healthy or failure is None:
            state.logs[key] = f"{now_iso()} sandbox: container {container['name']} started ({SANDBOX_LABEL}=true)\n"
            continue
        for suffix in ("", "#previous"):
            if f"{container['name']}{suffix}" in failure.sample_logs:
                state.logs[f"{key}{suffix}"] = failure.sample_logs[f"{container['name']}{suffix}"]


def _pending_status(now: str) -> dict:
    return {
        "phase": "Pending",
        "qosClass": "Burstable",
        "conditions": [
            _condition(
                "PodScheduled", "False", now, "Unschedulable", "0/N nodes are available: node(s) were unschedulable."
            )
        ],
    }


def _condition(kind: str, status: str, now: str, reason: str | None = None, message: str | None = None) -> dict:
    condition = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": now}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition
