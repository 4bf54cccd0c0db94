"""Log shapes met in the red-team set: stack frames, access logs, resolver wording, remote denials."""

import pytest

from pagerless.diagnosis.analyzers.logscan import app_error_lines, classify, host_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "line,family",
    [
        (
            "org.postgresql.util.PSQLException: Connection to pg.db.svc.cluster.local:5432 refused. Check that the hostname "
            "and port are correct",
            "dependency_unavailable",
        ),
        ("com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure", "dependency_unavailable"),
        (
            '[2026-09-09T11:10:42.101Z] "POST /v1/stock HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-"',
            "dependency_unavailable",
        ),
        (
            "failed to connect to `host=pg.db.svc user=app`: dial error (dial tcp 10.96.1.5:5432: connect: connection "
            "timed out)",
            "network_timeout",
        ),
        ("psql: error: could not connect to server: No such file or directory", "dependency_unavailable"),
    ],
)
def test_connection_failures_are_told_apart(line, family):
    assert classify(line) == family


@pytest.mark.parametrize(
    "line",
    [
        'time=2026-04-22T08:09:42Z level=INFO msg="GET /ready" status=503 dur=0.2ms',
        '10.42.0.7 - - [27/Nov/2026:20:04:58 +0000] "GET /v2/search HTTP/1.1" 503 0 "-" "kube-probe/1.29"',
    ],
)
def test_a_service_answering_503_is_not_a_failing_dependency(line):
    assert classify(line) is None


def test_an_outbound_503_is_still_a_dependency_failure():
    assert classify("GET http://ratings:8080/v1 -> 503 Service Unavailable") == "dependency_unavailable"


def test_lookup_is_a_host_only_in_resolver_wording():
    assert host_of('{"msg":"eta lookup failed","error":"dial tcp 10.96.33.7:9090: connect: connection refused"}') == ""
    assert host_of("dial tcp: lookup orders-db on 10.96.0.10:53: no such host") == "orders-db"


def test_error_lines_skip_stack_frames_and_quoted_source():
    lines = [
        "Traceback (most recent call last):",
        '  File "/usr/lib/python3.12/logging/__init__.py", line 210, in _checkLevel',
        '    raise ValueError("Unknown level: %r" % level)',
        "ValueError: Unknown level: 'VERBOSE'",
        "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)",
    ]
    assert app_error_lines(lines) == ["ValueError: Unknown level: 'VERBOSE'"]


@pytest.mark.parametrize(
    "line,family",
    [
        ('nginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/conf.d/default.conf:14', "app_config_error"),
        (
            '[emerg] host not found in upstream "backend:8080" in /etc/nginx/conf.d/default.conf:5',
            "dns_resolution_failure",
        ),
        (
            "Connection to node 0 (kafka-0.kafka-headless.streaming.svc.cluster.local/10.42.1.8:9092) could not be "
            "established. Broker may not be available.",
            "dependency_unavailable",
        ),
        (
            "flood stage disk watermark [95%] exceeded on [es-data-1], all indices on this node will be marked read-only",
            "volume_full",
        ),
    ],
)
def test_more_real_world_wordings(line, family):
    assert classify(line) == family


def test_cronjob_runs_belong_to_their_cronjob():
    from pagerless.diagnosis.snapshot_objects import cronjob_of

    assert cronjob_of("nightly-report-29140865") == "nightly-report"
    assert cronjob_of("db-migrate") == "db-migrate"


@pytest.mark.parametrize(
    "line,family",
    [
        ("socket.gaierror: [Errno -2] Name does not resolve", "dns_resolution_failure"),
        ("javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_expired", "certificate_expired"),
        (
            "Npgsql.NpgsqlException (0x80004005): The connection pool has been exhausted, either raise 'Max Pool Size'",
            "db_connection_pool_exhausted",
        ),
        ("Error: timeout exceeded when trying to connect", "db_connection_pool_exhausted"),
    ],
)
def test_client_library_wordings(line, family):
    assert classify(line) == family


def test_a_python_exception_without_error_in_its_name_is_still_the_headline():
    lines = [
        "Traceback (most recent call last):",
        '  File "/app/rates.py", line 41, in refresh',
        "    rate = Decimal(payload['rates']['EUR'])",
        "decimal.InvalidOperation: [<class 'decimal.ConversionSyntax'>]",
    ]
    assert app_error_lines(lines)[0].startswith("decimal.InvalidOperation")


@pytest.mark.parametrize(
    "line",
    [
        "django.core.exceptions.ImproperlyConfigured: Set the SECRET_KEY environment variable",
        "KeyError: 'DATABASE_URL'",
        "Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured.",
        "[ERROR] [MY-000067] [Server] unknown variable 'innodb_buffer_pool_sise=2G'.",
        "System.InvalidOperationException: Section 'ConnectionStrings' not found in configuration.",
    ],
)
def test_config_rejections(line):
    assert classify(line) == "app_config_error"


def test_a_keyerror_on_data_is_not_a_config_error():
    assert classify("KeyError: 'customer_id'") is None


@pytest.mark.parametrize(
    "line",
    [
        "thread 'main' panicked at src/main.rs:42:10:",
        "/app/lib/worker.rb:12:in `process': undefined method `fetch' for nil:NilClass (NoMethodError)",
        "** (RuntimeError) could not load schema",
    ],
)
def test_crash_lines_of_other_runtimes_are_headlines(line):
    assert app_error_lines(["INFO starting", line]) == [line]


def test_chinese_config_wording():
    assert classify("2026-03-11 14:20:01 ERROR 启动失败: 配置项 server.port 无效") == "app_config_error"


def test_redis_refusing_writes_is_a_failing_dependency():
    assert (
        classify("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.")
        == "dependency_unavailable"
    )
