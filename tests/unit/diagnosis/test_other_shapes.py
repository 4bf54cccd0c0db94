"""Snapshots written in other styles than the evaluation set (one container, few fields, other runtimes)."""

import pytest

from pagerless.diagnosis.engine import diagnose

pytestmark = pytest.mark.unit

AT = "2026-05-01T12:00:00Z"


def pod(name, ns, containers, phase="Running", owner=None, labels=None, node="n1", spec_containers=None, **status):
    meta = {"name": name, "namespace": ns, "labels": labels or {}, "creationTimestamp": "2026-04-30T10:00:00Z"}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner, "controller": True}]
    return {
        "metadata": meta,
        "spec": {
            "nodeName": node,
            "containers": spec_containers
            or [{"name": c["name"], "image": c.get("image", "img:1")} for c in containers],
        },
        "status": {"phase": phase, "containerStatuses": containers, **status},
    }


def ev(ns, name, reason, msg, t="2026-05-01T11:58:00Z", kind="Pod"):
    return {
        "involvedObject": {"kind": kind, "name": name, "namespace": ns},
        "reason": reason,
        "message": msg,
        "type": "Warning",
        "lastTimestamp": t,
        "firstTimestamp": t,
        "count": 3,
    }


def sc(labels, pods=(), events=(), logs=None, **extra):
    cl = {"pods": {"items": list(pods)}, "events": {"items": list(events)}, "logs": logs or {}}
    deploys = extra.pop("deploys", [])
    for k, v in extra.items():
        cl[k] = {"items": v}
    return {"alert": {"title": "Alert", "labels": labels, "starts_at": AT}, "cluster": cl, "deploys": deploys}


def W(r, m=""):
    return {"waiting": {"reason": r, "message": m}}


def T(r, c, f="2026-05-01T11:58:30Z", m=None):
    return {"terminated": {"reason": r, "exitCode": c, "finishedAt": f, **({"message": m} if m else {})}}


R = {"running": {"startedAt": "2026-05-01T11:59:00Z"}}


def C(name, state, last=None, ready=None, rc=0, image="img:1"):
    return {
        "name": name,
        "image": image,
        "state": state,
        "lastState": last or {},
        "ready": ("running" in state) if ready is None else ready,
        "restartCount": rc,
    }


