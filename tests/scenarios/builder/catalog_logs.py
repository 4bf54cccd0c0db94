"""Scenarios whose cause is only in application logs: DNS, DB pools, dependencies, TLS, CPU throttling."""

from k8s import running, spec, status, terminated
from registry import scenario
from world import World

AT = "2026-03-13T18:45:00Z"


def _with_logs(w: World, ns: str, name: str, image: str, lines: list[str], *, replicas: int = 2, **spec_kwargs) -> list:
    pods = w.healthy(ns, name, image, replicas=replicas, **spec_kwargs)
    for p in pods:
        w.log(ns, p, "app", "\n".join(lines))
    return pods


@scenario("dns_lookup_timeout_go.json")
def dns_go() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    err = (
        "dial tcp: lookup orders-db.orders.svc.cluster.local on 172.20.0.10:53: read udp "
        "10.244.2.19:41234->172.20.0.10:53: i/o timeout"
    )
    lines = [
        f'{{"level":"info","ts":"{clk.log_ts(12)}","caller":"http/server.go:77","msg":"GET /v1/orders","status":200}}'
    ]
    for m in (7, 5, 3, 2, 1):
        lines.append(
            f'{{"level":"error","ts":"{clk.log_ts(m)}","caller":"db/conn.go:88","msg":"query failed","error":"{err}"}}'
        )
        lines.append(
            f'{{"level":"warn","ts":"{clk.log_ts(m, -2)}","caller":"http/server.go:91","msg":"GET /v1/orders",'
            '"status":500,"duration_ms":10012}'
        )
    pods = _with_logs(w, "orders", "order-api", "gcr.io/acme-orders/order-api:v4.1.0", lines, replicas=2)
    for p in pods:
        w.event(
            "orders",
            "Pod",
            p,
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            count=20,
            first=7,
            last=0.5,
        )
    coredns = [p for p in w.pods if p["metadata"]["name"].startswith("coredns-")]
    for p in coredns:
        w.log(
            "kube-system",
            p["metadata"]["name"],
            "coredns",
            "\n".join(
                [
                    "[INFO] plugin/reload: Running configuration SHA512 = 3c9f0b5e3c",
                    "[ERROR] plugin/errors: 2 orders-db.orders.svc.cluster.local.orders.svc.cluster.local. A: "
                    "read udp 10.244.1.7:51334->10.0.0.2:53: i/o timeout",
                ]
            ),
        )
    w.healthy("orders", "orders-db", "docker.io/library/postgres:16.2", replicas=1, port=5432)
    return w.scenario(
        {
            "title": "OrderApiLatencyP99High",
            "description": "order-api p99 latency > 10s",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "orders", "service": "order-api"},
        },
        {"category": "dns_resolution_failure", "evidence_contains": [":53: i/o timeout"]},
    )


@scenario("dns_eai_again_node_push.json")
def dns_node() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    lines = [f"{clk.log_ts(15)} info: push batch sent provider=apns count=500"]
    for m in (6, 4, 2, 1):
        lines += [
            f"{clk.log_ts(m)} error: push send failed provider=apns",
            "Error: getaddrinfo EAI_AGAIN api.push.apple.com",
            "    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26) {",
            "  errno: -3001,",
            "  code: 'EAI_AGAIN',",
            "  syscall: 'getaddrinfo',",
            "  hostname: 'api.push.apple.com'",
            "}",
        ]
    _with_logs(w, "notify", "push-gateway", "ghcr.io/acme/push-gateway:2.0.9", lines, replicas=2)
    return w.scenario(
        {
            "title": "推送服务发送失败率升高",
            "description": "push-gateway 失败率 > 20%，影响 iOS 推送",
            "severity": "high",
            "source": "grafana",
            "labels": {"namespace": "notify", "service": "push-gateway"},
        },
        {"category": "dns_resolution_failure", "evidence_contains": ["EAI_AGAIN"]},
    )


