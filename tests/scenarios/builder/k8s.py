"""The builder's factories for Kubernetes objects shaped exactly as `kubectl get <kind> -o json` returns them.

Only the scenario builder uses these; the committed scenarios are the JSON files they produce. The clock, the
``List`` wrapper and probes come from the scenario sets' one kit, ``tests/scenarios/kube_objects.py``.
"""

from __future__ import annotations

import hashlib
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kube_objects import Clock, http_probe, lst, node, pvc, reset_versions  # noqa: E402,F401

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def suffix(seed: str, n: int = 5) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:n])


def rs_hash(seed: str) -> str:
    return suffix("rs" + seed, 10)


def uid(seed: str) -> str:
    return str(uuid.UUID(hashlib.md5(seed.encode()).hexdigest()))


def spec(name: str, image: str, *, cpu_req: str = "100m", mem_req: str = "128Mi", cpu_lim: str | None = None,
         mem_lim: str | None = "512Mi", port: int | None = 8080, liveness: dict | None = None,
         readiness: dict | None = None, startup: dict | None = None, command: list | None = None,
         args: list | None = None, env: list | None = None, env_from: list | None = None,
         mounts: list | None = None, security: dict | None = None) -> dict:
    limits = {k: v for k, v in (("cpu", cpu_lim), ("memory", mem_lim)) if v}
    container = {
        "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": {"cpu": cpu_req, "memory": mem_req}, **({"limits": limits} if limits else {})},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "readOnly": True}, *(mounts or [])],
    }
    if port:
        container["ports"] = [{"containerPort": port, "name": "http", "protocol": "TCP"}]
    for key, value in (("command", command), ("args", args), ("env", env), ("envFrom", env_from),
                       ("livenessProbe", liveness), ("readinessProbe", readiness), ("startupProbe", startup),
                       ("securityContext", security)):
        if value is not None:
            container[key] = value
    return container


def running(started: str) -> dict:
    return {"running": {"startedAt": started}}


def waiting(reason: str, message: str | None = None) -> dict:
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def terminated(reason: str, code: int, started: str, finished: str, message: str | None = None) -> dict:
    body = {"exitCode": code, "reason": reason, "startedAt": started, "finishedAt": finished,
            "containerID": "containerd://" + hashlib.sha256((reason + finished).encode()).hexdigest()}
    if message:
        body["message"] = message
    return {"terminated": body}


def status(name: str, image: str, state: dict, last: dict | None = None, ready: bool | None = None,
           restarts: int = 0) -> dict:
    is_running = "running" in state
    body = {
        "name": name, "image": image, "imageID": f"{image.split(':')[0]}@sha256:" + hashlib.sha256(image.encode()).hexdigest(),
        "ready": is_running if ready is None else ready, "restartCount": restarts, "started": is_running,
        "state": state, "lastState": last or {},
    }
    if is_running or "terminated" in state:
        body["containerID"] = "containerd://" + hashlib.sha256((name + str(state)).encode()).hexdigest()
    if "waiting" in state and state["waiting"]["reason"] in ("ErrImagePull", "ImagePullBackOff",
                                                              "CreateContainerConfigError", "ContainerCreating"):
        body.pop("imageID")
        body["imageID"] = ""
    return body


def pod(clk: Clock, ns: str, name: str, *, specs: list, statuses: list, created: str, node: str | None,
        owner: tuple[str, str] | None = None, labels: dict | None = None, phase: str | None = None,
        init_specs: list | None = None, init_statuses: list | None = None, volumes: list | None = None,
        reason: str | None = None, message: str | None = None, conditions: list | None = None,
        sa: str = "default", extra_spec: dict | None = None, pod_ip: str | None = None) -> dict:
    all_ready = bool(statuses) and all(s.get("ready") for s in statuses)
    phase = phase or ("Running" if any("running" in s["state"] for s in statuses) else "Pending")
    if conditions is None:
        scheduled = node is not None
        conditions = [
            {"type": "PodReadyToStartContainers", "status": "True" if scheduled else "False", "lastProbeTime": None,
             "lastTransitionTime": created},
            {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
            {"type": "Ready", "status": "True" if all_ready else "False", "lastProbeTime": None,
             "lastTransitionTime": created, **({} if all_ready else {"reason": "ContainersNotReady",
             "message": "containers with unready status: [" + " ".join(s["name"] for s in statuses if not s["ready"]) + "]"})},
            {"type": "ContainersReady", "status": "True" if all_ready else "False", "lastProbeTime": None,
             "lastTransitionTime": created},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
        ]
    meta = {"name": name, "namespace": ns, "uid": uid(ns + name), "resourceVersion": str(int(uid(name)[:6], 16)),
            "creationTimestamp": created, "labels": dict(labels or {})}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1],
                                    "uid": uid(owner[1]), "controller": True, "blockOwnerDeletion": True}]
    pod_spec = {
        "containers": specs, "dnsPolicy": "ClusterFirst", "enableServiceLinks": True, "preemptionPolicy":
        "PreemptLowerPriority", "priority": 0, "restartPolicy": "Always", "schedulerName": "default-scheduler",
        "securityContext": {}, "serviceAccount": sa, "serviceAccountName": sa, "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "tolerationSeconds": 300}],
        "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}, *(volumes or [])],
        **(extra_spec or {}),
    }
    if node:
        pod_spec["nodeName"] = node
    if init_specs:
        pod_spec["initContainers"] = init_specs
    body_status = {"phase": phase, "conditions": conditions, "qosClass": "Burstable"}
    if node:
        body_status.update({"hostIP": "10.0.1." + str(10 + int(uid(node)[:2], 16) % 40),
                            "podIP": pod_ip or "10.244." + str(int(uid(name)[:2], 16) % 8) + "." + str(
                                int(uid(name)[2:4], 16) % 250 + 2), "startTime": created})
    if statuses:
        body_status["containerStatuses"] = statuses
    if init_statuses:
        body_status["initContainerStatuses"] = init_statuses
    if reason:
        body_status["reason"] = reason
    if message:
        body_status["message"] = message
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec, "status": body_status}


