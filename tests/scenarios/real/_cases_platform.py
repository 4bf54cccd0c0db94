"""Real incidents, part 3: nodes, evictions and DNS."""

from _kit import Clock, a_crashloop, a_node_text, a_replicas, a_zh, ev, incident, node, owners, wpod


def node_pleg_not_healthy_jupyter_et_13():
    t = "2026-06-03T14:00:00Z"
    clk = Clock(t)
    name = "etkhub"
    n = node(
        name,
        created=clk(-200 * 1440),
        ready="False",
        ready_reason="KubeletNotReady",
        ready_msg="PLEG is not healthy: pleg was last seen active 16h17m50.791825508s ago; threshold is 3m0s",
        heartbeat=clk(-6),
        labels={"node-role.kubernetes.io/master": ""},
    )
    n["status"]["conditions"][-1]["lastTransitionTime"] = clk(-16 * 60 - 20)
    return incident(
        url="https://github.com/nds-org/jupyter-et/issues/13",
        confirmed="kubectl describe nodes: Ready=False with KubeletNotReady 'PLEG is not healthy' for 16h; the node "
        "stopped running pods (known container-runtime hang, fixed by restarting the runtime/kubelet).",
        category="node_not_ready",
        evidence=["PLEG is not healthy"],
        alert=a_node_text(t, name),
        pods=[],
        nodes=[n],
    )


def node_stopped_posting_status_k8s_34314():
    t = "2026-10-07T08:30:00Z"
    clk = Clock(t)
    name = "operate"
    n = node(
        name,
        created=clk(-9 * 60),
        ready="Unknown",
        ready_reason="NodeStatusUnknown",
        ready_msg="Kubelet stopped posting node status.",
        heartbeat=clk(-17),
        labels={"kubeadm.alpha.kubernetes.io/role": "master"},
    )
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/34314",
        confirmed="kubectl describe node shows every condition Unknown, 'Kubelet stopped posting node status.' — the "
        "kubelet on the single kubeadm node had stopped.",
        category="node_not_ready",
        evidence=["Kubelet stopped posting node status"],
        alert={
            "title": "KubeNodeNotReady",
            "description": "operate has been unready for more than 15 minutes.",
            "severity": "warning",
            "source": "prometheus",
            "starts_at": t,
            "labels": {"node": name, "job": "kube-state-metrics", "condition": "Ready", "status": "true"},
        },
        pods=[],
        nodes=[n],
    )


def eviction_ephemeral_storage_flux_977():
    t = "2026-05-29T12:00:00Z"
    clk = Clock(t)
    ns = "flux"
    img = "docker.io/fluxcd/helm-operator:1.0.1"
    d, rs = owners(clk, ns, "flux-helm-operator", "5b7d8c9f6d", img, replicas=1, ready=1)
    return incident(
        url="https://github.com/libero/reviewer/issues/977",
        confirmed="The helm operator container wrote 8GB to its ephemeral storage and the kubelet evicted it under "
        "disk pressure; upgrading to helm-operator v1.1.0 (which stops filling the disk) solved it.",
        category="node_pressure_eviction",
        evidence=["ephemeral-storage"],
        alert=a_replicas(t, ns, "flux-helm-operator"),
        pods=[
            wpod(
                clk,
                ns,
                "flux-helm-operator-5b7d8c9f6d-9v8qp",
                image=img,
                age=300,
                state=(
                    "evicted",
                    "The node was low on resource: ephemeral-storage. Container flux-helm-operator was "
                    "using 8250536Ki, which exceeds its request of 0.",
                ),
            ),
            wpod(
                clk,
                ns,
                "flux-helm-operator-5b7d8c9f6d-kx2wd",
                image=img,
                age=200,
                state=("evicted", "Pod The node had condition: [DiskPressure]. "),
            ),
        ],
        deployments=d,
        replicasets=rs,
    )


