"""Real incidents, part 4: threads whose pasted evidence does not establish a cause.

The honest answer for each is ``insufficient_evidence``: the thread shows a symptom (an exit code, a restart,
a probe failure) but no error line, event or state that names why, and the thread itself did not settle it
from what was pasted.
"""

from _kit import Clock, a_crashloop, a_restarting, a_zh, container, ev, incident, owners, terminated, wpod
from kube_objects import http_probe


def exit_137_error_one_restart_k8s_122256():
    t = "2026-11-13T03:55:00Z"
    clk = Clock(t)
    ns = "default"
    p = "app-5c8d7b9f6-wk64c"
    node = "worker-pool4-j7f0skum-pccc-377-3"
    img = "registry.example.com/app:1.0"
    d, rs = owners(clk, ns, "app", "5c8d7b9f6", img, replicas=1, ready=1)
    last = terminated(137, "Error", clk(-6.1), clk(-4.1))
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/122256",
        confirmed="Inconclusive: Last State Terminated, Reason Error, Exit Code 137, one restart; the only other data "
        "is a node-side ExecSync failure. The issue was closed as a support question without a cause.",
        category="insufficient_evidence",
        evidence=[],
        alert=a_restarting(t, ns, p, "app", "0.10"),
        pods=[wpod(clk, ns, p, image=img, node=node, state=("running", 1, last, True), age=7)],
        deployments=d,
        replicasets=rs,
    )


def exit_137_no_resource_pressure_k8s_125639():
    t = "2026-06-22T10:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "gateway-6f9b8c7d5-x8kzq"
    img = "harbor.example.cn/platform/gateway:3.2.1"
    d, rs = owners(clk, ns, "gateway", "6f9b8c7d5", img, replicas=1, ready=1)
    last = terminated(137, "Error", clk(-3 * 60), clk(-1))
    probe = {
        "exec": {"command": ["/bin/sh", "-c", "/health.sh"]},
        "initialDelaySeconds": 30,
        "timeoutSeconds": 5,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/125639",
        confirmed="Inconclusive: the container is killed with 137 after running a while, resource usage is low and "
        "there is no OOM; the probe is an exec probe. Closed needing information, no cause found.",
        category="insufficient_evidence",
        evidence=[],
        alert=a_restarting(t, ns, p, "gateway", "0.10"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                state=("running", 3, last, True),
                mem=("1Gi", "2Gi"),
                cpu=("500m", "1"),
                liveness=probe,
                readiness=probe,
                age=6 * 60,
            )
        ],
        deployments=d,
        replicasets=rs,
    )


def liveness_refused_unknown_why_charts_12409():
    t = "2026-03-20T10:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "webapp-7d6c5b9f8-2lq9x"
    img = "registry.example.com/webapp:1.0"
    d, rs = owners(clk, ns, "webapp", "7d6c5b9f8", img, replicas=1, ready=1)
    return incident(
        url="https://github.com/helm/charts/issues/12409",
        confirmed="Inconclusive: the liveness probe sometimes gets connection refused and the pod is restarted; the "
        "reporter does not know why and the thread ends without a cause.",
        category="insufficient_evidence",
        evidence=[],
        alert=a_restarting(t, ns, p, "webapp", "0.20"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                state=("running", 6, None, True),
                liveness=http_probe("/healthz", 8080, delay=60),
                age=3 * 1440,
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Unhealthy",
                "Liveness probe failed: Get http://xxx.xx.x..x:8080/healthz: dial tcp "
                "xxx.xxx.xx:8080: connect: connection refused",
                ago=30,
                span=600,
                count=14,
            )
        ],
        deployments=d,
        replicasets=rs,
    )


