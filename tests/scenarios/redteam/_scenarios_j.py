"""Red-team scenarios, batch 5: written after all fixes, before running the engine on them (post-fix held-out)."""

from _common import NODES, alert, healthy_pods, kube_noise, nodes, scenario, std_deploy
from kube_objects import Clock, container, event, hpa, pod, pvc, running, terminated, uid, waiting


def _sts_pod(clk, ns, s, i, c, statuses, node_name, claim=None, **kw):
    vols = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}] if claim else None
    return pod(
        f"{s}-{i}",
        ns,
        created=kw.pop("created", clk(-30 * 1440)),
        containers=[c],
        owner=("StatefulSet", s, ns),
        labels={"app.kubernetes.io/name": s, "statefulset.kubernetes.io/pod-name": f"{s}-{i}"},
        node=node_name,
        statuses=statuses,
        volumes=vols,
        **kw,
    )


def mongo_wiredtiger_enospc():
    t = "2026-01-05T05:50:00Z"
    clk = Clock(t)
    ns = "catalog-db"
    s = "mongo"
    img = "mongo:6.0.14"
    c = container(
        "mongod",
        img,
        cpu=("1", "2"),
        mem=("4Gi", "4Gi"),
        ports=[27017],
        mounts=[{"name": "data", "mountPath": "/data/db"}],
    )
    crash = waiting(
        "mongod",
        img,
        "CrashLoopBackOff",
        f"back-off 5m0s restarting failed container=mongod pod={s}-0_{ns}({uid('Pod', ns, f'{s}-0')})",
        restarts=6,
        last=terminated(14, "Error", clk(-4), clk(-3.7)),
    )
    pods = [
        _sts_pod(clk, ns, s, 0, c, [crash], NODES[0], claim=f"datadir-{s}-0"),
        _sts_pod(clk, ns, s, 1, c, [running("mongod", img, clk(-30 * 1440))], NODES[1], claim=f"datadir-{s}-1"),
    ]
    prev = "\n".join(
        [
            '{"t":{"$date":"2026-01-05T05:46:19.002+00:00"},"s":"I",  "c":"STORAGE",  "id":22315,   "ctx":"initandlisten","msg":"Opening WiredTiger","attr":{"config":"create,cache_size=1536M,"}}',
            '{"t":{"$date":"2026-01-05T05:46:19.871+00:00"},"s":"E",  "c":"WT",       "id":22435,   "ctx":"initandlisten","msg":"WiredTiger error message","attr":{"error":28,"message":{"ts_sec":1767592379,"ts_usec":871102,"thread":"1:0x7f","session_name":"WT_SESSION.create","category":"WT_VERB_DEFAULT","category_id":9,"verbose_level":"ERROR","verbose_level_id":-3,"msg":"__posix_file_write:617:/data/db/journal/WiredTigerTmplog.0000000001: handle-write: pwrite: failed to write 128 bytes at offset 0","error_str":"No space left on device","error_code":28}}}',
            '{"t":{"$date":"2026-01-05T05:46:19.880+00:00"},"s":"F",  "c":"ASSERT",   "id":23089,   "ctx":"initandlisten","msg":"Fatal assertion","attr":{"msgid":50853,"file":"src/mongo/db/storage/wiredtiger/wiredtiger_util.cpp","line":712}}',
        ]
    )
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "MongodbReplicaMemberUnhealthy",
            "mongo rs0 member mongo-0 state: (not reachable/healthy)",
            namespace=ns,
            pod=f"{s}-0",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[],
        pvcs=[pvc(f"datadir-{s}-{i}", ns, created=clk(-30 * 1440), size="50Gi") for i in range(2)],
        logs={f"{ns}/{s}-0/mongod#previous": prev},
        expected_category="volume_full",
        evidence=["No space left on device"],
    )


