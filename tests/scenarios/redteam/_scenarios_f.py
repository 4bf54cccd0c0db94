"""Red-team scenarios, batch 2 (written after phase 1, before running the engine on them)."""

from _common import NODES, alert, healthy_pods, kube_noise, nodes, scenario, std_deploy
from kube_objects import (
    Clock,
    container,
    deployment,
    event,
    http_probe,
    pod,
    pvc,
    replicaset,
    running,
    terminated,
    uid,
    waiting,
)


def _crashloop(clk, ns, name, owner, c, *, restarts, code, labels, node_name=NODES[1], created=None, reason="Error"):
    return pod(
        name,
        ns,
        created=created or clk(-2 * 1440),
        containers=[c],
        owner=owner,
        labels=labels,
        node=node_name,
        statuses=[
            waiting(
                c["name"],
                c["image"],
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container={c['name']} pod={name}_{ns}({uid('Pod', ns, name)})",
                restarts=restarts,
                last=terminated(code, reason, clk(-2.2), clk(-2)),
            )
        ],
    )


def nginx_unknown_directive():
    t = "2026-02-14T10:10:00Z"
    clk = Clock(t)
    ns = "edge"
    d = "static-proxy"
    img = "nginx:1.27.0"
    h = "5d9c8b7f6"
    name = f"{d}-{h}-q2w3e"
    c = container("nginx", img, ports=[8080], mounts=[{"name": "conf", "mountPath": "/etc/nginx/conf.d"}])
    lab = {"app": d, "pod-template-hash": h}
    p = _crashloop(clk, ns, name, ("ReplicaSet", f"{d}-{h}", ns), c, restarts=7, code=1, labels=lab, created=clk(-18))
    prev = "\n".join(
        [
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            '2026/02/14 10:07:51 [emerg] 1#1: unknown directive "proxy_passs" in /etc/nginx/conf.d/default.conf:14',
            'nginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/conf.d/default.conf:14',
        ]
    )
    healthy = healthy_pods(clk, ns, d, h, img, ["z9x8c"], cname="nginx", labels={"app": d})
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 1, revision=4, rs_hash=h, containers=[c], labels={"app": d})
    return scenario(
        alert(
            "static-proxy degraded", "1 of 2 replicas unavailable", namespace=ns, severity="warning", app=d, starts_at=t
        ),
        pods=[p] + healthy + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{name}/nginx#previous": prev},
        expected_category="app_config_error",
        evidence=['unknown directive "proxy_passs"'],
    )


def kafka_broker_down():
    t = "2026-03-03T03:33:00Z"
    clk = Clock(t)
    ns = "streaming"
    d = "clickstream-enricher"
    img = "acme/clickstream-enricher:2.0.9"
    h = "6f7c8d9b5"
    pods = healthy_pods(clk, ns, d, h, img, ["a1s2d", "f3g4h"])
    kimg = "bitnami/kafka:3.7.0"
    kc = container("kafka", kimg, ports=[9092], cpu=("1", "2"), mem=("4Gi", "4Gi"))
    broker = pod(
        "kafka-0",
        ns,
        created=clk(-30 * 1440),
        containers=[kc],
        owner=("StatefulSet", "kafka", ns),
        labels={"app.kubernetes.io/name": "kafka", "statefulset.kubernetes.io/pod-name": "kafka-0"},
        node=NODES[0],
        statuses=[
            waiting(
                "kafka",
                kimg,
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container=kafka pod=kafka-0_{ns}({uid('Pod', ns, 'kafka-0')})",
                restarts=9,
                last=terminated(137, "OOMKilled", clk(-8), clk(-6)),
            )
        ],
    )
    line = (
        "[2026-03-03 03:32:%02d,118] WARN [Consumer clientId=enricher-1, groupId=enricher] Connection to node 0 "
        "(kafka-0.kafka-headless.streaming.svc.cluster.local/10.42.1.8:9092) could not be established. Broker may not "
        "be available. (org.apache.kafka.clients.NetworkClient)"
    )
    logs = {f"{ns}/{d}-{h}-a1s2d/{d}": "\n".join(line % s for s in (11, 14, 17, 21))}
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=8, rs_hash=h)
    return scenario(
        alert("KafkaConsumerGroupLag", "enricher consumer group lag > 100k", namespace=ns, deployment=d, starts_at=t),
        pods=pods + [broker] + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        expected_category="oom_killed",
        evidence=["OOMKilled"],
    )