@scenario("db_pool_hikari_latency.json")
def hikari() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme/loan-service:12.3.0"
    lines = []
    for m in (11, 8, 6, 4, 2, 1):
        ts = clk.log_ts(m, 0, "%Y-%m-%d %H:%M:%S.%f")[:-3]
        lines += [
            f"{ts}  WARN 1 --- [nio-8080-exec-{m}] o.h.engine.jdbc.spi.SqlExceptionHelper   : SQL Error: 0, SQLState: null",
            f"{ts} ERROR 1 --- [nio-8080-exec-{m}] o.h.engine.jdbc.spi.SqlExceptionHelper   : HikariPool-1 - "
            "Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=58)",
            "org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection",
            "Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request "
            "timed out after 30000ms (total=10, active=10, idle=0, waiting=58)",
            "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)",
        ]
    specs = [spec("app", img, mem_lim="2Gi")]
    w.deployment("lending", "loan-service", specs, revision=33, replicas=3, ready=3, rs_created_min=60 * 24 * 3)
    for i in range(3):
        old_oom = terminated("OOMKilled", 137, clk.ago(days=2, hours=3), clk.ago(days=2, hours=2))
        p = w.pod(
            "lending",
            "loan-service",
            33,
            specs,
            [
                status(
                    "app",
                    img,
                    running(clk.ago(days=2, hours=2)),
                    last=old_oom if i == 0 else None,
                    restarts=1 if i == 0 else 0,
                )
            ],
            index=i,
            created_min=60 * 24 * 3,
        )
        w.log("lending", p, "app", "\n".join(lines))
    w.healthy("lending", "loan-db-proxy", "docker.io/bitnami/pgbouncer:1.22.0", replicas=1, port=6432)
    w.deploys = [
        {
            "service": "loan-ui",
            "namespace": "lending",
            "image": "ghcr.io/acme/loan-ui:4.4.4",
            "actor": "ci",
            "commit_sha": "abcabc1",
            "timestamp": clk.ago(minutes=14),
        }
    ]
    return w.scenario(
        {
            "title": "LoanServiceLatencyHigh",
            "description": "p99 latency of loan-service above 5s",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "lending", "service": "loan-service"},
        },
        {
            "category": "db_connection_pool_exhausted",
            "evidence_contains": ["Connection is not available, request timed out after 30000ms"],
        },
    )


@scenario("db_pool_sqlalchemy_queuepool.json")
def sqlalchemy() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    lines = []
    for m in (9, 5, 3, 1):
        lines += [
            f"{clk.log_ts(m, 0, '%Y-%m-%d %H:%M:%S,%f')[:-3]} ERROR [crm.api.deals] request failed path=/api/deals",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/pool/impl.py", line 168, in _do_get',
            "    raise exc.TimeoutError(",
            "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout "
            "30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)",
        ]
    _with_logs(w, "crm", "crm-api", "registry.cn-hangzhou.aliyuncs.com/acme/crm-api:2.5.1", lines, replicas=2)
    w.healthy("crm", "crm-worker", "registry.cn-hangzhou.aliyuncs.com/acme/crm-worker:2.5.1", replicas=1)
    return w.scenario(
        {
            "title": "CRM 接口响应时间过长",
            "description": "crm-api P95 响应时间超过 3 秒",
            "severity": "warning",
            "source": "grafana",
            "labels": {"namespace": "crm", "service": "crm-api"},
        },
        {
            "category": "db_connection_pool_exhausted",
            "evidence_contains": ["QueuePool limit of size 5 overflow 10 reached"],
        },
    )


@scenario("db_pool_pgx_acquire_timeout.json")
def pgx() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    lines = [
        f'time="{clk.log_ts(m, 0, "%Y-%m-%dT%H:%M:%SZ")}" level=error msg="list transactions" '
        'error="failed to acquire connection: context deadline exceeded" pool_total=20 pool_idle=0 '
        "pool_acquired=20"
        for m in (8, 6, 5, 3, 2, 1)
    ]
    _with_logs(w, "ledger", "ledger", "gcr.io/acme/ledger:v3.9.0", lines, replicas=3)
    return w.scenario(
        {
            "title": "LedgerHigh5xx",
            "description": "ledger 5xx > 3%",
            "severity": "critical",
            "source": "datadog",
            "labels": {"namespace": "ledger", "service": "ledger"},
        },
        {"category": "db_connection_pool_exhausted", "evidence_contains": ["failed to acquire connection"]},
    )


@scenario("dependency_redis_scaled_to_zero.json")
def redis_zero() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    lines = []
    for m in (10, 7, 4, 2, 1):
        lines += [
            f"{clk.log_ts(m, 0, '%Y-%m-%d %H:%M:%S')} [ERROR] checkout.cart: cart lookup failed",
            "redis.exceptions.ConnectionError: Error 111 connecting to cart-redis:6379. Connection refused.",
        ]
    _with_logs(w, "shop", "checkout", "ghcr.io/acme-shop/checkout:2026.03.12-1", lines, replicas=2)
    specs = [spec("redis", "docker.io/library/redis:7.2.4", port=6379)]
    w.deployment("shop", "cart-redis", specs, revision=2, replicas=0, ready=0)
    w.event(
        "shop",
        "Deployment",
        "cart-redis",
        "ScalingReplicaSet",
        "Scaled down replica set cart-redis-7b9f6d8c4 to 0 from 1",
        type_="Normal",
        first=11,
        last=11,
        component="deployment-controller",
    )
    return w.scenario(
        {
            "title": "CheckoutHigh5xx",
            "description": "checkout 5xx ratio 12%",
            "severity": "critical",
            "source": "alertmanager",
            "labels": {"namespace": "shop", "service": "checkout"},
        },
        {"category": "dependency_unavailable", "evidence_contains": ["Connection refused", "spec.replicas"]},
    )


