"""Red-team scenarios, part A: container-level failures and rollouts."""

from _common import NODES, alert, healthy_pods, kube_noise, nodes, scenario, std_deploy
from kube_objects import (
    Clock,
    container,
    deployment,
    event,
    http_probe,
    pod,
    running,
    terminated,
    uid,
    waiting,
)


def oom_java_zh():
    t = "2026-03-11T14:22:00Z"
    clk = Clock(t)
    ns = "order"
    d = "order-service"
    img = "harbor.corp.cn/trade/order-service:2.14.3"
    h = "7c9d8f6b5"
    env = [{"name": "JAVA_OPTS", "value": "-Xms1g -Xmx1g -XX:+UseG1GC"}]
    c = container(
        d,
        img,
        cpu=("500m", "2"),
        mem=("1Gi", "1Gi"),
        ports=[8080],
        env=env,
        readiness=http_probe("/actuator/health/readiness", 8080, 20),
        liveness=http_probe("/actuator/health/liveness", 8080, 60),
    )
    pods = healthy_pods(clk, ns, d, h, img, ["9bq4m", "tz7wd"])
    bad = f"{d}-{h}-k2x9p"
    pods.append(
        pod(
            bad,
            ns,
            created=clk(-5 * 1440),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            node=NODES[2],
            statuses=[
                running(d, img, clk(-1.5), restarts=6, ready=False, last=terminated(137, "OOMKilled", clk(-7), clk(-2)))
            ],
        )
    )
    npods, nev = kube_noise(clk)
    ev = nev + [
        event(
            ns,
            "Pod",
            bad,
            "BackOff",
            f"Back-off restarting failed container {d} in pod {bad}_{ns}({uid('Pod', ns, bad)})",
            first=clk(-38),
            last=clk(-2),
            count=11,
            type_="Warning",
            host=NODES[2],
            field=f"spec.containers{{{d}}}",
        ),
        event(
            ns,
            "Pod",
            bad,
            "Pulled",
            f'Container image "{img}" already present on machine',
            first=clk(-40),
            last=clk(-1.6),
            count=6,
            host=NODES[2],
            field=f"spec.containers{{{d}}}",
        ),
        event(
            ns,
            "Pod",
            bad,
            "Started",
            f"Started container {d}",
            first=clk(-40),
            last=clk(-1.5),
            count=6,
            host=NODES[2],
            field=f"spec.containers{{{d}}}",
        ),
    ]
    prev = "\n".join(
        [
            "2026-03-11 22:14:51.201  INFO 1 --- [           main] c.c.t.order.OrderServiceApplication      : Started OrderServiceApplication in 41.882 seconds (JVM running for 44.01)",
            "2026-03-11 22:15:30.455  INFO 1 --- [nio-8080-exec-3] c.c.t.order.export.MonthlyExportJob      : building export for merchant=88231 rows=1840221",
            "2026-03-11 22:17:12.918  WARN 1 --- [nio-8080-exec-3] c.c.t.order.export.MonthlyExportJob      : export buffer 1.6M rows, still reading",
            "[2026-03-11T22:19:40.671+0800][gc] GC(412) Pause Full (G1 Compaction Pause) 1010M->1002M(1024M) 2211.732ms",
            "[2026-03-11T22:19:44.102+0800][gc] GC(413) Pause Young (Normal) (G1 Evacuation Pause) 1014M->1009M(1024M) 188.201ms",
        ]
    )
    logs = {
        f"{ns}/{bad}/{d}#previous": prev,
        f"{ns}/{bad}/{d}": "2026-03-11 22:20:31.006  INFO 1 --- [           main] c.c.t.order.OrderServiceApplication      : Starting OrderServiceApplication v2.14.3 using Java 17.0.10 with PID 1\n"
        '2026-03-11 22:20:31.010  INFO 1 --- [           main] c.c.t.order.OrderServiceApplication      : The following 1 profile is active: "prod"',
    }
    dp, rs = std_deploy(clk, ns, d, img, 3, 2, revision=12, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "订单服务Pod频繁重启",
            "order/order-service-7c9d8f6b5-k2x9p 在过去30分钟内重启了6次，接口超时增多",
            namespace=ns,
            severity="high",
            pod=bad,
            deployment=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nodes(clk),
        logs=logs,
        deploys=[
            {
                "service": "user-profile",
                "namespace": "user",
                "image": "harbor.corp.cn/trade/user-profile:1.3.0",
                "actor": "jenkins",
                "commit_sha": "9f2a1c0",
                "timestamp": clk(-20),
            },
            {
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "jenkins",
                "commit_sha": "e41b7d2",
                "timestamp": clk(-5 * 1440 - 10),
            },
        ],
        expected_category="oom_killed",
        evidence=["OOMKilled"],
    )


