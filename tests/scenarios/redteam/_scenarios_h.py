"""Red-team scenarios, batch 3: probes, scheduling edge cases, more client-library wordings."""

from _common import NODES, alert, healthy_pods, kube_noise, nodes, scenario, std_deploy
from kube_objects import Clock, container, event, http_probe, pod, pvc, terminated, uid, waiting


def startup_probe_kills_slow_start():
    t = "2026-02-26T06:20:00Z"
    clk = Clock(t)
    ns = "erp"
    d = "odoo"
    img = "odoo:17.0"
    h = "7c8d9b6f5"
    name = f"{d}-{h}-s1d2f"
    ip = "10.42.2.61"
    c = container(
        d,
        img,
        ports=[8069],
        mem=("1Gi", "2Gi"),
        startup=http_probe("/web/health", 8069, delay=0, timeout=1, period=5, failures=6),
        liveness=http_probe("/web/health", 8069, delay=0, timeout=3, period=20, failures=3),
    )
    p = pod(
        name,
        ns,
        created=clk(-25),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        pod_ip=ip,
        node=NODES[1],
        labels={"app": d, "pod-template-hash": h},
        statuses=[
            waiting(
                d,
                img,
                "CrashLoopBackOff",
                f"back-off 2m40s restarting failed container={d} pod={name}_{ns}({uid('Pod', ns, name)})",
                restarts=7,
                last=terminated(137, "Error", clk(-3.5), clk(-3)),
            )
        ],
    )
    f = f"spec.containers{{{d}}}"
    ev = [
        event(
            ns,
            "Pod",
            name,
            "Unhealthy",
            f'Startup probe failed: Get "http://{ip}:8069/web/health": dial tcp {ip}:8069: connect: connection refused',
            first=clk(-24),
            last=clk(-3),
            count=42,
            type_="Warning",
            host=NODES[1],
            field=f,
        ),
        event(
            ns,
            "Pod",
            name,
            "Killing",
            f"Container {d} failed startup probe, will be restarted",
            first=clk(-24),
            last=clk(-3),
            count=7,
            host=NODES[1],
            field=f,
        ),
    ]
    prev = "\n".join(
        [
            "2026-02-26 06:16:31,118 1 INFO ? odoo: Odoo version 17.0-20240215",
            "2026-02-26 06:16:31,120 1 INFO ? odoo: database: odoo@erp-postgres:5432",
            "2026-02-26 06:16:33,771 1 INFO erp odoo.modules.loading: loading 214 modules...",
            "2026-02-26 06:16:57,002 1 INFO erp odoo.modules.loading: 118 modules loaded in 23.23s, 0 queries",
        ]
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=5, rs_hash=h, containers=[c])
    return scenario(
        alert("ERP unreachable", "odoo has no ready replicas", namespace=ns, app=d, starts_at=t),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{name}/{d}#previous": prev},
        expected_category="liveness_probe_misconfigured",
        evidence=["failed startup probe"],
    )


def volume_node_affinity_conflict():
    t = "2026-03-09T15:00:00Z"
    clk = Clock(t)
    ns = "data"
    s = "minio"
    img = "minio/minio:RELEASE.2024-06-13T22-53-53Z"
    name = f"{s}-1"
    msg = (
        "0/3 nodes are available: 1 Insufficient memory, 2 node(s) had volume node affinity conflict. preemption: 0/3 "
        "nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    )
    c = container("minio", img, ports=[9000], mounts=[{"name": "export", "mountPath": "/export"}])
    p = pod(
        name,
        ns,
        created=clk(-30),
        containers=[c],
        owner=("StatefulSet", s, ns),
        labels={"app": s},
        phase="Pending",
        scheduled=False,
        statuses=[],
        volumes=[{"name": "export", "persistentVolumeClaim": {"claimName": f"export-{name}"}}],
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-30),
                "reason": "Unschedulable",
                "message": msg,
            }
        ],
    )
    ev = [
        event(
            ns,
            "Pod",
            name,
            "FailedScheduling",
            msg,
            first=clk(-30),
            last=clk(-4),
            count=12,
            type_="Warning",
            component="default-scheduler",
        )
    ]
    npods, nev = kube_noise(clk)
    return scenario(
        alert("MinioNodeOffline", "minio cluster: 1 of 4 nodes offline", namespace=ns, pod=name, starts_at=t),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[],
        node_list=nodes(clk),
        pvcs=[pvc(f"export-{name}", ns, created=clk(-200 * 1440), size="500Gi")],
        logs={},
        expected_category="unschedulable_taint_affinity",
        evidence=["volume node affinity conflict"],
    )


