"""Red-team scenarios, part B: rollouts, config references, images, probes, scheduling."""

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


def _rollout(clk, ns, d, old_h, new_h, old_img, new_img, replicas, old_ready, new_ready, rev, c_old, c_new):
    dp = deployment(
        d,
        ns,
        created=clk(-200 * 1440),
        image=new_img,
        replicas=replicas,
        ready=old_ready + new_ready,
        updated=new_ready + 1,
        revision=rev,
        containers=[c_new],
        conditions=[
            {
                "type": "Available",
                "status": "True",
                "lastUpdateTime": clk(-60 * 24),
                "lastTransitionTime": clk(-60 * 24),
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": clk(-8),
                "lastTransitionTime": clk(-60 * 24),
                "reason": "ReplicaSetUpdated",
                "message": f'ReplicaSet "{d}-{new_h}" is progressing.',
            },
        ],
    )
    rss = [
        replicaset(
            f"{d}-{old_h}",
            ns,
            d,
            created=clk(-9 * 1440),
            image=old_img,
            replicas=old_ready,
            ready=old_ready,
            revision=rev - 1,
            containers=[c_old],
        ),
        replicaset(
            f"{d}-{new_h}",
            ns,
            d,
            created=clk(-9),
            image=new_img,
            replicas=2,
            ready=new_ready,
            revision=rev,
            containers=[c_new],
        ),
    ]
    ev = [
        event(
            ns,
            "Deployment",
            d,
            "ScalingReplicaSet",
            f"Scaled up replica set {d}-{new_h} to 1",
            first=clk(-9),
            component="deployment-controller",
            api="apps/v1",
        ),
        event(
            ns,
            "Deployment",
            d,
            "ScalingReplicaSet",
            f"Scaled down replica set {d}-{old_h} to {old_ready} from {old_ready + 1}",
            first=clk(-8.5),
            component="deployment-controller",
            api="apps/v1",
        ),
        event(
            ns,
            "Deployment",
            d,
            "ScalingReplicaSet",
            f"Scaled up replica set {d}-{new_h} to 2 from 1",
            first=clk(-8.5),
            component="deployment-controller",
            api="apps/v1",
        ),
    ]
    return dp, rss, ev