def liveness_kill_slow_start():
    t = "2026-04-02T09:41:00Z"
    clk = Clock(t)
    ns = "catalog"
    d = "catalog-api"
    img = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/catalog-api:5.7.1"
    h = "5b8f9d7c4"
    c = container(
        d,
        img,
        cpu=("250m", "500m"),
        mem=("768Mi", "1Gi"),
        ports=[8080],
        liveness=http_probe("/actuator/health/liveness", 8080, delay=15, timeout=1, period=10, failures=3),
        readiness=http_probe("/actuator/health/readiness", 8080, delay=10),
    )
    pods, ev = [], []
    for i, sfx in enumerate(["d4w8x", "hq2lz"]):
        name = f"{d}-{h}-{sfx}"
        ip = f"10.42.{i + 1}.31"
        pods.append(
            pod(
                name,
                ns,
                created=clk(-44),
                containers=[c],
                owner=("ReplicaSet", f"{d}-{h}", ns),
                pod_ip=ip,
                labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
                node=NODES[i],
                statuses=[
                    waiting(
                        d,
                        img,
                        "CrashLoopBackOff",
                        f"back-off 5m0s restarting failed container={d} pod={name}_{ns}({uid('Pod', ns, name)})",
                        restarts=9 - i,
                        last=terminated(137, "Error", clk(-3.2), clk(-2.6)),
                    )
                ],
            )
        )
        f = f"spec.containers{{{d}}}"
        ev += [
            event(
                ns,
                "Pod",
                name,
                "Unhealthy",
                f'Liveness probe failed: Get "http://{ip}:8080/actuator/health/liveness": dial tcp {ip}:8080: connect: connection refused',
                first=clk(-43),
                last=clk(-2.7),
                count=27 - i,
                type_="Warning",
                host=NODES[i],
                field=f,
            ),
            event(
                ns,
                "Pod",
                name,
                "Killing",
                f"Container {d} failed liveness probe, will be restarted",
                first=clk(-42),
                last=clk(-2.6),
                count=9 - i,
                host=NODES[i],
                field=f,
            ),
            event(
                ns,
                "Pod",
                name,
                "Unhealthy",
                f'Readiness probe failed: Get "http://{ip}:8080/actuator/health/readiness": dial tcp {ip}:8080: connect: connection refused',
                first=clk(-43),
                last=clk(-2.8),
                count=31,
                type_="Warning",
                host=NODES[i],
                field=f,
            ),
            event(
                ns,
                "Pod",
                name,
                "BackOff",
                f"Back-off restarting failed container {d} in pod {name}_{ns}({uid('Pod', ns, name)})",
                first=clk(-30),
                last=clk(-1),
                count=40,
                type_="Warning",
                host=NODES[i],
                field=f,
            ),
        ]
    # events about the pods that the node drain deleted 45 minutes ago
    for sfx in ["x8m2p", "c7vns"]:
        ev.append(
            event(
                ns,
                "Pod",
                f"{d}-{h}-{sfx}",
                "Killing",
                f"Stopping container {d}",
                first=clk(-45),
                host=NODES[2],
                field=f"spec.containers{{{d}}}",
            )
        )
    ev.append(
        event(
            None,
            "Node",
            NODES[2],
            "NodeNotSchedulable",
            f"Node {NODES[2]} status is now: NodeNotSchedulable",
            first=clk(-46),
            host=NODES[2],
        )
    )
    prev = "\n".join(
        [
            "  .   ____          _            __ _ _",
            " /\\\\ / ___'_ __ _ _(_)_ __  __ _ \\ \\ \\ \\",
            " :: Spring Boot ::                (v3.2.4)",
            "2026-04-02T09:37:48.102Z  INFO 1 --- [catalog-api] [           main] c.a.catalog.CatalogApplication           : Starting CatalogApplication v5.7.1 using Java 21.0.2 with PID 1",
            "2026-04-02T09:37:55.870Z  INFO 1 --- [catalog-api] [           main] o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat initialized with port 8080 (http)",
            "2026-04-02T09:38:03.331Z  INFO 1 --- [catalog-api] [           main] com.zaxxer.hikari.HikariDataSource       : HikariPool-1 - Starting...",
            "2026-04-02T09:38:06.912Z  INFO 1 --- [catalog-api] [           main] com.zaxxer.hikari.HikariDataSource       : HikariPool-1 - Start completed.",
            "2026-04-02T09:38:09.447Z  INFO 1 --- [catalog-api] [           main] o.f.core.internal.command.DbValidate     : Successfully validated 118 migrations (execution time 00:01.204s)",
            "2026-04-02T09:38:19.015Z  INFO 1 --- [catalog-api] [           main] o.hibernate.search.engine.Version        : HSEARCH000034: Hibernate Search version 7.1.0.Final",
            "2026-04-02T09:38:22.660Z  INFO 1 --- [catalog-api] [           main] c.a.catalog.search.IndexWarmup           : warming product index (412803 documents)",
            "2026-04-02T09:38:24.118Z  INFO 1 --- [catalog-api] [ionShutdownHook] o.s.b.w.e.tomcat.GracefulShutdown        : Commencing graceful shutdown. Waiting for active requests to complete",
            "2026-04-02T09:38:24.120Z  INFO 1 --- [catalog-api] [tomcat-shutdown] o.s.b.w.e.tomcat.GracefulShutdown        : Graceful shutdown complete",
        ]
    )
    logs = {f"{ns}/{d}-{h}-d4w8x/{d}#previous": prev}
    dp, rs = std_deploy(clk, ns, d, img, 2, 0, revision=41, rs_hash=h, containers=[c])
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "CatalogAvailabilitySLOBurn",
            "catalog-api availability 71% over 30m (SLO 99.9%)",
            namespace=ns,
            service=d,
            deployment=d,
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
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "argo-rollouts",
                "commit_sha": "51c0e8a",
                "timestamp": clk(-8 * 1440),
            }
        ],
        expected_category="liveness_probe_misconfigured",
        evidence=["failed liveness probe, will be restarted"],
    )