def webhook_cert_expired_events():
    t = "2026-05-05T05:05:00Z"
    clk = Clock(t)
    ns = "shop"
    d = "cart"
    img = "acme/cart:3.1.4"
    h = "7c6b5d8f9"
    pods = healthy_pods(clk, ns, d, h, img, ["k1l2m"])
    dp, rs = std_deploy(clk, ns, d, img, 3, 1, revision=22, rs_hash=h)
    msg = (
        'Error creating: Internal error occurred: failed calling webhook "mutate.policy.acme.io": failed to call webhook: '
        'Post "https://policy-webhook.policy-system.svc:443/mutate?timeout=10s": tls: failed to verify certificate: '
        "x509: certificate has expired or is not yet valid: current time 2026-05-05T05:01:12Z is after 2026-05-05T00:00:00Z"
    )
    ev = [
        event(
            ns,
            "ReplicaSet",
            f"{d}-{h}",
            "FailedCreate",
            msg,
            first=clk(-25),
            last=clk(-1),
            count=19,
            type_="Warning",
            component="replicaset-controller",
            api="apps/v1",
        )
    ]
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "KubeDeploymentReplicasMismatch",
            f"Deployment {ns}/{d} has not matched the expected number of replicas for longer than 15 minutes.",
            namespace=ns,
            deployment=d,
            severity="warning",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={},
        expected_category="certificate_expired",
        evidence=["certificate has expired"],
    )


def node_not_ready_no_nodes_list():
    t = "2026-06-16T16:06:00Z"
    clk = Clock(t)
    ns = "api"
    d = "gateway"
    img = "acme/gateway:1.30.2"
    h = "8b9c7d6f5"
    pods = healthy_pods(clk, ns, d, h, img, ["r1t2y", "u3i4o", "p5a6s"])
    lost = pods[2]
    for cnd in lost["status"]["conditions"]:
        if cnd["type"] == "Ready":
            cnd.update({"status": "False", "lastTransitionTime": clk(-4)})
    ev = [
        event(
            ns,
            "Pod",
            lost["metadata"]["name"],
            "NodeNotReady",
            "Node is not ready",
            first=clk(-4),
            type_="Warning",
            component="node-controller",
        )
    ]
    ev += [
        event(
            "kube-system",
            "Pod",
            f"{n}-{s}",
            "NodeNotReady",
            "Node is not ready",
            first=clk(-4),
            type_="Warning",
            component="node-controller",
        )
        for n, s in (("kube-proxy", "x8c7v"), ("aws-node", "q9w8e"))
    ]
    dp, rs = std_deploy(clk, ns, d, img, 3, 2, revision=40, rs_hash=h)
    npods, nev = kube_noise(clk)
    return scenario(
        alert("GatewayErrorRate", "gateway 502/504 ratio 4%", namespace=ns, service=d, starts_at=t),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={},
        expected_category="node_not_ready",
        evidence=["Node is not ready"],
    )


