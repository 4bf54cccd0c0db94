"""Red-team scenarios, part C: platform, network, dependencies, storage, autoscaling, abstentions."""

from _common import NODES, alert, healthy_pods, kube_noise, nodes, scenario, std_deploy
from kube_objects import (
    Clock,
    container,
    event,
    hpa,
    pod,
    running,
    terminated,
    uid,
    waiting,
)


def _svc(clk, ns, d, h, img, sfx, **kw):
    dp, rs = std_deploy(clk, ns, d, img, len(sfx), len(sfx), revision=kw.pop("revision", 5), rs_hash=h)
    return healthy_pods(clk, ns, d, h, img, sfx, **kw), dp, rs


def quota_exceeded():
    t = "2026-03-15T19:40:00Z"
    clk = Clock(t)
    ns = "reports"
    d = "pdf-worker"
    img = "acme/pdf-worker:5.0.3"
    h = "7b6d5c8f9"
    pods, dp, rs = _svc(clk, ns, d, h, img, ["c2d3f", "g4h5j", "k6l7m", "n8p9q", "r2s3t"])
    dp["spec"]["replicas"] = 8
    dp["status"]["unavailableReplicas"] = 3
    dp["status"]["conditions"][0].update(
        {
            "status": "False",
            "reason": "MinimumReplicasUnavailable",
            "message": "Deployment does not have minimum availability.",
        }
    )
    rs["spec"]["replicas"] = 8
    rs["status"]["conditions"] = [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": clk(-21),
            "reason": "FailedCreate",
            "message": f'pods "{d}-{h}-x7z2w" is forbidden: exceeded quota: compute-quota, requested: limits.memory=2Gi, used: limits.memory=10Gi, limited: limits.memory=10Gi',
        }
    ]
    ev = [
        event(
            ns,
            "ReplicaSet",
            f"{d}-{h}",
            "FailedCreate",
            f'Error creating: pods "{d}-{h}-{s}" is forbidden: exceeded quota: compute-quota, requested: limits.memory=2Gi, used: limits.memory=10Gi, limited: limits.memory=10Gi',
            first=clk(-21 + i),
            last=clk(-1),
            count=17,
            type_="Warning",
            component="replicaset-controller",
            api="apps/v1",
        )
        for i, s in enumerate(["x7z2w", "b9v4n", "q2m6k"])
    ]
    ev.append(
        event(
            ns,
            "HorizontalPodAutoscaler",
            d,
            "SuccessfulRescale",
            "New size: 8; reason: external metric rabbitmq_queue_messages_ready(&LabelSelector{MatchLabels:map[string]string{queue: pdf.render,},MatchExpressions:[]LabelSelectorRequirement{},}) above target",
            first=clk(-21),
            component="horizontal-pod-autoscaler",
            api="autoscaling/v2",
        )
    )
    h1 = hpa(
        d,
        ns,
        d,
        created=clk(-100 * 1440),
        min_r=2,
        max_r=20,
        current=5,
        desired=8,
        util=95,
        conditions=[
            {
                "type": "AbleToScale",
                "status": "True",
                "lastTransitionTime": clk(-21),
                "reason": "SucceededRescale",
                "message": "the HPA controller was able to update the target scale to 8",
            },
            {
                "type": "ScalingActive",
                "status": "True",
                "lastTransitionTime": clk(-60 * 1440),
                "reason": "ValidMetricFound",
                "message": "the HPA was able to successfully calculate a replica count from external metric rabbitmq_queue_messages_ready",
            },
            {
                "type": "ScalingLimited",
                "status": "False",
                "lastTransitionTime": clk(-3 * 1440),
                "reason": "DesiredWithinRange",
                "message": "the desired count is within the acceptable range",
            },
        ],
    )
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "PdfRenderQueueBacklog",
            "RabbitMQ queue pdf.render depth 5,412 > 1,000 for 15m",
            namespace=ns,
            severity="high",
            source="grafana",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        hpas=[h1],
        logs={},
        expected_category="resource_quota_exceeded",
        evidence=["exceeded quota: compute-quota"],
    )


