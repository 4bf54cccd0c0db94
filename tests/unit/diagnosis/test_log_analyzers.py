import pytest

from pagerless.diagnosis.analyzers import cpu, logs, rollouts
from pagerless.diagnosis.analyzers.logscan import app_error_lines, classify, host_of
from tests.unit.diagnosis.kube import cspec, cstatus, deployment, pod, replicaset, running, snap, terminated, waiting

pytestmark = pytest.mark.unit
P = "checkout-6d5f7c9b8-a1"


@pytest.mark.parametrize(
    "line,family",
    [
        (
            "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
            "db_connection_pool_exhausted",
        ),
        (
            "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out",
            "db_connection_pool_exhausted",
        ),
        ('err="failed to acquire connection: context deadline exceeded"', "db_connection_pool_exhausted"),
        (
            "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full.",
            "db_connection_pool_exhausted",
        ),
        ("FATAL:  sorry, too many clients already", "db_connection_pool_exhausted"),
        ("dial tcp 10.0.0.5:5432: connect: connection refused", "dependency_unavailable"),
        ("read tcp 10.1.2.3:5555->10.1.2.4:80: read: connection reset by peer", "dependency_unavailable"),
        (
            "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
            "dependency_unavailable",
        ),
        ('no endpoints available for service "ratings"', "dependency_unavailable"),
        ("dial tcp: lookup db.prod.svc.cluster.local on 10.96.0.10:53: no such host", "dns_resolution_failure"),
        ("lookup redis on 10.96.0.10:53: read udp 10.1.1.1:3333->10.96.0.10:53: i/o timeout", "dns_resolution_failure"),
        ("Error: getaddrinfo EAI_AGAIN api.example.com", "dns_resolution_failure"),
        ("socket.gaierror: [Errno -3] Temporary failure in name resolution", "dns_resolution_failure"),
        ("java.net.UnknownHostException: kafka-0.kafka: Name or service not known", "dns_resolution_failure"),
        ("x509: certificate has expired or is not yet valid: current time 2026-03-11", "certificate_expired"),
        ("x509: certificate is not yet valid", "certificate_expired"),
        (
            "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has "
            "expired (_ssl.c:1006)",
            "certificate_expired",
        ),
        ("open /data/cache/index: permission denied", "permission_denied"),
        ("OSError: [Errno 30] Read-only file system: '/app/tmp'", "permission_denied"),
        (
            'pods is forbidden: User "system:serviceaccount:ops:bot" cannot list resource "pods" in API group "" in the '
            'namespace "ops"',
            "rbac_forbidden",
        ),
        ('ERROR: could not write to file "base/16384/t3_1": No space left on device', "volume_full"),
        ('level=fatal msg="invalid configuration: missing required setting DATABASE_URL"', "app_config_error"),
        ("dial tcp 172.20.1.4:6379: i/o timeout", "network_timeout"),
        ("2026-03-11 ERROR 获取数据库连接超时: 连接池已满 (active=20)", "db_connection_pool_exhausted"),
        ("调用库存服务失败: 连接被拒绝", "dependency_unavailable"),
        ("写入失败: 磁盘空间不足", "volume_full"),
    ],
)
def test_log_lines_are_classified_by_family(line, family):
    # Given one log line in an application's own format
    # When it is classified
    # Then the family names its cause
    assert classify(line) == family


@pytest.mark.parametrize(
    "line",
    [
        "ERROR: permission denied for table invoices",  # a database grant, not the filesystem
        "INFO HikariPool-1 - Starting...",
        "GET /healthz 200 3ms",
        "WARN request took 1260ms",
    ],
)
def test_ordinary_lines_are_not_mistaken_for_causes(line):
    assert classify(line) is None


def test_hosts_are_read_from_the_line():
    assert host_of('Post "http://inventory.shop.svc.cluster.local:8080/v1": connection refused') == "inventory"
    assert host_of("Error 111 connecting to cart-redis:6379. Connection refused.") == "cart-redis"


def test_error_lines_prefer_exceptions_over_plain_errors():
    lines = ["ERROR something odd", "panic: runtime error: index out of range [3] with length 3", "INFO ok"]
    assert app_error_lines(lines)[0].startswith("panic: runtime error")


def test_latency_alert_with_saturated_pool_in_the_logs():
    # Given a latency alert and pool-exhaustion lines in the service's healthy pods
    line = "HikariPool-1 - Connection is not available, request timed out after 30000ms."
    snapshot = snap(pods=[pod(P)], logs={f"shop/{P}/app": "\n".join([line] * 5)}, title="CheckoutLatencyHigh")
    # When the logs analyzer runs
    findings = logs.analyze(snapshot)
    # Then it reports the pool, quoting the line
    assert [f.category for f in findings] == ["db_connection_pool_exhausted"]
    assert findings[0].evidence[0].detail == line


def test_timeouts_to_a_healthy_service_behind_a_network_policy():
    # Given timeouts to redis whose pod is healthy, and a NetworkPolicy in redis's namespace
    line = '{"addr":"redis.cache.svc.cluster.local:6379","error":"dial tcp 172.20.9.4:6379: i/o timeout"}'
    policy = {"metadata": {"name": "deny-all", "namespace": "cache"}, "spec": {"podSelector": {}}}
    snapshot = snap(
        pods=[pod(P), pod("redis-7c-1", ns="cache", workload="redis", hash_="7c")],
        logs={f"shop/{P}/app": "\n".join([line] * 3)},
        networkpolicies=[policy],
    )
    # When the logs analyzer runs
    findings = logs.analyze(snapshot)
    # Then it reports network_policy_blocked with the policy as evidence
    assert [f.category for f in findings] == ["network_policy_blocked"]
    assert any("deny-all" in e.source for e in findings[0].evidence)