def statefulset_bad_rollout():
    t = "2026-07-27T12:20:00Z"
    clk = Clock(t)
    ns = "search"
    s = "typesense"
    old, new = "typesense/typesense:26.0", "typesense/typesense:27.0.rc3"
    c_old = container("typesense", old, ports=[8108])
    c_new = container("typesense", new, ports=[8108])
    lab = {"app": s}
    pods = [
        pod(
            f"{s}-{i}",
            ns,
            created=clk(-20 * 1440),
            containers=[c_old],
            owner=("StatefulSet", s, ns),
            node=NODES[i],
            labels={**lab, "controller-revision-hash": f"{s}-6c8d7b9f5"},
            statuses=[running("typesense", old, clk(-20 * 1440))],
        )
        for i in range(2)
    ]
    bad = _crashloop(
        clk,
        ns,
        f"{s}-2",
        ("StatefulSet", s, ns),
        c_new,
        restarts=6,
        code=139,
        reason="Error",
        labels={**lab, "controller-revision-hash": f"{s}-7f9d8c6b5"},
        node_name=NODES[2],
        created=clk(-11),
    )
    prev = "\n".join(
        [
            "I20260727 12:17:41.118  typesense_server.cpp:52] Typesense Version: 27.0.rc3",
            "I20260727 12:17:41.902  raft_server.cpp:78] Nodes configuration: 10.42.1.20:8107:8108,10.42.2.23:8107:8108,10.42.3.26:8107:8108",
            "E20260727 12:17:43.331  backward.hpp:4199] Stack trace (most recent call last):",
            'E20260727 12:17:43.331  backward.hpp:4199] #3    Object "/opt/typesense-server", in Collection::load_schema',
            "E20260727 12:17:43.332  typesense_server.cpp:88] Typesense 27.0.rc3 is terminating abruptly.",
            "Segmentation fault (core dumped)",
        ]
    )
    ev = [
        event(
            ns,
            "StatefulSet",
            s,
            "SuccessfulDelete",
            f"delete Pod {s}-2 in StatefulSet {s} successful",
            first=clk(-11),
            component="statefulset-controller",
            api="apps/v1",
        )
    ]
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "TypesenseClusterDegraded",
            "typesense cluster has 2/3 healthy nodes",
            namespace=ns,
            statefulset=s,
            severity="high",
            starts_at=t,
        ),
        pods=pods + [bad] + npods,
        events=ev + nev,
        deployments=[],
        logs={f"{ns}/{s}-2/typesense#previous": prev},
        deploys=[
            {
                "service": s,
                "namespace": ns,
                "image": new,
                "actor": "renovate-bot",
                "commit_sha": "5e6f7a8",
                "timestamp": clk(-12),
            }
        ],
        expected_category="bad_deploy",
        evidence=["27.0.rc3"],
    )


def rollout_stuck_readiness():
    t = "2026-08-08T08:48:00Z"
    clk = Clock(t)
    ns = "catalog"
    d = "product-api"
    old_img, new_img = "acme/product-api:6.4.1", "acme/product-api:6.5.0"
    oh, nh = "69c8d7b5f", "7b5f9c8d6"
    probe = http_probe("/health/ready", 8080, 10, 1, 5)
    c_old = container(d, old_img, ports=[8080], readiness=probe)
    c_new = container(d, new_img, ports=[8080], readiness=probe)
    pods = healthy_pods(clk, ns, d, oh, old_img, ["b1n2m", "v3c4x", "z5l6k"])
    dp = deployment(
        d,
        ns,
        created=clk(-300 * 1440),
        image=new_img,
        replicas=3,
        ready=3,
        updated=1,
        revision=31,
        containers=[c_new],
        conditions=[
            {
                "type": "Available",
                "status": "True",
                "lastUpdateTime": clk(-90 * 1440),
                "lastTransitionTime": clk(-90 * 1440),
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "False",
                "lastUpdateTime": clk(-3),
                "lastTransitionTime": clk(-3),
                "reason": "ProgressDeadlineExceeded",
                "message": f'ReplicaSet "{d}-{nh}" has timed out progressing.',
            },
        ],
    )
    rss = [
        replicaset(
            f"{d}-{oh}",
            ns,
            d,
            created=clk(-40 * 1440),
            image=old_img,
            replicas=3,
            ready=3,
            revision=30,
            containers=[c_old],
        ),
        replicaset(
            f"{d}-{nh}", ns, d, created=clk(-13), image=new_img, replicas=1, ready=0, revision=31, containers=[c_new]
        ),
    ]
    name = f"{d}-{nh}-j7h8g"
    pods.append(
        pod(
            name,
            ns,
            created=clk(-13),
            containers=[c_new],
            owner=("ReplicaSet", f"{d}-{nh}", ns),
            node=NODES[1],
            labels={"app.kubernetes.io/name": d, "pod-template-hash": nh},
            statuses=[running(d, new_img, clk(-12.8), ready=False)],
        )
    )
    ev = [
        event(
            ns,
            "Pod",
            name,
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 500",
            first=clk(-12.5),
            last=clk(-0.2),
            count=148,
            type_="Warning",
            host=NODES[1],
            field=f"spec.containers{{{d}}}",
        ),
        event(
            ns,
            "Deployment",
            d,
            "ScalingReplicaSet",
            f"Scaled up replica set {d}-{nh} to 1",
            first=clk(-13),
            component="deployment-controller",
            api="apps/v1",
        ),
    ]
    logs = {
        f"{ns}/{name}/{d}": "\n".join(
            [
                '{"ts":"2026-08-08T08:47:51.010Z","level":"ERROR","logger":"health","msg":"readiness check failed","check":"search-index","error":"index product_v7 does not exist"}',
                '{"ts":"2026-08-08T08:47:51.011Z","level":"INFO","logger":"http","msg":"GET /health/ready 500 2ms"}',
            ]
        )
    }
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "ArgoCD sync stuck",
            "product-api rollout has not progressed for 10m (ProgressDeadlineExceeded)",
            namespace=ns,
            deployment=d,
            source="argocd",
            severity="warning",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=rss,
        logs=logs,
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": new_img,
                "actor": "argocd",
                "commit_sha": "ab9c8d7",
                "timestamp": clk(-13),
            }
        ],
        expected_category="bad_deploy",
        evidence=["product-api:6.5.0"],
    )


