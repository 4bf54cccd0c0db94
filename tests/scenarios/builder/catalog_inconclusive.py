"""Snapshots with no conclusive signal: the honest answer is insufficient_evidence."""

from k8s import running, spec, status, terminated, waiting
from registry import scenario
from world import World

AT = "2026-03-14T03:12:00Z"


@scenario("inconclusive_latency_healthy_pods.json")
def healthy_latency() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    pods = w.healthy("web", "storefront", "ghcr.io/acme/storefront:v3.39.2", replicas=3, port=3000)
    for p in pods:
        w.log(
            "web",
            p,
            "app",
            "\n".join(f"{clk.log_ts(m)} info: GET /product/{m}42 200 {180 + m * 9}ms" for m in (9, 6, 3, 1)),
        )
    w.deploys = [
        {
            "service": "search-ui",
            "namespace": "web",
            "image": "ghcr.io/acme/search-ui:1.3.0",
            "actor": "ci",
            "commit_sha": "5e5e5e5",
            "timestamp": clk.ago(minutes=7),
        }
    ]
    return w.scenario(
        {
            "title": "StorefrontLatencyP95High",
            "description": "p95 latency 1.3s (SLO 1s) for 10m",
            "severity": "warning",
            "source": "prometheus",
            "labels": {"namespace": "web", "service": "storefront"},
        },
        {"category": "insufficient_evidence", "evidence_contains": []},
    )


@scenario("inconclusive_5xx_old_restarts_noise.json")
def old_restarts() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme-shop/payment-callback:1.0.7"
    specs = [spec("app", img)]
    w.deployment("shop", "payment-callback", specs, revision=3, replicas=2, ready=2, rs_created_min=60 * 24 * 9)
    for i in range(2):
        old = terminated("Error", 1, clk.ago(days=5, minutes=3), clk.ago(days=5)) if i == 0 else None
        p = w.pod(
            "shop",
            "payment-callback",
            3,
            specs,
            [status("app", img, running(clk.ago(days=5)), last=old, restarts=2 if i == 0 else 0)],
            index=i,
            created_min=60 * 24 * 9,
        )
        w.log(
            "shop",
            p,
            "app",
            "\n".join(
                [
                    f"{clk.log_ts(7)} INFO  callback accepted provider=alipay order=88{i}1",
                    f"{clk.log_ts(4)} WARN  callback took 1260ms provider=wechat order=88{i}7",
                    f"{clk.log_ts(2)} INFO  callback accepted provider=alipay order=89{i}0",
                ]
            ),
        )
    w.healthy("shop", "checkout", "ghcr.io/acme-shop/checkout:2026.03.13-2", replicas=2)
    w.deploys = [
        {
            "service": "checkout",
            "namespace": "shop",
            "image": "ghcr.io/acme-shop/checkout:2026.03.13-2",
            "actor": "argocd",
            "commit_sha": "f1f1f1f",
            "timestamp": clk.ago(minutes=5),
        }
    ]
    return w.scenario(
        {
            "title": "支付回调 5xx 偶发",
            "description": "payment-callback 5xx 比例 0.8%，阈值 0.5%",
            "severity": "warning",
            "source": "grafana",
            "labels": {"namespace": "shop", "service": "payment-callback"},
        },
        {"category": "insufficient_evidence", "evidence_contains": []},
    )


@scenario("inconclusive_generic_errors.json")
def generic_errors() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    pods = w.healthy("accounts", "signup-api", "eu.gcr.io/acme/signup-api:3.1.0", replicas=2)
    for p in pods:
        w.log(
            "accounts",
            p,
            "app",
            "\n".join(
                [
                    f'{{"ts":"{clk.log_ts(8)}","level":"info","msg":"POST /signup","status":201}}',
                    f'{{"ts":"{clk.log_ts(5)}","level":"error","msg":"POST /signup","status":500,"error":"internal error"}}',
                    f'{{"ts":"{clk.log_ts(2)}","level":"info","msg":"POST /signup","status":201}}',
                ]
            ),
        )
    return w.scenario(
        {
            "title": "SignupErrorRateElevated",
            "description": "signup 5xx 1.2%",
            "severity": "warning",
            "source": "sentry",
            "labels": {"namespace": "accounts", "service": "signup-api"},
        },
        {"category": "insufficient_evidence", "evidence_contains": []},
    )


@scenario("inconclusive_noisy_cluster_healthy_service.json")
def noisy_cluster() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    w.healthy(
        "inventory",
        "stock-api",
        "ghcr.io/acme/stock-api:4.0.2",
        replicas=3,
        log=f"{clk.log_ts(3)} INFO GET /stock/sku-1182 200 41ms",
    )
    csi = "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.29.99"
    w.deployment(
        "kube-system", "ebs-csi-controller", [spec("ebs-plugin", csi, port=None)], revision=9, replicas=1, ready=0
    )
    p = w.pod(
        "kube-system",
        "ebs-csi-controller",
        9,
        [spec("ebs-plugin", csi, port=None)],
        [status("ebs-plugin", csi, waiting("ImagePullBackOff", f'Back-off pulling image "{csi}"'), ready=False)],
        created_min=20,
    )
    w.event("kube-system", "Pod", p, "Failed", f'Failed to pull image "{csi}": not found', count=9, first=20, last=1)
    job_img = "ghcr.io/acme/nightly-export:1.0.0"
    w.deployment("batch", "nightly-export", [spec("export", job_img, mem_lim="128Mi")], revision=2, replicas=1, ready=0)
    w.pod(
        "batch",
        "nightly-export",
        2,
        [spec("export", job_img, mem_lim="128Mi")],
        [
            status(
                "export",
                job_img,
                waiting("CrashLoopBackOff"),
                last=terminated("OOMKilled", 137, clk.ago(minutes=4), clk.ago(minutes=3)),
                ready=False,
                restarts=12,
            )
        ],
        created_min=60 * 3,
    )
    return w.scenario(
        {
            "title": "库存接口错误率升高",
            "description": "stock-api 5xx 0.6%（阈值 0.5%），持续 5 分钟",
            "severity": "warning",
            "source": "prometheus",
            "labels": {"namespace": "inventory", "service": "stock-api"},
        },
        {"category": "insufficient_evidence", "evidence_contains": []},
    )