def bad_deploy_node_typeerror():
    t = "2026-03-30T18:05:00Z"
    clk = Clock(t)
    ns = "shop"
    d = "checkout-web"
    old_img = "europe-docker.pkg.dev/acme-shop/apps/checkout-web:v2.3.9"
    new_img = old_img.replace("v2.3.9", "v2.4.0")
    oh, nh = "6d5f7c9b8d", "84b6c5d7f9"
    c_old = container(d, old_img, ports=[3000], readiness=http_probe("/healthz", 3000, 5))
    c_new = container(d, new_img, ports=[3000], readiness=http_probe("/healthz", 3000, 5))
    dp, rss, ev = _rollout(clk, ns, d, oh, nh, old_img, new_img, 4, 3, 0, 57, c_old, c_new)
    pods = healthy_pods(clk, ns, d, oh, old_img, ["2xgpl", "9kfqz", "tq4ns"], port=3000)
    crash = "\n".join(
        [
            "> checkout-web@2.4.0 start",
            "> node dist/server/index.js",
            "",
            "/app/dist/server/config.js:41",
            "    const [host, port] = process.env.REDIS_SESSION_URL.split(':');",
            "                                                       ^",
            "",
            "TypeError: Cannot read properties of undefined (reading 'split')",
            "    at Object.<anonymous> (/app/dist/server/config.js:41:56)",
            "    at Module._compile (node:internal/modules/cjs/loader:1256:14)",
            "    at Module._extensions..js (node:internal/modules/cjs/loader:1310:10)",
            "    at Module.load (node:internal/modules/cjs/loader:1119:32)",
            "    at Module._load (node:internal/modules/cjs/loader:960:12)",
            "    at Module.require (node:internal/modules/cjs/loader:1143:19)",
            "    at require (node:internal/modules/cjs/helpers:119:18)",
            "    at Object.<anonymous> (/app/dist/server/index.js:7:16)",
            "",
            "Node.js v20.11.1",
        ]
    )
    logs = {}
    for i, sfx in enumerate(["hb7wz", "r2c6v"]):
        name = f"{d}-{nh}-{sfx}"
        pods.append(
            pod(
                name,
                ns,
                created=clk(-9 + i * 0.5),
                containers=[c_new],
                owner=("ReplicaSet", f"{d}-{nh}", ns),
                labels={"app.kubernetes.io/name": d, "pod-template-hash": nh},
                node=NODES[i],
                statuses=[
                    waiting(
                        d,
                        new_img,
                        "CrashLoopBackOff",
                        f"back-off 2m40s restarting failed container={d} pod={name}_{ns}({uid('Pod', ns, name)})",
                        restarts=5,
                        last=terminated(1, "Error", clk(-2.4), clk(-2.3)),
                    )
                ],
            )
        )
        ev.append(
            event(
                ns,
                "Pod",
                name,
                "BackOff",
                f"Back-off restarting failed container {d} in pod {name}_{ns}({uid('Pod', ns, name)})",
                first=clk(-7),
                last=clk(-1),
                count=24,
                type_="Warning",
                host=NODES[i],
                field=f"spec.containers{{{d}}}",
            )
        )
        logs[f"{ns}/{name}/{d}#previous"] = crash
    logs[f"{ns}/{d}-{oh}-2xgpl/{d}"] = (
        '::ffff:10.42.0.12 - - [30/Mar/2026:18:04:51 +0000] "POST /api/cart/checkout HTTP/1.1" 200 812 "-" "okhttp/4.12.0"'
    )
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "CheckoutLatencyHigh",
            "p95 latency of POST /api/cart/checkout is 2.4s (threshold 800ms)",
            namespace=ns,
            service=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=rss,
        node_list=nodes(clk),
        logs=logs,
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": new_img,
                "actor": "argocd",
                "commit_sha": "f3e91b0",
                "timestamp": clk(-9),
            },
            {
                "service": "search-ui",
                "namespace": "search",
                "image": "europe-docker.pkg.dev/acme-shop/apps/search-ui:1.0.8",
                "actor": "argocd",
                "commit_sha": "02cd4a9",
                "timestamp": clk(-25),
            },
        ],
        expected_category="bad_deploy",
        evidence=["v2.4.0"],
    )


def bad_deploy_config_only():
    t = "2026-08-14T07:50:00Z"
    clk = Clock(t)
    ns = "notify"
    d = "notification-worker"
    img = "ghcr.io/acme/notification-worker:1.9.2"
    oh, nh = "58bd6c7f9", "7f4c9d8b6"
    c_old = container(d, img, env=[{"name": "LOG_LEVEL", "value": "info"}])
    c_new = container(d, img, env=[{"name": "LOG_LEVEL", "value": "verbose"}])
    dp, rss, ev = _rollout(clk, ns, d, oh, nh, img, img, 3, 2, 0, 19, c_old, c_new)
    pods = healthy_pods(clk, ns, d, oh, img, ["zr5cx", "l9wtv"])
    tb = "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.12/logging/config.py", line 581, in configure',
            "    handler = self.configure_handler(handlers[name])",
            '  File "/usr/local/lib/python3.12/logging/config.py", line 803, in configure_handler',
            "    result.setLevel(logging._checkLevel(level))",
            '  File "/usr/local/lib/python3.12/logging/__init__.py", line 210, in _checkLevel',
            '    raise ValueError("Unknown level: %r" % level)',
            "ValueError: Unknown level: 'VERBOSE'",
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "Traceback (most recent call last):",
            '  File "/app/worker/__main__.py", line 12, in <module>',
            '    setup_logging(os.environ.get("LOG_LEVEL", "info"))',
            '  File "/app/worker/logsetup.py", line 30, in setup_logging',
            "    logging.config.dictConfig(cfg)",
            "ValueError: Unable to configure handler 'console'",
        ]
    )
    logs = {}
    for i, sfx in enumerate(["8gk2d", "qs5jh"]):
        name = f"{d}-{nh}-{sfx}"
        pods.append(
            pod(
                name,
                ns,
                created=clk(-7),
                containers=[c_new],
                owner=("ReplicaSet", f"{d}-{nh}", ns),
                node=NODES[i + 1],
                labels={"app.kubernetes.io/name": d, "pod-template-hash": nh},
                statuses=[
                    waiting(
                        d,
                        img,
                        "CrashLoopBackOff",
                        f"back-off 1m20s restarting failed container={d} pod={name}_{ns}({uid('Pod', ns, name)})",
                        restarts=4,
                        last=terminated(1, "Error", clk(-1.8), clk(-1.7)),
                    )
                ],
            )
        )
        logs[f"{ns}/{name}/{d}#previous"] = tb
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "NotificationDeliveryDelayed",
            "push notifications p90 delivery delay 6m",
            namespace=ns,
            severity="high",
            source="datadog",
            service=d,
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
                "image": img,
                "actor": "flux",
                "commit_sha": "b7a0c33",
                "timestamp": clk(-8),
            }
        ],
        expected_category="bad_deploy",
        evidence=["Unknown level: 'VERBOSE'"],
    )


