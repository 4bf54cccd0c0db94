"""The oom_killed_payments cluster with the workloads that own its other pods, as the API serves them: the DaemonSet
kube-proxy (3 pods), the StatefulSet prometheus-k8s (1 pod), a DaemonSet log-shipper in payments (2 pods), and the
CronJob payments-report with the Job of its latest run and that run's pod."""

import copy
import json
from pathlib import Path

SCENARIO = Path(__file__).parents[2] / "scenarios" / "oom_killed_payments.json"
NODES = ["ip-10-0-1-23.ec2.internal", "ip-10-0-2-117.ec2.internal"]
SHIPPER_PODS = ["log-shipper-8vq2d", "log-shipper-r4m7x"]
REPORT_JOB, REPORT_POD = "payments-report-29553120", "payments-report-29553120-7xk2p"


def _ref(kind: str, name: str, api_version: str = "apps/v1") -> dict:
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": f"uid-{name}", "controller": True}


def _ready(node: str) -> dict:
    return {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0, "state": {"running": {}}}],
        "hostIP": "10.0.0.2",
    }


def _template(labels: dict, image: str) -> dict:
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "main", "image": image}]}}


def daemonset(namespace: str, name: str, labels: dict, desired: int, ready: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "generation": 1},
        "spec": {"selector": {"matchLabels": labels}, "template": _template(labels, f"{name}:1")},
        "status": {
            "desiredNumberScheduled": desired,
            "currentNumberScheduled": desired,
            "updatedNumberScheduled": desired,
            "numberReady": ready,
            "numberAvailable": ready,
            **({"numberUnavailable": desired - ready} if desired - ready else {}),
            "observedGeneration": 1,
        },
    }


def statefulset(namespace: str, name: str, labels: dict, replicas: int, ready: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "generation": 1},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": labels},
            "template": _template(labels, f"{name}:1"),
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "currentReplicas": replicas,
            "updatedReplicas": replicas,
            "currentRevision": f"{name}-6d4f8b9c7",
            "updateRevision": f"{name}-6d4f8b9c7",
            "observedGeneration": 1,
        },
    }


def report_job(status: dict) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": REPORT_JOB,
            "namespace": "payments",
            "uid": f"uid-{REPORT_JOB}",
            "labels": {"job-name": REPORT_JOB},
            "ownerReferences": [_ref("CronJob", "payments-report", "batch/v1")],
        },
        "spec": {
            "backoffLimit": 2,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": f"uid-{REPORT_JOB}"}},
            "template": {
                "metadata": {"labels": {"job-name": REPORT_JOB}},
                "spec": {"containers": [{"name": "main", "image": "report:1"}], "restartPolicy": "Never"},
            },
        },
        "status": status,
    }


def _pod(namespace: str, name: str, labels: dict, owner: dict, node: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "creationTimestamp": "2026-03-01T00:00:00Z",
            "ownerReferences": [owner],
        },
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": "x:1"}]},
        "status": _ready(node),
    }


def owned_scenario(*, job_status: dict | None = None) -> dict:
    """The scenario with those workloads; ``job_status``: the report Job's status (default: its pod running)."""
    scenario = json.loads(SCENARIO.read_text("utf-8"))
    cluster = scenario["cluster"]
    shipper = {"app": "log-shipper"}
    cluster["pods"]["items"] += [
        _pod("payments", pod, shipper, _ref("DaemonSet", "log-shipper"), node)
        for pod, node in zip(SHIPPER_PODS, NODES, strict=True)
    ] + [_pod("payments", REPORT_POD, {"job-name": REPORT_JOB}, _ref("Job", REPORT_JOB, "batch/v1"), NODES[0])]
    cluster["daemonsets"] = {
        "items": [
            daemonset("kube-system", "kube-proxy", {"k8s-app": "kube-proxy"}, 3, 3),
            daemonset("payments", "log-shipper", shipper, 2, 2),
        ]
    }
    cluster["statefulsets"] = {
        "items": [statefulset("monitoring", "prometheus-k8s", {"app.kubernetes.io/name": "prometheus"}, 1, 1)]
    }
    cluster["jobs"] = {"items": [report_job(job_status or {"active": 1, "ready": 1})]}
    cluster["cronjobs"] = {
        "items": [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "payments-report", "namespace": "payments", "uid": "uid-payments-report"},
                "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": copy.deepcopy(report_job({})["spec"])}},
            }
        ]
    }
    return scenario