def jvm_oom_with_hpa_noise():
    t = "2026-02-18T12:30:00Z"
    clk = Clock(t)
    ns = "orders"
    d = "order-api"
    img = "acme/order-api:11.2.0"
    h = "6b8d9c7f5"
    env = [{"name": "JAVA_TOOL_OPTIONS", "value": "-Xmx1536m"}]
    c = container(d, img, mem=("1Gi", "1536Mi"), ports=[8080], env=env)
    pods = healthy_pods(clk, ns, d, h, img, ["k1", "l2"])
    bad = f"{d}-{h}-m3"
    pods.append(
        pod(
            bad,
            ns,
            created=clk(-2 * 1440),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            node=NODES[2],
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            statuses=[running(d, img, clk(-9), restarts=4, last=terminated(137, "OOMKilled", clk(-31), clk(-9.2)))],
        )
    )
    h1 = hpa(
        d,
        ns,
        d,
        created=clk(-90 * 1440),
        min_r=2,
        max_r=3,
        current=3,
        desired=3,
        util=80,
        conditions=[
            {
                "type": "ScalingLimited",
                "status": "False",
                "lastTransitionTime": clk(-60),
                "reason": "DesiredWithinRange",
                "message": "the desired count is within the acceptable range",
            }
        ],
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 3, 3, revision=70, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "OrderApiLatencyHigh", "order-api p99 4.1s; sporadic 502 from gateway", namespace=ns, service=d, starts_at=t
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        hpas=[h1],
        logs={},
        expected_category="oom_killed",
        evidence=["OOMKilled"],
    )