def missing_secret_key_zh():
    t = "2026-09-03T12:40:00Z"
    clk = Clock(t)
    ns = "payment"
    d = "pay-gateway"
    img = "harbor.internal.cn/pay/pay-gateway:3.8.5"
    h = "849fd6c5b7"
    env = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "pay-gateway-db", "key": "DB_PASSWORD"}}}]
    c = container(d, img, ports=[8443], env=env)
    pods = healthy_pods(clk, ns, d, h, img, ["mx8vd", "c4q7r"], port=8443)
    bad = f"{d}-{h}-ntk5z"
    msg = f"couldn't find key DB_PASSWORD in Secret {ns}/pay-gateway-db"
    pods.append(
        pod(
            bad,
            ns,
            created=clk(-17),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            node=NODES[0],
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            statuses=[waiting(d, img, "CreateContainerConfigError", msg, pulled=False)],
        )
    )
    ev = [
        event(
            ns,
            "Pod",
            bad,
            "Failed",
            "Error: " + msg,
            first=clk(-17),
            last=clk(-0.5),
            count=81,
            type_="Warning",
            host=NODES[0],
            field=f"spec.containers{{{d}}}",
        ),
        event(
            ns,
            "Pod",
            bad,
            "Pulled",
            f'Container image "{img}" already present on machine',
            first=clk(-17),
            last=clk(-0.5),
            count=81,
            host=NODES[0],
            field=f"spec.containers{{{d}}}",
        ),
        event(
            ns,
            "HorizontalPodAutoscaler",
            d,
            "SuccessfulRescale",
            "New size: 3; reason: cpu resource utilization (percentage of request) above target",
            first=clk(-17),
            component="horizontal-pod-autoscaler",
            api="autoscaling/v2",
        ),
        event(
            "external-secrets",
            "ExternalSecret",
            "pay-gateway-db",
            "Updated",
            "Updated Secret",
            first=clk(-95),
            component="external-secrets",
            api="external-secrets.io/v1beta1",
        ),
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 3, 2, revision=33, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "支付网关可用副本不足",
            "deployment payment/pay-gateway 可用副本 2/3 已持续15分钟，高峰期扩容失败",
            namespace=ns,
            severity="critical",
            deployment=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nodes(clk),
        logs={
            f"{ns}/{d}-{h}-mx8vd/{d}": '{"ts":"2026-09-03T20:39:51.004+08:00","lvl":"INFO","msg":"POST /v2/pay 200 41ms"}'
        },
        expected_category="missing_config_reference",
        evidence=["couldn't find key DB_PASSWORD"],
    )


