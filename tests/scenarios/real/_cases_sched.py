"""Real incidents, part 1: pods the scheduler cannot place (taints, affinity, spread, resources, PVCs)."""

from _kit import Clock, a_not_ready, a_replicas, a_zh, ev, incident, owners, pvc, wpod


def taint_control_plane_k8s_116133():
    t = "2026-02-28T10:20:00Z"
    clk = Clock(t)
    ns = "default"
    p = "apache-7f6fddb7df-q229r"
    msg = (
        "0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.."
    )
    d, rs = owners(clk, ns, "apache", "7f6fddb7df", "httpd")
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/116133",
        confirmed="Single-node kubeadm v1.26 cluster; the scheduler event names the control-plane taint of the only "
        "node and the pod has no toleration. Triaged as support (expected behaviour), no bug.",
        category="unschedulable_taint_affinity",
        evidence=["untolerated taint"],
        alert=a_not_ready(t, ns, p),
        pods=[wpod(clk, ns, p, image="httpd", state=("pending", msg), age=7)],
        events=[ev(clk, ns, "Pod", p, "FailedScheduling", msg, ago=1, span=5.4, count=2)],
        deployments=d,
        replicasets=rs,
    )


def taint_unreachable_single_node_optscale_568():
    t = "2026-05-14T09:00:00Z"
    clk = Clock(t)
    ns = "default"
    msg = (
        "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    )
    p1, p2 = "ohsu-7ffd6bcb7f-mnsjf", "organization-violations-scheduler-29018065-v4648"
    d, rs = owners(clk, ns, "ohsu", "7ffd6bcb7f", "hystax/ohsu:latest")
    return incident(
        url="https://github.com/hystax/optscale/issues/568",
        confirmed="Every pending pod reports the node.kubernetes.io/unreachable taint that the node controller puts on a "
        "node that stopped reporting; the cluster's only node was unreachable for 39h.",
        category="node_not_ready",
        evidence=["node.kubernetes.io/unreachable"],
        alert=a_replicas(t, ns, "ohsu"),
        pods=[
            wpod(clk, ns, p1, image="hystax/ohsu:latest", state=("pending", msg), age=39 * 60),
            wpod(
                clk,
                ns,
                p2,
                image="hystax/organization_violations:latest",
                kind="Job",
                owner="organization-violations-scheduler-29018065",
                state=("pending", msg),
                age=39 * 60,
            ),
        ],
        events=[
            ev(clk, ns, "Pod", p1, "FailedScheduling", msg, ago=3, span=39 * 60),
            ev(
                clk,
                ns,
                "ReplicaSet",
                "ohsu-7ffd6bcb7f",
                "SuccessfulCreate",
                f"Created pod: {p1}",
                ago=39 * 60,
                warn=False,
                component="replicaset-controller",
            ),
            ev(
                clk,
                ns,
                "Deployment",
                "ohsu",
                "ScalingReplicaSet",
                "Scaled up replica set ohsu-7ffd6bcb7f from 0 to 1",
                ago=39 * 60,
                warn=False,
                component="deployment-controller",
            ),
            ev(clk, ns, "Pod", p2, "FailedScheduling", msg, ago=3, span=39 * 60),
        ],
        deployments=d,
        replicasets=rs,
    )


def insufficient_memory_old_wording_dind_90():
    t = "2026-03-12T08:00:00Z"
    clk = Clock(t)
    ns = "monitoring"
    p = "prometheus-6d7b9c8f5d-4kx2n"
    msg = "0/3 nodes are available: 1 PodToleratesNodeTaints, 3 Insufficient memory."
    d, rs = owners(clk, ns, "prometheus", "6d7b9c8f5d", "prom/prometheus:v2.1.0")
    return incident(
        url="https://github.com/kubernetes-retired/kubeadm-dind-cluster/issues/90",
        confirmed="Maintainer: the Kubernetes error says there is not enough free memory in the cluster for the 2Gi "
        "the prometheus manifest requests; the host machine has too little memory.",
        category="unschedulable_insufficient_resources",
        evidence=["Insufficient memory"],
        alert=a_replicas(t, ns, "prometheus"),
        pods=[wpod(clk, ns, p, image="prom/prometheus:v2.1.0", state=("pending", msg), mem=("2Gi", "2Gi"), age=30)],
        events=[ev(clk, ns, "Pod", p, "FailedScheduling", msg, ago=1, span=25, count=60)],
        deployments=d,
        replicasets=rs,
    )


def insufficient_memory_istio_pilot_13111():
    t = "2026-04-06T11:00:00Z"
    clk = Clock(t)
    ns = "istio-system"
    p = "istio-pilot-5b9c8d7f6c-q7wzt"
    msg = "0/3 nodes are available: 3 Insufficient memory."
    img = "docker.io/istio/pilot:1.1.2"
    d, rs = owners(clk, ns, "istio-pilot", "5b9c8d7f6c", img, "discovery")
    return incident(
        url="https://github.com/istio/istio/issues/13111",
        confirmed="Maintainer: the nodes' memory is already requested by other pods (kubectl describe nodes shows the "
        "requests); another user fixed it by giving the nodes more memory.",
        category="unschedulable_insufficient_resources",
        evidence=["Insufficient memory"],
        alert=a_replicas(t, ns, "istio-pilot"),
        pods=[wpod(clk, ns, p, image=img, cname="discovery", state=("pending", msg), mem=("2048Mi", None), age=31)],
        events=[ev(clk, ns, "Pod", p, "FailedScheduling", msg, ago=2, span=28, count=41)],
        deployments=d,
        replicasets=rs,
    )


def insufficient_memory_minikube_che_14067():
    t = "2026-07-30T15:00:00Z"
    clk = Clock(t)
    ns = "che"
    p = "workspacey6k2ql8fw1t1pbo5.che-jwtproxy-7c9f8d6b5-rw8tn"
    msg = "0/1 nodes are available: 1 Insufficient memory."
    img = "quay.io/eclipse/che-jwtproxy:0.10.0"
    d, rs = owners(clk, ns, "workspacey6k2ql8fw1t1pbo5.che-jwtproxy", "7c9f8d6b5", img, "che-jwtproxy")
    return incident(
        url="https://github.com/eclipse-che/che/issues/14067",
        confirmed="Reporter: deleting minikube and starting it with --memory=8192 solved the issue.",
        category="unschedulable_insufficient_resources",
        evidence=["Insufficient memory"],
        alert=a_not_ready(t, ns, p),
        pods=[
            wpod(clk, ns, p, image=img, cname="che-jwtproxy", state=("pending", msg), mem=("128Mi", "128Mi"), age=16)
        ],
        events=[ev(clk, ns, "Pod", p, "FailedScheduling", msg, ago=1, span=14, count=12)],
        deployments=d,
        replicasets=rs,
    )


def insufficient_memory_preemption_hazelcast_660():
    t = "2026-03-15T12:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "hazelcast-mc-0"
    msg = (
        "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption "
        "victims found for incoming pod."
    )
    return incident(
        url="https://github.com/hazelcast/hazelcast-platform-operator/pull/660",
        confirmed="Merged fix: the Management Center pod requested more memory than the test nodes had free; limiting "
        "its resources made it schedulable.",
        category="unschedulable_insufficient_resources",
        evidence=["Insufficient memory"],
        alert=a_replicas(t, ns, "hazelcast-mc", kind="StatefulSet"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image="hazelcast/management-center:5.2.1",
                cname="hazelcast-mc",
                state=("pending", msg),
                mem=("4Gi", "4Gi"),
                age=20,
            )
        ],
        events=[ev(clk, ns, "Pod", p, "FailedScheduling", msg, ago=1, span=18, count=9)],
    )


