"""Red-team scenarios, part E: volumes, taints, more network shapes."""

from _common import NODES, alert, healthy_pods, kube_noise, scenario, std_deploy
from kube_objects import Clock, container, deployment, event, pod, pvc, running, terminated, uid, waiting


def _creating(clk, ns, name, owner, c, labels, node_name, volumes, created):
    return pod(
        name,
        ns,
        created=created,
        containers=[c],
        owner=owner,
        labels=labels,
        node=node_name,
        phase="Pending",
        volumes=volumes,
        statuses=[waiting(c["name"], c["image"], "ContainerCreating", pulled=False)],
    )


def multi_attach_rwo():
    t = "2026-10-28T17:45:00Z"
    clk = Clock(t)
    ns = "cms"
    d = "strapi"
    img = "acme/strapi:4.24.2"
    h = "5d7c8b9f6"
    name = f"{d}-{h}-k9l2m"
    vol = "pvc-3f1c9a0e-2b7d-4c55-9e1a-7d0b6c2e4f81"
    c = container(d, img, ports=[1337], mounts=[{"name": "uploads", "mountPath": "/opt/app/public/uploads"}])
    lab = {"app.kubernetes.io/name": d, "pod-template-hash": h}
    vols = [{"name": "uploads", "persistentVolumeClaim": {"claimName": "strapi-uploads"}}]
    p = _creating(clk, ns, name, ("ReplicaSet", f"{d}-{h}", ns), c, lab, NODES[2], vols, clk(-14))
    old = pod(
        f"{d}-{h}-f3g4h",
        ns,
        created=clk(-9 * 1440),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        labels=lab,
        node=NODES[1],
        volumes=vols,
        phase="Running",
        statuses=[running(d, img, clk(-9 * 1440), ready=False)],
    )
    old["metadata"]["deletionTimestamp"] = clk(-14)
    old["metadata"]["deletionGracePeriodSeconds"] = 30
    ev = [
        event(
            ns,
            "Pod",
            name,
            "FailedAttachVolume",
            f'Multi-Attach error for volume "{vol}" Volume is already used by pod(s) {d}-{h}-f3g4h',
            first=clk(-14),
            last=clk(-14),
            type_="Warning",
            component="attachdetach-controller",
        ),
        event(
            ns,
            "Pod",
            name,
            "FailedMount",
            "Unable to attach or mount volumes: unmounted volumes=[uploads], unattached volumes=[uploads kube-api-access-x8k2p]: timed out waiting for the condition",
            first=clk(-12),
            last=clk(-1),
            count=6,
            type_="Warning",
            host=NODES[2],
        ),
        event(
            ns,
            "Pod",
            name,
            "Scheduled",
            f"Successfully assigned {ns}/{name} to {NODES[2]}",
            first=clk(-14),
            component="default-scheduler",
        ),
        event(
            None,
            "Node",
            NODES[1],
            "NodeNotSchedulable",
            f"Node {NODES[1]} status is now: NodeNotSchedulable",
            first=clk(-15),
            host=NODES[1],
        ),
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 0, revision=6, rs_hash=h, containers=[c])
    return scenario(
        alert("CMSUnavailable", "strapi admin returns 502 from ingress", namespace=ns, service=d, starts_at=t),
        pods=[p, old] + npods,
        events=ev + nev,
        deployments=[dp],
        replicasets=[rs],
        pvcs=[pvc("strapi-uploads", ns, created=clk(-200 * 1440), size="50Gi", volume=vol)],
        logs={},
        expected_category="volume_mount_failure",
        evidence=["Multi-Attach error for volume"],
    )


