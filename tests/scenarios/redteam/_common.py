"""Shared building blocks for the red-team scenarios: healthy workloads, kube-system noise, assembly."""

from kube_objects import container, deployment, event, http_probe, lst, node, pod, replicaset, running, terminated

NODES = [
    "ip-10-42-1-88.eu-west-1.compute.internal",
    "ip-10-42-2-143.eu-west-1.compute.internal",
    "ip-10-42-3-17.eu-west-1.compute.internal",
]


def healthy_pods(
    clk,
    ns,
    deploy,
    rs_hash,
    image,
    suffixes,
    *,
    port=8080,
    node_names=None,
    restarts=0,
    old_restart_days=None,
    extra_containers=None,
    cname=None,
    labels=None,
):
    labels = dict(labels or {"app.kubernetes.io/name": deploy})
    labels["pod-template-hash"] = rs_hash
    cname = cname or deploy
    pods = []
    for i, sfx in enumerate(suffixes):
        last = None
        if old_restart_days:
            last = terminated(
                137,
                "OOMKilled" if i == 0 else "Error",
                clk(-old_restart_days * 1440 - 30),
                clk(-old_restart_days * 1440),
            )
        cs = [
            running(
                cname,
                image,
                clk(-old_restart_days * 1440 if old_restart_days else -2880 - i * 7),
                restarts=restarts if old_restart_days else 0,
                last=last,
            )
        ]
        cs += [running(c["name"], c["image"], clk(-2880)) for c in (extra_containers or [])]
        pods.append(
            pod(
                f"{deploy}-{rs_hash}-{sfx}",
                ns,
                created=clk(-2880 - i * 7),
                containers=[container(cname, image, ports=[port], readiness=http_probe("/healthz", port))]
                + (extra_containers or []),
                statuses=cs,
                node=(node_names or NODES)[i % len(node_names or NODES)],
                owner=("ReplicaSet", f"{deploy}-{rs_hash}", ns),
                labels=labels,
                pod_ip=f"10.42.{i + 1}.{20 + i * 3}",
            )
        )
    return pods


def kube_noise(clk):
    """kube-system pods/events that are present in every real snapshot and mean nothing."""
    img = "registry.k8s.io/coredns/coredns:v1.11.1"
    pods = [
        pod(
            f"coredns-5d78c9869d-{s}",
            "kube-system",
            created=clk(-30 * 1440),
            containers=[container("coredns", img, cpu=("100m", None), mem=("70Mi", "170Mi"), ports=[53])],
            statuses=[
                running(
                    "coredns",
                    img,
                    clk(-9 * 1440),
                    restarts=1,
                    last=terminated(0, "Completed", clk(-30 * 1440), clk(-9 * 1440)),
                )
            ],
            owner=("ReplicaSet", "coredns-5d78c9869d", "kube-system"),
            node=NODES[i],
            labels={"k8s-app": "kube-dns", "pod-template-hash": "5d78c9869d"},
        )
        for i, s in enumerate(["7xwqp", "m2jhz"])
    ]
    ms = "registry.k8s.io/metrics-server/metrics-server:v0.7.0"
    pods.append(
        pod(
            "metrics-server-6d94bc8694-r9v4k",
            "kube-system",
            created=clk(-12 * 1440),
            containers=[container("metrics-server", ms, ports=[10250])],
            statuses=[running("metrics-server", ms, clk(-12 * 1440))],
            owner=("ReplicaSet", "metrics-server-6d94bc8694", "kube-system"),
            node=NODES[1],
        )
    )
    events = [
        event(
            "kube-system",
            "Pod",
            "metrics-server-6d94bc8694-r9v4k",
            "Unhealthy",
            'Readiness probe failed: Get "https://10.42.2.9:10250/readyz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
            first=clk(-47),
            last=clk(-47),
            type_="Warning",
            host=NODES[1],
            field="spec.containers{metrics-server}",
        ),
        event(
            "kube-system",
            "Pod",
            "aws-node-8kq2d",
            "Pulled",
            'Container image "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.1-eksbuild.1" already present on machine',
            first=clk(-33),
            host=NODES[0],
            field="spec.containers{aws-node}",
        ),
        event(
            None,
            "Node",
            NODES[2],
            "NodeHasSufficientMemory",
            f"Node {NODES[2]} status is now: NodeHasSufficientMemory",
            first=clk(-52),
            host=NODES[2],
        ),
    ]
    return pods, events


def nodes(clk, **overrides):
    out = []
    for n in NODES:
        kw = overrides.get(n, {})
        out.append(node(n, created=clk(-60 * 1440), heartbeat=clk(-1), **kw))
    return out


def scenario(
    alert,
    *,
    pods,
    events,
    deployments=None,
    replicasets=None,
    node_list=None,
    pvcs=None,
    hpas=None,
    logs=None,
    deploys=None,
    expected_category,
    evidence,
):
    cluster = {"pods": lst(pods), "events": lst(events), "deployments": lst(deployments or [])}
    if replicasets is not None:
        cluster["replicasets"] = lst(replicasets)
    if node_list is not None:
        cluster["nodes"] = lst(node_list)
    if pvcs is not None:
        cluster["pvcs"] = lst(pvcs)
    if hpas is not None:
        cluster["hpas"] = lst(hpas)
    cluster["logs"] = logs or {}
    return {
        "alert": alert,
        "cluster": cluster,
        "deploys": deploys or [],
        "expected": {"category": expected_category, "evidence_contains": evidence},
    }


def alert(title, description, *, namespace, severity="critical", source="prometheus", starts_at, **labels):
    lab = {"namespace": namespace}
    lab.update(labels)
    return {
        "title": title,
        "description": description,
        "severity": severity,
        "source": source,
        "labels": lab,
        "starts_at": starts_at,
    }


def std_deploy(clk, ns, name, image, replicas, ready, revision=3, rs_hash=None, containers=None, **kw):
    d = deployment(
        name,
        ns,
        created=clk(-90 * 1440),
        image=image,
        replicas=replicas,
        ready=ready,
        revision=revision,
        containers=containers,
        **kw,
    )
    rs = (
        replicaset(
            f"{name}-{rs_hash}",
            ns,
            name,
            created=clk(-3 * 1440),
            image=image,
            replicas=replicas,
            ready=ready,
            revision=revision,
            containers=containers,
        )
        if rs_hash
        else None
    )
    return d, rs