def pods_on_unreachable_node_terminating():
    t = "2026-03-27T03:15:00Z"
    clk = Clock(t)
    ns = "billing"
    d = "ledger-writer"
    img = "acme/ledger-writer:3.3.3"
    h = "5c8d7b9f6"
    dead = NODES[0]
    pods = healthy_pods(clk, ns, d, h, img, ["t1", "u2"], node_names=[dead, NODES[1]])
    stuck = pods[0]
    stuck["metadata"]["deletionTimestamp"] = clk(-3)
    stuck["metadata"]["deletionGracePeriodSeconds"] = 30
    for cnd in stuck["status"]["conditions"]:
        if cnd["type"] == "Ready":
            cnd.update({"status": "False", "lastTransitionTime": clk(-9)})
    nl = nodes(
        clk,
        **{
            dead: {
                "ready": "Unknown",
                "ready_reason": "NodeStatusUnknown",
                "ready_msg": "Kubelet stopped posting node status.",
                "taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": clk(-9)}],
            }
        },
    )
    ev = [
        event(
            ns,
            "Pod",
            stuck["metadata"]["name"],
            "TaintManagerEviction",
            f"Marking for deletion Pod {ns}/{stuck['metadata']['name']}",
            first=clk(-3),
            component="taint-eviction-controller",
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 1, revision=5, rs_hash=h)
    return scenario(
        alert(
            "LedgerWriterLag",
            "ledger-writer consumer lag 30k; one replica Terminating for 3m",
            namespace=ns,
            deployment=d,
            severity="high",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nl,
        logs={},
        expected_category="node_not_ready",
        evidence=["Kubelet stopped posting node status"],
    )


def redis_rdb_disk_full():
    t = "2026-04-16T16:16:00Z"
    clk = Clock(t)
    ns = "sessions"
    d = "session-api"
    img = "acme/session-api:2.8.0"
    h = "7d9c8b6f5"
    pods = healthy_pods(clk, ns, d, h, img, ["v1", "w2"])
    rimg = "redis:7.2.4"
    rc = container("redis", rimg, ports=[6379], mounts=[{"name": "data", "mountPath": "/data"}])
    redis = _sts_pod(clk, ns, "redis", 0, rc, [running("redis", rimg, clk(-20 * 1440))], NODES[2], claim="data-redis-0")
    api = "\n".join(
        f'{{"time":"2026-04-16T16:15:{s:02d}Z","level":"ERROR","msg":"session write failed","error":"MISCONF Redis is configured to save RDB snapshots, but it\'s currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."}}'
        for s in (2, 9, 17)
    )
    rlog = "\n".join(
        [
            "1:M 16 Apr 2026 16:14:02.118 * 100 changes in 300 seconds. Saving...",
            "1:M 16 Apr 2026 16:14:02.119 * Background saving started by pid 88121",
            "88121:C 16 Apr 2026 16:14:02.431 # Failed opening the temp RDB file temp-88121.rdb (in server root dir /data) for saving: No space left on device",
            "1:M 16 Apr 2026 16:14:02.520 # Background saving error",
        ]
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=17, rs_hash=h)
    return scenario(
        alert("LoginFailuresHigh", "登录失败率 35%，会话写入报错", namespace=ns, service=d, starts_at=t),
        pods=pods + [redis] + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        pvcs=[pvc("data-redis-0", ns, created=clk(-20 * 1440), size="8Gi")],
        logs={f"{ns}/{d}-{h}-v1/{d}": api, f"{ns}/redis-0/redis": rlog},
        expected_category="volume_full",
        evidence=["No space left on device"],
    )


def java_startup_unknown_host():
    t = "2026-05-22T08:00:00Z"
    clk = Clock(t)
    ns = "events"
    d = "audit-consumer"
    img = "acme/audit-consumer:1.0.7"
    h = "8c9d6b7f5"
    name = f"{d}-{h}-x9"
    c = container(d, img)
    p = pod(
        name,
        ns,
        created=clk(-40),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        node=NODES[1],
        labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
        statuses=[
            waiting(
                d,
                img,
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container={d} pod={name}_{ns}({uid('Pod', ns, name)})",
                restarts=9,
                last=terminated(1, "Error", clk(-3), clk(-2.8)),
            )
        ],
    )
    prev = "\n".join(
        [
            "08:57:11.402 [main] INFO  o.a.k.clients.consumer.ConsumerConfig - ConsumerConfig values: bootstrap.servers = [kafka-bootstrap.kafka.svc:9092]",
            "08:57:11.918 [main] WARN  o.apache.kafka.clients.ClientUtils - Couldn't resolve server kafka-bootstrap.kafka.svc:9092 from bootstrap.servers as DNS resolution failed for kafka-bootstrap.kafka.svc",
            "08:57:11.921 [main] ERROR c.a.audit.Main - consumer failed to start",
            "org.apache.kafka.common.KafkaException: Failed to construct kafka consumer",
            "Caused by: org.apache.kafka.common.config.ConfigException: No resolvable bootstrap urls given in bootstrap.servers",
            "\tat org.apache.kafka.clients.ClientUtils.parseAndValidateAddresses(ClientUtils.java:89)",
        ]
    )
    npods, nev = kube_noise(clk)
    for p_ in npods[:2]:
        p_["status"]["containerStatuses"][0].update(
            {
                "ready": False,
                "restartCount": 14,
                "state": {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": "back-off 5m0s restarting failed container=coredns",
                    }
                },
                "lastState": terminated(1, "Error", clk(-5), clk(-5)),
            }
        )
    logs = {
        f"{ns}/{name}/{d}#previous": prev,
        "kube-system/coredns-5d78c9869d-7xwqp/coredns#previous": '[FATAL] plugin/loop: Loop (127.0.0.1:42217 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."',
    }
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=2, rs_hash=h, containers=[c])
    return scenario(
        alert("AuditPipelineDown", "no audit events consumed for 30m", namespace=ns, deployment=d, starts_at=t),
        pods=[p] + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        expected_category="dns_resolution_failure",
        evidence=["DNS resolution failed"],
    )


