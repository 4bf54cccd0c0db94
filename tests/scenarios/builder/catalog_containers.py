"""Scenarios whose cause shows in container state: OOM, crashes, pulls, config refs, commands, init."""

from k8s import http_probe, running, spec, status, terminated, waiting
from registry import scenario
from world import World

AT = "2026-03-11T14:22:00Z"


@scenario("oom_killed_payments.json")
def oom_killed_payments() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    image = "registry.example.com/payments/payments-api:v2.3.0"
    specs = [
        spec(
            "api",
            image,
            cpu_req="250m",
            mem_req="192Mi",
            mem_lim="256Mi",
            port=8080,
            liveness=http_probe("/actuator/health/liveness", delay=60, period=10, failures=3),
            readiness=http_probe("/actuator/health/readiness", delay=20, period=5),
            env=[
                {"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=90"},
                {"name": "SPRING_PROFILES_ACTIVE", "value": "prod"},
            ],
        )
    ]
    w.deployment("payments", "payments-api", specs, revision=7, replicas=2, ready=1, rs_created_min=60 * 24 * 5)
    p1 = w.pod(
        "payments",
        "payments-api",
        7,
        specs,
        [
            status(
                "api",
                image,
                waiting("CrashLoopBackOff", "back-off 2m40s restarting failed container=api pod=payments-api"),
                last=terminated("OOMKilled", 137, clk.ago(minutes=7), clk.ago(minutes=3)),
                ready=False,
                restarts=6,
            )
        ],
        index=0,
        created_min=60 * 24 * 5,
    )
    p2 = w.pod(
        "payments",
        "payments-api",
        7,
        specs,
        [
            status(
                "api",
                image,
                running(clk.ago(minutes=1)),
                last=terminated("OOMKilled", 137, clk.ago(minutes=9), clk.ago(minutes=1, seconds=20)),
                ready=False,
                restarts=5,
            )
        ],
        index=1,
        created_min=60 * 24 * 5 - 3,
    )
    w.healthy("payments", "ledger-worker", "registry.example.com/payments/ledger-worker:v1.9.4", replicas=1)
    for p, count in ((p1, 14), (p2, 11)):
        w.event(
            "payments",
            "Pod",
            p,
            "BackOff",
            f"Back-off restarting failed container api in pod {p}_payments",
            count=count,
            first=38,
            last=1,
            host=w.node_names[0],
            field_path="spec.containers{api}",
        )
        w.event(
            "payments",
            "Pod",
            p,
            "Pulled",
            f'Container image "{image}" already present on machine',
            type_="Normal",
            count=count - 6,
            first=38,
            last=2,
            field_path="spec.containers{api}",
        )
    w.event(
        "",
        "Node",
        w.node_names[0],
        "OOMKilling",
        "Memory cgroup out of memory: Killed process 48121 (java) "
        "total-vm:3819364kB, anon-rss:261340kB, file-rss:17560kB, shmem-rss:0kB, UID:1001 pgtables:1012kB "
        "oom_score_adj:999",
        count=6,
        first=36,
        last=3,
        component="kernel-monitor",
        host=w.node_names[0],
    )
    log = "\n".join(
        [
            f'{{"@timestamp":"{clk.log_ts(2, 50)}","level":"INFO","logger":"o.s.b.w.e.tomcat.TomcatWebServer",'
            '"message":"Tomcat started on port 8080 (http) with context path \'\'"}',
            f'{{"@timestamp":"{clk.log_ts(2, 40)}","level":"INFO","logger":"c.e.payments.ReconciliationJob",'
            '"message":"Loading settlement batch 2026-03-11 into memory (412331 rows)"}',
            f'{{"@timestamp":"{clk.log_ts(2, 5)}","level":"WARN","logger":"c.e.payments.ReconciliationJob",'
            '"message":"Settlement batch still loading, heap used 231MB"}',
        ]
    )
    for p in (p1, p2):
        w.log("payments", p, "api", log, previous=True)
    w.log("payments", p2, "api", log.split("\n")[0])
    w.deploys = [
        {
            "service": "payments-api",
            "namespace": "payments",
            "image": image,
            "actor": "ci-bot",
            "commit_sha": "9f1c2ab",
            "timestamp": clk.ago(days=5),
        },
        {
            "service": "ledger-worker",
            "namespace": "payments",
            "image": "registry.example.com/payments/ledger-worker:v1.9.4",
            "actor": "ci-bot",
            "commit_sha": "77ad310",
            "timestamp": clk.ago(minutes=16),
        },
    ]
    return w.scenario(
        {
            "title": "PaymentsApiHighErrorRate",
            "description": "5xx ratio above 5% for 10 minutes",
            "severity": "critical",
            "source": "prometheus",
            "labels": {
                "alertname": "PaymentsApiHighErrorRate",
                "namespace": "payments",
                "deployment": "payments-api",
                "service": "payments-api",
                "pod": "",
            },
        },
        {"category": "oom_killed", "evidence_contains": ["OOMKilled", "256Mi"]},
    )