def npgsql_pool_exhausted():
    t = "2026-04-07T11:45:00Z"
    clk = Clock(t)
    ns = "booking"
    d = "reservations"
    img = "acme/reservations:2024.4.7"
    h = "5f9c8d7b6"
    pods = healthy_pods(clk, ns, d, h, img, ["g1h2", "j3k4"])
    log = "\n".join(
        [
            "fail: Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware[1]",
            "      An unhandled exception has occurred while executing the request.",
            "      Npgsql.NpgsqlException (0x80004005): The connection pool has been exhausted, either raise 'Max Pool Size' (currently 100) or 'Timeout' (currently 15 seconds) in your connection string.",
            "       ---> System.TimeoutException: The operation has timed out.",
            "         at Npgsql.PoolingDataSource.<Get>g__RentAsync|34_0(NpgsqlConnection conn, NpgsqlTimeout timeout, Boolean async, CancellationToken cancellationToken)",
        ]
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=28, rs_hash=h)
    return scenario(
        alert(
            "ReservationsApdexLow",
            "Apdex 0.41 on POST /api/reservations",
            namespace=ns,
            service=d,
            source="newrelic",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{d}-{h}-g1h2/{d}": log},
        expected_category="db_connection_pool_exhausted",
        evidence=["The connection pool has been exhausted"],
    )


def alpine_name_does_not_resolve():
    t = "2026-05-12T22:00:00Z"
    clk = Clock(t)
    ns = "mail"
    d = "mailer"
    img = "acme/mailer:0.9.1-alpine"
    h = "6d7f8c9b5"
    pods = healthy_pods(clk, ns, d, h, img, ["z1x2"])
    log = "\n".join(
        [
            "[2026-05-12 21:59:31] ERROR send failed to smtp.sendgrid.net:587: [Errno -2] Name does not resolve",
            "[2026-05-12 21:59:41] ERROR send failed to smtp.sendgrid.net:587: [Errno -2] Name does not resolve",
            "[2026-05-12 21:59:51] ERROR send failed to smtp.sendgrid.net:587: [Errno -2] Name does not resolve",
        ]
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 1, revision=4, rs_hash=h)
    return scenario(
        alert(
            "TransactionalMailBacklog",
            "outbox table has 3,420 unsent mails",
            namespace=ns,
            severity="high",
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{d}-{h}-z1x2/{d}": log},
        expected_category="dns_resolution_failure",
        evidence=["Name does not resolve"],
    )


def java_client_cert_expired():
    t = "2026-06-01T00:30:00Z"
    clk = Clock(t)
    ns = "payments"
    d = "sepa-connector"
    img = "acme/sepa-connector:3.3.0"
    h = "8d9f7c6b5"
    pods = healthy_pods(clk, ns, d, h, img, ["p0o9"])
    log = "\n".join(
        [
            "2026-06-01T00:29:12.455Z ERROR [sepa-connector,,] 1 --- [   scheduling-1] c.a.sepa.BatchSender : batch 20260601-001 upload failed",
            "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_expired",
            "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)",
            "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:365)",
        ]
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 1, revision=10, rs_hash=h)
    return scenario(
        alert(
            "SEPA batch upload failing",
            "0 of 4 SEPA batches uploaded since 00:00",
            namespace=ns,
            deployment=d,
            starts_at=t,
        ),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs={f"{ns}/{d}-{h}-p0o9/{d}": log},
        expected_category="certificate_expired",
        evidence=["certificate_expired"],
    )


def python_requests_dependency_crashing():
    t = "2026-07-04T17:40:00Z"
    clk = Clock(t)
    ns = "web"
    d = "storefront"
    img = "acme/storefront:9.9.0"
    h = "6f5d8c7b9"
    pods = healthy_pods(clk, ns, d, h, img, ["m1", "n2"])
    pimg = "acme/pricing:4.4.0"
    ph = "7b6c9d8f5"
    pn = f"pricing-{ph}-r4t5"
    pc = container("pricing", pimg, ports=[8080])
    bad = pod(
        pn,
        "pricing",
        created=clk(-3 * 1440),
        containers=[pc],
        owner=("ReplicaSet", f"pricing-{ph}", "pricing"),
        labels={"app": "pricing", "pod-template-hash": ph},
        node=NODES[2],
        statuses=[
            waiting(
                "pricing",
                pimg,
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container=pricing pod={pn}_pricing({uid('Pod', 'pricing', pn)})",
                restarts=15,
                last=terminated(1, "Error", clk(-4), clk(-3.8)),
            )
        ],
    )
    prev = "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "/app/pricing/rates.py", line 41, in refresh',
            "    rate = Decimal(payload['rates']['EUR'])",
            "decimal.InvalidOperation: [<class 'decimal.ConversionSyntax'>]",
        ]
    )
    line = (
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='pricing.pricing.svc.cluster.local', port=8080): "
        "Max retries exceeded with url: /v1/quote (Caused by NewConnectionError('<urllib3.connection.HTTPConnection "
        "object at 0x7f1c2d3e4f50>: Failed to establish a new connection: [Errno 111] Connection refused'))"
    )
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=50, rs_hash=h)
    pdp, prs = std_deploy(clk, "pricing", "pricing", pimg, 1, 0, revision=12, rs_hash=ph, containers=[pc])
    return scenario(
        alert("StorefrontCheckoutErrors", "checkout errors 27%", namespace=ns, service=d, starts_at=t),
        pods=pods + [bad] + npods,
        events=nev,
        deployments=[dp, pdp],
        replicasets=[rs, prs],
        logs={f"{ns}/{d}-{h}-m1/{d}": "\n".join([line] * 3), f"pricing/{pn}/pricing#previous": prev},
        expected_category="crashloop_app_error",
        evidence=["decimal.InvalidOperation"],
    )