def missing_configmap_sparse():
    t = "2026-10-10T22:15:00Z"
    clk = Clock(t)
    ns = "search"
    d = "query-router"
    img = "search/query-router:7.2.0"
    h = "5c9b7d6f48"
    name = f"{d}-{h}-vb2xw"
    c = container(d, img, ports=[8080], env_from=[{"configMapRef": {"name": "query-router-flags"}}])
    msg = 'configmap "query-router-flags" not found'
    pods = [
        pod(
            name,
            ns,
            created=clk(-22),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            statuses=[waiting(d, img, "CreateContainerConfigError", msg, pulled=False)],
        )
    ]
    ev = [
        event(
            ns,
            "Pod",
            name,
            "Failed",
            "Error: " + msg,
            first=clk(-22),
            last=clk(-1),
            count=104,
            type_="Warning",
            host=NODES[2],
            field=f"spec.containers{{{d}}}",
        ),
        event(
            ns,
            "Pod",
            name,
            "Scheduled",
            f"Successfully assigned {ns}/{name} to {NODES[2]}",
            first=clk(-22),
            component="default-scheduler",
        ),
    ]
    dp = deployment(d, ns, created=clk(-22), image=img, replicas=1, ready=0, revision=1, containers=[c])
    return scenario(
        alert(
            "QueryRouterDown",
            "query-router has no available replicas",
            namespace=ns,
            deployment=d,
            source="alertmanager",
            starts_at=t,
        ),
        pods=pods,
        events=ev,
        deployments=[dp],
        logs={},
        expected_category="missing_config_reference",
        evidence=['configmap "query-router-flags" not found'],
    )


def readiness_503_index_loading():
    t = "2026-04-22T08:10:00Z"
    clk = Clock(t)
    ns = "media"
    d = "thumbnailer"
    img = "ghcr.io/acme/thumbnailer:3.3.0"
    h = "7dc9f6b8d5"
    c = container(
        d,
        img,
        ports=[8080],
        readiness=http_probe("/ready", 8080, 5, 2, 5),
        liveness=http_probe("/live", 8080, 30, 2, 10),
    )
    pods, ev, logs = [], [], {}
    for i, sfx in enumerate(["g4t8m", "pz9kc", "x5rjw"]):
        name = f"{d}-{h}-{sfx}"
        pods.append(
            pod(
                name,
                ns,
                created=clk(-26),
                containers=[c],
                owner=("ReplicaSet", f"{d}-{h}", ns),
                node=NODES[i],
                labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
                statuses=[running(d, img, clk(-25), ready=False)],
            )
        )
        ev.append(
            event(
                ns,
                "Pod",
                name,
                "Unhealthy",
                "Readiness probe failed: HTTP probe failed with statuscode: 503",
                first=clk(-25),
                last=clk(-0.1),
                count=297,
                type_="Warning",
                host=NODES[i],
                field=f"spec.containers{{{d}}}",
            )
        )
        logs[f"{ns}/{name}/{d}"] = "\n".join(
            [
                f'time=2026-04-22T08:09:{40 + i}.118Z level=INFO msg="GET /live" status=200 dur=0.4ms',
                f'time=2026-04-22T08:09:{41 + i}.902Z level=WARN msg="readiness: not ready" reason="index not loaded" shard=3 progress=0.41',
                f'time=2026-04-22T08:09:{42 + i}.903Z level=INFO msg="GET /ready" status=503 dur=0.2ms',
            ]
        )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 3, 0, revision=14, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "IngressUpstream5xx",
            "ingress-nginx: upstream media-thumbnailer-8080 returns 503 for 100% of requests",
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
        expected_category="readiness_probe_failure",
        evidence=["Readiness probe failed: HTTP probe failed with statuscode: 503"],
    )