L = {"namespace": "app", "deployment": "web"}
cases: dict = {
    "H1_errimagepull": (
        sc(
            L,
            [
                pod(
                    "web-5d8f9c7b6-abcde",
                    "app",
                    [
                        C(
                            "web",
                            W(
                                "ErrImagePull",
                                'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99": not found',
                            ),
                            ready=False,
                        )
                    ],
                    phase="Pending",
                    owner="web-5d8f9c7b6",
                )
            ],
        ),
        "image_pull_error",
    ),
    "H2_readiness500": (
        sc(
            L,
            [pod("web-5d8f9c7b6-abcde", "app", [C("web", R, ready=False)], owner="web-5d8f9c7b6")],
            [
                ev(
                    "app",
                    "web-5d8f9c7b6-abcde",
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 500",
                )
            ],
        ),
        "readiness_probe_failure",
    ),
    "H3_module": (
        sc(
            L,
            [
                pod(
                    "web-5d8f9c7b6-abcde",
                    "app",
                    [C("web", W("CrashLoopBackOff"), T("Error", 1), rc=5)],
                    owner="web-5d8f9c7b6",
                )
            ],
            logs={
                "app/web-5d8f9c7b6-abcde/web#previous": "node:internal/modules/cjs/loader:1080\n  throw err;\n  ^\n\nError: Cannot find module 'express'\nRequire stack:\n- /app/server.js\n{\n  code: 'MODULE_NOT_FOUND',\n}\n\nNode.js v18.19.0"
            },
        ),
        "crashloop_app_error",
    ),
    "H4_javaheap": (
        sc(
            L,
            [
                pod(
                    "web-5d8f9c7b6-abcde",
                    "app",
                    [C("web", W("CrashLoopBackOff"), T("Error", 1), rc=5)],
                    owner="web-5d8f9c7b6",
                )
            ],
            logs={
                "app/web-5d8f9c7b6-abcde/web#previous": 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n\tat java.util.Arrays.copyOf(Arrays.java:3210)'
            },
        ),
        "crashloop_app_error",
    ),
    "H5_coredns": (
        sc(
            L,
            [
                pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6"),
                pod(
                    "coredns-6d4b75cb6d-xyz12",
                    "kube-system",
                    [C("coredns", W("CrashLoopBackOff"), T("Error", 1), rc=9)],
                    owner="coredns-6d4b75cb6d",
                    labels={"k8s-app": "kube-dns"},
                ),
            ],
            logs={
                "app/web-5d8f9c7b6-abcde/web": 'level=error msg="request failed" err="dial tcp: lookup api.internal on 10.96.0.10:53: server misbehaving"\n'
                * 3,
                "kube-system/coredns-6d4b75cb6d-xyz12/coredns#previous": 'plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone "."',
            },
        ),
        "dns_resolution_failure",
    ),
    "H13_dep_noavail": (
        sc(
            L,
            [pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6")],
            logs={
                "app/web-5d8f9c7b6-abcde/web": 'Get "http://user-service:8080/users/1": dial tcp 10.96.12.4:8080: connect: connection refused\n'
                * 4
            },
            deployments=[
                {
                    "metadata": {"name": "user-service", "namespace": "app"},
                    "spec": {"replicas": 2},
                    "status": {"replicas": 2, "availableReplicas": 0, "readyReplicas": 0},
                }
            ],
        ),
        "dependency_unavailable",
    ),
    "H17_liveness_timeout": (
        sc(
            L,
            [
                pod(
                    "web-5d8f9c7b6-abcde",
                    "app",
                    [C("web", R, T("Error", 137), ready=False, rc=8)],
                    owner="web-5d8f9c7b6",
                    spec_containers=[
                        {
                            "name": "web",
                            "image": "img:1",
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": 8080},
                                "initialDelaySeconds": 5,
                                "timeoutSeconds": 1,
                            },
                        }
                    ],
                )
            ],
            [
                ev(
                    "app",
                    "web-5d8f9c7b6-abcde",
                    "Unhealthy",
                    'Liveness probe failed: Get "http://10.0.0.1:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
                )
            ],
        ),
        "liveness_probe_misconfigured",
    ),
    "H18_cannotrun": (
        sc(
            L,
            [
                pod(
                    "web-5d8f9c7b6-abcde",
                    "app",
                    [
                        C(
                            "web",
                            W("CrashLoopBackOff"),
                            T(
                                "ContainerCannotRun",
                                127,
                                m='OCI runtime create failed: runc create failed: unable to start container process: exec: "pyhton": executable file not found in $PATH: unknown',
                            ),
                            rc=4,
                        )
                    ],
                    owner="web-5d8f9c7b6",
                )
            ],
        ),
        "wrong_command_or_entrypoint",
    ),
    "H16_quota_condition": (
        sc(
            L,
            [pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6")],
            deployments=[
                {
                    "metadata": {"name": "web", "namespace": "app"},
                    "spec": {"replicas": 5},
                    "status": {
                        "replicas": 1,
                        "readyReplicas": 1,
                        "availableReplicas": 1,
                        "conditions": [
                            {
                                "type": "ReplicaFailure",
                                "status": "True",
                                "reason": "FailedCreate",
                                "message": 'pods "web-5d8f9c7b6-zzzzz" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=2, limited: requests.cpu=2',
                            }
                        ],
                    },
                }
            ],
        ),
        "resource_quota_exceeded",
    ),
    "H20_oom_current_state": (
        sc(
            L,
            [
                pod(
                    "web-5d8f9c7b6-abcde",
                    "app",
                    [C("web", T("OOMKilled", 137), ready=False, rc=3)],
                    owner="web-5d8f9c7b6",
                )
            ],
        ),
        "oom_killed",
    ),
    "H21_configmap_key": (
        sc(
            L,
            [
                pod(
                    "web-5d8f9c7b6-abcde",
                    "app",
                    [
                        C(
                            "web",
                            W("CreateContainerConfigError", "couldn't find key LOG_LEVEL in ConfigMap app/web-config"),
                            ready=False,
                        )
                    ],
                    phase="Pending",
                    owner="web-5d8f9c7b6",
                )
            ],
        ),
        "missing_config_reference",
    ),
    "H22_pvc_waitfirst": (
        sc(
            {"namespace": "db", "statefulset": "pg"},
            [pod("pg-0", "db", [], phase="Pending", node=None)],
            [
                ev(
                    "db",
                    "pg-0",
                    "FailedScheduling",
                    "0/3 nodes are available: 3 pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
                )
            ],
        ),
        "pvc_unbound",
    ),
    "H23_mem_insufficient": (
        sc(
            L,
            [pod("web-5d8f9c7b6-abcde", "app", [], phase="Pending", node=None, owner="web-5d8f9c7b6")],
            [
                ev(
                    "app",
                    "web-5d8f9c7b6-abcde",
                    "FailedScheduling",
                    "0/6 nodes are available: 3 Insufficient memory, 3 node(s) had untolerated taint {node-role.kubernetes.io/master: }. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.",
                )
            ],
        ),
        "unschedulable_insufficient_resources",
    ),
    "H24_cert_python": (
        sc(
            L,
            [pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6")],
            logs={
                "app/web-5d8f9c7b6-abcde/web": "requests.exceptions.SSLError: HTTPSConnectionPool(host='api.partner.com', port=443): Max retries exceeded with url: /v1 (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)')))\n"
                * 3
            },
        ),
        "certificate_expired",
    ),
    "H25_volume_full_node": (
        sc(
            L,
            [pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6")],
            logs={
                "app/web-5d8f9c7b6-abcde/web": "OSError: [Errno 28] No space left on device: '/data/uploads/tmp123'\n"
                * 3
            },
        ),
        "volume_full",
    ),
}


@pytest.mark.parametrize("name", sorted(cases))
def test_other_shapes_are_diagnosed(name):
    # Given a snapshot in another author's style
    data, expected = cases[name]
    # When it is diagnosed
    result = diagnose(data)
    # Then the category is the expected one and evidence is cited
    assert result.category == expected
    assert result.evidence


abstain_cases: dict = {
    "I1": sc(
        L,
        [pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6")],
        logs={
            "app/web-5d8f9c7b6-abcde/web": "WARN slow query took 2300ms\nERROR failed to send metric: dial udp statsd:8125: connect: connection refused\nINFO ok"
        },
    ),
    "I4": sc(
        L,
        [
            pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6"),
            pod(
                "batch-7c9d8f6b5-zzzzz",
                "app",
                [C("batch", W("CrashLoopBackOff"), T("Error", 1), rc=9)],
                owner="batch-7c9d8f6b5",
            ),
        ],
        logs={"app/batch-7c9d8f6b5-zzzzz/batch#previous": "panic: boom"},
    ),
    "I4b_neighbour_oom": sc(
        L,
        [
            pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6"),
            pod(
                "batch-7c9d8f6b5-zzzzz",
                "app",
                [C("batch", W("CrashLoopBackOff"), T("OOMKilled", 137), rc=9)],
                owner="batch-7c9d8f6b5",
            ),
        ],
    ),
    "I6": sc({}, [pod("coredns-6d4b75cb6d-xyz12", "kube-system", [C("coredns", R)], owner="coredns-6d4b75cb6d")]),
    "I8_config_warn_running": sc(
        L,
        [pod("web-5d8f9c7b6-abcde", "app", [C("web", R)], owner="web-5d8f9c7b6")],
        logs={"app/web-5d8f9c7b6-abcde/web": "WARN invalid value for header X-Tenant, ignoring\n" * 5},
    ),
    "I9_not_ready_starting": sc(
        L, [pod("web-5d8f9c7b6-abcde", "app", [C("web", R, ready=False)], owner="web-5d8f9c7b6")]
    ),
}


@pytest.mark.parametrize("name", sorted(abstain_cases))
def test_weak_or_unrelated_signals_make_the_engine_abstain(name):
    # Given a healthy alerting workload with weak hints, or faults only in its neighbours
    # When it is diagnosed
    result = diagnose(abstain_cases[name])
    # Then the engine does not guess
    assert result.category == "insufficient_evidence"