def secret_volume_missing():
    t = "2026-01-09T08:20:00Z"
    clk = Clock(t)
    ns = "observability"
    d = "grafana"
    img = "grafana/grafana:10.4.2"
    h = "6c9d7b8f5"
    name = f"{d}-{h}-r5t6y"
    c = container(d, img, ports=[3000], mounts=[{"name": "tls", "mountPath": "/etc/grafana/tls", "readOnly": True}])
    lab = {"app.kubernetes.io/name": d, "pod-template-hash": h}
    vols = [{"name": "tls", "secret": {"secretName": "grafana-tls", "defaultMode": 420}}]
    p = _creating(clk, ns, name, ("ReplicaSet", f"{d}-{h}", ns), c, lab, NODES[0], vols, clk(-31))
    ev = [
        event(
            ns,
            "Pod",
            name,
            "FailedMount",
            'MountVolume.SetUp failed for volume "tls" : secret "grafana-tls" not found',
            first=clk(-31),
            last=clk(-0.5),
            count=23,
            type_="Warning",
            host=NODES[0],
        ),
        event(
            "cert-manager",
            "Certificate",
            "grafana-tls",
            "Failed",
            'The certificate request has failed to complete and will be retried: Failed to wait for order resource "grafana-tls-1-3312007" to become ready: order is in "errored" state: Failed to create Order: 429 urn:ietf:params:acme:error:rateLimited',
            first=clk(-50),
            type_="Warning",
            component="cert-manager-certificates-issuing",
            api="cert-manager.io/v1",
        ),
    ]
    npods, nev = kube_noise(clk)
    dp = deployment(d, ns, created=clk(-120 * 1440), image=img, replicas=1, ready=0, revision=9, containers=[c])
    return scenario(
        alert(
            "GrafanaDown",
            "Grafana 不可用 / Grafana is down (blackbox)",
            namespace=ns,
            service=d,
            source="blackbox-exporter",
            starts_at=t,
        ),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[dp],
        logs={},
        expected_category="volume_mount_failure",
        evidence=['secret "grafana-tls" not found'],
    )


def dedicated_taint_untolerated():
    t = "2026-04-04T04:04:00Z"
    clk = Clock(t)
    ns = "streaming"
    d = "kafka-connect"
    img = "confluentinc/cp-kafka-connect:7.6.0"
    h = "7f8d9c6b5"
    name = f"{d}-{h}-x2c3v"
    msg = (
        "0/5 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 3 node(s) had untolerated taint "
        "{dedicated: kafka}. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."
    )
    c = container(d, img, cpu=("1", "2"), mem=("6Gi", "6Gi"))
    p = pod(
        name,
        ns,
        created=clk(-20),
        containers=[c],
        owner=("ReplicaSet", f"{d}-{h}", ns),
        labels={"app.kubernetes.io/name": d, "pod-template-hash": h},
        phase="Pending",
        scheduled=False,
        statuses=[],
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "node-pool", "operator": "In", "values": ["kafka"]}]}
                    ]
                }
            }
        },
        conditions=[
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": clk(-20),
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
            first=clk(-20),
            last=clk(-4),
            count=7,
            type_="Warning",
            component="default-scheduler",
        )
    ]
    npods, nev = kube_noise(clk)
    dp = deployment(d, ns, created=clk(-21), image=img, replicas=1, ready=0, revision=1, containers=[c])
    return scenario(
        alert(
            "KafkaConnectNoWorkers",
            "connect cluster has 0 workers; connectors paused",
            namespace=ns,
            deployment=d,
            starts_at=t,
        ),
        pods=[p] + npods,
        events=ev + nev,
        deployments=[dp],
        logs={},
        expected_category="unschedulable_taint_affinity",
        evidence=["untolerated taint {dedicated: kafka}"],
    )