def _pull_fail(clk, ns, d, h, img, name, node_name, pull_err):
    c = container(d, img, ports=[8080])
    p = pod(
        name,
        ns,
        created=clk(-7),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        node=node_name,
        labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
        statuses=[waiting(d, img, "ImagePullBackOff", f'Back-off pulling image "{img}"', pulled=False)],
    )
    f = f"spec.containers{{{d}}}"
    ev = [
        event(
            ns,
            "Pod",
            name,
            "Pulling",
            f'Pulling image "{img}"',
            first=clk(-7),
            last=clk(-1.5),
            count=6,
            host=node_name,
            field=f,
        ),
        event(
            ns,
            "Pod",
            name,
            "Failed",
            f'Failed to pull image "{img}": {pull_err}',
            first=clk(-7),
            last=clk(-1.5),
            count=6,
            type_="Warning",
            host=node_name,
            field=f,
        ),
        event(
            ns,
            "Pod",
            name,
            "Failed",
            "Error: ErrImagePull",
            first=clk(-7),
            last=clk(-1.5),
            count=6,
            type_="Warning",
            host=node_name,
            field=f,
        ),
        event(
            ns,
            "Pod",
            name,
            "BackOff",
            f'Back-off pulling image "{img}"',
            first=clk(-6.8),
            last=clk(-0.3),
            count=25,
            host=node_name,
            field=f,
        ),
        event(
            ns,
            "Pod",
            name,
            "Failed",
            "Error: ImagePullBackOff",
            first=clk(-6.8),
            last=clk(-0.3),
            count=25,
            type_="Warning",
            host=node_name,
            field=f,
        ),
    ]
    return c, p, ev


def image_pull_401():
    t = "2026-05-05T10:20:00Z"
    clk = Clock(t)
    ns = "fin"
    d = "ledger-api"
    old_img = "ghcr.io/acme-fin/ledger-api:1.8.1"
    img = "ghcr.io/acme-fin/ledger-api:1.8.2"
    oh, nh = "6c8d5b9f7", "9f8e7d6c5"
    err = (
        f'failed to pull and unpack image "{img}": failed to resolve reference "{img}": failed to authorize: failed to fetch '
        "anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme-fin%2Fledger-api%3Apull"
        "&service=ghcr.io: 401 Unauthorized"
    )
    c, p, ev = _pull_fail(clk, ns, d, nh, img, f"{d}-{nh}-k8vzp", NODES[1], err)
    c_old = container(d, old_img, ports=[8080])
    dp, rss, rev = _rollout(clk, ns, d, oh, nh, old_img, img, 3, 3, 0, 8, c_old, c)
    pods = healthy_pods(clk, ns, d, oh, old_img, ["4jd2s", "wz7mh", "bq9xt"]) + [p]
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "ArgoCDAppDegraded",
            "Application fin-ledger-api health is Degraded; sync ok",
            namespace=ns,
            severity="warning",
            source="argocd",
            deployment=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + rev + nev,
        deployments=[dp],
        replicasets=rss,
        node_list=nodes(clk),
        logs={},
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "argocd",
                "commit_sha": "0d9c7e1",
                "timestamp": clk(-7.5),
            }
        ],
        expected_category="image_pull_error",
        evidence=["401 Unauthorized"],
    )


def image_pull_bad_tag_zh():
    t = "2026-11-11T02:05:00Z"
    clk = Clock(t)
    ns = "risk"
    d = "risk-engine"
    old_img = "harbor.internal.cn/risk/risk-engine:v3.1.9"
    img = "harbor.internal.cn/risk/risk-engine:v3.2.O"
    oh, nh = "75c8b6d9f", "5d4c8f7b9"
    err = (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{img}": failed to resolve reference '
        f'"{img}": {img}: not found'
    )
    c, p, ev = _pull_fail(clk, ns, d, nh, img, f"{d}-{nh}-7wqhs", NODES[0], err)
    c_old = container(d, old_img, ports=[8080])
    dp, rss, rev = _rollout(clk, ns, d, oh, nh, old_img, img, 4, 4, 0, 61, c_old, c)
    pods = healthy_pods(clk, ns, d, oh, old_img, ["fx2lc", "m8nq4", "s3tkv", "zb6pw"])
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "风控引擎发布卡住",
            "risk-engine 新版本 v3.2.0 发布超过10分钟未完成，请检查",
            namespace=ns,
            severity="warning",
            deployment=d,
            starts_at=t,
        ),
        pods=pods + [p] + npods,
        events=ev + rev + nev,
        deployments=[dp],
        replicasets=rss,
        logs={},
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "zhang.wei",
                "commit_sha": "41aa0c2",
                "timestamp": clk(-7.5),
            }
        ],
        expected_category="image_pull_error",
        evidence=["v3.2.O: not found"],
    )