@scenario("dependency_upstream_503_partner.json")
def upstream_503() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    lines = []
    for m in (9, 6, 4, 3, 1):
        lines.append(
            f'{{"timestamp":"{clk.log_ts(m)}","level":"ERROR","logger":"booking.fares",'
            '"message":"fare quote failed: GET https://api.gds-partner.example.com/v2/fares returned 503 '
            'Service Unavailable","attempt":3}'
        )
    _with_logs(w, "travel", "booking-api", "ghcr.io/acme/booking-api:6.1.2", lines, replicas=2)
    return w.scenario(
        {
            "title": "BookingConversionDrop",
            "description": "bookings/min dropped 60% vs last week",
            "severity": "high",
            "source": "newrelic",
            "labels": {"namespace": "travel", "service": "booking-api"},
        },
        {"category": "dependency_unavailable", "evidence_contains": ["503 Service Unavailable"]},
    )


@scenario("certificate_expired_go_x509.json")
def cert_go() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    lines = [
        f'{{"level":"error","ts":"{clk.log_ts(m)}","msg":"payout submit failed","payout_id":"po_{m}93",'
        '"error":"Post \\"https://api.bank-partner.example.com/v2/payouts\\": tls: failed to verify certificate: '
        "x509: certificate has expired or is not yet valid: current time 2026-03-13T18:4"
        + str(m % 10)
        + ':02Z is after 2026-03-13T12:00:00Z"}'
        for m in (9, 7, 5, 3, 1)
    ]
    _with_logs(w, "payments", "payout-service", "registry.example.com/payments/payout-service:v1.18.0", lines)
    return w.scenario(
        {
            "title": "PayoutFailuresHigh",
            "description": "payout failure rate 100% for 30m",
            "severity": "critical",
            "source": "prometheus",
            "labels": {"namespace": "payments", "service": "payout-service"},
        },
        {"category": "certificate_expired", "evidence_contains": ["x509: certificate has expired"]},
    )


@scenario("certificate_expired_java_pkix.json")
def cert_java() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    lines = []
    for m in (8, 4, 1):
        lines += [
            f"{clk.log_ts(m, 0, '%Y-%m-%d %H:%M:%S.%f')[:-3]} ERROR [reconcile-scheduler-1] c.a.r.BankClient - "
            "statement download failed",
            "javax.net.ssl.SSLHandshakeException: PKIX path validation failed: "
            "java.security.cert.CertPathValidatorException: validity check failed",
            "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)",
            "Caused by: java.security.cert.CertificateExpiredException: NotAfter: Fri Mar 13 00:00:00 UTC 2026",
        ]
    _with_logs(w, "finance", "reconciler", "harbor.example.cn/finance/reconciler:3.4.2", lines, replicas=1)
    return w.scenario(
        {
            "title": "对账服务调用银行接口失败",
            "description": "reconciler 连续 30 分钟未能下载银行对账单",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "finance", "deployment": "reconciler"},
        },
        {"category": "certificate_expired", "evidence_contains": ["CertificateExpiredException"]},
    )


@scenario("cpu_throttling_low_limit_latency.json")
def cpu_alert_hint() -> dict:
    w = World(AT)
    w.noise()
    _with_logs(
        w,
        "api",
        "quote-service",
        "ghcr.io/acme/quote-service:5.5.0",
        [f"{w.clk.log_ts(m)} INFO quote computed in {900 + m * 37}ms" for m in (6, 4, 2)],
        replicas=3,
        cpu_req="250m",
        cpu_lim="250m",
    )
    return w.scenario(
        {
            "title": "QuoteServiceLatencyP99High",
            "description": "p99 latency 2.4s; "
            "container_cpu_cfs_throttled_periods_total / container_cpu_cfs_periods_total = 78% over 15m",
            "severity": "warning",
            "source": "prometheus",
            "labels": {"namespace": "api", "service": "quote-service"},
        },
        {"category": "cpu_throttling", "evidence_contains": ["250m"]},
    )


@scenario("cpu_throttling_log_hint.json")
def cpu_log_hint() -> dict:
    w = World(AT)
    w.noise()
    lines = [
        f"{w.clk.log_ts(m)} WARN  [jvm-monitor] CPU throttled for {380 + m * 11}ms in the last 1000ms "
        "(cgroup cpu.max 50000 100000)"
        for m in (9, 7, 5, 3, 1)
    ]
    _with_logs(
        w,
        "pricing",
        "tariff-api",
        "harbor.example.cn/pricing/tariff-api:1.7.0",
        lines,
        replicas=2,
        cpu_req="500m",
        cpu_lim="500m",
        mem_lim="1Gi",
    )
    return w.scenario(
        {
            "title": "资费接口延迟升高",
            "description": "tariff-api P99 延迟 1.8s",
            "severity": "warning",
            "source": "grafana",
            "labels": {"namespace": "pricing", "service": "tariff-api"},
        },
        {"category": "cpu_throttling", "evidence_contains": ["CPU throttled"]},
    )