@scenario("oom_dependency_checkout_5xx.json")
def oom_dependency() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    checkout_img = "ghcr.io/acme-shop/checkout:2026.03.10-3"
    pods = w.healthy("shop", "checkout", checkout_img, replicas=3)
    for i, p in enumerate(pods):
        w.log(
            "shop",
            p,
            "app",
            "\n".join(
                [
                    f'{{"level":"info","ts":"{clk.log_ts(6, i)}","msg":"POST /api/checkout","status":200,"duration_ms":84}}',
                    f'{{"level":"error","ts":"{clk.log_ts(4, i)}","msg":"reserve stock failed","order_id":"o-88{i}1",'
                    '"error":"Post \\"http://inventory.shop.svc.cluster.local:8080/v1/reservations\\": dial tcp '
                    '172.20.44.12:8080: connect: connection refused"}',
                    f'{{"level":"error","ts":"{clk.log_ts(1, i)}","msg":"POST /api/checkout","status":502,"duration_ms":3}}',
                    f'{{"level":"error","ts":"{clk.log_ts(0, 30 + i)}","msg":"reserve stock failed","order_id":"o-89{i}4",'
                    '"error":"Post \\"http://inventory.shop.svc.cluster.local:8080/v1/reservations\\": dial tcp '
                    '172.20.44.12:8080: connect: connection refused"}',
                ]
            ),
        )
    inv_img = "ghcr.io/acme-shop/inventory:1.42.0"
    specs = [spec("app", inv_img, mem_req="384Mi", mem_lim="512Mi")]
    w.deployment("shop", "inventory", specs, revision=11, replicas=2, ready=0)
    for i in range(2):
        p = w.pod(
            "shop",
            "inventory",
            11,
            specs,
            [
                status(
                    "app",
                    inv_img,
                    waiting("CrashLoopBackOff", "back-off 1m20s restarting failed container=app"),
                    last=terminated("OOMKilled", 137, clk.ago(minutes=5 + i), clk.ago(minutes=2 + i)),
                    ready=False,
                    restarts=7 + i,
                )
            ],
            index=i,
            created_min=60 * 30,
        )
        w.event(
            "shop",
            "Pod",
            p,
            "BackOff",
            f"Back-off restarting failed container app in pod {p}_shop",
            count=19,
            first=30,
            last=1,
            host=w.node_names[i],
        )
        w.log(
            "shop",
            p,
            "app",
            "\n".join(
                [
                    f"{clk.log_ts(3, 10, '%Y-%m-%d %H:%M:%S')} INFO  warming stock cache: 1882113 SKUs",
                    f"{clk.log_ts(2, 40, '%Y-%m-%d %H:%M:%S')} INFO  stock cache at 74%",
                ]
            ),
            previous=True,
        )
    w.deploys = [
        {
            "service": "checkout",
            "namespace": "shop",
            "image": checkout_img,
            "actor": "argocd",
            "commit_sha": "c0ffee1",
            "timestamp": clk.ago(hours=20),
        }
    ]
    return w.scenario(
        {
            "title": "结算服务 5xx 错误率过高",
            "description": "checkout 服务 5xx 比例超过 8%，持续 5 分钟",
            "severity": "critical",
            "source": "grafana",
            "labels": {"namespace": "shop", "service": "checkout", "team": "交易"},
        },
        {"category": "oom_killed", "evidence_contains": ["OOMKilled", "connection refused"]},
    )


