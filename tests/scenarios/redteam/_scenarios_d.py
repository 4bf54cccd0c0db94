"""Red-team scenarios, part D: storage, autoscaling, throttling, init containers, evictions, abstentions."""

from _common import NODES, alert, healthy_pods, kube_noise, nodes, scenario, std_deploy
from kube_objects import (
    Clock,
    container,
    deployment,
    event,
    hpa,
    pod,
    pvc,
    running,
    terminated,
    uid,
    waiting,
)


def _crashing(clk, ns, name, owner, c, *, restarts, exit_code, reason="Error", node_name=NODES[2], labels=None, **kw):
    return pod(
        name,
        ns,
        created=clk(-3 * 1440),
        containers=[c],
        owner=owner,
        node=node_name,
        labels=labels or {"app": owner[1]},
        statuses=[
            waiting(
                c["name"],
                c["image"],
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container={c['name']} pod={name}_{ns}({uid('Pod', ns, name)})",
                restarts=restarts,
                last=terminated(exit_code, reason, clk(-3.3), clk(-3)),
            )
        ],
        **kw,
    )


def postgres_wal_disk_full_zh():
    t = "2026-12-12T03:20:00Z"
    clk = Clock(t)
    ns = "wms"
    d = "wms-api"
    img = "harbor.internal.cn/wms/wms-api:2.2.7"
    h = "7c8b6d5f9"
    pods = healthy_pods(clk, ns, d, h, img, ["b3c4d", "f5g6h"])
    pgc = container(
        "postgres",
        "postgres:15.6",
        cpu=("1", "2"),
        mem=("2Gi", "4Gi"),
        ports=[5432],
        mounts=[{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
    )
    pg = _crashing(
        clk,
        ns,
        "wms-postgres-0",
        ("StatefulSet", "wms-postgres", ns),
        pgc,
        restarts=8,
        exit_code=1,
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-wms-postgres-0"}}],
    )
    pglog = "\n".join(
        [
            "2026-12-12 03:16:40.112 UTC [1] LOG:  starting PostgreSQL 15.6 (Debian 15.6-1.pgdg120+2) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit",
            '2026-12-12 03:16:40.114 UTC [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432',
            "2026-12-12 03:16:40.130 UTC [27] LOG:  database system was interrupted; last known up at 2026-12-12 02:58:11 UTC",
            "2026-12-12 03:16:40.401 UTC [27] LOG:  database system was not properly shut down; automatic recovery in progress",
            "2026-12-12 03:16:40.402 UTC [27] LOG:  redo starts at 3A/9C0012F8",
            '2026-12-12 03:16:41.877 UTC [27] FATAL:  could not write to file "pg_wal/xlogtemp.27": No space left on device',
            "2026-12-12 03:16:41.880 UTC [1] LOG:  startup process (PID 27) exited with exit code 1",
            "2026-12-12 03:16:41.880 UTC [1] LOG:  aborting startup due to startup process failure",
            "2026-12-12 03:16:41.884 UTC [1] LOG:  database system is shut down",
        ]
    )
    api = "\n".join(
        [
            '{"@timestamp":"2026-12-12T11:19:52.331+08:00","level":"ERROR","logger_name":"c.z.h.pool.HikariPool","message":"HikariPool-1 - Exception during pool initialization.","stack_trace":"org.postgresql.util.PSQLException: Connection to wms-postgres.wms.svc.cluster.local:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.\\n\\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:342)"}',
            '{"@timestamp":"2026-12-12T11:19:53.004+08:00","level":"WARN","logger_name":"c.w.api.web.ErrorFilter","message":"GET /api/v2/stock/SKU-3391 -> 500 (DataAccessResourceFailureException)"}',
        ]
    )
    ev = [
        event(
            ns,
            "Pod",
            "wms-postgres-0",
            "BackOff",
            "Back-off restarting failed container postgres in pod wms-postgres-0_wms("
            + uid("Pod", ns, "wms-postgres-0")
            + ")",
            first=clk(-40),
            last=clk(-1),
            count=33,
            type_="Warning",
            host=NODES[2],
            field="spec.containers{postgres}",
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=31, rs_hash=h)
    return scenario(
        alert(
            "仓储系统接口大量报错",
            "wms-api 5xx 比例 37%，库存查询失败",
            namespace=ns,
            service=d,
            deployment=d,
            starts_at=t,
        ),
        pods=pods + [pg] + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        pvcs=[pvc("data-wms-postgres-0", ns, created=clk(-300 * 1440), size="20Gi")],
        logs={f"{ns}/wms-postgres-0/postgres#previous": pglog, f"{ns}/{d}-{h}-b3c4d/{d}": api},
        expected_category="volume_full",
        evidence=["No space left on device"],
    )


def hpa_pinned_at_max():
    t = "2026-11-27T20:05:00Z"
    clk = Clock(t)
    ns = "search"
    d = "search-api"
    img = "acme/search-api:4.18.0"
    h = "9d7c6b8f5"
    sfx = ["b2c3d", "f4g5h", "j6k7l", "m8n9p", "q2r3s", "t4v5w", "x6y7z", "a3b4c", "d5f6g", "h7j8k"]
    pods, ev = healthy_pods(clk, ns, d, h, img, sfx), []
    dp, rs = std_deploy(clk, ns, d, img, 10, 10, revision=44, rs_hash=h)
    h1 = hpa(
        d,
        ns,
        d,
        created=clk(-200 * 1440),
        min_r=3,
        max_r=10,
        current=10,
        desired=10,
        util=186,
        conditions=[
            {
                "type": "AbleToScale",
                "status": "True",
                "lastTransitionTime": clk(-35),
                "reason": "ReadyForNewScale",
                "message": "recommended size matches current size",
            },
            {
                "type": "ScalingActive",
                "status": "True",
                "lastTransitionTime": clk(-100 * 1440),
                "reason": "ValidMetricFound",
                "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
            },
            {
                "type": "ScalingLimited",
                "status": "True",
                "lastTransitionTime": clk(-34),
                "reason": "TooManyReplicas",
                "message": "the desired replica count is more than the maximum replica count",
            },
        ],
    )
    ev.append(
        event(
            ns,
            "HorizontalPodAutoscaler",
            d,
            "SuccessfulRescale",
            "New size: 10; reason: cpu resource utilization (percentage of request) above target",
            first=clk(-35),
            component="horizontal-pod-autoscaler",
            api="autoscaling/v2",
        )
    )
    logs = {
        f"{ns}/{d}-{h}-b2c3d/{d}": '10.42.0.7 - - [27/Nov/2026:20:04:58 +0000] "GET /v2/search?q=winter+jacket HTTP/1.1" 200 18231 "-" "Mozilla/5.0" rt=1.932 uct=0.000 urt=1.930'
    }
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "SearchLatencyP95High",
            "search-api p95 1.8s > 500ms (Black Friday traffic x3)",
            namespace=ns,
            service=d,
            severity="high",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        hpas=[h1],
        node_list=nodes(clk),
        logs=logs,
        expected_category="hpa_maxed_out",
        evidence=["the desired replica count is more than the maximum replica count"],
    )


def cpu_throttling_alert():
    t = "2026-04-14T10:45:00Z"
    clk = Clock(t)
    ns = "pricing"
    d = "pricing-engine"
    img = "acme/pricing-engine:3.0.12"
    h = "5f8d7c6b9"
    pods = healthy_pods(clk, ns, d, h, img, ["c3d4f", "g5h6j"])
    for p in pods:
        p["spec"]["containers"][0]["resources"] = {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"cpu": "500m", "memory": "2Gi"},
        }
    name = pods[0]["metadata"]["name"]
    logs = {
        f"{ns}/{name}/{d}": "\n".join(
            [
                "2026-04-14 10:44:02.118  WARN 1 --- [l-1 housekeeper] com.zaxxer.hikari.pool.HikariPool        : HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=1m4s12ms).",
                "2026-04-14 10:44:09.770  INFO 1 --- [nio-8080-exec-4] c.a.pricing.api.QuoteController          : quote basket=31 items computed in 2841 ms",
                "2026-04-14 10:44:10.201  INFO 1 --- [nio-8080-exec-9] c.a.pricing.api.QuoteController          : quote basket=4 items computed in 1977 ms",
            ]
        )
    }
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=17, rs_hash=h)
    return scenario(
        alert(
            "CPUThrottlingHigh",
            f"87.3% throttling of CPU in namespace {ns} for container {d} in pod {name}.",
            namespace=ns,
            severity="info",
            pod=name,
            container=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        expected_category="cpu_throttling",
        evidence=["throttling of CPU"],
    )


def vault_init_container_fails():
    t = "2026-08-01T12:00:00Z"
    clk = Clock(t)
    ns = "accounts"
    d = "accounts-api"
    img = "acme/accounts-api:9.1.0"
    h = "6b9c8d7f5"
    vimg = "hashicorp/vault:1.16.1"
    init = container(
        "vault-agent-init",
        vimg,
        cpu=("50m", "100m"),
        mem=("64Mi", "128Mi"),
        args=["agent", "-config=/vault/configs/config-init.hcl"],
    )
    app = container(d, img, ports=[8080])
    pods, logs = [], {}
    prev = "\n".join(
        [
            "==> Vault Agent started! Log data will stream in below:",
            "==> Vault Agent configuration:",
            "           Api Address 1: http://bufconn",
            "                     Cgo: disabled",
            "               Log Level: info",
            "                 Version: Vault v1.16.1, built 2024-04-03T12:35:53Z",
            "2026-08-01T11:58:42.117Z [INFO]  agent.auth.handler: authenticating",
            '2026-08-01T11:58:42.131Z [ERROR] agent.auth.handler: error authenticating: error="Error making API request.\n\nURL: PUT http://vault.vault.svc:8200/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* permission denied" backoff=1s',
            "2026-08-01T11:58:43.131Z [INFO]  agent.auth.handler: authenticating",
            '2026-08-01T11:58:43.140Z [ERROR] agent.auth.handler: error authenticating: error="Error making API request.\n\nURL: PUT http://vault.vault.svc:8200/v1/auth/kubernetes/login\nCode: 403. Errors:\n\n* permission denied" backoff=2.07s',
            "2026-08-01T11:58:45.210Z [INFO]  agent: exit_after_auth is set, exiting after failed auth (exit_on_err=true)",
        ]
    )
    for i, s in enumerate(["k2l3m", "n4p5q"]):
        name = f"{d}-{h}-{s}"
        ist = [
            waiting(
                "vault-agent-init",
                vimg,
                "CrashLoopBackOff",
                f"back-off 2m40s restarting failed container=vault-agent-init pod={name}_{ns}({uid('Pod', ns, name)})",
                restarts=6,
                last=terminated(1, "Error", clk(-1.6), clk(-1.3)),
            )
        ]
        cst = [waiting(d, img, "PodInitializing", pulled=False)]
        conds = [
            {
                "type": "Initialized",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-20),
                "reason": "ContainersNotInitialized",
                "message": "containers with incomplete status: [vault-agent-init]",
            },
            {
                "type": "Ready",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-20),
                "reason": "ContainersNotReady",
                "message": f"containers with unready status: [{d}]",
            },
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": clk(-20)},
        ]
        pods.append(
            pod(
                name,
                ns,
                created=clk(-20),
                containers=[app],
                init_containers=[init],
                statuses=cst,
                init_statuses=ist,
                owner=("ReplicaSet", f"{d}-{h}", ns),
                labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
                phase="Pending",
                conditions=conds,
                node=NODES[i],
                sa=d,
            )
        )
        logs[f"{ns}/{name}/vault-agent-init#previous"] = prev
    ev = [
        event(
            ns,
            "Pod",
            pods[0]["metadata"]["name"],
            "BackOff",
            f"Back-off restarting failed container vault-agent-init in pod {pods[0]['metadata']['name']}_{ns}({uid('Pod', ns, pods[0]['metadata']['name'])})",
            first=clk(-17),
            last=clk(-0.5),
            count=44,
            type_="Warning",
            host=NODES[0],
            field="spec.initContainers{vault-agent-init}",
        )
    ]
    npods, nev = kube_noise(clk)
    dp = deployment(d, ns, created=clk(-400 * 1440), image=img, replicas=2, ready=0, revision=12, containers=[app])
    return scenario(
        alert("AccountsApiDown", "accounts-api has 0 ready endpoints", namespace=ns, service=d, starts_at=t),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        logs=logs,
        expected_category="init_container_failure",
        evidence=["error authenticating"],
    )