def memory_pressure_eviction():
    t = "2026-05-19T03:12:00Z"
    clk = Clock(t)
    ns = "analytics"
    d = "report-builder"
    img = "quay.io/acme/report-builder:2024.11.3"
    h = "6f7d8c9b5"
    c = container(d, img, cpu=("500m", None), mem=("512Mi", None), ports=[9000])
    sick = NODES[1]
    msg = (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 87344Ki. Container report-builder "
        "was using 3841236Ki, request is 512Mi, has larger consumption of memory. "
    )
    pods = healthy_pods(clk, ns, d, h, img, ["nq8tc", "7hwk2"], node_names=[NODES[0], NODES[2]], port=9000)
    ev = []
    for sfx in ["bx4jr", "s9m5f"]:
        name = f"{d}-{h}-{sfx}"
        st = terminated(137, "Error", clk(-300), clk(-14))
        pods.append(
            pod(
                name,
                ns,
                created=clk(-300),
                containers=[c],
                owner=("ReplicaSet", f"{d}-{h}", ns),
                node=sick,
                labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
                phase="Failed",
                ready=False,
                statuses=[
                    {
                        "name": d,
                        "state": st,
                        "lastState": {},
                        "ready": False,
                        "restartCount": 0,
                        "image": img,
                        "imageID": "",
                        "started": False,
                    }
                ],
                status_extra={"reason": "Evicted", "message": msg},
                conditions=[
                    {
                        "type": "DisruptionTarget",
                        "status": "True",
                        "lastProbeTime": None,
                        "lastTransitionTime": clk(-14),
                        "reason": "TerminationByKubelet",
                        "message": msg,
                    },
                    {
                        "type": "Ready",
                        "status": "False",
                        "lastProbeTime": None,
                        "lastTransitionTime": clk(-14),
                        "reason": "PodFailed",
                    },
                ],
            )
        )
        ev.append(event(ns, "Pod", name, "Evicted", msg, first=clk(-14), type_="Warning", host=sick))
        ev.append(
            event(
                ns,
                "Pod",
                name,
                "Killing",
                f"Stopping container {d}",
                first=clk(-14),
                host=sick,
                field=f"spec.containers{{{d}}}",
            )
        )
    for sfx in ["v2ld8", "jj6pc"]:
        name = f"{d}-{h}-{sfx}"
        pods.append(
            pod(
                name,
                ns,
                created=clk(-13),
                containers=[c],
                owner=("ReplicaSet", f"{d}-{h}", ns),
                node=NODES[0],
                labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
                statuses=[running(d, img, clk(-12))],
            )
        )
    ev += [
        event(
            None,
            "Node",
            sick,
            "EvictionThresholdMet",
            "Attempting to reclaim memory",
            first=clk(-15),
            last=clk(-14),
            count=2,
            type_="Warning",
            host=sick,
        ),
        event(
            None,
            "Node",
            sick,
            "NodeHasInsufficientMemory",
            f"Node {sick} status is now: NodeHasInsufficientMemory",
            first=clk(-15),
            host=sick,
        ),
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 4, 4, revision=9, rs_hash=h, containers=[c])
    nl = nodes(
        clk,
        **{
            sick: {
                "mem_pressure": "True",
                "taints": [
                    {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule", "timeAdded": clk(-15)}
                ],
            }
        },
    )
    return scenario(
        alert(
            "ReportJobsFailing",
            "36% of scheduled report jobs failed in the last 30m (connection reset by worker)",
            namespace=ns,
            severity="high",
            service=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nl,
        logs={
            f"{ns}/{d}-{h}-v2ld8/{d}": "INFO  [2026-05-19 03:00:41] worker ready, concurrency=4\nINFO  [2026-05-19 03:01:02] job 88213 started (tenant=acme-retail, rows≈2.1M)"
        },
        expected_category="node_pressure_eviction",
        evidence=["The node was low on resource: memory"],
    )


def go_panic_no_deploy():
    t = "2026-03-11T04:20:00Z"
    clk = Clock(t)
    ns = "ledger"
    d = "ledger-reconciler"
    img = "ghcr.io/acme-fin/ledger-reconciler:1.22.0"
    h = "5f6b7d9c8"
    name = f"{d}-{h}-q8wzt"
    c = container("reconciler", img, ports=[9090])
    pods = [
        pod(
            name,
            ns,
            created=clk(-6 * 1440),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            statuses=[
                waiting(
                    "reconciler",
                    img,
                    "CrashLoopBackOff",
                    f"back-off 5m0s restarting failed container=reconciler pod={name}_{ns}({uid('Pod', ns, name)})",
                    restarts=14,
                    last=terminated(2, "Error", clk(-4.5), clk(-4.2)),
                )
            ],
        )
    ]
    prev = "\n".join(
        [
            '{"level":"info","ts":"2026-03-11T04:15:31.118Z","caller":"cmd/main.go:61","msg":"starting reconciler","version":"1.22.0","workers":8}',
            '{"level":"info","ts":"2026-03-11T04:15:31.402Z","caller":"reconciler/loop.go:88","msg":"processing batch","batch_id":"b-20260311-0412","size":500}',
            '{"level":"warn","ts":"2026-03-11T04:15:47.771Z","caller":"reconciler/matcher.go:198","msg":"counterparty not found, skipping enrichment","txn":"TX-99120931"}',
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x8d3f2a]",
            "",
            "goroutine 147 [running]:",
            "github.com/acme-fin/ledger/internal/reconciler.(*Matcher).match(0xc000412a80, 0xc0004f6000)",
            "\t/src/internal/reconciler/matcher.go:214 +0x8a",
            "github.com/acme-fin/ledger/internal/reconciler.(*Loop).processBatch(0xc0001b2000, {0xb21f40, 0xc00012e000}, 0xc0003d8f00)",
            "\t/src/internal/reconciler/loop.go:131 +0x2f4",
            "created by github.com/acme-fin/ledger/internal/reconciler.(*Loop).Run in goroutine 1",
            "\t/src/internal/reconciler/loop.go:74 +0x1c5",
        ]
    )
    ev = [
        event(
            ns,
            "Pod",
            name,
            "BackOff",
            f"Back-off restarting failed container reconciler in pod {name}_{ns}({uid('Pod', ns, name)})",
            first=clk(-55),
            last=clk(-1),
            count=212,
            type_="Warning",
            field="spec.containers{reconciler}",
            host=NODES[2],
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=22, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "KubePodCrashLooping",
            f'Pod {ns}/{name} (reconciler) is in waiting state (reason: "CrashLoopBackOff").',
            namespace=ns,
            severity="warning",
            pod=name,
            container="reconciler",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        node_list=nodes(clk),
        logs={f"{ns}/{name}/reconciler#previous": prev},
        deploys=[
            {
                "service": "ledger-ui",
                "namespace": ns,
                "image": "ghcr.io/acme-fin/ledger-ui:3.4.1",
                "actor": "github-actions",
                "commit_sha": "77ad1e0",
                "timestamp": clk(-15),
            },
            {
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "github-actions",
                "commit_sha": "c0ffee1",
                "timestamp": clk(-6 * 1440 - 3),
            },
        ],
        expected_category="crashloop_app_error",
        evidence=["nil pointer dereference"],
    )


def spring_bind_error_ja():
    t = "2026-06-08T01:05:00Z"
    clk = Clock(t)
    ns = "inventory"
    d = "inventory-sync"
    img = "registry.example.jp/inventory/inventory-sync:4.0.2"
    h = "86c7b5f4d9"
    c = container(d, img, ports=[8080], mounts=[{"name": "config", "mountPath": "/config", "readOnly": True}])
    pods = healthy_pods(clk, ns, d, h, img, ["lw2rt"], extra_containers=None)
    bad = f"{d}-{h}-5zq9n"
    pods.append(
        pod(
            bad,
            ns,
            created=clk(-26),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            node=NODES[1],
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            volumes=[{"name": "config", "configMap": {"name": "inventory-sync-config", "defaultMode": 420}}],
            statuses=[
                waiting(
                    d,
                    img,
                    "CrashLoopBackOff",
                    f"back-off 2m40s restarting failed container={d} pod={bad}_{ns}({uid('Pod', ns, bad)})",
                    restarts=5,
                    last=terminated(1, "Error", clk(-3), clk(-2.7)),
                )
            ],
        )
    )
    prev = "\n".join(
        [
            "2026-06-08 10:02:11.502  INFO 1 --- [main] j.e.inventory.sync.SyncApplication : Starting SyncApplication v4.0.2 using Java 17.0.11",
            "2026-06-08 10:02:14.930  WARN 1 --- [main] ConfigServletWebServerApplicationContext : Exception encountered during context initialization - cancelling refresh attempt: org.springframework.boot.context.properties.ConfigurationPropertiesBindException: Error creating bean with name 'syncProperties': Could not bind properties to 'SyncProperties' : prefix=inventory.sync, ignoreInvalidFields=false, ignoreUnknownFields=true",
            "2026-06-08 10:02:14.971 ERROR 1 --- [main] o.s.b.d.LoggingFailureAnalysisReporter   : ",
            "",
            "***************************",
            "APPLICATION FAILED TO START",
            "***************************",
            "",
            "Description:",
            "",
            "Failed to bind properties under 'inventory.sync.batch-size' to java.lang.Integer:",
            "",
            "    Property: inventory.sync.batch-size",
            '    Value: "5OO"',
            "    Origin: URL [file:/config/application.yaml] - 12:19",
            '    Reason: failed to convert java.lang.String to java.lang.Integer (caused by java.lang.NumberFormatException: For input string: "5OO")',
            "",
            "Action:",
            "",
            "Update your application's configuration",
        ]
    )
    ev = [
        event(
            ns,
            "Pod",
            bad,
            "BackOff",
            f"Back-off restarting failed container {d} in pod {bad}_{ns}({uid('Pod', ns, bad)})",
            first=clk(-22),
            last=clk(-1),
            count=19,
            type_="Warning",
            host=NODES[1],
            field=f"spec.containers{{{d}}}",
        ),
        event(
            ns,
            "Pod",
            f"{d}-{h}-mm7cx",
            "Killing",
            f"Stopping container {d}",
            first=clk(-27),
            host=NODES[2],
            field=f"spec.containers{{{d}}}",
        ),
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 1, revision=6, rs_hash=h, containers=[c])
    return scenario(
        alert(
            "【障害】inventory-sync Pod CrashLoopBackOff",
            "inventory 名前空間の inventory-sync が再起動を繰り返しています（過去20分で5回）。在庫同期が遅延しています。",
            namespace=ns,
            severity="high",
            deployment=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{bad}/{d}#previous": prev},
        deploys=[
            {
                "service": "inventory-web",
                "namespace": ns,
                "image": "registry.example.jp/inventory/inventory-web:2.9.0",
                "actor": "gitlab-ci",
                "commit_sha": "1b9e44f",
                "timestamp": clk(-31),
            }
        ],
        expected_category="app_config_error",
        evidence=["Failed to bind properties under 'inventory.sync.batch-size'"],
    )


def start_error_exec_not_found():
    t = "2026-02-17T16:48:00Z"
    clk = Clock(t)
    ns = "ml"
    d = "feature-api"
    img = "registry.gitlab.com/acme/ml/feature-api:0.3.0"
    h = "78d9c6b7f5"
    c = container(d, img, ports=[8000], command=["gunicorn", "-c", "/app/gunicorn.conf.py", "feature_api.main:app"])
    msg = (
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: "
        'unable to start container process: exec: "gunicorn": executable file not found in $PATH: unknown'
    )
    pods, ev = [], []
    for i, sfx in enumerate(["p5m8s", "wk3tn"]):
        name = f"{d}-{h}-{sfx}"
        pods.append(
            pod(
                name,
                ns,
                created=clk(-12),
                containers=[c],
                owner=("ReplicaSet", f"{d}-{h}", ns),
                node=NODES[i],
                labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
                statuses=[
                    waiting(
                        d,
                        img,
                        "CrashLoopBackOff",
                        f"back-off 2m40s restarting failed container={d} pod={name}_{ns}({uid('Pod', ns, name)})",
                        restarts=7,
                        last=terminated(128, "StartError", "1970-01-01T00:00:00Z", clk(-2), msg),
                    )
                ],
            )
        )
        ev += [
            event(
                ns,
                "Pod",
                name,
                "Failed",
                "Error: " + msg,
                first=clk(-12),
                last=clk(-2),
                count=7,
                type_="Warning",
                host=NODES[i],
                field=f"spec.containers{{{d}}}",
            ),
            event(
                ns,
                "Pod",
                name,
                "Created",
                f"Created container {d}",
                first=clk(-12),
                last=clk(-2),
                count=7,
                host=NODES[i],
                field=f"spec.containers{{{d}}}",
            ),
        ]
    ev.append(
        event(
            ns,
            "Deployment",
            d,
            "ScalingReplicaSet",
            f"Scaled up replica set {d}-{h} to 2",
            first=clk(-12),
            component="deployment-controller",
            api="apps/v1",
        )
    )
    dp = deployment(d, ns, created=clk(-12), image=img, replicas=2, ready=0, revision=1, containers=[c])
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "KubeDeploymentReplicasMismatch",
            f"Deployment {ns}/{d} has not matched the expected number of replicas for longer than 10 minutes.",
            namespace=ns,
            severity="warning",
            deployment=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        logs={},
        deploys=[
            {
                "service": d,
                "namespace": ns,
                "image": img,
                "actor": "m.kowalski",
                "commit_sha": "3c2d1ab",
                "timestamp": clk(-12),
            }
        ],
        expected_category="wrong_command_or_entrypoint",
        evidence=["executable file not found in $PATH"],
    )


def exit127_celery_not_found():
    t = "2026-07-21T11:30:00Z"
    clk = Clock(t)
    ns = "notify"
    d = "email-dispatcher"
    img = "docker.io/acmecorp/email-dispatcher:2.1.0-slim"
    h = "6bd5f8c947"
    name = f"{d}-{h}-f7xkq"
    c = container(
        "worker",
        img,
        command=["/bin/sh", "-c"],
        args=["exec celery -A dispatcher.tasks worker --loglevel=INFO --concurrency=4"],
    )
    pods = [
        pod(
            name,
            ns,
            created=clk(-35),
            containers=[c],
            owner=("ReplicaSet", f"{d}-{h}", ns),
            labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
            statuses=[
                waiting(
                    "worker",
                    img,
                    "CrashLoopBackOff",
                    f"back-off 5m0s restarting failed container=worker pod={name}_{ns}({uid('Pod', ns, name)})",
                    restarts=11,
                    last=terminated(127, "Error", clk(-4), clk(-4)),
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
            f"Back-off restarting failed container worker in pod {name}_{ns}({uid('Pod', ns, name)})",
            first=clk(-33),
            last=clk(-1),
            count=150,
            type_="Warning",
            field="spec.containers{worker}",
            host=NODES[2],
        )
    ]
    dp = deployment(d, ns, created=clk(-35), image=img, replicas=1, ready=0, revision=1, containers=[c])
    npods, nev = kube_noise(clk)
    return scenario(
        alert(
            "EmailQueueNotDraining",
            "queue email.outbound has 18.4k messages and no consumers",
            namespace=ns,
            severity="high",
            source="grafana",
            starts_at=t,
        ),
        pods=pods + npods,
        events=ev + nev,
        deployments=[dp],
        logs={f"{ns}/{name}/worker#previous": "/bin/sh: 1: exec: celery: not found"},
        deploys=[
            {"service": d, "namespace": ns, "image": img, "actor": "ci", "commit_sha": "aa01f3d", "timestamp": clk(-35)}
        ],
        expected_category="wrong_command_or_entrypoint",
        evidence=["celery: not found"],
    )


SCENARIOS_A = [
    ("oom_java_order_zh", oom_java_zh),
    ("liveness_kills_slow_spring_start", liveness_kill_slow_start),
    ("memory_pressure_eviction_exit137", memory_pressure_eviction),
    ("go_panic_no_recent_deploy", go_panic_no_deploy),
    ("spring_bind_error_configmap_ja", spring_bind_error_ja),
    ("starterror_exec_not_found", start_error_exec_not_found),
    ("exit127_shell_not_found", exit127_celery_not_found),
]