def test_refused_connections_to_a_dependency_scaled_to_zero():
    # Given refused connections to cart-redis, whose Deployment has 0 replicas
    line = "redis.exceptions.ConnectionError: Error 111 connecting to cart-redis:6379. Connection refused."
    snapshot = snap(
        pods=[pod(P)], logs={f"shop/{P}/app": line}, deployments=[deployment("cart-redis", replicas=0, ready=0)]
    )
    # When the logs analyzer runs
    findings = logs.analyze(snapshot)
    # Then it is dependency_unavailable citing spec.replicas and proposing to bring it back, once (restore_dependency
    # scales it back; scale_deployment beside it would plan the same action)
    assert [f.category for f in findings] == ["dependency_unavailable"]
    assert any(e.source.endswith("spec.replicas") for e in findings[0].evidence)
    assert findings[0].remediations == ["restore_dependency"]


@pytest.mark.parametrize(
    "line,summary",
    [
        ("ERROR: failed to connect to elasticsearch: connection refused", "checkout cannot reach its dependencies"),
        (
            "redis.exceptions.ConnectionError: Error 111 connecting to cart-redis:6379. Connection refused.",
            "checkout cannot reach cart-redis",
        ),
    ],
)
def test_the_summary_names_the_unreachable_dependency_or_says_it_is_unknown(line, summary):
    # Given refused connections in checkout's log, with and without a host the line names
    snapshot = snap(pods=[pod(P)], logs={f"shop/{P}/app": line})
    # When the logs analyzer runs
    [finding] = logs.analyze(snapshot)
    # Then the summary reads as a sentence
    assert finding.category == "dependency_unavailable"
    assert finding.summary.startswith(summary + " (")


def test_config_error_at_startup_is_confident():
    # Given a crash-looping container whose last words reject its configuration
    status = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 1), restarts=5)
    snapshot = snap(
        pods=[pod(P, statuses=[status])],
        logs={f"shop/{P}/app#previous": "FATAL invalid value for TIMEOUT: must be a positive duration"},
    )
    # When the logs analyzer runs
    findings = logs.analyze(snapshot)
    # Then it is app_config_error with high confidence
    assert [f.category for f in findings] == ["app_config_error"]
    assert findings[0].confidence >= 0.7


def _rollout_snapshot(deployed_min_ago: float, service: str = "checkout", old_pod_fails: bool = False):
    crash = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 1), restarts=4, image="app:2")
    new = pod("checkout-new1-a", hash_="new1", statuses=[crash], created_min_ago=deployed_min_ago - 1)
    old_state = crash if old_pod_fails else cstatus(state=running(600), image="app:1")
    old = pod("checkout-old1-b", hash_="old1", statuses=[old_state], created_min_ago=600)
    return snap(
        pods=[new, old],
        replicasets=[
            replicaset("checkout", "new1", 5, deployed_min_ago, "app:2"),
            replicaset("checkout", "old1", 4, 60 * 24, "app:1"),
        ],
        deploys=[
            {
                "service": service,
                "namespace": "shop",
                "image": "app:2",
                "timestamp": replicaset("x", "y", 1, deployed_min_ago, "")["metadata"]["creationTimestamp"],
            }
        ],
    )


def test_failure_right_after_the_workloads_own_rollout_is_a_bad_deploy():
    # Given a deploy 10 minutes ago whose new pod crashes while the old revision runs fine
    findings = rollouts.analyze(_rollout_snapshot(10))
    # Then it is bad_deploy, citing the deploy and proposing a rollback
    assert [f.category for f in findings] == ["bad_deploy"]
    assert findings[0].remediations == ["rollback_deployment"]
    assert any(e.source == "deploys" and "app:2" in e.detail for e in findings[0].evidence)


def test_an_old_deploy_or_failures_predating_the_rollout_are_not_bad_deploys():
    # Given: a deploy 5 hours ago; or old-revision pods failing as well as new ones
    # Then neither is blamed on the rollout
    assert rollouts.analyze(_rollout_snapshot(300)) == []
    assert rollouts.analyze(_rollout_snapshot(10, old_pod_fails=True)) == []


def test_another_services_deploy_is_a_distractor():
    # Given checkout crashing on its months-old revision, and search-ui deployed 10 minutes ago
    crash = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 1), restarts=4)
    snapshot = snap(
        pods=[pod(P, statuses=[crash]), pod("search-ui-5d-1", workload="search-ui", hash_="5d")],
        replicasets=[replicaset("checkout", "6d5f7c9b8", 4, 60 * 24 * 30, "app:1")],
        deploys=[{"service": "search-ui", "namespace": "shop", "image": "ui:9", "timestamp": "2026-03-11T14:12:00Z"}],
    )
    # When the rollouts analyzer runs
    # Then nothing is blamed on a deploy
    assert rollouts.analyze(snapshot) == []


def test_cpu_throttling_needs_a_low_limit_and_a_hint():
    # Given a latency alert about throttling and a 200m CPU limit
    spec = cspec(resources={"limits": {"cpu": "200m"}})
    hinted = snap(
        pods=[pod(P, specs=[spec])],
        title="CheckoutLatencyHigh",
        description="CPUThrottlingHigh: 80% of periods throttled",
    )
    silent = snap(pods=[pod(P, specs=[spec])], title="CheckoutLatencyHigh")
    # When the cpu analyzer runs
    # Then it reports throttling only with the hint
    assert [f.category for f in cpu.analyze(hinted)] == ["cpu_throttling"]
    assert cpu.analyze(silent) == []