def eviction_disk_pressure_kind_15():
    t = "2026-03-08T16:00:00Z"
    clk = Clock(t)
    ns = "default"
    name = "minikube"
    n = node(name, created=clk(-30 * 1440), disk_pressure="True", heartbeat=clk(-0.5))
    p = "jenkins-6c7d9f8b5-tz4qx"
    ev_pod = wpod(clk, ns, p, image="jenkins/jenkins:lts", node=name, state=("evicted", ""), age=6)
    ev_pod["status"].pop("message")
    d, rs = owners(clk, ns, "jenkins", "6c7d9f8b5", "jenkins/jenkins:lts")
    return incident(
        url="https://github.com/bsycorp/kind/issues/15",
        confirmed="The node reported NodeHasDiskPressure and the kubelet tried to reclaim ephemeral-storage; "
        "`docker system prune` inside the node freed the disk and everything went back to normal.",
        category="node_pressure_eviction",
        evidence=["DiskPressure"],
        alert=a_replicas(t, ns, "jenkins"),
        pods=[ev_pod],
        events=[
            ev(
                clk,
                None,
                "Node",
                name,
                "EvictionThresholdMet",
                "Attempting to reclaim ephemeral-storage",
                ago=4.5,
                node=name,
            ),
            ev(
                clk,
                None,
                "Node",
                name,
                "NodeHasDiskPressure",
                f"Node {name} status is now: NodeHasDiskPressure",
                ago=4.4,
                warn=False,
                node=name,
            ),
        ],
        nodes=[n],
        deployments=d,
        replicasets=rs,
    )


def eviction_calico_node_ephemeral_91600():
    t = "2026-05-30T10:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "calico-node-xq7vd"
    name = "mgt04"
    img = "calico/node:v3.13.2"
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/91600",
        confirmed="The kubelet evicted the pod for ephemeral-storage: the node's nodefs crossed the eviction "
        "threshold and the container used more than its (zero) request.",
        category="node_pressure_eviction",
        evidence=["low on resource: ephemeral-storage"],
        alert=a_replicas(t, ns, "calico-node", kind="DaemonSet"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="calico-node",
                kind="DaemonSet",
                owner="calico-node",
                node=name,
                age=18,
                state=(
                    "evicted",
                    "The node was low on resource: ephemeral-storage. Container calico-node was "
                    "using 92Ki, which exceeds its request of 0.",
                ),
            )
        ],
        events=[
            ev(clk, ns, "Pod", p, "Created", "Created container calico-node", ago=18, count=2, warn=False, node=name),
            ev(clk, ns, "Pod", p, "Started", "Started container calico-node", ago=18, count=2, warn=False, node=name),
            ev(clk, ns, "Pod", p, "Killing", "Stopping container calico-node", ago=18, count=2, warn=False, node=name),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Evicted",
                "The node was low on resource: ephemeral-storage. Container "
                "calico-node was using 92Ki, which exceeds its request of 0.",
                ago=18,
                node=name,
            ),
        ],
    )


def eviction_disk_pressure_cdi_operate_first_1352():
    t = "2026-09-20T09:00:00Z"
    clk = Clock(t)
    ns = "openshift-cnv"
    name = "oct-03-09-compute"
    img = "registry.redhat.io/container-native-virtualization/virt-cdi-apiserver:v4.8.0"
    pods = [
        wpod(
            clk,
            ns,
            f"cdi-apiserver-5b4cfb4d57-{s}",
            image=img,
            cname="cdi-apiserver",
            node=name,
            age=60 - i,
            state=("evicted", "Pod The node had condition: [DiskPressure]. "),
        )
        for i, s in enumerate(["99b44", "cj466", "hs4hv", "j4x6d", "kmm4n"])
    ]
    pods.append(
        wpod(
            clk,
            ns,
            "cdi-apiserver-5b4cfb4d57-kqzt4",
            image=img,
            cname="cdi-apiserver",
            node=name,
            age=61,
            state=(
                "evicted",
                "The node was low on resource: ephemeral-storage. Container cdi-apiserver was "
                "using 68Ki, which exceeds its request of 0. ",
            ),
        )
    )
    d, rs = owners(clk, ns, "cdi-apiserver", "5b4cfb4d57", img, replicas=1, ready=0)
    return incident(
        url="https://github.com/operate-first/apps/issues/1352",
        confirmed="Nodes oct-03-03-compute and oct-03-09-compute were under DiskPressure and kept evicting pods; "
        "the hardware issue was handled by the operators (label area/hardware).",
        category="node_pressure_eviction",
        evidence=["DiskPressure"],
        alert=a_replicas(t, ns, "cdi-apiserver"),
        pods=pods,
        deployments=d,
        replicasets=rs,
    )