def python_gaierror_dns():
    t = "2026-02-22T22:22:00Z"
    clk = Clock(t)
    ns = "etl"
    d = "geo-enricher"
    img = "acme/geo-enricher:1.2.0"
    h = "6b8c7d9f5"
    pods = healthy_pods(clk, ns, d, h, img, ["w2e3r"])
    tb = "\n".join(
        [
            "[2026-02-22 23:21:40 +0100] [7] [ERROR] enrich batch 5521 failed",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.11/site-packages/urllib3/connection.py", line 203, in _new_conn',
            "    sock = connection.create_connection(",
            '  File "/usr/local/lib/python3.11/site-packages/urllib3/util/connection.py", line 60, in create_connection',
            "    for res in socket.getaddrinfo(host, port, family, socket.SOCK_STREAM):",
            '  File "/usr/local/lib/python3.11/socket.py", line 962, in getaddrinfo',
            "    for res in _socket.getaddrinfo(host, port, family, type, proto, flags):",
            "socket.gaierror: [Errno -3] Temporary failure in name resolution",
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "urllib3.exceptions.NameResolutionError: <urllib3.connection.HTTPSConnection object at 0x7f3a2c1e5d50>: Failed to resolve 'api.geoprovider.example.net' ([Errno -3] Temporary failure in name resolution)",
        ]
    )
    logs = {
        f"{ns}/{d}-{h}-w2e3r/{d}": tb,
        "kube-system/coredns-5d78c9869d-m2jhz/coredns": "\n".join(
            f"[ERROR] plugin/errors: 2 api.geoprovider.example.net. A: read udp 10.42.2.14:{p}->10.0.0.2:53: i/o timeout"
            for p in (41822, 52017, 38110)
        ),
    }
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 1, 1, revision=3, rs_hash=h)
    return scenario(
        alert("GeoEnrichmentBacklog", "enrichment lag > 30 min", namespace=ns, severity="warning", starts_at=t),
        pods=pods + npods,
        events=nev,
        deployments=[dp],
        replicasets=[rs],
        logs=logs,
        expected_category="dns_resolution_failure",
        evidence=["Temporary failure in name resolution"],
    )


def grpc_dependency_refused():
    t = "2026-06-06T06:06:00Z"
    clk = Clock(t)
    ns = "rides"
    d = "dispatch"
    img = "acme/dispatch:5.1.0"
    h = "8c7b9d6f5"
    pods = healthy_pods(clk, ns, d, h, img, ["a9s8d", "f7g6h"])
    eta_img = "acme/eta-service:2.0.4"
    eh = "5f6d7c8b9"
    en = f"eta-service-{eh}-q1w2e"
    etac = container("eta-service", eta_img, ports=[9090])
    eta = pod(
        en,
        ns,
        created=clk(-5 * 1440),
        containers=[etac],
        owner=("ReplicaSet", f"eta-service-{eh}", ns),
        labels={"app.kubernetes.io/name": "eta-service", "pod-template-hash": eh},
        node=NODES[0],
        statuses=[
            waiting(
                "eta-service",
                eta_img,
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container=eta-service pod={en}_{ns}({uid('Pod', ns, en)})",
                restarts=17,
                last=terminated(137, "OOMKilled", clk(-6), clk(-5)),
            )
        ],
    )
    log = "\n".join(
        f'{{"severity":"ERROR","time":"2026-06-06T06:05:{s:02d}Z","msg":"eta lookup failed","error":"rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial tcp 10.96.33.7:9090: connect: connection refused\\"","ride_id":"r-{s}81"}}'
        for s in (11, 23, 37)
    )
    ev = [
        event(
            ns,
            "Pod",
            en,
            "BackOff",
            f"Back-off restarting failed container eta-service in pod {en}_{ns}({uid('Pod', ns, en)})",
            first=clk(-50),
            last=clk(-1),
            count=80,
            type_="Warning",
            host=NODES[0],
            field="spec.containers{eta-service}",
        )
    ]
    npods, nev = kube_noise(clk)
    dp, rs = std_deploy(clk, ns, d, img, 2, 2, revision=12, rs_hash=h)
    edp, ers = std_deploy(clk, ns, "eta-service", eta_img, 1, 0, revision=7, rs_hash=eh, containers=[etac])
    return scenario(
        alert(
            "DispatchErrorRate",
            "dispatch: 31% of ride assignments failing",
            namespace=ns,
            service=d,
            deployment=d,
            starts_at=t,
        ),
        pods=pods + [eta] + npods,
        events=ev + nev,
        deployments=[dp, edp],
        replicasets=[rs, ers],
        logs={f"{ns}/{d}-{h}-a9s8d/{d}": log},
        expected_category="oom_killed",
        evidence=["OOMKilled"],
    )


SCENARIOS_E = [
    ("multi_attach_rwo_volume", multi_attach_rwo),
    ("secret_volume_missing_cert_manager", secret_volume_missing),
    ("dedicated_taint_with_affinity_to_pool", dedicated_taint_untolerated),
    ("python_gaierror_upstream_dns", python_gaierror_dns),
    ("grpc_dependency_refused_dep_oom", grpc_dependency_refused),
]
