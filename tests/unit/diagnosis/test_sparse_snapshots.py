"""Sparse snapshots as other tools or people write them: no ownerReferences, no times, no specs."""

import pytest

from pagerless.diagnosis.engine import diagnose

pytestmark = pytest.mark.unit


def P(name, ns, statuses, phase="Running", **kw):
    d = {
        "metadata": {"name": name, "namespace": ns, "labels": kw.pop("labels", {})},
        "spec": kw.pop("spec", {"containers": [{"name": s["name"], "image": s.get("image", "x:1")} for s in statuses]}),
        "status": {"phase": phase, "containerStatuses": statuses, **kw},
    }
    return d


cases: dict = {}
# 1 OOM minimal, no owners, no finishedAt
cases["oom_minimal"] = (
    {
        "alert": {
            "title": "HighErrorRate",
            "labels": {"namespace": "pay", "deployment": "pay-api"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {
                "items": [
                    P(
                        "pay-api-7d9f8b6c5-x2k4p",
                        "pay",
                        [
                            {
                                "name": "api",
                                "restartCount": 5,
                                "ready": False,
                                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                            }
                        ],
                    )
                ]
            },
            "events": {"items": []},
        },
    },
    "oom_killed",
)
# 2 restart alert; deploy 10 min earlier; pods no creationTimestamp, panic in previous log
cases["deploy_minimal"] = (
    {
        "alert": {
            "title": "PodRestarting",
            "labels": {"namespace": "web", "service": "shop"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {
                "items": [
                    P(
                        "shop-5c6d7e8f9a-abcde",
                        "web",
                        [
                            {
                                "name": "shop",
                                "image": "reg/shop:2.0",
                                "restartCount": 4,
                                "ready": False,
                                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                "lastState": {
                                    "terminated": {
                                        "reason": "Error",
                                        "exitCode": 2,
                                        "finishedAt": "2026-01-01T09:58:00Z",
                                    }
                                },
                            }
                        ],
                    )
                ]
            },
            "logs": {
                "web/shop-5c6d7e8f9a-abcde/shop#previous": "panic: runtime error: index out of range [5] with length 5\n\ngoroutine 1 [running]:"
            },
        },
        "deploys": [
            {"service": "shop", "namespace": "web", "image": "reg/shop:2.0", "timestamp": "2026-01-01T09:50:00Z"},
            {"service": "shop", "namespace": "web", "image": "reg/shop:1.9", "timestamp": "2025-12-20T09:50:00Z"},
        ],
    },
    "bad_deploy",
)
# 3 liveness: no spec, only events
cases["liveness_events_only"] = (
    {
        "alert": {
            "title": "ContainerRestarts",
            "labels": {"namespace": "a", "pod": "svc-0"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {
                "items": [
                    P(
                        "svc-0",
                        "a",
                        [
                            {
                                "name": "svc",
                                "restartCount": 7,
                                "ready": False,
                                "state": {"running": {"startedAt": "2026-01-01T09:59:00Z"}},
                                "lastState": {
                                    "terminated": {
                                        "reason": "Error",
                                        "exitCode": 137,
                                        "finishedAt": "2026-01-01T09:58:50Z",
                                    }
                                },
                            }
                        ],
                    )
                ]
            },
            "events": {
                "items": [
                    {
                        "involvedObject": {"kind": "Pod", "name": "svc-0", "namespace": "a"},
                        "reason": "Unhealthy",
                        "message": 'Liveness probe failed: Get "http://10.1.1.1:8080/health": context deadline exceeded',
                        "type": "Warning",
                        "lastTimestamp": "2026-01-01T09:58:40Z",
                    },
                    {
                        "involvedObject": {"kind": "Pod", "name": "svc-0", "namespace": "a"},
                        "reason": "Killing",
                        "message": "Container svc failed liveness probe, will be restarted",
                        "lastTimestamp": "2026-01-01T09:58:45Z",
                    },
                ]
            },
        },
    },
    "liveness_probe_misconfigured",
)
# 4 dependency named by IP, OOMKilled dependency
cases["dep_ip_oom"] = (
    {
        "alert": {
            "title": "5xx",
            "labels": {"namespace": "s", "service": "front"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {
                "items": [
                    P(
                        "front-1",
                        "s",
                        [{"name": "front", "restartCount": 0, "ready": True, "state": {"running": {}}}],
                        labels={"app": "front"},
                        podIP="10.0.0.5",
                    ),
                    P(
                        "backend-6b7c8d9e0f-zzzzz",
                        "s",
                        [
                            {
                                "name": "backend",
                                "restartCount": 3,
                                "ready": False,
                                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                "lastState": {
                                    "terminated": {
                                        "reason": "OOMKilled",
                                        "exitCode": 137,
                                        "finishedAt": "2026-01-01T09:57:00Z",
                                    }
                                },
                            }
                        ],
                        labels={"app": "backend"},
                        podIP="10.0.0.9",
                    ),
                ]
            },
            "logs": {
                "s/front-1/front": "ERROR upstream call failed: dial tcp 10.0.0.9:8080: connect: connection refused\nERROR upstream call failed: dial tcp 10.0.0.9:8080: connect: connection refused"
            },
        },
    },
    "oom_killed",
)
# 5 hpa only conditions
cases["hpa_cond"] = (
    {
        "alert": {
            "title": "Latency",
            "labels": {"namespace": "h", "deployment": "api"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {
                "items": [
                    P("api-1", "h", [{"name": "api", "ready": True, "state": {"running": {}}}], labels={"app": "api"})
                ]
            },
            "hpas": {
                "items": [
                    {
                        "metadata": {"name": "api", "namespace": "h"},
                        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "maxReplicas": 5},
                        "status": {
                            "currentReplicas": 5,
                            "desiredReplicas": 5,
                            "conditions": [
                                {
                                    "type": "ScalingLimited",
                                    "status": "True",
                                    "reason": "TooManyReplicas",
                                    "message": "the desired replica count is more than the maximum replica count",
                                }
                            ],
                        },
                    }
                ]
            },
        },
    },
    "hpa_maxed_out",
)
# 6 inconclusive empty
cases["empty"] = (
    {"alert": {"title": "Something", "labels": {"namespace": "x"}}, "cluster": {}},
    "insufficient_evidence",
)
# 7 old OOM + nothing else
cases["old_oom"] = (
    {
        "alert": {
            "title": "Latency",
            "labels": {"namespace": "p", "deployment": "w"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {
                "items": [
                    P(
                        "w-5c6d7e8f9a-abcde",
                        "p",
                        [
                            {
                                "name": "w",
                                "restartCount": 1,
                                "ready": True,
                                "state": {"running": {"startedAt": "2025-12-29T10:00:00Z"}},
                                "lastState": {
                                    "terminated": {
                                        "reason": "OOMKilled",
                                        "exitCode": 137,
                                        "finishedAt": "2025-12-29T10:00:00Z",
                                    }
                                },
                            }
                        ],
                    )
                ]
            }
        },
    },
    "insufficient_evidence",
)
# 8 config error running app? crash with spring
cases["spring_bind"] = (
    {
        "alert": {
            "title": "Down",
            "labels": {"namespace": "j", "deployment": "svc"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {
                "items": [
                    P(
                        "svc-5c6d7e8f9a-abcde",
                        "j",
                        [
                            {
                                "name": "svc",
                                "restartCount": 4,
                                "ready": False,
                                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                "lastState": {
                                    "terminated": {
                                        "reason": "Error",
                                        "exitCode": 1,
                                        "finishedAt": "2026-01-01T09:59:00Z",
                                    }
                                },
                            }
                        ],
                    )
                ]
            },
            "logs": {
                "j/svc-5c6d7e8f9a-abcde/svc#previous": "***************************\nAPPLICATION FAILED TO START\n***************************\n\nDescription:\n\nFailed to bind properties under 'server.port' to java.lang.Integer:\n\n    Property: server.port\n    Value: \"eighty\"\n    Reason: failed to convert java.lang.String to java.lang.Integer"
            },
        },
    },
    "app_config_error",
)
# 9 dns with kube-system coredns crashloop
cases["dns_nxdomain"] = (
    {
        "alert": {
            "title": "ErrorsHigh",
            "labels": {"namespace": "d", "app": "web"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {
                "items": [
                    P("web-1", "d", [{"name": "web", "ready": True, "state": {"running": {}}}], labels={"app": "web"})
                ]
            },
            "logs": {
                "d/web-1/web": "requests.exceptions.ConnectionError: HTTPConnectionPool(host='users-api', port=80): Max retries exceeded with url: /v1/u (Caused by NameResolutionError(\"<urllib3.connection.HTTPConnection object at 0x7f>: Failed to resolve 'users-api' ([Errno -2] Name or service not known)\"))"
            },
        },
    },
    "dns_resolution_failure",
)
# 10 quota on statefulset
cases["quota_sts"] = (
    {
        "alert": {
            "title": "Replicas",
            "labels": {"namespace": "q", "statefulset": "kafka"},
            "starts_at": "2026-01-01T10:00:00Z",
        },
        "cluster": {
            "pods": {"items": []},
            "events": {
                "items": [
                    {
                        "involvedObject": {"kind": "StatefulSet", "name": "kafka", "namespace": "q"},
                        "reason": "FailedCreate",
                        "message": 'create Pod kafka-2 in StatefulSet kafka failed error: pods "kafka-2" is forbidden: exceeded quota: q-quota, requested: requests.storage=100Gi',
                        "type": "Warning",
                        "lastTimestamp": "2026-01-01T09:55:00Z",
                    }
                ]
            },
        },
    },
    "resource_quota_exceeded",
)


@pytest.mark.parametrize("name", sorted(cases))
def test_sparse_snapshot_is_still_diagnosed(name):
    # Given a sparse snapshot
    data, expected = cases[name]
    # When it is diagnosed
    result = diagnose(data)
    # Then the category is right and, unless abstaining, evidence is cited
    assert result.category == expected
    assert result.evidence or expected == "insufficient_evidence"