def oom_python_with_noisy_sidecar():
    t = "2026-02-09T16:40:00Z"
    clk = Clock(t)
    ns = "recs"
    d = "recommender"
    img = "acme/recommender:2026.02.1"
    h = "7d9f6c8b5"
    proxy = container("istio-proxy", "docker.io/istio/proxyv2:1.20.3", cpu=("100m", "2"), mem=("128Mi", "1Gi"))
    c = container(d, img, cpu=("1", "2"), mem=("2Gi", "2Gi"), ports=[8000])
    pods = healthy_pods(clk, ns, d, h, img, ["s5t6v"], extra_containers=[proxy], port=8000)
    bad = f"{d}-{h}-w7x8y"
    pods.append(
        pod(
            bad,
            ns,
            created=clk(-2 * 1440),
            containers=[c, proxy],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            node=NODES[1],
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            statuses=[
                running(d, img, clk(-4), restarts=3, last=terminated(137, "OOMKilled", clk(-19), clk(-4.2))),
                running("istio-proxy", proxy["image"], clk(-2 * 1440)),
            ],
        )
    )
    logs = {
        f"{ns}/{bad}/{d}#previous": "\n".join(
            [
                "INFO:     Started server process [1]",
                "INFO:     Waiting for application startup.",
                "INFO:     Application startup complete.",
                "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
                '{"ts": "2026-02-09T16:31:02Z", "level": "info", "event": "loading embeddings", "shard": "catalog-full", "rows": 9120334}',
                'INFO:     10.42.2.1:51234 - "GET /v1/recs?user=88123 HTTP/1.1" 200 OK',
            ]
        ),
        f"{ns}/{bad}/{d}": "INFO:     Started server process [1]\nINFO:     Application startup complete.",
        f"{ns}/{bad}/istio-proxy": "\n".join(
            [
                '[2026-02-09T16:36:12.301Z] "GET /v1/recs?user=99102 HTTP/1.1" 503 URX,UC upstream_reset_before_response_started{connection_termination} - "-" 0 95 8112 - "-" "okhttp/4.12.0" "a1b2c3" "recommender.recs:8000" "10.42.2.33:8000" inbound|8000|| 127.0.0.6:45321 10.42.2.33:8000 10.42.0.9:33110 outbound_.8000_._.recommender.recs.svc.cluster.local default',
                "2026-02-09T16:36:12.302Z\twarning\tenvoy upstream\texternal/envoy/source/common/upstream/health_checker_impl.cc:386\tupstream connect error or disconnect/reset before headers. reset reason: connection termination\tthread=22",
            ]
        ),
    }
    ev = [
        event(
            ns,
            "Pod",
            bad,
            "Pulled",
            f'Container image "{img}" already present on machine',
            first=clk(-40),
            last=clk(-4),
            count=3,
            host=NODES[1],
            field=f"spec.containers{{{d}}}",
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=8, rs_hash=h, containers=[c, proxy])
    return scenario(
        alert(
            "RecommenderHigh5xx",
            "recommender 503 ratio 9% (source: istio_requests_total)",
            namespace=ns,
            service=d,
            severity="high",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nodes(clk),
        logs=logs,
        deploys=[
            {
                "service": "recs-ui",
                "namespace": ns,
                "image": "acme/recs-ui:1.4.4",
                "actor": "ci",
                "commit_sha": "f00d1e5",
                "timestamp": clk(-30),
            }
        ],
        expected_category="oom_killed",
        evidence=["OOMKilled"],
    )


def disk_pressure_eviction_with_pending():
    t = "2026-09-14T04:30:00Z"
    clk = Clock(t)
    ns = "logging"
    d = "log-aggregator"
    img = "fluent/fluentd:v1.16-1"
    h = "8b7c9d6f5"
    sick = NODES[0]
    c = container("aggregator", img, cpu=("500m", "1"), mem=("1Gi", "1Gi"))
    msg = (
        "The node was low on resource: ephemeral-storage. Threshold quantity: 8388608000, available: 7621548Ki. Container aggregator "
        "was using 52318740Ki, request is 0, has larger consumption of ephemeral-storage. "
    )
    lab = {"app.kubernetes.io/name": d, "pod-template-hash": h}
    ev_pod = pod(
        f"{d}-{h}-p9q2r",
        ns,
        created=clk(-12 * 1440),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        node=sick,
        labels=lab,
        phase="Failed",
        ready=False,
        statuses=[
            {
                "name": "aggregator",
                "state": terminated(
                    137,
                    "ContainerStatusUnknown",
                    clk(-12 * 1440),
                    clk(-18),
                    "The container could not be located when the pod was terminated",
                ),
                "lastState": {},
                "ready": False,
                "restartCount": 0,
                "image": img,
                "imageID": "",
                "started": False,
            }
        ],
        status_extra={"reason": "Evicted", "message": msg},
    )
    sched = (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }, 2 Insufficient memory. "
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )
    pend = pod(
        f"{d}-{h}-z3x4c",
        ns,
        created=clk(-18),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        labels=lab,
        phase="Pending",
        scheduled=False,
        statuses=[],
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-18),
                "reason": "Unschedulable",
                "message": sched,
            }
        ],
    )
    ev = [
        event(ns, "Pod", ev_pod["metadata"]["name"], "Evicted", msg, first=clk(-18), type_="Warning", host=sick),
        event(
            ns,
            "Pod",
            pend["metadata"]["name"],
            "FailedScheduling",
            sched,
            first=clk(-18),
            last=clk(-2),
            count=8,
            type_="Warning",
            component="default-scheduler",
        ),
        event(
            None,
            "Node",
            sick,
            "EvictionThresholdMet",
            "Attempting to reclaim ephemeral-storage",
            first=clk(-19),
            type_="Warning",
            host=sick,
        ),
        event(
            None,
            "Node",
            sick,
            "FreeDiskSpaceFailed",
            "Failed to garbage collect required amount of images. Attempted to free 9663676416 bytes, but only found 1073741824 bytes eligible to free.",
            first=clk(-25),
            last=clk(-5),
            count=4,
            type_="Warning",
            host=sick,
        ),
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=5, rs_hash=h, containers=[c])
    nl = nodes(
        clk,
        **{
            sick: {
                "disk_pressure": "True",
                "taints": [{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule", "timeAdded": clk(-19)}],
            }
        },
    )
    return scenario(
        alert(
            "LogPipelineStalled",
            "no logs ingested into Loki from cluster prod-eu-1 for 15m",
            namespace=ns,
            severity="high",
            source="grafana",
            starts_at=t,
        ),
        pods=[ev_pod, pend] + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nl,
        logs={},
        expected_category="node_pressure_eviction",
        evidence=["The node was low on resource: ephemeral-storage"],
    )


def python_poison_message():
    t = "2026-06-18T21:10:00Z"
    clk = Clock(t)
    ns = "billing"
    d = "invoice-consumer"
    img = "acme/invoice-consumer:4.6.2"
    h = "6f9b8c7d5"
    c = container("consumer", img)
    pods = healthy_pods(clk, ns, d, h, img, ["r4s5t"], cname="consumer")
    bad = f"{d}-{h}-v6w7x"
    pods.append(
        _crashing(
            clk,
            ns,
            bad,
            ("ReplicaSet", f"{d}-{h}", ns),
            c,
            restarts=12,
            exit_code=1,
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
        )
    )
    tb = "\n".join(
        [
            "2026-06-18 21:06:40,118 INFO invoice_consumer.main: consuming topic=invoices.v2 partition=7 offset=1882301",
            "Traceback (most recent call last):",
            '  File "/app/invoice_consumer/main.py", line 64, in <module>',
            "    run()",
            '  File "/app/invoice_consumer/main.py", line 51, in run',
            "    handle(msg.value())",
            '  File "/app/invoice_consumer/handler.py", line 23, in handle',
            '    customer = payload["customer_id"]',
            "               ~~~~~~~^^^^^^^^^^^^^^^",
            "KeyError: 'customer_id'",
        ]
    )
    ev = [
        event(
            ns,
            "Pod",
            bad,
            "BackOff",
            f"Back-off restarting failed container consumer in pod {bad}_{ns}({uid('Pod', ns, bad)})",
            first=clk(-58),
            last=clk(-1),
            count=190,
            type_="Warning",
            host=NODES[2],
            field="spec.containers{consumer}",
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 1, revision=15, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "KafkaConsumerLagHigh",
            "consumer group invoice-consumer lag 48k on invoices.v2 partition 7",
            namespace=ns,
            severity="warning",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{bad}/consumer#previous": tb},
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "ci",
                "commit_sha": "71be3a0",
                "timestamp": clk(-4 * 1440),
            }
        ],
        expected_category="crashloop_app_error",
        evidence=["KeyError: 'customer_id'"],
    )


def healthy_latency_old_oom():
    t = "2026-03-03T09:00:00Z"
    clk = Clock(t)
    ns = "profile"
    d = "profile-svc"
    img = "acme/profile-svc:3.9.1"
    h = "5c7d9b8f6"
    pods = healthy_pods(clk, ns, d, h, img, ["a2s3d", "f4g5h", "j6k7l"], restarts=1, old_restart_days=9)
    logs = {
        f"{ns}/{d}-{h}-a2s3d/{d}": "\n".join(
            [
                '{"time":"2026-03-03T08:59:51Z","level":"INFO","msg":"request","method":"GET","path":"/v1/profile/88123","status":200,"latency_ms":412}',
                '{"time":"2026-03-03T08:59:52Z","level":"INFO","msg":"request","method":"GET","path":"/v1/profile/1022","status":200,"latency_ms":1290}',
                '{"time":"2026-03-03T08:59:53Z","level":"INFO","msg":"request","method":"PUT","path":"/v1/profile/1022/avatar","status":200,"latency_ms":2210}',
            ]
        )
    }
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 3, 3, revision=21, rs_hash=h)
    return scenario(
        alert(
            "ProfileLatencyP99High",
            "profile-svc p99 2.3s > 1.5s for 10m",
            namespace=ns,
            service=d,
            severity="warning",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nodes(clk),
        logs=logs,
        deploys=[
            {
                "service": "billing-ui",
                "namespace": "billing",
                "image": "acme/billing-ui:2.0.1",
                "actor": "ci",
                "commit_sha": "1d2e3f4",
                "timestamp": clk(-12),
            }
        ],
        expected_category="insufficient_evidence",
        evidence=[],
    )


def target_down_rolled_pod_zh():
    t = "2026-05-01T00:20:00Z"
    clk = Clock(t)
    ns = "monitoring"
    d = "kafka-exporter"
    img = "danielqsj/kafka-exporter:v1.7.0"
    h = "6d8b7c9f5"
    pods = healthy_pods(clk, ns, d, h, img, ["q3w4e"], port=9308)
    pods[0]["metadata"]["creationTimestamp"] = clk(-38)
    pods[0]["status"]["containerStatuses"][0]["state"] = {"running": {"startedAt": clk(-37)}}
    old = f"{d}-{h}-z8x7c"
    ev = [
        event(
            ns,
            "Pod",
            old,
            "Killing",
            "Stopping container kafka-exporter",
            first=clk(-39),
            host=NODES[1],
            field="spec.containers{kafka-exporter}",
        ),
        event(
            ns,
            "ReplicaSet",
            f"{d}-{h}",
            "SuccessfulCreate",
            f"Created pod: {pods[0]['metadata']['name']}",
            first=clk(-38),
            component="replicaset-controller",
            api="apps/v1",
        ),
        event(
            ns,
            "Pod",
            pods[0]["metadata"]["name"],
            "Started",
            "Started container kafka-exporter",
            first=clk(-37),
            host=NODES[0],
            field="spec.containers{kafka-exporter}",
        ),
    ]
    logs = {
        f"{ns}/{pods[0]['metadata']['name']}/{d}": "I0501 07:43:12.118201       1 kafka_exporter.go:792] Starting kafka_exporter (version=1.7.0, branch=HEAD, revision=...)\nI0501 07:43:12.902117       1 kafka_exporter.go:963] Listening on HTTP :9308"
    }
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 1, revision=4, rs_hash=h)
    return scenario(
        alert(
            "目标实例宕机",
            "Prometheus 抓取目标 kafka-exporter (10.42.2.51:9308) 已不可达超过5分钟",
            namespace=ns,
            severity="warning",
            job=d,
            instance="10.42.2.51:9308",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        expected_category="insufficient_evidence",
        evidence=[],
    )


def business_errors_only():
    t = "2026-07-15T13:30:00Z"
    clk = Clock(t)
    ns = "payments"
    d = "payments-api"
    img = "acme/payments-api:7.7.3"
    h = "7b8c9d6f5"
    proxy = container("istio-proxy", "docker.io/istio/proxyv2:1.21.2", cpu=("100m", "2"), mem=("128Mi", "1Gi"))
    pods = healthy_pods(clk, ns, d, h, img, ["g2h3j", "k4l5m", "n6p7q"], extra_containers=[proxy])
    logs = {
        f"{ns}/{d}-{h}-g2h3j/{d}": "\n".join(
            [
                '{"ts":"2026-07-15T13:29:40.101Z","level":"warn","msg":"card declined","code":"do_not_honor","issuer":"visa","status":402}',
                '{"ts":"2026-07-15T13:29:41.551Z","level":"warn","msg":"validation failed","field":"card_number","error":"luhn check failed","status":422}',
                '{"ts":"2026-07-15T13:29:42.003Z","level":"info","msg":"payment captured","amount":1299,"currency":"EUR","status":201}',
            ]
        ),
        f"{ns}/{d}-{h}-g2h3j/istio-proxy": '[2026-07-15T13:29:40.099Z] "POST /v1/payments HTTP/1.1" 402 - via_upstream - "-" 412 88 37 36 "-" "acme-ios/5.2" "c3d4" "payments-api.payments:8080" "10.42.1.20:8080" inbound|8080|| 127.0.0.6:41111 10.42.1.20:8080 10.42.0.4:50122 - default',
    }
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 3, 3, revision=71, rs_hash=h)
    return scenario(
        alert(
            "PaymentsApiErrorRatio",
            "non-2xx ratio 11% over 15m on POST /v1/payments",
            namespace=ns,
            service=d,
            severity="warning",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "ci",
                "commit_sha": "9a8b7c6",
                "timestamp": clk(-3 * 1440),
            }
        ],
        expected_category="insufficient_evidence",
        evidence=[],
    )


SCENARIOS_D = [
    ("postgres_wal_disk_full_alert_on_api_zh", postgres_wal_disk_full_zh),
    ("hpa_pinned_at_max_black_friday", hpa_pinned_at_max),
    ("cpu_throttling_high_alert", cpu_throttling_alert),
    ("vault_init_container_403", vault_init_container_fails),
    ("oom_python_noisy_istio_sidecar", oom_python_with_noisy_sidecar),
    ("disk_pressure_eviction_replacement_pending", disk_pressure_eviction_with_pending),
    ("python_poison_message_keyerror", python_poison_message),
    ("inconclusive_latency_old_oom_restarts", healthy_latency_old_oom),
    ("inconclusive_target_down_pod_rolled_zh", target_down_rolled_pod_zh),
    ("inconclusive_business_errors_only", business_errors_only),
]