def node_selector_mismatch_klotho_553():
    t = "2026-04-26T17:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "users-5c9d7f8b6-hx4qz"
    msg = (
        "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are "
        "available: 4 Preemption is not helpful for scheduling."
    )
    img = "123456789012.dkr.ecr.us-west-2.amazonaws.com/users:latest"
    d, rs = owners(clk, ns, "users", "5c9d7f8b6", img)
    return incident(
        url="https://github.com/klothoplatform/klotho/issues/553",
        confirmed="Bug in the generator: it set the node selectors eks.amazonaws.com/nodegroup=private_t3_xlarge and "
        "network_placement=private, which no node carries (kubectl describe node shows the labels).",
        category="unschedulable_taint_affinity",
        evidence=["node affinity/selector"],
        alert=a_replicas(t, ns, "users"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                state=("pending", msg),
                age=6,
                qos="Guaranteed",
                node_selector={"eks.amazonaws.com/nodegroup": "private_t3_xlarge", "network_placement": "private"},
            )
        ],
        events=[ev(clk, ns, "Pod", p, "FailedScheduling", msg, ago=5)],
        deployments=d,
        replicasets=rs,
    )


def topology_spread_mixed_karpenter_6447():
    t = "2026-06-20T13:00:00Z"
    clk = Clock(t)
    ns = "default"
    msg = (
        "0/20 nodes are available: 1 node(s) had untolerated taint {windowsContainers: true}, 2 node(s) had "
        "untolerated taint {eks.amazonaws.com/compute-type: fargate}, 4 node(s) didn't match Pod's node "
        "affinity/selector, 4 node(s) didn't match pod anti-affinity rules, 9 node(s) didn't match pod topology "
        "spread constraints. preemption: 0/20 nodes are available: 13 No preemption victims found for incoming "
        "pod, 7 Preemption is not helpful for scheduling."
    )
    img = "public.ecr.aws/nginx/nginx:latest"
    names = ["testapp-5f8b56c8fc-6xcjp", "testapp-5f8b56c8fc-w9kgn", "testapp-5f8b56c8fc-6296k"]
    d, rs = owners(clk, ns, "testapp", "5f8b56c8fc", img, replicas=3)
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "testapp"}},
        }
    ]
    return incident(
        url="https://github.com/aws/karpenter-provider-aws/issues/6447",
        confirmed="The scheduler rejects every node on taints, node affinity, pod anti-affinity and zone topology "
        "spread; the pods stay Pending until the spread constraint can be met in another zone.",
        category="unschedulable_taint_affinity",
        evidence=["topology spread constraints"],
        alert=a_replicas(t, ns, "testapp"),
        pods=[wpod(clk, ns, n, image=img, state=("pending", msg), age=3, topology_spread=spread) for n in names],
        events=[ev(clk, ns, "Pod", n, "FailedScheduling", msg, ago=0) for n in names],
        deployments=d,
        replicasets=rs,
    )