def node_not_ready_zh():
    t = "2026-06-30T23:58:00Z"
    clk = Clock(t)
    ns = "cache"
    d = "session-store"
    img = "bitnami/redis:7.2.4"
    h = "66f8d9c7b"
    dead = NODES[1]
    pods, dp, rs = _svc(clk, ns, d, h, img, ["t5v6w", "x7y8z", "a2b3c"], port=6379)
    lost = pods[1]
    for cnd in lost["status"]["conditions"]:
        if cnd["type"] == "Ready":
            cnd.update({"status": "False", "lastTransitionTime": clk(-6)})
            cnd.pop("reason", None)
            cnd.pop("message", None)
    lost["status"]["conditions"].append(
        {
            "type": "DisruptionTarget",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": clk(-1),
            "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
        }
    )
    dp["status"]["readyReplicas"] = 2
    dp["status"]["availableReplicas"] = 2
    dp["status"]["unavailableReplicas"] = 1
    ev = [
        event(
            ns,
            "Pod",
            lost["metadata"]["name"],
            "NodeNotReady",
            "Node is not ready",
            first=clk(-6),
            type_="Warning",
            component="node-controller",
        ),
        event(
            None,
            "Node",
            dead,
            "NodeNotReady",
            f"Node {dead} status is now: NodeNotReady",
            first=clk(-6),
            component="node-controller",
        ),
        event(
            ns,
            "Pod",
            lost["metadata"]["name"],
            "TaintManagerEviction",
            f"Marking for deletion Pod {ns}/{lost['metadata']['name']}",
            first=clk(-1),
            component="taint-eviction-controller",
        ),
        event(
            "monitoring",
            "Pod",
            "node-exporter-9xv2q",
            "NodeNotReady",
            "Node is not ready",
            first=clk(-6),
            type_="Warning",
            component="node-controller",
        ),
    ]
    nl = nodes(
        clk,
        **{
            dead: {
                "ready": "Unknown",
                "ready_reason": "NodeStatusUnknown",
                "ready_msg": "Kubelet stopped posting node status.",
                "taints": [
                    {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": clk(-6)},
                    {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": clk(-6)},
                ],
            }
        },
    )
    for n in nl:
        if n["metadata"]["name"] == dead:
            for cnd in n["status"]["conditions"]:
                cnd["lastHeartbeatTime"] = clk(-7)
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "会话服务副本不可用",
            "cache/session-store 有1个副本NotReady，部分用户登录态丢失",
            namespace=ns,
            severity="high",
            deployment=d,
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


def dns_eai_again_coredns_oom():
    t = "2026-08-20T15:25:00Z"
    clk = Clock(t)
    ns = "web"
    d = "storefront-bff"
    img = "acme/storefront-bff:12.4.0"
    h = "59c7d8b6f"
    pods, dp, rs = _svc(clk, ns, d, h, img, ["f3g4h", "j5k6l"], port=4000)
    npods, nev = kube_noise(clk)
    for p in npods[:2]:  # coredns under memory pressure
        st = p["status"]["containerStatuses"][0]
        st["restartCount"] = 7
        st["lastState"] = terminated(137, "OOMKilled", clk(-9), clk(-3))
        st["state"] = {"running": {"startedAt": clk(-2.5)}}
    line = (
        '{"level":50,"time":1787239481337,"pid":1,"hostname":"storefront-bff-59c7d8b6f-f3g4h","reqId":"req-7f1a",'
        '"err":{"type":"Error","message":"getaddrinfo EAI_AGAIN catalog-api.catalog.svc.cluster.local","stack":"Error: getaddrinfo '
        'EAI_AGAIN catalog-api.catalog.svc.cluster.local\\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26)",'
        '"errno":-3001,"code":"EAI_AGAIN","syscall":"getaddrinfo","hostname":"catalog-api.catalog.svc.cluster.local"},'
        '"msg":"upstream request failed"}'
    )
    ok = '{"level":30,"time":1787239480011,"pid":1,"hostname":"storefront-bff-59c7d8b6f-f3g4h","reqId":"req-7f19","res":{"statusCode":200},"responseTime":38.2,"msg":"request completed"}'
    logs = {
        f"{ns}/{d}-{h}-f3g4h/{d}": "\n".join([ok, line, line.replace("req-7f1a", "req-7f1c")]),
        "kube-system/coredns-5d78c9869d-7xwqp/coredns": "\n".join(
            [
                ".:53",
                "[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908",
                "CoreDNS-1.11.1",
                "linux/amd64, go1.20.7, ae2bbc2",
                "[WARNING] plugin/kubernetes: starting server with unsynced Kubernetes API",
            ]
        ),
    }
    ev = [
        event(
            "kube-system",
            "Pod",
            npods[0]["metadata"]["name"],
            "BackOff",
            f"Back-off restarting failed container coredns in pod {npods[0]['metadata']['name']}_kube-system({uid('Pod', 'kube-system', npods[0]['metadata']['name'])})",
            first=clk(-20),
            last=clk(-3),
            count=6,
            type_="Warning",
            host=NODES[0],
            field="spec.containers{coredns}",
        )
    ]
    return scenario(
        alert(
            "StorefrontBFFErrorBudgetBurn",
            "5xx ratio 18% over 5m on storefront-bff",
            namespace=ns,
            service=d,
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
                "service": "storefront-web",
                "namespace": ns,
                "image": "acme/storefront-web:9.1.2",
                "actor": "spinnaker",
                "commit_sha": "ab12cd3",
                "timestamp": clk(-40),
            }
        ],
        expected_category="dns_resolution_failure",
        evidence=["getaddrinfo EAI_AGAIN"],
    )


def dependency_scaled_to_zero_istio():
    t = "2026-09-09T11:11:00Z"
    clk = Clock(t)
    ns = "orders"
    d = "orders-api"
    img = "acme/orders-api:8.2.0"
    h = "7f5c6b9d8"
    proxy = container(
        "istio-proxy", "docker.io/istio/proxyv2:1.21.2", cpu=("100m", "2"), mem=("128Mi", "1Gi"), ports=[15090]
    )
    pods, dp, rs = _svc(clk, ns, d, h, img, ["c8d9f", "g2h3j", "k4l5m"], extra_containers=[proxy])
    inv_dp, inv_rs = std_deploy(
        clk, "inventory", "inventory", "acme/inventory:3.3.1", 0, 0, revision=27, rs_hash="7f9c6d8b5"
    )
    inv_dp["status"] = {"observedGeneration": 28, "conditions": inv_dp["status"]["conditions"]}
    ev = [
        event(
            "inventory",
            "Deployment",
            "inventory",
            "ScalingReplicaSet",
            "Scaled down replica set inventory-7f9c6d8b5 to 0 from 3",
            first=clk(-24),
            component="deployment-controller",
            api="apps/v1",
        )
    ]
    for s in ["w2x3y", "z4a5b", "c6d7e"]:
        ev.append(
            event(
                "inventory",
                "Pod",
                f"inventory-7f9c6d8b5-{s}",
                "Killing",
                "Stopping container inventory",
                first=clk(-24),
                host=NODES[0],
                field="spec.containers{inventory}",
            )
        )
    app = "\n".join(
        [
            "2026-09-09T11:10:42.118Z ERROR 1 --- [orders-api] [io-8080-exec-14] c.a.orders.web.ApiExceptionHandler       : POST /v1/orders failed",
            'org.springframework.web.client.HttpServerErrorException$ServiceUnavailable: 503 Service Unavailable: "no healthy upstream"',
            "\tat org.springframework.web.client.HttpServerErrorException.create(HttpServerErrorException.java:116)",
            "\tat org.springframework.web.client.StatusHandler.lambda$defaultHandler$3(StatusHandler.java:89)",
            "\tat com.acme.orders.inventory.InventoryClient.reserve(InventoryClient.java:58)",
            "\tat com.acme.orders.service.OrderService.place(OrderService.java:112)",
        ]
    )
    envoy = "\n".join(
        [
            '[2026-09-09T11:10:42.101Z] "POST /v1/stock/reserve HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "Java-http-client/21.0.2" "2f4d1c8e-6b0a-4e9f-9a0c-3d2f7c1b5e11" "inventory.inventory.svc.cluster.local:8080" "-" outbound|8080||inventory.inventory.svc.cluster.local - 10.96.112.40:8080 10.42.1.20:48820 - default',
            '[2026-09-09T11:10:43.220Z] "GET /healthz/ready HTTP/1.1" 200 - via_upstream - "-" 0 0 1 1 "-" "kube-probe/1.29" "b1a2" "10.42.1.20:8080" "127.0.0.6:8080" inbound|8080|| 127.0.0.6:40211 10.42.1.20:8080 10.42.1.1:52110 - default',
            '2026-09-09T11:10:44.907Z\twarning\tenvoy config external/envoy/source/common/config/grpc_stream.h:193\tStreamAggregatedResources gRPC config stream to xds-grpc closed since 1742s ago: 14, connection error: desc = "transport: Error while dialing: dial tcp 10.96.4.20:15012: i/o timeout"\tthread=15',
        ]
    )
    logs = {f"{ns}/{d}-{h}-c8d9f/{d}": app, f"{ns}/{d}-{h}-c8d9f/istio-proxy": envoy}
    npods, nev = kube_noise(clk)
    return scenario(
        alert("OrdersApi5xx", "orders-api 5xx rate 22% (POST /v1/orders)", namespace=ns, service=d, starts_at=t),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp, inv_dp],
        replicasets=[rs, inv_rs],
        logs=logs,
        deploys=[
            {
                "service": "orders-api",
                "namespace": ns,
                "image": img,
                "actor": "argocd",
                "commit_sha": "de11aa0",
                "timestamp": clk(-2 * 1440),
            }
        ],
        expected_category="dependency_unavailable",
        evidence=["no healthy upstream"],
    )