def crashloop_no_logs_prometheus_zh_my_dlq_14():
    t = "2026-07-09T10:20:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "prometheus-6479c8888f-hprf8"
    prom, reload = "prom/prometheus:v2.28.1", "jimmidyson/configmap-reload:v0.5.0"
    cs = [container("prometheus", prom), container("configmap-reload", reload)]
    from _kit import running

    statuses = [
        {
            "name": "prometheus",
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": terminated(1, "Error", clk(-2), clk(-2)),
            "ready": False,
            "restartCount": 8,
            "image": prom,
            "imageID": "",
            "started": False,
        },
        running("configmap-reload", reload, clk(-18)),
    ]
    d, rs = owners(clk, ns, "prometheus", "6479c8888f", prom, containers=cs)
    return incident(
        url="https://github.com/my-dlq/blog-example/issues/14",
        confirmed="(Chinese thread) Inconclusive: no log of the prometheus container was collected (kubectl logs was "
        "run without -c) and the events only show restarts; the author only suggested removing the "
        "configmap-reload container to test. No cause was established.",
        category="insufficient_evidence",
        evidence=[],
        language="zh",
        alert=a_zh(
            t,
            ns,
            "Pod 频繁重启",
            "kube-system/prometheus-6479c8888f-hprf8 容器 prometheus 处于 CrashLoopBackOff，18 分钟内重启 8 次",
            pod=p,
            container="prometheus",
        ),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=prom,
                containers=cs,
                statuses=statuses,
                state=("running", 0, None, False),
                age=18,
                node="10.9.143.246",
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Scheduled",
                f"Successfully assigned kube-system/{p} to 10.9.143.246",
                ago=18,
                warn=False,
                component="default-scheduler",
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Pulled",
                f'Container image "{reload}" already present on machine',
                ago=18,
                warn=False,
                node="10.9.143.246",
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Created",
                "Created container configmap-reload",
                ago=18,
                warn=False,
                node="10.9.143.246",
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Started",
                "Started container configmap-reload",
                ago=18,
                warn=False,
                node="10.9.143.246",
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Created",
                "Created container prometheus",
                ago=17,
                span=1,
                count=4,
                warn=False,
                node="10.9.143.246",
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Started",
                "Started container prometheus",
                ago=17,
                span=1,
                count=4,
                warn=False,
                node="10.9.143.246",
            ),
        ],
        deployments=d,
        replicasets=rs,
    )


def crashloop_no_logs_elasticsearch_k8s_17460():
    t = "2026-11-18T10:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "elasticsearch-attiy"
    img = "eu.gcr.io/foo/foo_elasticsearch:latest"
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/17460",
        confirmed="Inconclusive: both elasticsearch pods are in CrashLoopBackOff with 25 restarts; the thread is about "
        "the confusing status and exec error, no log or cause was shown.",
        category="insufficient_evidence",
        evidence=[],
        alert=a_crashloop(t, ns, p, "elasticsearch"),
        pods=[
            wpod(
                clk,
                ns,
                n,
                image=img,
                cname="elasticsearch",
                kind="ReplicationController",
                owner="elasticsearch",
                node="gke-small-cluster-7834f89-node-wke5",
                state=("crashloop", 1, "Error", 25, None),
                age=60,
            )
            for n in (p, "elasticsearch-lkl4i")
        ]
        + [
            wpod(
                clk,
                ns,
                n,
                image="eu.gcr.io/foo/foo_frontend:latest",
                cname="frontend",
                kind="ReplicationController",
                owner="frontend",
                state=("running", 0, None, True),
                age=60,
            )
            for n in ("frontend-81lqv", "frontend-ddanc")
        ],
    )


def crashloop_one_replica_network_whitelist_46():
    t = "2026-08-10T10:00:00Z"
    clk = Clock(t)
    ns = "default"
    img = "registry.example.com/issues-api:2.3.0"
    ok, bad = "issues-api-6c9d8f7b5-7rx2m", "issues-api-6c9d8f7b5-q4zkt"
    d, rs = owners(clk, ns, "issues-api", "6c9d8f7b5", img, replicas=2, ready=1)
    return incident(
        url="https://github.com/yaphetsglhf/issues/issues/46",
        confirmed="Inconclusive from the evidence: one replica runs, the re-created one crash-loops. The author later "
        "found the new node's IP was missing from a firewall whitelist, which nothing in the cluster shows.",
        category="insufficient_evidence",
        evidence=[],
        alert=a_crashloop(t, ns, bad, "issues-api"),
        pods=[
            wpod(clk, ns, ok, image=img, state=("running", 0, None, True), age=7 * 1440, node="worker-1"),
            wpod(clk, ns, bad, image=img, state=("crashloop", 1, "Error", 9, None), age=40, node="worker-2"),
        ],
        deployments=d,
        replicasets=rs,
    )


CASES = [
    exit_137_error_one_restart_k8s_122256,
    exit_137_no_resource_pressure_k8s_125639,
    liveness_refused_unknown_why_charts_12409,
    crashloop_no_logs_prometheus_zh_my_dlq_14,
    crashloop_no_logs_elasticsearch_k8s_17460,
    crashloop_one_replica_network_whitelist_46,
]