@scenario("image_pull_bad_tag.json")
def image_pull_bad_tag() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    old_img, new_img = "ghcr.io/acme/storefront:v3.39.2", "ghcr.io/acme/storefront:v3.40"
    old_specs, new_specs = [spec("web", old_img, port=3000)], [spec("web", new_img, port=3000)]
    w.deployment(
        "web",
        "storefront",
        new_specs,
        revision=23,
        replicas=3,
        ready=3,
        updated=1,
        rs_created_min=6,
        prev_specs=old_specs,
        prev_replicas=3,
        prev_ready=3,
        prev_rs_created_min=60 * 24 * 4,
    )
    for i in range(3):
        w.pod(
            "web",
            "storefront",
            22,
            old_specs,
            [status("web", old_img, running(clk.ago(days=4)))],
            index=i,
            created_min=60 * 24 * 4,
        )
    msg = (
        f'Failed to pull image "{new_img}": rpc error: code = NotFound desc = failed to pull and unpack image '
        f'"{new_img}": failed to resolve reference "{new_img}": {new_img}: not found'
    )
    p = w.pod(
        "web",
        "storefront",
        23,
        new_specs,
        [status("web", new_img, waiting("ImagePullBackOff", f'Back-off pulling image "{new_img}"'), ready=False)],
        index=3,
        created_min=6,
    )
    w.event("web", "Pod", p, "Failed", msg, count=4, first=6, last=2, host=w.node_names[0])
    w.event("web", "Pod", p, "Failed", "Error: ErrImagePull", count=4, first=6, last=2, host=w.node_names[0])
    w.event("web", "Pod", p, "BackOff", f'Back-off pulling image "{new_img}"', count=21, first=6, last=0.5)
    w.deploys = [
        {
            "service": "storefront",
            "namespace": "web",
            "image": new_img,
            "actor": "jane.doe",
            "commit_sha": "4b1e9d0",
            "timestamp": clk.ago(minutes=6),
        }
    ]
    return w.scenario(
        {
            "title": "KubeDeploymentRolloutStuck",
            "description": "Deployment web/storefront has not progressed for 5 minutes",
            "severity": "warning",
            "source": "alertmanager",
            "labels": {"namespace": "web", "deployment": "storefront", "severity": "warning"},
        },
        {"category": "image_pull_error", "evidence_contains": ["ImagePullBackOff", "not found"]},
    )


@scenario("image_pull_registry_auth.json")
def image_pull_auth() -> dict:
    w = World(AT)
    w.noise()
    img = "harbor.internal.example.cn/data/etl-scheduler:1.8.2"
    specs = [spec("scheduler", img, port=None, mem_lim="1Gi")]
    w.deployment("data", "etl-scheduler", specs, revision=5, replicas=1, ready=0, rs_created_min=60 * 24 * 20)
    p = w.pod(
        "data",
        "etl-scheduler",
        5,
        specs,
        [status("scheduler", img, waiting("ImagePullBackOff", f'Back-off pulling image "{img}"'), ready=False)],
        index=1,
        created_min=12,
        extra_spec={"imagePullSecrets": [{"name": "harbor-robot"}]},
    )
    w.event(
        "data",
        "Pod",
        p,
        "Failed",
        f'Failed to pull image "{img}": failed to pull and unpack image "{img}": '
        'failed to resolve reference "' + img + '": failed to authorize: failed to fetch oauth token: '
        "unexpected status from GET request to https://harbor.internal.example.cn/service/token?"
        "scope=repository%3Adata%2Fetl-scheduler%3Apull&service=harbor-registry: 401 Unauthorized",
        count=7,
        first=12,
        last=1,
        host=w.node_names[1],
    )
    w.event("data", "Pod", p, "BackOff", f'Back-off pulling image "{img}"', count=40, first=12, last=0.3)
    w.event(
        "data",
        "Pod",
        f"etl-scheduler-{p.split('-')[2]}-old12",
        "Killing",
        "Stopping container scheduler",
        type_="Normal",
        first=13,
        last=13,
    )
    return w.scenario(
        {
            "title": "告警：etl-scheduler 副本不可用",
            "description": "data/etl-scheduler 可用副本数为 0，已持续 10 分钟",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "data", "deployment": "etl-scheduler"},
        },
        {"category": "image_pull_error", "evidence_contains": ["401 Unauthorized"]},
    )