def memory_alert_no_fault_zh():
    t = "2026-09-19T19:19:00Z"
    clk = Clock(t)
    ns = "feeds"
    d = "feed-ranker"
    img = "acme/feed-ranker:8.8.1"
    h = "5c6d7b8f9"
    pods = healthy_pods(clk, ns, d, h, img, ["m1n2b", "v3c4x"])
    logs = {
        f"{ns}/{d}-{h}-m1n2b/{d}": "2026-09-19 19:18:40 INFO  ranker - model v42 warm, cache entries=1843021\n2026-09-19 19:18:55 INFO  ranker - served 1203 req/s p99=84ms"
    }
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=12, rs_hash=h)
    return scenario(
        alert(
            "容器内存使用率过高",
            "feed-ranker 容器内存使用率 87%（阈值 85%），请关注",
            namespace=ns,
            severity="warning",
            pod=f"{d}-{h}-m1n2b",
            container=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nodes(clk),
        logs=logs,
        expected_category="insufficient_evidence",
        evidence=[],
    )


def empty_namespace_alert():
    t = "2026-10-10T10:10:00Z"
    clk = Clock(t)
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "BlackboxProbeFailed",
            "https://status.acme.io returned 502",
            namespace="status-page",
            source="blackbox-exporter",
            severity="warning",
            instance="https://status.acme.io",
            starts_at=t,
        ),
        pods=npods,
        events=nev,
        deployments=[],
        logs={},
        expected_category="insufficient_evidence",
        evidence=[],
    )


