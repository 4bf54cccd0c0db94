"""Building blocks for the real-world scenarios: pods in the states the threads show, their events, alerts.

Each case in ``_cases_*.py`` rebuilds the objects a public thread showed (``kubectl describe``, ``get -o
yaml``, events, logs) in the shape ``kubectl get -o json`` returns. Message and log text is pasted verbatim
from the thread; everything these helpers add (uids, resourceVersions, probe defaults, the owning
Deployment/ReplicaSet implied by a pod name) is structural and carries no clue about the cause.
The object helpers come from the scenario sets' one kit (``tests/scenarios/kube_objects.py``).
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kube_objects import (
    Clock,
    container,
    deployment,
    event,
    lst,
    node,
    pod,
    pvc,
    replicaset,
    running,
    terminated,
    uid,
    waiting,
)

NODE = "worker-1"


def owner_of(name: str, kind: str | None = None, owner: str | None = None):
    """The controller a pod name implies: ``app-<hash>-<id>`` -> ReplicaSet, ``app-0`` -> StatefulSet."""
    if kind:
        return (kind, owner, None)
    if re.fullmatch(r".+-[0-9a-f]{8,10}-[0-9a-z]{5}", name):
        return ("ReplicaSet", name.rsplit("-", 1)[0], None)
    if re.fullmatch(r".+-\d+", name):
        return ("StatefulSet", name.rsplit("-", 1)[0], None)
    return None


def _labels(name, owner):
    if owner and owner[0] == "ReplicaSet":
        app, h = owner[1].rsplit("-", 1)
        return {"app": app, "pod-template-hash": h}
    if owner:
        return {"app": owner[1]}
    return {"run": name}


def wpod(
    clk,
    ns,
    name,
    *,
    image,
    cname=None,
    state,
    node=NODE,
    kind=None,
    owner=None,
    containers=None,
    statuses=None,
    init_containers=None,
    init_statuses=None,
    age=60,
    mem=("64Mi", None),
    cpu=("100m", None),
    volumes=None,
    mounts=None,
    liveness=None,
    readiness=None,
    command=None,
    args=None,
    env=None,
    topology_spread=None,
    no_resources=False,
    **kw,
):
    """A pod in one of the states threads show.

    ``state`` is a tuple: ("running", restarts, last_terminated_or_None, ready), ("crashloop", exit_code,
    reason, restarts, message), ("waiting", reason, message), ("pending", scheduler_message),
    ("evicted", message), ("init_crashloop", exit_code, reason, restarts, message).
    """
    own = owner_of(name, kind, owner)
    if cname is None:
        cname = own[1] if own else name
        if own and own[0] == "ReplicaSet":
            cname = cname.rsplit("-", 1)[0]
    owner_t = (own[0], own[1], ns) if own else None
    c = containers or [
        container(
            cname,
            image,
            cpu=cpu,
            mem=mem,
            liveness=liveness,
            readiness=readiness,
            command=command,
            args=args,
            env=env,
            mounts=mounts,
        )
    ]
    if no_resources:
        for cont in c:
            cont.pop("resources", None)
    created = clk(-age)
    kind_ = state[0]
    extra = {}
    phase = "Running"
    scheduled = True
    conditions = None
    if kind_ == "running":
        _, restarts, last, ready = state
        st = [running(cname, image, clk(-min(age, 5)), restarts=restarts, ready=ready, last=last)]
    elif kind_ == "crashloop":
        _, code, reason, restarts, message = state
        last = terminated(code, reason, clk(-2), clk(-1.9), message)
        st = [
            waiting(
                cname,
                image,
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container={cname} pod={name}_{ns}({uid('Pod', ns, name)})",
                restarts=restarts,
                last=last,
            )
        ]
    elif kind_ == "waiting":
        _, reason, message = state
        st = [
            waiting(
                cname,
                image,
                reason,
                message,
                pulled=reason not in ("ImagePullBackOff", "ErrImagePull", "ContainerCreating"),
            )
        ]
        phase = "Pending"
    elif kind_ == "pending":
        scheduled = False
        phase = "Pending"
        st = []
        conditions = [
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": created,
                "reason": "Unschedulable",
                "message": state[1],
            }
        ]
    elif kind_ == "evicted":
        phase = "Failed"
        st = [
            {
                "name": cname,
                "state": {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "ContainerStatusUnknown",
                        "message": "The container could not be located when the pod was terminated",
                        "startedAt": None,
                        "finishedAt": None,
                    }
                },
                "lastState": {},
                "ready": False,
                "restartCount": 0,
                "image": image,
                "imageID": "",
                "started": False,
            }
        ]
        extra = {"reason": "Evicted", "message": state[1]}
    elif kind_ == "init_crashloop":
        _, code, reason, restarts, message = state
        phase = "Pending"
        st = [waiting(cname, image, "PodInitializing", pulled=False)]
        ic = init_containers[0]["name"]
        init_statuses = init_statuses or [
            waiting(
                ic,
                init_containers[0]["image"],
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container={ic} pod={name}_{ns}({uid('Pod', ns, name)})",
                restarts=restarts,
                last=terminated(code, reason, clk(-2), clk(-1.9), message),
            )
        ]
    else:
        raise ValueError(kind_)
    phase = kw.pop("phase", phase)
    p = pod(
        name,
        ns,
        created=created,
        containers=c,
        statuses=statuses or st,
        node=node,
        owner=owner_t,
        labels=_labels(name, own),
        phase=phase,
        scheduled=scheduled,
        conditions=conditions,
        init_containers=init_containers,
        init_statuses=init_statuses,
        volumes=volumes,
        status_extra=extra,
        **kw,
    )
    if kind_ == "evicted":
        # The kubelet marks an evicted pod not ready when it evicts it, not when it was created.
        for cond in p["status"]["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond["lastTransitionTime"] = clk(-min(age, 10))
    if topology_spread:
        p["spec"]["topologySpreadConstraints"] = topology_spread
    if kind_ == "init_crashloop":
        for cond in p["status"]["conditions"]:
            if cond["type"] == "Initialized":
                cond.update(
                    {
                        "status": "False",
                        "reason": "ContainersNotInitialized",
                        "message": f"containers with incomplete status: [{init_containers[0]['name']}]",
                    }
                )
    return p


def ev(
    clk, ns, kind, name, reason, message, *, ago=5, span=None, count=1, warn=True, component=None, node=NODE, field=None
):
    """One core/v1 Event, ``ago`` minutes before the alert (``span`` minutes between first and last)."""
    comp = component or {
        "FailedScheduling": "default-scheduler",
        "FailedCreate": "replicaset-controller",
        "ProvisioningFailed": "persistentvolume-controller",
        "FailedBinding": "persistentvolume-controller",
    }.get(reason, "kubelet")
    first = clk(-(ago + (span or 0)))
    return event(
        ns,
        kind,
        name,
        reason,
        message,
        first=first,
        last=clk(-ago),
        count=count,
        type_="Warning" if warn else "Normal",
        component=comp,
        host=node if comp == "kubelet" else None,
        field=field,
    )


def owners(clk, ns, deploy, rs_hash, image, cname=None, *, replicas=1, ready=0, revision=1, containers=None):
    """The Deployment and ReplicaSet that own ``<deploy>-<rs_hash>-*`` pods (structure implied by the pod name)."""
    labels = {"app": deploy}
    c = containers or [container(cname or deploy, image)]
    d = deployment(
        deploy,
        ns,
        created=clk(-2 * 1440),
        image=image,
        replicas=replicas,
        ready=ready,
        revision=revision,
        containers=c,
        labels=labels,
    )
    rs = replicaset(
        f"{deploy}-{rs_hash}",
        ns,
        deploy,
        created=clk(-2 * 1440),
        image=image,
        replicas=replicas,
        ready=ready,
        revision=revision,
        containers=c,
        labels=labels,
    )
    return [d], [rs]


def a_crashloop(t, ns, pod_name, cname, *, severity="warning"):
    """kube-prometheus KubePodCrashLooping as Alertmanager sends it."""
    return {
        "title": "KubePodCrashLooping",
        "description": f'Pod {ns}/{pod_name} ({cname}) is in waiting state (reason: "CrashLoopBackOff").',
        "severity": severity,
        "source": "prometheus",
        "starts_at": t,
        "labels": {
            "namespace": ns,
            "pod": pod_name,
            "container": cname,
            "job": "kube-state-metrics",
            "reason": "CrashLoopBackOff",
        },
    }


def a_not_ready(t, ns, pod_name, *, severity="warning"):
    """kube-prometheus KubePodNotReady."""
    return {
        "title": "KubePodNotReady",
        "description": f"Pod {ns}/{pod_name} has been in a non-ready state for longer than 15 minutes.",
        "severity": severity,
        "source": "prometheus",
        "starts_at": t,
        "labels": {"namespace": ns, "pod": pod_name},
    }


def a_replicas(t, ns, name, *, kind="Deployment", severity="warning"):
    """kube-prometheus KubeDeploymentReplicasMismatch / KubeStatefulSetReplicasMismatch, with the
    kube-state-metrics target labels every such alert carries."""
    key = {"Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset"}[kind]
    title = {
        "Deployment": "KubeDeploymentReplicasMismatch",
        "StatefulSet": "KubeStatefulSetReplicasMismatch",
        "DaemonSet": "KubeDaemonSetRolloutStuck",
    }[kind]
    text = (
        f"{kind} {ns}/{name} has not matched the expected number of replicas for longer than 15 minutes."
        if kind != "DaemonSet"
        else f"DaemonSet {ns}/{name} has not finished or progressed for at least 15 minutes."
    )
    return {
        "title": title,
        "description": text,
        "severity": severity,
        "source": "prometheus",
        "starts_at": t,
        "labels": {
            "namespace": ns,
            key: name,
            "job": "kube-state-metrics",
            "container": "kube-state-metrics",
            "instance": "10.244.0.17:8080",
            "pod": "kube-state-metrics-6f9c7d8b5d-x2kqz",
            "service": "kube-state-metrics",
            "endpoint": "http",
        },
    }


def a_waiting(t, ns, pod_name, cname, *, severity="warning"):
    """kube-prometheus KubeContainerWaiting."""
    return {
        "title": "KubeContainerWaiting",
        "description": f"pod/{pod_name} in namespace {ns} on container {cname} has been in waiting state for longer than 1 hour.",
        "severity": severity,
        "source": "prometheus",
        "starts_at": t,
        "labels": {"namespace": ns, "pod": pod_name, "container": cname, "job": "kube-state-metrics"},
    }


def a_restarting(t, ns, pod_name, cname, rate="1.05", *, severity="warning"):
    """KubePodCrashLooping as kube-prometheus (before v0.8) phrased it: a restart rate, not a waiting reason."""
    return {
        "title": "KubePodCrashLooping",
        "description": f"Pod {ns}/{pod_name} ({cname}) is restarting {rate} times / 10 minutes.",
        "severity": severity,
        "source": "prometheus",
        "starts_at": t,
        "labels": {"namespace": ns, "pod": pod_name, "container": cname, "job": "kube-state-metrics"},
    }


def a_error_logs(t, ns, pod_name, cname, count, *, severity="warning"):
    """A Loki/Grafana log-rate alert: the only signal for a controller that runs but fails at its job."""
    return {
        "title": "ContainerErrorLogsHigh",
        "description": f"{ns}/{pod_name} ({cname}) wrote {count} error log lines in the last 10 minutes.",
        "severity": severity,
        "source": "grafana",
        "starts_at": t,
        "labels": {"namespace": ns, "pod": pod_name, "container": cname},
    }


def a_node_text(t, node_name, *, severity="critical"):
    """A node alert forwarded by a chat/webhook bridge that kept the text but dropped the labels."""
    return {
        "title": "[FIRING:1] KubeNodeNotReady",
        "description": f"{node_name} has been unready for more than 15 minutes.",
        "severity": severity,
        "source": "alertmanager",
        "starts_at": t,
        "labels": {},
    }


def a_zh(t, ns, title, description, *, severity="critical", **labels):
    """An alert written in Chinese, as Nightingale / Alibaba Cloud ARMS templates send them."""
    lab = {"namespace": ns}
    lab.update(labels)
    return {
        "title": title,
        "description": description,
        "severity": severity,
        "source": "prometheus",
        "starts_at": t,
        "labels": lab,
    }


def incident(
    *,
    url,
    confirmed,
    category,
    evidence,
    alert,
    pods,
    events=(),
    logs=None,
    deployments=None,
    replicasets=None,
    nodes=None,
    pvcs=None,
    deploys=None,
    language="en",
):
    """A scenario in the documented format plus ``source`` (where it comes from) and ``expected``."""
    cluster = {"pods": lst(pods), "events": lst(list(events)), "deployments": lst(deployments or [])}
    if replicasets is not None:
        cluster["replicasets"] = lst(replicasets)
    if nodes is not None:
        cluster["nodes"] = lst(nodes)
    if pvcs is not None:
        cluster["pvcs"] = lst(pvcs)
    cluster["logs"] = logs or {}
    return {
        "alert": alert,
        "cluster": cluster,
        "deploys": deploys or [],
        "source": {"url": url, "confirmed": confirmed, "language": language},
        "expected": {"category": category, "evidence_contains": list(evidence)},
    }