def _coredns(clk, ns, p, restarts, image="k8s.gcr.io/coredns:1.2.2", node="worker-1"):
    return wpod(
        clk,
        ns,
        p,
        image=image,
        cname="coredns",
        state=("crashloop", 1, "Error", restarts, None),
        age=60,
        node=node,
        mem=("70Mi", "170Mi"),
    )


def dns_loop_systemd_resolved_coredns_2087():
    t = "2026-09-06T13:05:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "coredns-55f86bf584-7sbtj"
    log = "\n".join(
        [
            ".:53",
            "2018/09/06 13:02:45 [INFO] CoreDNS-1.2.2",
            "2018/09/06 13:02:45 [INFO] linux/amd64, go1.11, eb51e8b",
            "CoreDNS-1.2.2",
            "linux/amd64, go1.11, eb51e8b",
            "2018/09/06 13:02:45 [INFO] plugin/reload: Running configuration MD5 = 86e5222d14b17c8b907970f002198e96",
            '2018/09/06 13:02:45 [FATAL] plugin/loop: Seen "HINFO IN 2050421060481615995.5620656063561519376." more than '
            "twice, loop detected",
        ]
    )
    d, rs = owners(clk, ns, "coredns", "55f86bf584", "k8s.gcr.io/coredns:1.2.2", replicas=2)
    return incident(
        url="https://github.com/coredns/coredns/issues/2087",
        confirmed="Maintainer: the loop plugin detected a forwarding loop caused by systemd-resolved (nameserver "
        "127.0.0.53 in the node's resolv.conf); fix: kubelet --resolv-conf=/run/systemd/resolve/resolv.conf.",
        category="dns_resolution_failure",
        evidence=["loop detected"],
        alert=a_crashloop(t, ns, p, "coredns"),
        pods=[_coredns(clk, ns, p, 7)],
        logs={f"{ns}/{p}/coredns#previous": log},
        deployments=d,
        replicasets=rs,
    )


def dns_loop_coredns_kubeasz_355():
    t = "2026-11-05T13:50:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "coredns-56684f94d6-f7tzp"
    log = "\n".join(
        [
            ".:53",
            "2018/11/05 13:48:16 [INFO] CoreDNS-1.2.2",
            "2018/11/05 13:48:16 [INFO] linux/amd64, go1.11, eb51e8b",
            "CoreDNS-1.2.2",
            "linux/amd64, go1.11, eb51e8b",
            "2018/11/05 13:48:16 [INFO] plugin/reload: Running configuration MD5 = afbaa991cc09b91b885a205d9b1a451b",
            '2018/11/05 13:48:22 [FATAL] plugin/loop: Seen "HINFO IN 4849932600568443392.1730530029506169038." more than '
            "twice, loop detected",
        ]
    )
    d, rs = owners(clk, ns, "coredns", "56684f94d6", "coredns/coredns:1.2.2", replicas=2)
    return incident(
        url="https://github.com/easzlab/kubeasz/issues/355",
        confirmed="Pointed to coredns.io/plugins/loop: the node's resolv.conf (CentOS host) forwards back to "
        "CoreDNS itself, so the loop plugin stops CoreDNS.",
        category="dns_resolution_failure",
        evidence=["loop detected"],
        alert=a_crashloop(t, ns, p, "coredns"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image="coredns/coredns:1.2.2",
                cname="coredns",
                node="80.0.0.245",
                age=3 * 1440,
                state=("crashloop", 1, "Error", 52, None),
                mem=("70Mi", "170Mi"),
            )
        ],
        logs={f"{ns}/{p}/coredns#previous": log},
        deployments=d,
        replicasets=rs,
    )


def dns_nodelocal_no_nameservers_kubeasz_zh_1010():
    t = "2026-05-08T10:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "node-local-dns-8xk2v"
    img = "easzlab/k8s-dns-node-cache:1.16.0"
    log = "\n".join(
        ["2021/05/08 09:58:01 [INFO] Using Corefile /etc/coredns/Corefile", "plugins/forward: no nameservers found"]
    )
    return incident(
        url="https://github.com/easzlab/kubeasz/issues/1010",
        confirmed="(Chinese thread) The node's /etc/resolv.conf is empty, so node-local-dns has no upstream "
        "('no nameservers found'); the maintainer gave the steps to disable the local DNS cache.",
        category="dns_resolution_failure",
        evidence=["no nameservers found"],
        language="zh",
        alert=a_zh(
            t,
            ns,
            "DaemonSet Pod 持续重启",
            "kube-system 命名空间 node-local-dns-8xk2v 处于 CrashLoopBackOff 状态，10 分钟内重启 3 次",
            pod=p,
            container="node-cache",
        ),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="node-cache",
                kind="DaemonSet",
                owner="node-local-dns",
                state=("crashloop", 1, "Error", 9, None),
                age=40,
            )
        ],
        logs={f"{ns}/{p}/node-cache#previous": log},
    )