def elasticsearch_flood_stage():
    t = "2026-11-11T11:11:00Z"
    clk = Clock(t)
    ns = "logging"
    s = "es-data"
    img = "docker.elastic.co/elasticsearch/elasticsearch:8.13.4"
    c = container(
        "elasticsearch",
        img,
        cpu=("2", "4"),
        mem=("8Gi", "8Gi"),
        ports=[9200, 9300],
        mounts=[{"name": "data", "mountPath": "/usr/share/elasticsearch/data"}],
    )
    pods = [
        pod(
            f"{s}-{i}",
            ns,
            created=clk(-60 * 1440),
            containers=[c],
            owner=("StatefulSet", s, ns),
            node=NODES[i],
            labels={"app": s},
            statuses=[running("elasticsearch", img, clk(-60 * 1440))],
            volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": f"data-{s}-{i}"}}],
        )
        for i in range(3)
    ]
    line = (
        '{"@timestamp":"2026-11-11T11:10:%02d.511Z", "log.level": "WARN", "message":"flood stage disk watermark [95%%] exceeded on '
        "[Xk2p9QvTS3m][es-data-1][/usr/share/elasticsearch/data] free: 4.1gb[4.1%%], all indices on this node will be marked "
        'read-only", "ecs.version": "1.2.0","service.name":"ES_ECS","log.logger":"org.elasticsearch.cluster.routing.allocation.DiskThresholdMonitor"}'
    )
    idx = "\n".join(
        [
            '{"@timestamp":"2026-11-11T11:10:41.002Z", "log.level":"ERROR", "message":"failed to index bulk item: index [logs-2026.11.11] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"}'
        ]
    )
    logs = {f"{ns}/{s}-1/elasticsearch": "\n".join(line % x for x in (5, 35)), f"{ns}/fluent-bit-x7c8v/fluent-bit": idx}
    npods, nev = kube_noise(clk)
    pv = [pvc(f"data-{s}-{i}", ns, created=clk(-60 * 1440), size="100Gi") for i in range(3)]
    return scenario(
        alert(
            "ElasticsearchClusterYellow",
            "index writes rejected; cluster health YELLOW",
            namespace=ns,
            statefulset=s,
            severity="high",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[],
        pvcs=pv,
        logs=logs,
        expected_category="volume_full",
        evidence=["flood stage disk watermark"],
    )


def datadog_labels_crashloop():
    t = "2026-12-24T18:00:00Z"
    clk = Clock(t)
    ns = "gifts"
    d = "wishlist"
    img = "acme/wishlist:1.1.0"
    h = "6d5c8b9f7"
    name = f"{d}-{h}-e4r5t"
    c = container(d, img, ports=[8080])
    lab = {"app.kubernetes.io/name": d, "pod-template-hash": h}
    p = _crashloop(clk, ns, name, ("ReplicaSet", f"{d}-{h}", ns), c, restarts=8, code=1, labels=lab)
    prev = "\n".join(
        [
            'Exception in thread "main" java.lang.IllegalStateException: Duplicate key wishlist-gift-2 (attempted merging values 41 and 77)',
            "\tat java.base/java.util.stream.Collectors.duplicateKeyException(Collectors.java:135)",
            "\tat com.acme.wishlist.cache.Warmup.load(Warmup.java:61)",
            "\tat com.acme.wishlist.Main.main(Main.java:22)",
        ]
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=9, rs_hash=h, containers=[c])
    return scenario(
        {
            "title": "[P2] Pods of wishlist are restarting",
            "description": "kubernetes.containers.restarts > 5 over last 30m",
            "severity": "high",
            "source": "datadog",
            "starts_at": t,
            "labels": {"kube_namespace": ns, "kube_deployment": d, "env": "prod"},
        },
        pods=[p] + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{name}/{d}#previous": prev},
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "ci",
                "commit_sha": "c1c2c3c",
                "timestamp": clk(-5 * 1440),
            }
        ],
        expected_category="crashloop_app_error",
        evidence=["IllegalStateException: Duplicate key"],
    )


SCENARIOS_F = [
    ("b2_nginx_unknown_directive", nginx_unknown_directive),
    ("b2_kafka_broker_oom_consumer_lag", kafka_broker_down),
    ("b2_webhook_cert_expired_failedcreate", webhook_cert_expired_events),
    ("b2_node_not_ready_events_only", node_not_ready_no_nodes_list),
    ("b2_statefulset_bad_rollout_segfault", statefulset_bad_rollout),
    ("b2_rollout_stuck_new_rs_not_ready", rollout_stuck_readiness),
    ("b2_inconclusive_memory_usage_alert_zh", memory_alert_no_fault_zh),
    ("b2_inconclusive_empty_namespace", empty_namespace_alert),
    ("b2_elasticsearch_flood_stage", elasticsearch_flood_stage),
    ("b2_datadog_labels_java_crash", datadog_labels_crashloop),
]
