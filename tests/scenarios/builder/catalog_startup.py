"""Scenarios about starting up: config, references, mounts, commands, permissions, RBAC, init, probes, deploys."""

from k8s import http_probe, running, spec, status, terminated, waiting
from registry import scenario
from world import World

AT = "2026-03-11T09:41:00Z"
BACKOFF = "back-off 5m0s restarting failed container={c} pod={p}"


def _crashing(
    w: World,
    ns: str,
    deploy: str,
    rev: int,
    specs: list,
    container: str,
    code: int,
    log: str,
    *,
    index: int = 0,
    created_min: float = 60 * 24 * 3,
    restarts: int = 8,
    finished_min: float = 1.5,
    reason: str = "Error",
    message: str | None = None,
    previous: bool = True,
) -> str:
    img = specs[0]["image"]
    st = status(
        container,
        img,
        waiting("CrashLoopBackOff", BACKOFF.format(c=container, p=deploy)),
        last=terminated(
            reason, code, w.clk.ago(minutes=finished_min + 0.2), w.clk.ago(minutes=finished_min), message=message
        ),
        ready=False,
        restarts=restarts,
    )
    p = w.pod(ns, deploy, rev, specs, [st], index=index, created_min=created_min)
    if log:
        w.log(ns, p, container, log, previous=previous)
    w.event(
        ns,
        "Pod",
        p,
        "BackOff",
        f"Back-off restarting failed container {container} in pod {p}_{ns}",
        count=restarts * 3,
        first=min(created_min, 50),
        last=0.5,
        field_path=f"spec.containers{{{container}}}",
    )
    return p


@scenario("app_config_error_invalid_duration.json")
def app_config_error() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "quay.io/acme/token-service:3.2.1"
    specs = [spec("token-service", img, port=8443, env_from=[{"configMapRef": {"name": "token-service-config"}}])]
    w.deployment("auth", "token-service", specs, revision=14, replicas=2, ready=1, rs_created_min=60 * 24 * 20)
    w.pod(
        "auth",
        "token-service",
        14,
        specs,
        [status("token-service", img, running(clk.ago(days=6)))],
        index=0,
        created_min=60 * 24 * 6,
    )
    log = "\n".join(
        [
            f'{{"level":"info","ts":"{clk.log_ts(1, 40)}","caller":"cmd/main.go:41","msg":"starting token-service","version":"3.2.1"}}',
            f'{{"level":"info","ts":"{clk.log_ts(1, 40)}","caller":"config/load.go:58","msg":"loading configuration","source":"env"}}',
            f'{{"level":"fatal","ts":"{clk.log_ts(1, 39)}","caller":"cmd/main.go:49","msg":"invalid configuration",'
            '"error":"invalid value for TOKEN_TTL: time: unknown unit \\"mins\\" in duration \\"15mins\\""}',
        ]
    )
    _crashing(w, "auth", "token-service", 14, specs, "token-service", 1, log, index=1, created_min=9, restarts=6)
    w.event(
        "auth",
        "Pod",
        "token-service-7f9c-old",
        "Killing",
        "Stopping container token-service",
        type_="Normal",
        first=10,
        last=10,
    )
    w.event(
        "",
        "Node",
        w.node_names[2],
        "NodeNotSchedulable",
        f"Node {w.node_names[2]} status is now: NodeNotSchedulable",
        type_="Normal",
        first=11,
        last=11,
    )
    return w.scenario(
        {
            "title": "TokenServiceAvailabilityLow",
            "description": "Only 1 of 2 token-service replicas available",
            "severity": "high",
            "source": "alertmanager",
            "labels": {"namespace": "auth", "deployment": "token-service"},
        },
        {"category": "app_config_error", "evidence_contains": ["invalid value for TOKEN_TTL"]},
    )