def topology_spread_unsatisfiable():
    t = "2026-08-21T08:00:00Z"
    clk = Clock(t)
    ns = "api"
    d = "edge-api"
    img = "acme/edge-api:2.1.0"
    h = "9b8c7d6f5"
    name = f"{d}-{h}-w9e8"
    msg = (
        "0/6 nodes are available: 3 node(s) didn't match pod topology spread constraints, 3 node(s) didn't match Pod's "
        "node affinity/selector. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling."
    )
    c = container(d, img, ports=[8080])
    p = pod(
        name,
        ns,
        created=clk(-15),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        labels={"app": d, "pod-template-hash": h},
        phase="Pending",
        scheduled=False,
        statuses=[],
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-15),
                "reason": "Unschedulable",
                "message": msg,
            }
        ],
    )
    pods = healthy_pods(clk, ns, d, h, img, ["a9", "b8", "c7"], labels={"app": d})
    ev = [
        event(
            ns,
            "Pod",
            name,
            "FailedScheduling",
            msg,
            first=clk(-15),
            last=clk(-2),
            count=9,
            type_="Warning",
            component="default-scheduler",
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 4, 3, revision=6, rs_hash=h, containers=[c], labels={"app": d})
    return scenario(
        alert("EdgeApiReplicasMismatch", "edge-api 3/4 replicas", namespace=ns, app=d, severity="warning", starts_at=t),
        pods=pods + [p] + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        logs={},
        expected_category="unschedulable_taint_affinity",
        evidence=["didn't match pod topology spread constraints"],
    )


SCENARIOS_H = [
    ("b3_startup_probe_kills_slow_start", startup_probe_kills_slow_start),
    ("b3_volume_node_affinity_conflict", volume_node_affinity_conflict),
    ("b3_npgsql_pool_exhausted", npgsql_pool_exhausted),
    ("b3_alpine_name_does_not_resolve", alpine_name_does_not_resolve),
    ("b3_java_received_certificate_expired", java_client_cert_expired),
    ("b3_python_requests_dependency_crashing", python_requests_dependency_crashing),
    ("b3_topology_spread_unsatisfiable", topology_spread_unsatisfiable),
]