def network_policy_timeout():
    t = "2026-10-05T06:30:00Z"
    clk = Clock(t)
    ns = "checkout"
    d = "payment-worker"
    img = "acme/payment-worker:2.7.0"
    h = "6c9b8d7f5"
    pods, dp, rs = _svc(clk, ns, d, h, img, ["h2j3k", "l4m5n"])
    pg = pod(
        "pg-primary-0",
        "db",
        created=clk(-50 * 1440),
        containers=[container("postgres", "postgres:16.2", ports=[5432])],
        statuses=[running("postgres", "postgres:16.2", clk(-50 * 1440))],
        owner=("StatefulSet", "pg-primary", "db"),
        labels={"app": "pg-primary"},
        node=NODES[2],
    )
    err = (
        '{"level":"error","ts":"2026-10-05T06:29:%02d.%03dZ","caller":"store/pg.go:44","msg":"failed to connect to database",'
        '"error":"failed to connect to `host=pg-primary.db.svc.cluster.local user=payments database=payments`: dial error '
        '(dial tcp 10.96.201.15:5432: connect: connection timed out)","attempt":%d}'
    )
    logs = {
        f"{ns}/{d}-{h}-h2j3k/{d}": "\n".join(err % (s, s * 7, a) for a, s in enumerate([10, 25, 40, 55], 1)),
        "db/pg-primary-0/postgres": "2026-10-05 06:28:12.771 UTC [81233] LOG:  checkpoint complete: wrote 1842 buffers (11.2%); 0 WAL file(s) added, 0 removed, 1 recycled",
    }
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "PaymentCaptureStalled",
            "no successful payment captures in 10m; queue payments.capture growing",
            namespace=ns,
            service=d,
            starts_at=t,
        ),
        pods=pods + [pg] + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        deploys=[
            {
                "service": "networkpolicy/db-default-deny-ingress",
                "namespace": "db",
                "image": "gitops:platform-policies@8e1f0a2",
                "actor": "platform-gitops",
                "commit_sha": "8e1f0a2",
                "timestamp": clk(-16),
            }
        ],
        expected_category="network_policy_blocked",
        evidence=["connection timed out"],
    )