def _pending(clk, ns, d, h, img, name, msg, c=None, owner=None, labels=None):
    c = c or container(d, img, cpu=("2", "4"), mem=("4Gi", "4Gi"))
    return pod(
        name,
        ns,
        created=clk(-25),
        containers=[c],
        owner=owner or ("ReplicaSet", f"{d}-{h}", ns),
        labels=labels or {"app.kubernetes.io/name": d, "pod-template-hash": h},
        phase="Pending",
        scheduled=False,
        statuses=[],
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-25),
                "reason": "Unschedulable",
                "message": msg,
            }
        ],
    )


def unschedulable_cpu_with_cp_taint():
    t = "2026-01-27T05:30:00Z"
    clk = Clock(t)
    ns = "etl"
    d = "batch-ingest"
    img = "acme/batch-ingest:0.44.1"
    h = "c6f9d8b47"
    msg = (
        "0/6 nodes are available: 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 4 Insufficient cpu. "
        "preemption: 0/6 nodes are available: 2 Preemption is not helpful for scheduling, 4 No preemption victims found for incoming pod."
    )
    c = container(d, img, cpu=("2", "4"), mem=("4Gi", "4Gi"))
    pods = healthy_pods(clk, ns, d, h, img, ["a1b2c", "d3e4f", "g5h6j", "k7l8m"])
    ev = []
    for sfx in ["n9p2q", "r3s4t"]:
        name = f"{d}-{h}-{sfx}"
        pods.append(_pending(clk, ns, d, h, img, name, msg, c))
        ev.append(
            event(
                ns,
                "Pod",
                name,
                "FailedScheduling",
                msg,
                first=clk(-25),
                last=clk(-2),
                count=23,
                type_="Warning",
                component="default-scheduler",
            )
        )
        ev.append(
            event(
                ns,
                "Pod",
                name,
                "NotTriggerScaleUp",
                "pod didn't trigger scale-up: 1 max node group size reached, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
                first=clk(-24),
                last=clk(-1),
                count=140,
                component="cluster-autoscaler",
            )
        )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 6, 4, revision=4, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "KubePodNotReady",
            f"Pod {ns}/{d}-{h}-n9p2q has been in a non-ready state for longer than 15 minutes.",
            namespace=ns,
            severity="warning",
            pod=f"{d}-{h}-n9p2q",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={},
        expected_category="unschedulable_insufficient_resources",
        evidence=["4 Insufficient cpu"],
    )


def unschedulable_gpu_selector_zh():
    t = "2026-12-01T09:00:00Z"
    clk = Clock(t)
    ns = "ai"
    d = "llm-inference"
    img = "nvcr.io/acme/llm-inference:24.10"
    h = "b8d7f5c96"
    name = f"{d}-{h}-qz4rt"
    msg = (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: "
        "3 Preemption is not helpful for scheduling."
    )
    c = container(d, img, cpu=("4", "8"), mem=("16Gi", "24Gi"))
    p = _pending(clk, ns, d, h, img, name, msg, c)
    p["spec"]["nodeSelector"] = {"nvidia.com/gpu.present": "true", "karpenter.sh/capacity-type": "on-demand"}
    ev = [
        event(
            ns,
            "Pod",
            name,
            "FailedScheduling",
            msg,
            first=clk(-25),
            last=clk(-3),
            count=12,
            type_="Warning",
            component="default-scheduler",
        )
    ]
    dp = deployment(d, ns, created=clk(-30), image=img, replicas=1, ready=0, revision=2, containers=[c])
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "模型推理服务无可用副本",
            "ai/llm-inference 可用副本为0，推理接口全部失败",
            namespace=ns,
            deployment=d,
            starts_at=t,
        ),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[dp],
        node_list=nodes(clk),
        logs={},
        expected_category="unschedulable_taint_affinity",
        evidence=["didn't match Pod's node affinity/selector"],
    )