@scenario("crashloop_python_traceback.json")
def crashloop_python() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml/feature-api:0.31.4"
    specs = [spec("api", img, port=8000, mem_lim="1Gi", command=["gunicorn", "feature_api.wsgi", "-w", "4"])]
    w.deployment("ml", "feature-api", specs, revision=9, replicas=2, ready=0, rs_created_min=60 * 24 * 4)
    trace = "\n".join(
        [
            f"[{clk.log_ts(1, 30, '%Y-%m-%d %H:%M:%S +0000')}] [1] [INFO] Starting gunicorn 21.2.0",
            f"[{clk.log_ts(1, 30, '%Y-%m-%d %H:%M:%S +0000')}] [1] [INFO] Listening at: http://0.0.0.0:8000 (1)",
            f"[{clk.log_ts(1, 29, '%Y-%m-%d %H:%M:%S +0000')}] [8] [INFO] Booting worker with pid: 8",
            f"[{clk.log_ts(1, 27, '%Y-%m-%d %H:%M:%S +0000')}] [8] [ERROR] Exception in worker process",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.12/site-packages/gunicorn/arbiter.py", line 609, in spawn_worker',
            "    worker.init_process()",
            '  File "/app/feature_api/registry.py", line 41, in load_feature_flags',
            '    return {k: v["rollout"] for k, v in flags.get("features").items()}',
            "AttributeError: 'NoneType' object has no attribute 'items'",
            f"[{clk.log_ts(1, 26, '%Y-%m-%d %H:%M:%S +0000')}] [1] [ERROR] Worker (pid:8) exited with code 3",
            f"[{clk.log_ts(1, 26, '%Y-%m-%d %H:%M:%S +0000')}] [1] [ERROR] Reason: Worker failed to boot.",
        ]
    )
    for i in range(2):
        p = w.pod(
            "ml",
            "feature-api",
            9,
            specs,
            [
                status(
                    "api",
                    img,
                    waiting("CrashLoopBackOff", "back-off 5m0s restarting failed container=api"),
                    last=terminated("Error", 3, clk.ago(minutes=1, seconds=31), clk.ago(minutes=1, seconds=25)),
                    ready=False,
                    restarts=9 + i,
                )
            ],
            index=i,
            created_min=60 * 24 * 4,
        )
        w.log("ml", p, "api", trace, previous=True)
        w.event(
            "ml",
            "Pod",
            p,
            "BackOff",
            f"Back-off restarting failed container api in pod {p}_ml",
            count=31,
            first=45,
            last=1,
        )
    w.healthy("ml", "model-registry", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml/model-registry:2.0.1")
    w.deploys = [
        {
            "service": "feature-api",
            "namespace": "ml",
            "image": img,
            "actor": "ci",
            "commit_sha": "a1b2c3d",
            "timestamp": clk.ago(days=4),
        }
    ]
    return w.scenario(
        {
            "title": "KubePodCrashLooping",
            "description": "Pod ml/feature-api is restarting 2.1 times / 5 minutes",
            "severity": "warning",
            "source": "alertmanager",
            "labels": {"namespace": "ml", "container": "api", "deployment": "feature-api"},
        },
        {
            "category": "crashloop_app_error",
            "evidence_contains": ["AttributeError: 'NoneType' object has no attribute 'items'"],
        },
    )


@scenario("crashloop_go_panic.json")
def crashloop_go() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "gcr.io/acme-orders/order-router:v0.18.3"
    specs = [spec("router", img, port=9000, mem_lim="256Mi")]
    w.deployment("orders", "order-router", specs, revision=31, replicas=3, ready=1, rs_created_min=60 * 24 * 2)
    panic = "\n".join(
        [
            f'time="{clk.log_ts(2, 2, "%Y-%m-%dT%H:%M:%SZ")}" level=info msg="routing table loaded" routes=412',
            f'time="{clk.log_ts(2, 1, "%Y-%m-%dT%H:%M:%SZ")}" level=info msg="consuming orders.v1" partition=7',
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x8c3b2f]",
            "",
            "goroutine 87 [running]:",
            "github.com/acme/order-router/internal/route.(*Table).Lookup(0x0, {0xc0004a2f30, 0x9})",
            "\t/src/internal/route/table.go:112 +0x2f",
            "github.com/acme/order-router/internal/consumer.(*Handler).Handle(0xc000182a80, {0xb1e7e8, 0xc0003e6000})",
            "\t/src/internal/consumer/handler.go:64 +0x1a5",
            "created by github.com/acme/order-router/internal/consumer.Start in goroutine 1",
            "\t/src/internal/consumer/consumer.go:41 +0x2d1",
        ]
    )
    for i in range(3):
        crashing = i < 2
        st = status(
            "router",
            img,
            waiting("CrashLoopBackOff", "back-off 2m40s restarting failed container=router")
            if crashing
            else running(clk.ago(minutes=3)),
            last=terminated("Error", 2, clk.ago(minutes=3 + i), clk.ago(minutes=2 + i)),
            restarts=6 + i,
            ready=not crashing,
        )
        p = w.pod("orders", "order-router", 31, specs, [st], index=i, created_min=60 * 24 * 2)
        w.log("orders", p, "router", panic, previous=True)
        w.event(
            "orders",
            "Pod",
            p,
            "BackOff",
            f"Back-off restarting failed container router in pod {p}_orders",
            count=12,
            first=25,
            last=1,
        )
    w.healthy("orders", "notifications", "gcr.io/acme-orders/notifications:v2.4.0")
    w.deploys = [
        {
            "service": "notifications",
            "namespace": "orders",
            "image": "gcr.io/acme-orders/notifications:v2.4.0",
            "actor": "ci-bot",
            "commit_sha": "e4e4e4e",
            "timestamp": clk.ago(minutes=8),
        },
        {
            "service": "order-router",
            "namespace": "orders",
            "image": img,
            "actor": "ci-bot",
            "commit_sha": "1d2c3b4",
            "timestamp": clk.ago(days=2),
        },
    ]
    return w.scenario(
        {
            "title": "OrderRouterHigh5xx",
            "description": "order-router 5xx > 10% over 5m",
            "severity": "critical",
            "source": "datadog",
            "labels": {"namespace": "orders", "service": "order-router", "env": "prod"},
        },
        {"category": "crashloop_app_error", "evidence_contains": ["nil pointer dereference"]},
    )
