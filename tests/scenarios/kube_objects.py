"""The one Kubernetes object kit of the scenario sets: objects in the shape `kubectl get <kind> -o json` returns.

Used by the three generators (``builder/``, ``redteam/``, ``real/``); the committed JSON files are the artefact.
The builder's pod/status/event factories (``builder/k8s.py``) take this module's clock, list and probe.
"""

import uuid
from datetime import UTC, datetime, timedelta

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Clock:
    """Times relative to the alert's start (the snapshot's "now")."""

    def __init__(self, starts_at: str):
        self.at = datetime.fromisoformat(starts_at.replace("Z", "+00:00")).astimezone(UTC)

    def __call__(self, minutes: float = 0) -> str:
        """Timestamp `minutes` relative to the alert (negative = before)."""
        return (self.at + timedelta(minutes=minutes)).strftime(_FORMAT)

    def ago(self, minutes: float = 0, hours: float = 0, days: float = 0, seconds: float = 0) -> str:
        """Timestamp the given time before the alert."""
        return (self.at - timedelta(minutes=minutes, hours=hours, days=days, seconds=seconds)).strftime(_FORMAT)

    def log_ts(self, minutes: float, seconds: float = 0, fmt: str = "%Y-%m-%dT%H:%M:%S.%fZ") -> str:
        """A log-line timestamp the given time before the alert (whole milliseconds shortened as kubectl logs do)."""
        text = (self.at - timedelta(minutes=minutes, seconds=seconds)).strftime(fmt)
        return text.replace("000Z", "Z") if ".%f" in fmt else text


def uid(*parts) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


_rv = [48211900]


def reset_versions(start: int) -> None:
    """Restart the resourceVersion counter: each generator calls it before building, so output is reproducible."""
    _rv[0] = start


def rv() -> str:
    _rv[0] += 137
    return str(_rv[0])


def lst(items):
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