def pvc_no_storage_class_jupyterhub_26943():
    t = "2026-03-08T09:30:00Z"
    clk = Clock(t)
    ns = "jhub"
    p = "hub-5b8d96f64b-qk86l"
    msg = "0/3 nodes are available: 3 pod has unbound immediate PersistentVolumeClaims."
    img = "jupyterhub/k8s-hub:0.10.6"
    d, rs = owners(clk, ns, "hub", "5b8d96f64b", img)
    claim = pvc("hub-db-dir", ns, created=clk(-12), phase="Pending", storage_class=None, size="1Gi")
    claim["spec"].pop("storageClassName")
    return incident(
        url="https://github.com/kubernetes/website/issues/26943",
        confirmed="kubectl describe pvc shows the claim has no StorageClass and there is no PersistentVolume to bind; "
        "the kubeadm cluster on EC2 has no default StorageClass.",
        category="pvc_unbound",
        evidence=["unbound immediate PersistentVolumeClaims"],
        alert=a_replicas(t, ns, "hub"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image=img,
                state=("pending", msg),
                age=12,
                volumes=[{"name": "hub-db-dir", "persistentVolumeClaim": {"claimName": "hub-db-dir"}}],
            )
        ],
        events=[
            ev(clk, ns, "Pod", p, "FailedScheduling", msg, ago=1, span=10, count=11),
            ev(
                clk,
                ns,
                "PersistentVolumeClaim",
                "hub-db-dir",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
                ago=0,
                span=11,
                count=42,
                warn=False,
            ),
        ],
        deployments=d,
        replicasets=rs,
        pvcs=[claim],
    )


def pvc_storageclass_not_found_prometheus_81714():
    t = "2026-08-21T16:00:00Z"
    clk = Clock(t)
    ns = "kube-system"
    p = "prometheus-0"
    claim = pvc("prometheus-data-prometheus-0", ns, created=clk(-7 * 60 - 3), phase="Pending", storage_class="standard")
    return incident(
        url="https://github.com/kubernetes/kubernetes/issues/81714",
        confirmed='The claim names StorageClass "standard", which does not exist in the cluster '
        "(ProvisioningFailed on the PVC); creating the StorageClass binds it.",
        category="pvc_unbound",
        evidence=['"standard" not found'],
        alert=a_replicas(t, ns, "prometheus", kind="StatefulSet"),
        pods=[
            wpod(
                clk,
                ns,
                p,
                image="prom/prometheus:v2.2.1",
                state=("pending", "pod has unbound immediate PersistentVolumeClaims"),
                age=7 * 60,
                volumes=[
                    {"name": "prometheus-data", "persistentVolumeClaim": {"claimName": "prometheus-data-prometheus-0"}}
                ],
            )
        ],
        events=[
            ev(
                clk,
                ns,
                "Pod",
                p,
                "FailedScheduling",
                "pod has unbound immediate PersistentVolumeClaims",
                ago=2,
                span=6 * 60 + 54,
                count=279,
            ),
            ev(
                clk,
                ns,
                "PersistentVolumeClaim",
                "prometheus-data-prometheus-0",
                "ProvisioningFailed",
                'storageclass.storage.k8s.io "standard" not found',
                ago=1,
                span=7 * 60,
                count=1680,
            ),
        ],
        pvcs=[claim],
    )