def dns_nodelocal_loop_k8s_93379():
    t = "2026-07-23T06:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "node-local-dns-cg2nw"
    img = "kubesphere/k8s-dns-node-cache:1.15.12"
    log = (
        'plugin/loop: Loop (192.168.0.49:54616 -> 192.168.0.49:53) detected for zone "in-addr.arpa.", see '
        'https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 8152613472028609709.5116360551987037255."'
    )
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/93379",
        confirmed="node-local-dns on the master forwards in-addr.arpa back to itself (loop plugin, see the "
        "troubleshooting link in the log); the pod on node1 without the loop runs.",
        category="dns_resolution_failure",
        evidence=["Loop (192.168.0.49:54616 -> 192.168.0.49:53) detected"],
        alert=a_crashloop(t, ns, p, "node-cache"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="node-cache",
                kind="DaemonSet",
                owner="node-local-dns",
                node="master",
                state=("crashloop", 1, "Error", 4, None),
                age=4.75,
            ),
            wpod(
                clk,
                ns,
                "node-local-dns-lcxkr",
                image=img,
                cname="node-cache",
                kind="DaemonSet",
                owner="node-local-dns",
                node="node1",
                state=("running", 0, None, True),
                age=4.75,
            ),
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Scheduled",
                f"Successfully assigned kube-system/{p} to master",
                ago=4.5,
                warn=False,
                component="default-scheduler",
            ),
            ev(
                clk,
                ns,
                "Pod",
                p,
                "Pulling",
                f'Pulling image "{img}"',
                ago=1.35,
                span=2.9,
                count=4,
                warn=False,
                node="master",
            ),
        ],
        logs={f"{ns}/{p}/node-cache#previous": log},
    )


def dns_upstream_timeout_coredns_86762():
    t = "2026-01-02T09:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "coredns-6955765f44-8vjqn"
    img = "k8s.gcr.io/coredns:1.6.5"
    d, rs = owners(clk, ns, "coredns", "6955765f44", img, replicas=2, ready=2)
    log = "[ERROR] plugin/errors: 2 read udp 10.244.235.249:55567->10.96.0.10:53: i/o timeout"
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/86762",
        confirmed="Reporter: CoreDNS ran on a subnet that could not reach the apiserver and the upstream DNS; "
        "scheduling CoreDNS onto the apiserver's subnet made the i/o timeouts disappear.",
        category="dns_resolution_failure",
        evidence=["i/o timeout"],
        alert={
            "title": "CoreDNSErrorsHigh",
            "description": "CoreDNS is returning SERVFAIL for 38.2% of requests.",
            "severity": "critical",
            "source": "prometheus",
            "starts_at": t,
            "labels": {"namespace": ns, "job": "kube-dns", "service": "kube-dns"},
        },
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                cname="coredns",
                node="k8s-mix-176",
                state=("running", 0, None, True),
                age=3 * 1440,
                mem=("70Mi", "170Mi"),
            )
        ],
        logs={f"{ns}/{p}/coredns": "\n".join([log] * 4)},
        deployments=d,
        replicasets=rs,
    )


CASES = [
    node_pleg_not_healthy_jupyter_et_13,
    node_stopped_posting_status_k8s_34314,
    eviction_ephemeral_storage_flux_977,
    eviction_disk_pressure_kind_15,
    eviction_calico_node_ephemeral_91600,
    eviction_disk_pressure_cdi_operate_first_1352,
    dns_loop_systemd_resolved_coredns_2087,
    dns_loop_coredns_kubeasz_355,
    dns_nodelocal_no_nameservers_kubeasz_zh_1010,
    dns_nodelocal_loop_k8s_93379,
    dns_upstream_timeout_coredns_86762,
]