def pvc_storageclass_missing():
    t = "2026-02-02T13:00:00Z"
    clk = Clock(t)
    ns = "data"
    s = "clickhouse-shard0"
    img = "clickhouse/clickhouse-server:24.3"
    name = f"{s}-2"
    msg = (
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: "
        "3 Preemption is not helpful for scheduling."
    )
    c = container(
        "clickhouse",
        img,
        cpu=("2", "4"),
        mem=("8Gi", "8Gi"),
        ports=[8123, 9000],
        mounts=[{"name": "data", "mountPath": "/var/lib/clickhouse"}],
    )
    p = _pending(
        clk,
        ns,
        s,
        "",
        img,
        name,
        msg,
        c,
        owner=("StatefulSet", s, ns),
        labels={"app": "clickhouse", "statefulset.kubernetes.io/pod-name": name},
    )
    p["spec"]["volumes"].insert(0, {"name": "data", "persistentVolumeClaim": {"claimName": f"data-{name}"}})
    others = [
        pod(
            f"{s}-{i}",
            ns,
            created=clk(-40 * 1440),
            containers=[c],
            owner=("StatefulSet", s, ns),
            node=NODES[i],
            labels={"app": "clickhouse", "statefulset.kubernetes.io/pod-name": f"{s}-{i}"},
            statuses=[running("clickhouse", img, clk(-40 * 1440))],
        )
        for i in range(2)
    ]
    pv = [
        pvc(f"data-{s}-0", ns, created=clk(-40 * 1440), storage_class="gp3", size="200Gi"),
        pvc(f"data-{s}-1", ns, created=clk(-40 * 1440), storage_class="gp3", size="200Gi"),
        pvc(f"data-{name}", ns, created=clk(-25), phase="Pending", storage_class="gp3-encrypted", size="200Gi"),
    ]
    ev = [
        event(
            ns,
            "Pod",
            name,
            "FailedScheduling",
            msg,
            first=clk(-25),
            last=clk(-5),
            count=9,
            type_="Warning",
            component="default-scheduler",
        ),
        event(
            ns,
            "PersistentVolumeClaim",
            f"data-{name}",
            "ProvisioningFailed",
            'storageclass.storage.k8s.io "gp3-encrypted" not found',
            first=clk(-25),
            last=clk(-0.2),
            count=101,
            type_="Warning",
            component="persistentvolume-controller",
        ),
        event(
            ns,
            "StatefulSet",
            s,
            "SuccessfulCreate",
            f"create Pod {name} in StatefulSet {s} successful",
            first=clk(-25),
            component="statefulset-controller",
            api="apps/v1",
        ),
    ]
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "ClickHouseReplicaMissing",
            "shard0 has 2/3 replicas; replica 2 not registered in ZooKeeper",
            namespace=ns,
            severity="high",
            pod=name,
            starts_at=t,
        ),
        pods=others + [p] + npods,
        events=ev + nev,
        deployments=[],
        pvcs=pv,
        node_list=nodes(clk),
        logs={},
        expected_category="pvc_unbound",
        evidence=['storageclass.storage.k8s.io "gp3-encrypted" not found'],
    )


SCENARIOS_B = [
    ("bad_deploy_node_typeerror_old_rs_healthy", bad_deploy_node_typeerror),
    ("bad_deploy_config_only_same_image", bad_deploy_config_only),
    ("missing_secret_key_after_scaleup_zh", missing_secret_key_zh),
    ("missing_configmap_sparse_snapshot", missing_configmap_sparse),
    ("readiness_503_index_loading", readiness_503_index_loading),
    ("image_pull_registry_401", image_pull_401),
    ("image_pull_typo_tag_zh", image_pull_bad_tag_zh),
    ("unschedulable_cpu_with_control_plane_taint", unschedulable_cpu_with_cp_taint),
    ("unschedulable_gpu_node_selector_zh", unschedulable_gpu_selector_zh),
    ("pvc_storageclass_missing_statefulset", pvc_storageclass_missing),
]