def pvc_storageclass_not_found_fastdfs_zh_6():
    t = "2026-07-15T10:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "fastdfs-group0-storage0-0"
    claim = pvc("storage0-data-fastdfs-group0-storage0-0", ns, created=clk(-72), phase="Pending", storage_class="fast")
    claim["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"] = "fast"
    pending = wpod(
        clk,
        ns,
        p,
        image="registry.cn-hangzhou.aliyuncs.com/fastdfs/fastdfs:v5.11",
        state=("pending", ""),
        age=72,
        volumes=[
            {"name": "storage0-data", "persistentVolumeClaim": {"claimName": "storage0-data-fastdfs-group0-storage0-0"}}
        ],
    )
    pending["status"]["conditions"][0].pop("message")
    return incident(
        url="https://github.com/ZP-AlwaysWin/K8S-FastDFS/issues/6",
        confirmed='Maintainer (in Chinese): a StorageClass named "fast" has to be created beforehand to provision the '
        "PVCs/PVs.",
        category="pvc_unbound",
        evidence=['"fast" not found'],
        language="zh",
        alert=a_zh(
            t,
            ns,
            "StatefulSet 副本不可用",
            "命名空间 default 中 StatefulSet fastdfs-group0-storage0 可用副本数为 0，持续 15 分钟",
            statefulset="fastdfs-group0-storage0",
        ),
        pods=[pending],
        events=[
            ev(
                clk,
                ns,
                "PersistentVolumeClaim",
                "storage0-data-fastdfs-group0-storage0-0",
                "ProvisioningFailed",
                'storageclass.storage.k8s.io "fast" not found',
                ago=0.2,
                span=71,
                count=39,
            )
        ],
        pvcs=[claim],
    )


def pvc_no_storage_class_consul_48():
    t = "2026-10-25T14:00:00Z"
    clk = Clock(t)
    ns = "default"
    p = "consul-server-0"
    claim = pvc("data-default-consul-server-0", ns, created=clk(-0.2), phase="Pending", storage_class=None)
    claim["spec"].pop("storageClassName")
    pending = wpod(
        clk,
        ns,
        p,
        image="consul:1.3.0",
        state=("pending", ""),
        age=0.2,
        volumes=[{"name": "data-default", "persistentVolumeClaim": {"claimName": "data-default-consul-server-0"}}],
    )
    pending["status"]["conditions"][0].pop("message")
    return incident(
        url="https://github.com/hashicorp/consul-helm/issues/48",
        confirmed="Reporter: the cluster has no PersistentVolumes and no StorageClass; maintainer: the chart relies on "
        "the cluster's default StorageClass, which this cluster lacks.",
        category="pvc_unbound",
        evidence=["no storage class is set"],
        alert=a_replicas(t, ns, "consul-server", kind="StatefulSet"),
        pods=[pending],
        events=[
            ev(
                clk,
                ns,
                "PersistentVolumeClaim",
                "data-default-consul-server-0",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
                ago=0,
                span=0.1,
                count=2,
                warn=False,
            )
        ],
        pvcs=[claim],
    )


CASES = [
    taint_control_plane_k8s_116133,
    taint_unreachable_single_node_optscale_568,
    insufficient_memory_old_wording_dind_90,
    insufficient_memory_istio_pilot_13111,
    insufficient_memory_minikube_che_14067,
    insufficient_memory_preemption_hazelcast_660,
    node_selector_mismatch_klotho_553,
    topology_spread_mixed_karpenter_6447,
    pvc_no_storage_class_jupyterhub_26943,
    pvc_storageclass_not_found_prometheus_81714,
    pvc_storageclass_not_found_fastdfs_zh_6,
    pvc_no_storage_class_consul_48,
]