def exec_liveness_timeout_postgres():
    t = "2026-06-24T02:40:00Z"
    clk = Clock(t)
    ns = "crm"
    s = "crm-postgres"
    img = "postgres:14.11"
    probe = {
        "exec": {"command": ["/bin/sh", "-c", "pg_isready -U postgres -h 127.0.0.1"]},
        "initialDelaySeconds": 30,
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    c = container("postgres", img, cpu=("2", "2"), mem=("8Gi", "8Gi"), ports=[5432], liveness=probe)
    st = running("postgres", img, clk(-7), restarts=6, last=terminated(137, "Error", clk(-19), clk(-7.1)))
    p = _sts_pod(clk, ns, s, 0, c, [st], NODES[2])
    ev = [
        event(
            ns,
            "Pod",
            f"{s}-0",
            "Unhealthy",
            'Liveness probe failed: command "/bin/sh -c pg_isready -U postgres -h 127.0.0.1" timed out',
            first=clk(-80),
            last=clk(-7.5),
            count=21,
            type_="Warning",
            host=NODES[2],
            field="spec.containers{postgres}",
        ),
        event(
            ns,
            "Pod",
            f"{s}-0",
            "Killing",
            "Container postgres failed liveness probe, will be restarted",
            first=clk(-78),
            last=clk(-7.2),
            count=6,
            host=NODES[2],
            field="spec.containers{postgres}",
        ),
    ]
    log = "\n".join(
        [
            "2026-06-24 02:32:58.118 UTC [61] LOG:  checkpoint starting: time",
            "2026-06-24 02:33:19.804 UTC [88] LOG:  duration: 18234.117 ms  statement: REFRESH MATERIALIZED VIEW CONCURRENTLY crm.account_rollup",
            "2026-06-24 02:33:21.500 UTC [1] LOG:  received fast shutdown request",
        ]
    )
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "CRMDatabaseRestarts",
            "crm-postgres restarted 6 times in 80 minutes during nightly batch",
            namespace=ns,
            statefulset=s,
            starts_at=t,
        ),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[],
        logs={f"{ns}/{s}-0/postgres#previous": log},
        expected_category="liveness_probe_misconfigured",
        evidence=["timed out"],
    )


def ephemeral_limit_eviction():
    t = "2026-07-30T10:10:00Z"
    clk = Clock(t)
    ns = "ml"
    d = "batch-featurizer"
    img = "acme/batch-featurizer:0.9.0"
    h = "9d8c7b6f5"
    name = f"{d}-{h}-e1"
    msg = 'Container featurizer exceeded its local ephemeral storage limit "2Gi". '
    c = container("featurizer", img)
    c["resources"]["limits"]["ephemeral-storage"] = "2Gi"
    p = pod(
        name,
        ns,
        created=clk(-50),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        node=NODES[1],
        labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
        phase="Failed",
        ready=False,
        statuses=[
            {
                "name": "featurizer",
                "state": terminated(137, "Error", clk(-49), clk(-12)),
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
    ev = [event(ns, "Pod", name, "Evicted", msg, first=clk(-12), type_="Warning", host=NODES[1])]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=3, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "FeaturizerJobFailed",
            "nightly featurization did not complete",
            namespace=ns,
            deployment=d,
            severity="warning",
            starts_at=t,
        ),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={},
        expected_category="node_pressure_eviction",
        evidence=["exceeded its local ephemeral storage limit"],
    )


SCENARIOS_J = [
    ("b5_mongo_wiredtiger_enospc", mongo_wiredtiger_enospc),
    ("b5_jvm_oomkilled_hpa_noise", jvm_oom_with_hpa_noise),
    ("b5_pod_terminating_on_unreachable_node", pods_on_unreachable_node_terminating),
    ("b5_redis_rdb_disk_full_misconf", redis_rdb_disk_full),
    ("b5_java_kafka_dns_coredns_loop", java_startup_unknown_host),
    ("b5_exec_liveness_timeout_postgres", exec_liveness_timeout_postgres),
    ("b5_ephemeral_storage_limit_eviction", ephemeral_limit_eviction),
]