def hikari_pool_zh():
    t = "2026-11-20T14:18:00Z"
    clk = Clock(t)
    ns = "member"
    d = "member-center"
    img = "harbor.internal.cn/member/member-center:6.3.1"
    h = "8d6f7c5b9"
    pods, dp, rs = _svc(clk, ns, d, h, img, ["q7r8s", "t9v2w", "x3y4z"])
    name = pods[0]["metadata"]["name"]
    log = "\n".join(
        [
            "2026-11-20 22:17:41.317  WARN 1 --- [nio-8080-exec-87] o.h.engine.jdbc.spi.SqlExceptionHelper   : SQL Error: 0, SQLState: null",
            "2026-11-20 22:17:41.317 ERROR 1 --- [nio-8080-exec-87] o.h.engine.jdbc.spi.SqlExceptionHelper   : HikariPool-1 - Connection is not available, request timed out after 30000ms.",
            "2026-11-20 22:17:41.320 ERROR 1 --- [nio-8080-exec-87] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception [Request processing failed: org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection] with root cause",
            "",
            "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.",
            "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)",
            "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)",
            "\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100)",
            "2026-11-20 22:17:45.001 DEBUG 1 --- [l-1 housekeeper] com.zaxxer.hikari.pool.HikariPool        : HikariPool-1 - Pool stats (total=10, active=10, idle=0, waiting=143)",
        ]
    )
    logs = {f"{ns}/{name}/{d}": log}
    ev = [
        event(
            ns,
            "Pod",
            name,
            "Unhealthy",
            'Readiness probe failed: Get "http://10.42.1.20:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
            first=clk(-6),
            last=clk(-2),
            count=3,
            type_="Warning",
            host=NODES[0],
            field=f"spec.containers{{{d}}}",
        )
    ]
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "会员中心接口P99延迟过高",
            "member-center /api/v1/members P99 延迟 3.8s（阈值 1s），持续10分钟",
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
        expected_category="db_connection_pool_exhausted",
        evidence=["Connection is not available, request timed out after 30000ms"],
    )