def meta(kind, name, ns, created, labels=None, owner=None, annotations=None, generation=None):
    m = {"name": name, "uid": uid(kind, ns or "", name), "resourceVersion": rv(), "creationTimestamp": created}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    if annotations:
        m["annotations"] = annotations
    if generation is not None:
        m["generation"] = generation
    if owner:
        okind, oname, ons = owner
        m["ownerReferences"] = [
            {
                "apiVersion": "apps/v1"
                if okind in ("ReplicaSet", "Deployment", "StatefulSet", "DaemonSet")
                else "batch/v1",
                "kind": okind,
                "name": oname,
                "uid": uid(okind, ons, oname),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return m


def container(
    name,
    image,
    *,
    cpu=("250m", "500m"),
    mem=("256Mi", "512Mi"),
    ports=None,
    liveness=None,
    readiness=None,
    startup=None,
    command=None,
    args=None,
    env=None,
    env_from=None,
    mounts=None,
    security=None,
):
    c = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": {"cpu": cpu[0], "memory": mem[0]}, "limits": {"cpu": cpu[1], "memory": mem[1]}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if cpu[1] is None:
        del c["resources"]["limits"]["cpu"]
    if mem[1] is None:
        del c["resources"]["limits"]["memory"]
    if ports:
        c["ports"] = [
            {"name": "http" if i == 0 else f"p{p}", "containerPort": p, "protocol": "TCP"} for i, p in enumerate(ports)
        ]
    if command:
        c["command"] = command
    if args:
        c["args"] = args
    if env:
        c["env"] = env
    if env_from:
        c["envFrom"] = env_from
    for k, v in (("livenessProbe", liveness), ("readinessProbe", readiness), ("startupProbe", startup)):
        if v:
            c[k] = v
    c["volumeMounts"] = (mounts or []) + [
        {
            "name": "kube-api-access-x8k2p",
            "readOnly": True,
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        }
    ]
    if security:
        c["securityContext"] = security
    return c


def http_probe(path, port=8080, delay=0, timeout=1, period=10, failures=3):
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "initialDelaySeconds": delay,
        "timeoutSeconds": timeout,
        "periodSeconds": period,
        "successThreshold": 1,
        "failureThreshold": failures,
    }


def running(name, image, started, *, restarts=0, ready=True, last=None, cid=None, started_flag=True):
    s = {
        "name": name,
        "state": {"running": {"startedAt": started}},
        "lastState": last or {},
        "ready": ready,
        "restartCount": restarts,
        "image": image,
        "imageID": f"{image.split(':')[0]}@sha256:{uid(image).replace('-', '')[:64]:0<64}",
        "containerID": "containerd://" + (cid or uid(name, started).replace("-", "") * 2)[:64],
        "started": started_flag,
    }
    return s


def waiting(name, image, reason, message=None, *, restarts=0, last=None, pulled=True):
    w = {"reason": reason}
    if message:
        w["message"] = message
    s = {
        "name": name,
        "state": {"waiting": w},
        "lastState": last or {},
        "ready": False,
        "restartCount": restarts,
        "image": image,
        "imageID": "",
        "started": False,
    }
    if pulled:
        s["imageID"] = f"{image.split(':')[0]}@sha256:{uid(image).replace('-', '')[:64]:0<64}"
        s["containerID"] = "containerd://" + (uid(name, reason).replace("-", "") * 2)[:64]
    return s


def stopped(name, image, state, *, restarts=0, last=None):
    """The status of a container whose current state is ``terminated`` (a finished init container, a failed pod)."""
    return {
        "name": name,
        "state": state,
        "lastState": last or {},
        "ready": False,
        "restartCount": restarts,
        "image": image,
        "imageID": f"{image.split(':')[0]}@sha256:{uid(image).replace('-', '')[:64]:0<64}",
        "containerID": state["terminated"]["containerID"],
        "started": False,
    }


def terminated(exit_code, reason, started, finished, message=None):
    t = {
        "exitCode": exit_code,
        "reason": reason,
        "startedAt": started,
        "finishedAt": finished,
        "containerID": "containerd://" + (uid(str(exit_code), started).replace("-", "") * 2)[:64],
    }
    if message:
        t["message"] = message
    return {"terminated": t}


def pod(
    name,
    ns,
    *,
    created,
    containers,
    statuses,
    node="ip-10-42-3-17.eu-west-1.compute.internal",
    owner=None,
    labels=None,
    phase="Running",
    ready=None,
    init_containers=None,
    init_statuses=None,
    pod_ip="10.42.3.41",
    scheduled=True,
    status_extra=None,
    conditions=None,
    volumes=None,
    sa="default",
    security=None,
    node_selector=None,
    tolerations=None,
    affinity=None,
    qos="Burstable",
    start_time=None,
    host_ip="10.42.3.17",
    extra_spec=None,
):
    if ready is None:
        ready = bool(statuses) and all(s.get("ready") for s in statuses)
    spec = {
        "containers": containers,
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": sa,
        "serviceAccount": sa,
        "securityContext": security or {},
        "schedulerName": "default-scheduler",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "tolerations": (tolerations or [])
        + [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
        "volumes": (volumes or [])
        + [
            {
                "name": "kube-api-access-x8k2p",
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    ],
                },
            }
        ],
    }
    spec.update(extra_spec or {})
    if scheduled and node:
        spec["nodeName"] = node
    if init_containers:
        spec["initContainers"] = init_containers
    if node_selector:
        spec["nodeSelector"] = node_selector
    if affinity:
        spec["affinity"] = affinity
    if conditions is None:
        st = "True" if ready else "False"
        conditions = [
            {
                "type": "PodReadyToStartContainers",
                "status": "True" if scheduled else "False",
                "lastProbeTime": None,
                "lastTransitionTime": created,
            },
            {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
            {"type": "Ready", "status": st, "lastProbeTime": None, "lastTransitionTime": created},
            {"type": "ContainersReady", "status": st, "lastProbeTime": None, "lastTransitionTime": created},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
        ]
        if not ready:
            names = ",".join(s["name"] for s in statuses if not s.get("ready")) or ",".join(
                c["name"] for c in containers
            )
            for c in conditions[2:4]:
                c["reason"] = "ContainersNotReady"
                c["message"] = f"containers with unready status: [{names}]"
    status = {"phase": phase, "conditions": conditions, "qosClass": qos}
    if scheduled:
        status.update(
            {
                "hostIP": host_ip,
                "hostIPs": [{"ip": host_ip}],
                "podIP": pod_ip,
                "podIPs": [{"ip": pod_ip}],
                "startTime": start_time or created,
                "containerStatuses": statuses,
            }
        )
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
    if status_extra:
        status.update(status_extra)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta("Pod", name, ns, created, labels, owner),
        "spec": spec,
        "status": status,
    }