def event(clk: Clock, ns: str, kind: str, name: str, reason: str, message: str, *, type_: str = "Warning",
          count: int = 1, first: float = 5, last: float = 1, component: str = "kubelet", host: str | None = None,
          field_path: str | None = None) -> dict:
    obj = {"apiVersion": "v1" if kind in ("Pod", "Node", "PersistentVolumeClaim") else "apps/v1", "kind": kind,
           "name": name, "namespace": ns, "uid": uid(ns + name)}
    if kind == "Node":
        obj.pop("namespace")
    if field_path:
        obj["fieldPath"] = field_path
    first_ts, last_ts = clk.ago(minutes=first), clk.ago(minutes=last)
    return {
        "apiVersion": "v1", "kind": "Event", "count": count, "type": type_, "reason": reason, "message": message,
        "firstTimestamp": first_ts, "lastTimestamp": last_ts, "eventTime": None, "reportingComponent": component,
        "reportingInstance": host or "", "source": {"component": component, **({"host": host} if host else {})},
        "involvedObject": obj,
        "metadata": {"name": f"{name}.{suffix(reason + message + str(first), 16)}", "namespace": ns or "default",
                     "uid": uid(name + reason + str(first)), "creationTimestamp": first_ts,
                     "resourceVersion": str(int(uid(reason + name)[:6], 16))},
    }


def deployment(clk: Clock, ns: str, name: str, *, specs: list, replicas: int, ready: int, revision: int,
               created: str, updated: int | None = None, conditions: list | None = None,
               labels: dict | None = None) -> dict:
    labels = labels or {"app": name}
    available = ready
    if conditions is None:
        conditions = [
            {"type": "Available", "status": "True" if available >= max(replicas - 1, 1) else "False",
             "reason": "MinimumReplicasAvailable" if available >= max(replicas - 1, 1) else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if available >= max(replicas - 1, 1)
             else "Deployment does not have minimum availability.", "lastTransitionTime": created,
             "lastUpdateTime": created},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": f'ReplicaSet "{name}-{rs_hash(name + str(revision))}" has successfully progressed.',
             "lastTransitionTime": created, "lastUpdateTime": created},
        ]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "uid": uid(ns + name), "generation": revision,
                     "creationTimestamp": created, "labels": labels,
                     "annotations": {"deployment.kubernetes.io/revision": str(revision)}},
        "spec": {"replicas": replicas, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                 "selector": {"matchLabels": labels},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": specs}}},
        "status": {"observedGeneration": revision, "replicas": replicas, "updatedReplicas": replicas if updated is None
                   else updated, "readyReplicas": ready, "availableReplicas": available,
                   **({"unavailableReplicas": replicas - available} if replicas > available else {}),
                   "conditions": conditions},
    }


def replicaset(clk: Clock, ns: str, deploy: str, revision: int, *, specs: list, replicas: int, ready: int,
               created: str, labels: dict | None = None) -> dict:
    h = rs_hash(deploy + str(revision))
    labels = {**(labels or {"app": deploy}), "pod-template-hash": h}
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"{deploy}-{h}", "namespace": ns, "uid": uid(ns + deploy + h), "labels": labels,
                     "creationTimestamp": created, "generation": 1,
                     "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                     "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                                     "deployment.kubernetes.io/revision": str(revision)},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy,
                                          "uid": uid(ns + deploy), "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": specs}}},
        "status": {"replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": ready,
                   "availableReplicas": ready, "observedGeneration": 1},
    }