def partner_cert_expired():
    t = "2026-03-11T14:25:00Z"
    clk = Clock(t)
    ns = "partner"
    d = "settlement-pusher"
    img = "acme/settlement-pusher:1.4.0"
    h = "5b7c9d6f8"
    pods, dp, rs = _svc(clk, ns, d, h, img, ["m2n3p"])
    name = pods[0]["metadata"]["name"]
    line = (
        'time="2026-03-11T14:2%d:03Z" level=error msg="settlement push failed" error="Post \\"https://api.bank-partner.example.com/v2/settlements\\": '
        "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-03-11T14:2%d:03Z is after "
        '2026-03-11T00:00:00Z" partner=bank-a retry=%d'
    )
    logs = {f"{ns}/{name}/{d}": "\n".join(line % (i, i, i) for i in range(1, 5))}
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "PartnerSettlementFailures",
            "settlement push error rate 100% for partner=bank-a",
            namespace=ns,
            service=d,
            severity="critical",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        expected_category="certificate_expired",
        evidence=["certificate has expired"],
    )


def rbac_leases_forbidden():
    t = "2026-07-07T07:07:00Z"
    clk = Clock(t)
    ns = "platform"
    d = "config-syncer"
    img = "ghcr.io/acme/config-syncer:0.9.4"
    h = "84c6d9b7f"
    name = f"{d}-{h}-v5w6x"
    c = container("manager", img, ports=[8081])
    sa = f"system:serviceaccount:{ns}:{d}"
    prev = "\n".join(
        [
            f"I0707 07:02:11.004512       1 leaderelection.go:250] attempting to acquire leader lease {ns}/config-syncer-lock...",
            f'E0707 07:02:11.021934       1 leaderelection.go:332] error retrieving resource lock {ns}/config-syncer-lock: leases.coordination.k8s.io "config-syncer-lock" is forbidden: User "{sa}" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "{ns}"',
            f'W0707 07:02:11.402177       1 reflector.go:539] pkg/mod/k8s.io/client-go@v0.29.2/tools/cache/reflector.go:229: failed to list *v1.Secret: secrets is forbidden: User "{sa}" cannot list resource "secrets" in API group "" at the cluster scope',
            '{"level":"error","ts":"2026-07-07T07:02:41Z","logger":"setup","msg":"problem running manager","error":"leader election lost"}',
        ]
    )
    pods = [
        pod(
            name,
            ns,
            created=clk(-3 * 1440),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            sa=d,
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            statuses=[
                waiting(
                    "manager",
                    img,
                    "CrashLoopBackOff",
                    f"back-off 5m0s restarting failed container=manager pod={name}_{ns}({uid('Pod', ns, name)})",
                    restarts=9,
                    last=terminated(1, "Error", clk(-5), clk(-4.5)),
                )
            ],
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=3, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "ConfigSyncerDown",
            "config-syncer has been unavailable for 15 minutes",
            namespace=ns,
            deployment=d,
            severity="warning",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{name}/manager#previous": prev},
        expected_category="rbac_forbidden",
        evidence=['cannot get resource "leases"'],
    )


def nginx_nonroot_permission():
    t = "2026-05-25T09:15:00Z"
    clk = Clock(t)
    ns = "docs"
    d = "docs-site"
    img = "nginx:1.25.4-alpine"
    h = "6d8c7b5f9"
    name = f"{d}-{h}-j2k3l"
    c = container(
        "nginx",
        img,
        ports=[80],
        security={
            "runAsNonRoot": True,
            "runAsUser": 101,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    )
    prev = "\n".join(
        [
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
            "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
            "10-listen-on-ipv6-by-default.sh: info: can not modify /etc/nginx/conf.d/default.conf (read-only file system?)",
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            '2026/05/25 09:13:02 [warn] 1#1: the "user" directive makes sense only if the master process runs with super-user privileges, ignored in /etc/nginx/nginx.conf:2',
            'nginx: [warn] the "user" directive makes sense only if the master process runs with super-user privileges, ignored in /etc/nginx/nginx.conf:2',
            '2026/05/25 09:13:02 [emerg] 1#1: mkdir() "/var/cache/nginx/client_temp" failed (13: Permission denied)',
            'nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (13: Permission denied)',
        ]
    )
    pods = [
        pod(
            name,
            ns,
            created=clk(-30),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            security={"runAsNonRoot": True, "fsGroup": 101},
            statuses=[
                waiting(
                    "nginx",
                    img,
                    "CrashLoopBackOff",
                    f"back-off 5m0s restarting failed container=nginx pod={name}_{ns}({uid('Pod', ns, name)})",
                    restarts=10,
                    last=terminated(1, "Error", clk(-4), clk(-4)),
                )
            ],
        )
    ]
    ev = [
        event(
            ns,
            "Pod",
            name,
            "BackOff",
            f"Back-off restarting failed container nginx in pod {name}_{ns}({uid('Pod', ns, name)})",
            first=clk(-28),
            last=clk(-0.5),
            count=120,
            type_="Warning",
            host=NODES[2],
            field="spec.containers{nginx}",
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=2, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "BlackboxProbeFailed",
            "https://docs.acme.io probe failing from 3 locations",
            namespace=ns,
            source="blackbox-exporter",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{name}/nginx#previous": prev},
        expected_category="permission_denied",
        evidence=["(13: Permission denied)"],
    )


SCENARIOS_C = [
    ("quota_blocks_hpa_scaleup", quota_exceeded),
    ("node_not_ready_redis_zh", node_not_ready_zh),
    ("dns_eai_again_coredns_oom", dns_eai_again_coredns_oom),
    ("dependency_scaled_to_zero_istio", dependency_scaled_to_zero_istio),
    ("network_policy_connect_timeout", network_policy_timeout),
    ("hikari_pool_exhausted_latency_zh", hikari_pool_zh),
    ("partner_tls_cert_expired", partner_cert_expired),
    ("rbac_leader_election_forbidden", rbac_leases_forbidden),
    ("nginx_nonroot_permission_denied", nginx_nonroot_permission),
]