def event(
    ns,
    kind,
    name,
    reason,
    message,
    *,
    first,
    last=None,
    count=1,
    type_="Normal",
    component="kubelet",
    host=None,
    field=None,
    api="v1",
):
    obj = {
        "kind": kind,
        "namespace": ns,
        "name": name,
        "uid": uid(kind, ns or "", name),
        "apiVersion": api,
        "resourceVersion": rv(),
    }
    if field:
        obj["fieldPath"] = field
    if kind == "Node":
        obj.pop("namespace")
    src = {"component": component}
    if host:
        src["host"] = host
    ens = ns or "default"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{name}.{uid(reason, name, message)[:8]}{uid(first)[:8]}",
            "namespace": ens,
            "uid": uid("ev", name, reason, first),
            "resourceVersion": rv(),
            "creationTimestamp": first,
        },
        "involvedObject": obj,
        "reason": reason,
        "message": message,
        "source": src,
        "firstTimestamp": first,
        "lastTimestamp": last or first,
        "count": count,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component if component != "kubelet" else "kubelet",
        "reportingInstance": host or "",
    }


def deployment(
    name,
    ns,
    *,
    created,
    image,
    replicas,
    ready,
    available=None,
    updated=None,
    revision=1,
    containers=None,
    conditions=None,
    labels=None,
    observed=None,
    selector=None,
    min_available=None,
    new_replicaset=None,
):
    """A Deployment. ``min_available``: replicas needed for Available=True (default all, as with maxUnavailable 0);
    ``new_replicaset``: the ReplicaSet the Progressing condition names (default the Deployment's name)."""
    labels = labels or {"app.kubernetes.io/name": name}
    available = ready if available is None else available
    updated = replicas if updated is None else updated
    enough = replicas if min_available is None else min_available
    if conditions is None:
        conditions = [
            {
                "type": "Available",
                "status": "True" if available >= enough else "False",
                "lastUpdateTime": created,
                "lastTransitionTime": created,
                "reason": "MinimumReplicasAvailable" if available >= enough else "MinimumReplicasUnavailable",
                "message": "Deployment has minimum availability."
                if available >= enough
                else "Deployment does not have minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": created,
                "lastTransitionTime": created,
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{new_replicaset or name}" has successfully progressed.',
            },
        ]
    st = {
        "observedGeneration": observed or revision,
        "replicas": max(replicas, updated),
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
        "conditions": conditions,
    }
    if available < replicas:
        st["unavailableReplicas"] = replicas - available
    for k in ("readyReplicas", "availableReplicas"):
        if st[k] == 0:
            del st[k]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(
            "Deployment",
            name,
            ns,
            created,
            labels,
            annotations={"deployment.kubernetes.io/revision": str(revision)},
            generation=observed or revision,
        ),
        "spec": {
            "replicas": replicas,
            "selector": selector or {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": containers or [container(name, image)]},
            },
        },
        "status": st,
    }


def replicaset(name, ns, deploy, *, created, image, replicas, ready, revision, containers=None, labels=None):
    labels = dict(labels or {"app.kubernetes.io/name": deploy})
    labels["pod-template-hash"] = name.rsplit("-", 1)[1]
    st = {
        "replicas": replicas,
        "fullyLabeledReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": 1,
    }
    for k in ("readyReplicas", "availableReplicas"):
        if not st[k]:
            del st[k]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta(
            "ReplicaSet",
            name,
            ns,
            created,
            labels,
            owner=("Deployment", deploy, ns),
            annotations={
                "deployment.kubernetes.io/revision": str(revision),
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + 1),
            },
            generation=1,
        ),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": containers or [container(deploy, image)]},
            },
        },
        "status": st,
    }