@scenario("missing_secret_create_container_config.json")
def missing_config_reference() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "registry.gitlab.com/acme/billing/invoice-worker:5.0.2"
    env = [{"name": "SMTP_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "invoice-worker-smtp", "key": "password"}}}]
    old = [spec("worker", "registry.gitlab.com/acme/billing/invoice-worker:5.0.1", port=None)]
    new = [spec("worker", img, port=None, env=env)]
    w.deployment(
        "billing",
        "invoice-worker",
        new,
        revision=8,
        replicas=2,
        ready=2,
        updated=1,
        rs_created_min=4,
        prev_specs=old,
        prev_replicas=2,
        prev_ready=2,
    )
    for i in range(2):
        w.pod(
            "billing",
            "invoice-worker",
            7,
            old,
            [status("worker", old[0]["image"], running(clk.ago(days=3)))],
            index=i,
            created_min=60 * 24 * 3,
        )
    msg = 'secret "invoice-worker-smtp" not found'
    p = w.pod(
        "billing",
        "invoice-worker",
        8,
        new,
        [status("worker", img, waiting("CreateContainerConfigError", msg), ready=False)],
        index=2,
        created_min=4,
    )
    w.event(
        "billing",
        "Pod",
        p,
        "Failed",
        f"Error: {msg}",
        count=19,
        first=4,
        last=0.2,
        field_path="spec.containers{worker}",
    )
    w.event(
        "billing",
        "Pod",
        p,
        "Pulled",
        f'Container image "{img}" already present on machine',
        type_="Normal",
        count=19,
        first=4,
        last=0.2,
    )
    w.deploys = [
        {
            "service": "invoice-worker",
            "namespace": "billing",
            "image": img,
            "actor": "release-bot",
            "commit_sha": "5de0f1a",
            "timestamp": clk.ago(minutes=4),
        }
    ]
    return w.scenario(
        {
            "title": "InvoiceQueueBacklogGrowing",
            "description": "invoice queue depth > 5000",
            "severity": "warning",
            "source": "cloudwatch",
            "labels": {"namespace": "billing", "service": "invoice-worker"},
        },
        {"category": "missing_config_reference", "evidence_contains": ['secret "invoice-worker-smtp" not found']},
    )


@scenario("volume_mount_failed_secret.json")
def volume_mount_failure() -> dict:
    w = World(AT)
    w.noise()
    img = "docker.io/acme/search-indexer:7.1.0"
    mounts = [{"name": "tls-certs", "mountPath": "/etc/indexer/tls", "readOnly": True}]
    specs = [spec("indexer", img, port=9200, mounts=mounts)]
    w.deployment("search", "indexer", specs, revision=3, replicas=2, ready=0, rs_created_min=60 * 24 * 9)
    vols = [{"name": "tls-certs", "secret": {"secretName": "indexer-tls", "defaultMode": 420}}]
    for i in range(2):
        p = w.pod(
            "search",
            "indexer",
            3,
            specs,
            [status("indexer", img, waiting("ContainerCreating"), ready=False)],
            index=i,
            created_min=14 - i,
            volumes=vols,
            phase="Pending",
        )
        w.event(
            "search",
            "Pod",
            p,
            "FailedMount",
            'MountVolume.SetUp failed for volume "tls-certs" : secret "indexer-tls" not found',
            count=9,
            first=14 - i,
            last=1,
        )
        w.event(
            "search",
            "Pod",
            p,
            "FailedMount",
            "Unable to attach or mount volumes: unmounted volumes=[tls-certs], "
            "unattached volumes=[kube-api-access tls-certs]: timed out waiting for the condition",
            count=3,
            first=12,
            last=2,
        )
    return w.scenario(
        {
            "title": "搜索索引服务不可用",
            "description": "search/indexer 无可用副本，搜索请求全部失败",
            "severity": "critical",
            "source": "grafana",
            "labels": {"namespace": "search", "service": "indexer"},
        },
        {"category": "volume_mount_failure", "evidence_contains": ['secret "indexer-tls" not found']},
    )


@scenario("bad_deploy_crash_after_rollout.json")
def bad_deploy_crash() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    old_img, new_img = "ghcr.io/acme/catalog-api:5.1.3", "ghcr.io/acme/catalog-api:5.2.0"
    old, new = [spec("api", old_img, port=3000)], [spec("api", new_img, port=3000)]
    w.deployment(
        "catalog",
        "catalog-api",
        new,
        revision=19,
        replicas=3,
        ready=3,
        updated=1,
        rs_created_min=10,
        prev_specs=old,
        prev_replicas=3,
        prev_ready=3,
    )
    for i in range(3):
        w.pod(
            "catalog",
            "catalog-api",
            18,
            old,
            [status("api", old_img, running(clk.ago(days=3)))],
            index=i,
            created_min=60 * 24 * 3,
        )
    log = "\n".join(
        [
            f"{clk.log_ts(1, 12)} info: catalog-api 5.2.0 starting (node v20.11.1)",
            f"{clk.log_ts(1, 11)} info: connected to mongodb://catalog-mongo:27017/catalog",
            "/app/dist/services/pricing.js:88",
            "    return rules.tiers.map((t) => normalizeTier(t));",
            "                       ^",
            "",
            "TypeError: Cannot read properties of undefined (reading 'map')",
            "    at buildPriceIndex (/app/dist/services/pricing.js:88:24)",
            "    at async bootstrap (/app/dist/main.js:41:3)",
            "",
            "Node.js v20.11.1",
        ]
    )
    _crashing(w, "catalog", "catalog-api", 19, new, "api", 1, log, index=3, created_min=10, restarts=5)
    w.healthy("catalog", "catalog-mongo", "docker.io/library/mongo:7.0.5", replicas=1, port=27017)
    w.deploys = [
        {
            "service": "catalog-api",
            "namespace": "catalog",
            "image": new_img,
            "actor": "deploy-pipeline",
            "commit_sha": "f00dbab",
            "timestamp": clk.ago(minutes=10),
        },
        {
            "service": "search-ui",
            "namespace": "web",
            "image": "ghcr.io/acme/search-ui:1.2.9",
            "actor": "deploy-pipeline",
            "commit_sha": "0a0a0a0",
            "timestamp": clk.ago(minutes=25),
        },
    ]
    return w.scenario(
        {
            "title": "KubePodCrashLooping",
            "description": "Pod catalog/catalog-api is restarting 1.8 times / 5 minutes.",
            "severity": "warning",
            "source": "alertmanager",
            "labels": {"namespace": "catalog", "deployment": "catalog-api", "container": "api"},
        },
        {"category": "bad_deploy", "evidence_contains": ["catalog-api:5.2.0", "TypeError"]},
    )


@scenario("bad_deploy_5xx_java_npe.json")
def bad_deploy_5xx() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    old_img, new_img = "eu.gcr.io/acme/profile-service:2.13.4", "eu.gcr.io/acme/profile-service:2.14.0"
    old, new = [spec("profile", old_img)], [spec("profile", new_img)]
    w.deployment(
        "accounts",
        "profile-service",
        new,
        revision=42,
        replicas=3,
        ready=3,
        rs_created_min=12,
        prev_specs=old,
        prev_replicas=0,
        prev_ready=0,
    )
    lines = []
    for k in range(4):
        lines += [
            f"{clk.log_ts(9 - 2 * k, 3, '%Y-%m-%d %H:%M:%S.%f')[:-3]} ERROR 1 --- [nio-8080-exec-{k + 2}] "
            "o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw "
            "exception",
            'java.lang.NullPointerException: Cannot invoke "String.length()" because "locale" is null',
            "\tat com.acme.profile.web.LocaleResolver.resolve(LocaleResolver.java:57)",
            "\tat com.acme.profile.web.ProfileController.get(ProfileController.java:112)",
            "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
        ]
    for i in range(3):
        p = w.pod(
            "accounts",
            "profile-service",
            42,
            new,
            [status("profile", new_img, running(clk.ago(minutes=11 - i)))],
            index=i,
            created_min=12 - i,
        )
        w.log("accounts", p, "profile", "\n".join(lines))
    w.healthy("accounts", "profile-db-proxy", "docker.io/edoburu/pgbouncer:1.21.0", replicas=1, port=5432)
    w.deploys = [
        {
            "service": "profile-service",
            "namespace": "accounts",
            "image": new_img,
            "actor": "argocd",
            "commit_sha": "2c9e0d7",
            "timestamp": clk.ago(minutes=12),
        },
        {
            "service": "profile-service",
            "namespace": "accounts",
            "image": old_img,
            "actor": "argocd",
            "commit_sha": "8b8b8b8",
            "timestamp": clk.ago(days=6),
        },
    ]
    return w.scenario(
        {
            "title": "ProfileServiceHigh5xxRate",
            "description": "HTTP 5xx ratio 31% (threshold 2%)",
            "severity": "critical",
            "source": "newrelic",
            "labels": {"namespace": "accounts", "service": "profile-service"},
        },
        {"category": "bad_deploy", "evidence_contains": ["profile-service:2.14.0", "NullPointerException"]},
    )


@scenario("bad_deploy_config_only_rollout.json")
def bad_deploy_config_only() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme/pricing-engine:4.2.0"
    old = [spec("engine", img, env=[{"name": "PRICING_MODE", "value": "dynamic"}])]
    new = [spec("engine", img, env=[{"name": "PRICING_MODE", "value": "dynamic-v2"}])]
    w.deployment(
        "pricing",
        "pricing-engine",
        new,
        revision=12,
        replicas=2,
        ready=2,
        updated=1,
        rs_created_min=9,
        prev_specs=old,
        prev_replicas=2,
        prev_ready=2,
    )
    for i in range(2):
        w.pod(
            "pricing",
            "pricing-engine",
            11,
            old,
            [status("engine", img, running(clk.ago(days=8)))],
            index=i,
            created_min=60 * 24 * 8,
        )
    log = "\n".join(
        [
            f"{clk.log_ts(1, 5, '%Y/%m/%d %H:%M:%S')} pricing-engine 4.2.0 (commit 7e1d) starting",
            f'{clk.log_ts(1, 5, "%Y/%m/%d %H:%M:%S")} FATAL config: invalid pricing mode "dynamic-v2": '
            "must be one of [static dynamic]",
        ]
    )
    _crashing(w, "pricing", "pricing-engine", 12, new, "engine", 1, log, index=2, created_min=9, restarts=6)
    w.deploys = [
        {
            "service": "pricing-engine",
            "namespace": "pricing",
            "image": img,
            "actor": "helm",
            "commit_sha": "values-7e1d",
            "timestamp": clk.ago(minutes=9),
        },
        {
            "service": "pricing-engine",
            "namespace": "pricing",
            "image": img,
            "actor": "helm",
            "commit_sha": "3aa01f2",
            "timestamp": clk.ago(days=8),
        },
    ]
    return w.scenario(
        {
            "title": "价格引擎重启次数过多",
            "description": "pricing-engine 在 10 分钟内重启 6 次",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "pricing", "deployment": "pricing-engine"},
        },
        {"category": "bad_deploy", "evidence_contains": ["pricing-engine:4.2.0", "must be one of"]},
    )


@scenario("wrong_command_exit127.json")
def wrong_command_127() -> dict:
    w = World(AT)
    w.noise()
    img = "ghcr.io/acme/recs-api:1.4.0"
    specs = [spec("api", img, port=8000, command=["sh", "-c", "exec uvicorn recs.main:app --host 0.0.0.0 --port 8000"])]
    w.deployment("recs", "recs-api", specs, revision=2, replicas=2, ready=0, rs_created_min=60 * 26)
    for i in range(2):
        _crashing(
            w,
            "recs",
            "recs-api",
            2,
            specs,
            "api",
            127,
            "sh: 1: exec: uvicorn: not found",
            index=i,
            created_min=22 - i,
            restarts=9,
        )
    return w.scenario(
        {
            "title": "RecsApiDown",
            "description": "probe_success == 0 for recs-api",
            "severity": "critical",
            "source": "alertmanager",
            "labels": {"namespace": "recs", "service": "recs-api", "job": "blackbox"},
        },
        {"category": "wrong_command_or_entrypoint", "evidence_contains": ["exitCode=127", "not found"]},
    )


@scenario("wrong_command_starterror_after_deploy.json")
def wrong_command_starterror() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    old_img, new_img = "ghcr.io/acme/pdf-renderer:2.8.1", "ghcr.io/acme/pdf-renderer:3.0.0"
    old = [spec("renderer", old_img, command=["/app/bin/render-server"])]
    new = [spec("renderer", new_img, command=["/app/bin/render-server"])]
    w.deployment(
        "docs",
        "pdf-renderer",
        new,
        revision=6,
        replicas=2,
        ready=2,
        updated=1,
        rs_created_min=7,
        prev_specs=old,
        prev_replicas=2,
        prev_ready=2,
    )
    for i in range(2):
        w.pod(
            "docs",
            "pdf-renderer",
            5,
            old,
            [status("renderer", old_img, running(clk.ago(days=1)))],
            index=i,
            created_min=60 * 24,
        )
    msg = (
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
        'failed: unable to start container process: exec: "/app/bin/render-server": stat /app/bin/render-server: '
        "no such file or directory: unknown"
    )
    p = _crashing(
        w,
        "docs",
        "pdf-renderer",
        6,
        new,
        "renderer",
        128,
        "",
        index=2,
        created_min=7,
        restarts=5,
        reason="StartError",
        message=msg,
    )
    w.event("docs", "Pod", p, "Failed", f"Error: {msg}", count=6, first=7, last=1)
    w.deploys = [
        {
            "service": "pdf-renderer",
            "namespace": "docs",
            "image": new_img,
            "actor": "github-actions",
            "commit_sha": "d1e2f3a",
            "timestamp": clk.ago(minutes=7),
        }
    ]
    return w.scenario(
        {
            "title": "KubeDeploymentReplicasMismatch",
            "description": "Deployment docs/pdf-renderer has "
            "not matched the expected number of replicas for longer than 5 minutes.",
            "severity": "warning",
            "source": "alertmanager",
            "labels": {"namespace": "docs", "deployment": "pdf-renderer"},
        },
        {"category": "wrong_command_or_entrypoint", "evidence_contains": ["StartError", "no such file or directory"]},
    )


@scenario("permission_denied_eacces_uploads.json")
def permission_denied_eacces() -> dict:
    w = World(AT)
    w.noise()
    img = "docker.io/acme/cms:4.15.2"
    sec = {"runAsNonRoot": True, "runAsUser": 10001, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}
    specs = [spec("cms", img, port=1337, security=sec)]
    w.deployment("cms", "cms", specs, revision=21, replicas=1, ready=0, rs_created_min=60 * 30)
    log = "\n".join(
        [
            "[2026-03-11 09:39:22.101] info: Starting the application in production mode",
            "[2026-03-11 09:39:23.417] error: EACCES: permission denied, mkdir '/app/public/uploads/tmp'",
            "Error: EACCES: permission denied, mkdir '/app/public/uploads/tmp'",
            "    at Object.mkdirSync (node:fs:1379:26)",
            "    at ensureUploadDir (/app/node_modules/@strapi/plugin-upload/server/bootstrap.js:18:8)",
        ]
    )
    _crashing(w, "cms", "cms", 21, specs, "cms", 1, log, created_min=60 * 30, restarts=14)
    return w.scenario(
        {
            "title": "CMS 后台无法访问",
            "description": "cms.example.cn 返回 502",
            "severity": "high",
            "source": "webhook",
            "labels": {"namespace": "cms", "service": "cms"},
        },
        {"category": "permission_denied", "evidence_contains": ["EACCES: permission denied"]},
    )


@scenario("permission_denied_nginx_bind_80.json")
def permission_denied_bind() -> dict:
    w = World(AT)
    w.noise()
    img = "docker.io/library/nginx:1.25.4"
    specs = [
        spec(
            "nginx", img, port=80, security={"runAsUser": 101, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
        )
    ]
    w.deployment("edge", "static-site", specs, revision=3, replicas=2, ready=0, rs_created_min=60 * 3)
    log = "\n".join(
        [
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            "2026/03/11 09:39:41 [emerg] 1#1: bind() to 0.0.0.0:80 failed (13: Permission denied)",
            "nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)",
        ]
    )
    for i in range(2):
        _crashing(w, "edge", "static-site", 3, specs, "nginx", 1, log, index=i, created_min=60 * 3, restarts=30)
    return w.scenario(
        {
            "title": "StaticSiteProbeFailed",
            "description": "blackbox http probe failing for https://www.example.com",
            "severity": "critical",
            "source": "alertmanager",
            "labels": {"namespace": "edge", "service": "static-site"},
        },
        {"category": "permission_denied", "evidence_contains": ["Permission denied"]},
    )


@scenario("rbac_forbidden_configmaps.json")
def rbac_forbidden() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme/config-syncer:0.9.2"
    specs = [spec("syncer", img, port=8081, readiness=http_probe("/readyz", port=8081))]
    w.deployment("platform", "config-syncer", specs, revision=4, replicas=1, ready=0, rs_created_min=60 * 24 * 12)
    p = w.pod(
        "platform",
        "config-syncer",
        4,
        specs,
        [status("syncer", img, running(clk.ago(minutes=30)), ready=False)],
        created_min=30,
        sa="config-syncer",
    )
    msg = (
        "E0311 09:40:12.338120       1 reflector.go:147] k8s.io/client-go@v0.29.2/tools/cache/reflector.go:229: "
        "Failed to watch *v1.ConfigMap: failed to list *v1.ConfigMap: configmaps is forbidden: User "
        '"system:serviceaccount:platform:config-syncer" cannot list resource "configmaps" in API group "" at the '
        "cluster scope"
    )
    w.log(
        "platform",
        p,
        "syncer",
        "\n".join(
            [
                "I0311 09:11:02.004411       1 main.go:52] config-syncer 0.9.2 starting, watching all namespaces",
                msg.replace("09:40:12.338120", "09:39:40.120943"),
                msg,
            ]
        ),
    )
    w.event(
        "platform",
        "Pod",
        p,
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        count=180,
        first=29,
        last=0.1,
    )
    return w.scenario(
        {
            "title": "ConfigDriftDetected",
            "description": "tenant configmaps out of sync for 20m",
            "severity": "warning",
            "source": "prometheus",
            "labels": {"namespace": "platform", "deployment": "config-syncer"},
        },
        {"category": "rbac_forbidden", "evidence_contains": ['cannot list resource "configmaps"']},
    )


@scenario("init_container_migration_failed.json")
def init_failure() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme/fulfillment:8.3.0"
    mig = "ghcr.io/acme/fulfillment-migrations:8.3.0"
    specs = [spec("app", img)]
    init = [spec("db-migrate", mig, port=None, command=["flyway", "migrate"])]
    w.deployment("fulfillment", "fulfillment", specs, revision=16, replicas=2, ready=0, rs_created_min=60 * 24 * 2)
    log = "\n".join(
        [
            "Flyway Community Edition 10.8.1 by Redgate",
            "Database: jdbc:postgresql://fulfillment-db:5432/fulfillment (PostgreSQL 15.6)",
            "Successfully validated 42 migrations (execution time 00:00.120s)",
            'Migrating schema "public" to version "42 - add created index"',
            "ERROR: Migration V42__add_created_index.sql failed",
            "SQL State  : 42P07",
            "Error Code : 0",
            'Message    : ERROR: relation "idx_orders_created" already exists',
        ]
    )
    for i in range(2):
        p = w.pod(
            "fulfillment",
            "fulfillment",
            16,
            specs,
            [status("app", img, waiting("PodInitializing"), ready=False)],
            index=i,
            created_min=18,
            init_specs=init,
            phase="Pending",
            init_statuses=[
                status(
                    "db-migrate",
                    mig,
                    waiting("CrashLoopBackOff", "back-off 2m40s restarting failed container=db-migrate"),
                    last=terminated("Error", 1, clk.ago(minutes=2.5), clk.ago(minutes=2)),
                    ready=False,
                    restarts=6,
                )
            ],
        )
        w.log("fulfillment", p, "db-migrate", log, previous=True)
        w.event(
            "fulfillment",
            "Pod",
            p,
            "BackOff",
            f"Back-off restarting failed container db-migrate in pod {p}_fulfillment",
            count=22,
            first=17,
            last=1,
        )
    w.healthy("fulfillment", "fulfillment-db", "docker.io/library/postgres:15.6", replicas=1, port=5432)
    return w.scenario(
        {
            "title": "FulfillmentNoReadyPods",
            "description": 'kube_deployment_status_replicas_available{deployment="fulfillment"} == 0',
            "severity": "critical",
            "source": "alertmanager",
            "labels": {"namespace": "fulfillment", "deployment": "fulfillment"},
        },
        {"category": "init_container_failure", "evidence_contains": ["db-migrate", "already exists"]},
    )


@scenario("liveness_kills_slow_jvm_start.json")
def liveness_slow_start() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "harbor.example.cn/risk/risk-engine:6.0.3"
    live = http_probe("/actuator/health/liveness", delay=15, period=10, failures=3)
    specs = [
        spec(
            "risk-engine",
            img,
            cpu_req="1",
            mem_req="2Gi",
            mem_lim="3Gi",
            liveness=live,
            readiness=http_probe("/actuator/health/readiness", delay=15),
        )
    ]
    w.deployment("risk", "risk-engine", specs, revision=10, replicas=2, ready=0, rs_created_min=60 * 24 * 6)
    boot = "\n".join(
        [
            f"{clk.log_ts(1, 50, '%Y-%m-%d %H:%M:%S.%f')[:-3]}  INFO 1 --- [main] c.a.risk.RiskEngineApplication : "
            "Starting RiskEngineApplication v6.0.3 using Java 21.0.2",
            f"{clk.log_ts(1, 42, '%Y-%m-%d %H:%M:%S.%f')[:-3]}  INFO 1 --- [main] o.s.b.w.e.tomcat.TomcatWebServer : "
            "Tomcat initialized with port 8080 (http)",
            f"{clk.log_ts(1, 31, '%Y-%m-%d %H:%M:%S.%f')[:-3]}  INFO 1 --- [main] com.zaxxer.hikari.HikariDataSource : "
            "HikariPool-1 - Starting...",
            f"{clk.log_ts(1, 20, '%Y-%m-%d %H:%M:%S.%f')[:-3]}  INFO 1 --- [main] c.a.risk.rules.RuleLoader : "
            "Loading rule set risk-2026Q1 (1,204,332 rules) ...",
        ]
    )
    for i in range(2):
        last = terminated("Error", 137, clk.ago(minutes=2, seconds=50), clk.ago(minutes=2))
        p = w.pod(
            "risk",
            "risk-engine",
            10,
            specs,
            [
                status(
                    "risk-engine", img, running(clk.ago(minutes=1, seconds=55)), last=last, ready=False, restarts=11 + i
                )
            ],
            index=i,
            created_min=60 * 24 * 6,
            pod_ip=f"10.244.1.{33 + i}",
        )
        w.log("risk", p, "risk-engine", boot, previous=True)
        w.log("risk", p, "risk-engine", boot.split("\n")[0])
        w.event(
            "risk",
            "Pod",
            p,
            "Unhealthy",
            f'Liveness probe failed: Get "http://10.244.1.{33 + i}:8080/actuator/'
            f'health/liveness": dial tcp 10.244.1.{33 + i}:8080: connect: connection refused',
            count=33,
            first=40,
            last=2,
        )
        w.event(
            "risk",
            "Pod",
            p,
            "Killing",
            "Container risk-engine failed liveness probe, will be restarted",
            type_="Normal",
            count=11,
            first=40,
            last=2,
        )
    w.event(
        "risk",
        "Pod",
        "risk-engine-canary-0",
        "Started",
        "Started container risk-engine",
        type_="Normal",
        first=30,
        last=30,
    )
    return w.scenario(
        {
            "title": "风控引擎 Pod 频繁重启",
            "description": "risk-engine 容器 30 分钟内重启超过 10 次，请检查是否内存溢出",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "risk", "deployment": "risk-engine"},
        },
        {"category": "liveness_probe_misconfigured", "evidence_contains": ["failed liveness probe", "exitCode=137"]},
    )


@scenario("readiness_probe_timeout_no_restarts.json")
def readiness_failure() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme/graphql-gateway:11.2.0"
    ready_probe = http_probe("/.well-known/apollo/server-health", port=4000, period=5, timeout=1)
    specs = [spec("gateway", img, port=4000, readiness=ready_probe, cpu_req="500m")]
    w.deployment("gateway", "graphql-gateway", specs, revision=27, replicas=3, ready=0, rs_created_min=60 * 24 * 2)
    for i in range(3):
        ip = f"10.244.{i}.17"
        p = w.pod(
            "gateway",
            "graphql-gateway",
            27,
            specs,
            [status("gateway", img, running(clk.ago(days=2)), ready=False)],
            index=i,
            created_min=60 * 48,
            pod_ip=ip,
        )
        w.event(
            "gateway",
            "Pod",
            p,
            "Unhealthy",
            f'Readiness probe failed: Get "http://{ip}:4000/.well-known/apollo/'
            'server-health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
            count=140,
            first=25,
            last=0.1,
            field_path="spec.containers{gateway}",
        )
        w.log(
            "gateway",
            p,
            "gateway",
            "\n".join(
                [
                    f'{{"level":30,"time":{1773221000000 + i},"msg":"query executed","operation":"ProductPage","ms":1840}}',
                    f'{{"level":30,"time":{1773221003000 + i},"msg":"query executed","operation":"Cart","ms":2210}}',
                    f'{{"level":40,"time":{1773221004000 + i},"msg":"event loop lag 1380ms"}}',
                ]
            ),
        )
    return w.scenario(
        {
            "title": "GraphqlGatewayNoEndpoints",
            "description": "Service gateway/graphql-gateway has no ready endpoints",
            "severity": "critical",
            "source": "alertmanager",
            "labels": {"namespace": "gateway", "service": "graphql-gateway"},
        },
        {"category": "readiness_probe_failure", "evidence_contains": ["Readiness probe failed"]},
    )