def node(
    name,
    *,
    created,
    ready="True",
    ready_reason="KubeletReady",
    ready_msg="kubelet is posting ready status",
    mem_pressure="False",
    disk_pressure="False",
    pid_pressure="False",
    taints=None,
    labels=None,
    cpu="4",
    memory="15896756Ki",
    heartbeat=None,
    unschedulable=False,
    since=None,
    pressure=None,
):
    """A node. ``since``: when Ready last changed (default ``created``); ``pressure``: {condition type: the time
    it turned True}, e.g. ``{"DiskPressure": clk(-11)}`` (the ``*_pressure`` flags set a status from ``created``)."""
    hb = heartbeat or created
    pressure = pressure or {}
    if "MemoryPressure" in pressure:
        mem_pressure = "True"
    if "DiskPressure" in pressure:
        disk_pressure = "True"

    def cond(t, s, reason, msg):
        return {
            "type": t,
            "status": s,
            "lastHeartbeatTime": hb,
            "lastTransitionTime": (since or created) if t == "Ready" else pressure.get(t, created),
            "reason": reason,
            "message": msg,
        }

    conds = [
        cond(
            "MemoryPressure",
            mem_pressure,
            "KubeletHasInsufficientMemory" if mem_pressure == "True" else "KubeletHasSufficientMemory",
            "kubelet has insufficient memory available"
            if mem_pressure == "True"
            else "kubelet has sufficient memory available",
        ),
        cond(
            "DiskPressure",
            disk_pressure,
            "KubeletHasDiskPressure" if disk_pressure == "True" else "KubeletHasNoDiskPressure",
            "kubelet has disk pressure" if disk_pressure == "True" else "kubelet has no disk pressure",
        ),
        cond("PIDPressure", pid_pressure, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", ready, ready_reason, ready_msg),
    ]
    if ready == "Unknown":
        for c in conds[:3]:
            c.update(
                {"status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status."}
            )
    lab = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "m6i.xlarge",
        "topology.kubernetes.io/zone": "eu-west-1a",
    }
    lab.update(labels or {})
    spec = {"providerID": f"aws:///eu-west-1a/i-0{uid(name)[:16].replace('-', '')}"}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta("Node", name, None, created, lab),
        "spec": spec,
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": "58", "ephemeral-storage": "83873772Ki"},
            "allocatable": {
                "cpu": str(int(cpu) * 1000 - 90) + "m",
                "memory": "14879924Ki",
                "pods": "58",
                "ephemeral-storage": "76224326324",
            },
            "conditions": conds,
            "addresses": [{"type": "InternalIP", "address": "10.42.3.17"}, {"type": "Hostname", "address": name}],
            "nodeInfo": {
                "kubeletVersion": "v1.29.6-eks-1552ad0",
                "containerRuntimeVersion": "containerd://1.7.11",
                "osImage": "Amazon Linux 2",
                "kernelVersion": "5.10.219-208.866.amzn2.x86_64",
            },
        },
    }


def pvc(name, ns, *, created, phase="Bound", storage_class="gp3", size="10Gi", volume=None):
    p = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta(
            "PersistentVolumeClaim",
            name,
            ns,
            created,
            annotations={
                "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
            },
        ),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
            "storageClassName": storage_class,
            "volumeMode": "Filesystem",
        },
        "status": {"phase": phase},
    }
    p["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection"]
    if phase == "Bound":
        p["spec"]["volumeName"] = volume or "pvc-" + uid(name)
        p["status"].update({"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}})
    return p


def hpa(name, ns, target, *, created, min_r, max_r, current, desired, util, target_util=70, conditions=None):
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta("HorizontalPodAutoscaler", name, ns, created),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": min_r,
            "maxReplicas": max_r,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target_util}},
                }
            ],
        },
        "status": {
            "currentReplicas": current,
            "desiredReplicas": desired,
            "currentMetrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "current": {"averageUtilization": util, "averageValue": f"{util * 5}m"},
                    },
                }
            ],
            "conditions": conditions or [],
        },
    }
