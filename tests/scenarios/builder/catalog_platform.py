"""Scenarios whose cause is the platform: scheduling, storage, nodes, autoscaling, quota, policy."""

from k8s import pvc, running, spec, status, terminated, uid, waiting
from registry import scenario
from world import NODES, World

AT = "2026-03-12T02:07:00Z"


def _pending(
    w: World, ns: str, deploy: str, rev: int, specs: list, index: int, message: str, created_min: float, **kwargs
) -> str:
    conditions = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": None,
            "lastTransitionTime": w.clk.ago(minutes=created_min),
        }
    ]
    p = w.pod(
        ns,
        deploy,
        rev,
        specs,
        [],
        index=index,
        created_min=created_min,
        node=None,
        no_node=True,
        phase="Pending",
        conditions=conditions,
        **kwargs,
    )
    w.event(
        ns,
        "Pod",
        p,
        "FailedScheduling",
        message,
        count=int(created_min // 2) + 1,
        first=created_min,
        last=0.5,
        component="default-scheduler",
    )
    return p


@scenario("unschedulable_insufficient_cpu.json")
def insufficient_cpu() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme/report-generator:2.2.0"
    specs = [spec("generator", img, cpu_req="2", mem_req="4Gi", cpu_lim="2", mem_lim="6Gi")]
    w.deployment("analytics", "report-generator", specs, revision=5, replicas=4, ready=2, rs_created_min=60 * 24 * 3)
    for i in range(2):
        w.pod(
            "analytics",
            "report-generator",
            5,
            specs,
            [status("generator", img, running(clk.ago(days=1)))],
            index=i,
            created_min=60 * 24,
        )
    msg = (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption "
        "victims found for incoming pod."
    )
    for i in (2, 3):
        p = _pending(w, "analytics", "report-generator", 5, specs, i, msg, 18)
        w.event(
            "analytics",
            "Pod",
            p,
            "NotTriggerScaleUp",
            "pod didn't trigger scale-up: 1 max node group size reached",
            type_="Normal",
            count=9,
            first=18,
            last=1,
            component="cluster-autoscaler",
        )
    return w.scenario(
        {
            "title": "MonthEndReportsDelayed",
            "description": "report queue wait p95 > 20 min",
            "severity": "warning",
            "source": "prometheus",
            "labels": {"namespace": "analytics", "deployment": "report-generator"},
        },
        {"category": "unschedulable_insufficient_resources", "evidence_contains": ["Insufficient cpu"]},
    )


@scenario("unschedulable_gpu_node_selector.json")
def taint_affinity() -> dict:
    nodes = ("ip-10-0-1-23.ec2.internal", "ip-10-0-2-117.ec2.internal", "ip-10-0-3-41.ec2.internal", "cp-1")
    w = World(AT, nodes=nodes)
    w.nodes[-1]["spec"]["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    w.noise()
    img = "nvcr.io/acme/model-server:24.02"
    specs = [spec("triton", img, port=8000, cpu_req="2", mem_req="8Gi", mem_lim="16Gi")]
    extra = {
        "nodeSelector": {"accelerator": "nvidia-tesla-t4"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    }
    w.deployment("ml", "model-server", specs, revision=2, replicas=2, ready=0, rs_created_min=25)
    msg = (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 "
        "node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is "
        "not helpful for scheduling."
    )
    for i in range(2):
        _pending(w, "ml", "model-server", 2, specs, i, msg, 25, extra_spec=extra)
    w.deploys = [
        {
            "service": "model-server",
            "namespace": "ml",
            "image": img,
            "actor": "mlops",
            "commit_sha": "e1e1e1e",
            "timestamp": w.clk.ago(minutes=25),
        }
    ]
    return w.scenario(
        {
            "title": "模型服务无可用副本",
            "description": "ml/model-server 可用副本为 0",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "ml", "deployment": "model-server"},
        },
        {
            "category": "unschedulable_taint_affinity",
            "evidence_contains": ["didn't match Pod's node affinity/selector"],
        },
    )


@scenario("pvc_unbound_storageclass_missing.json")
def pvc_unbound() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "docker.io/clickhouse/clickhouse-server:24.2"
    specs = [spec("clickhouse", img, port=8123, mounts=[{"name": "data", "mountPath": "/var/lib/clickhouse"}])]
    vols = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-clickhouse-0"}}]
    cond = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "lastProbeTime": None,
            "message": "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 "
            "nodes are available: 3 Preemption is not helpful for scheduling.",
            "lastTransitionTime": clk.ago(minutes=21),
        }
    ]
    w.pods.append(
        w.pod_object(
            "data",
            "clickhouse-0",
            specs=specs,
            statuses=[],
            created=clk.ago(minutes=21),
            node=None,
            owner=("StatefulSet", "clickhouse"),
            labels={"app": "clickhouse", "statefulset.kubernetes.io/pod-name": "clickhouse-0"},
            phase="Pending",
            volumes=vols,
            conditions=cond,
        )
    )
    w.event(
        "data",
        "Pod",
        "clickhouse-0",
        "FailedScheduling",
        cond[0]["message"],
        count=11,
        first=21,
        last=1,
        component="default-scheduler",
    )
    w.pvcs.append(
        pvc(
            "data-clickhouse-0",
            "data",
            phase="Pending",
            storage_class="gp3-encrypted",
            size="200Gi",
            created=clk.ago(minutes=21),
        )
    )
    w.pvcs.append(
        pvc("data-kafka-0", "data", phase="Bound", storage_class="gp3", size="500Gi", created=clk.ago(days=60))
    )
    w.event(
        "data",
        "PersistentVolumeClaim",
        "data-clickhouse-0",
        "ProvisioningFailed",
        'storageclass.storage.k8s.io "gp3-encrypted" not found',
        count=86,
        first=21,
        last=0.2,
        component="persistentvolume-controller",
    )
    return w.scenario(
        {
            "title": "ClickHouseReplicaDown",
            "description": "clickhouse replica count 0/1",
            "severity": "critical",
            "source": "alertmanager",
            "labels": {"namespace": "data", "statefulset": "clickhouse"},
        },
        {"category": "pvc_unbound", "evidence_contains": ["gp3-encrypted", "not found"]},
    )


@scenario("node_not_ready_cart_latency.json")
def node_not_ready() -> dict:
    bad = NODES[1]
    w = World(AT)
    clk = w.clk
    w.nodes[1] = w.node(
        bad,
        ready="Unknown",
        ready_reason="NodeStatusUnknown",
        ready_msg="Kubelet stopped posting node status.",
        since=clk.ago(minutes=8),
        taints=[
            {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": clk.ago(minutes=8)},
            {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": clk.ago(minutes=7)},
        ],
    )
    w.noise()
    img = "ghcr.io/acme/cart:3.3.1"
    specs = [spec("cart", img)]
    w.deployment("shop", "cart", specs, revision=8, replicas=3, ready=1, rs_created_min=60 * 24 * 4)
    for i in range(3):
        on_bad = i < 2
        p = w.pod(
            "shop",
            "cart",
            8,
            specs,
            [status("cart", img, running(clk.ago(days=4)), ready=not on_bad)],
            index=i,
            created_min=60 * 24 * 4,
            node=bad if on_bad else NODES[0],
        )
        if on_bad:
            w.event(
                "shop",
                "Pod",
                p,
                "NodeNotReady",
                "Node is not ready",
                count=1,
                first=7,
                last=7,
                component="node-controller",
            )
            w.pods[-1]["status"]["conditions"][2].update({"status": "False", "lastTransitionTime": clk.ago(minutes=7)})
    w.event(
        "",
        "Node",
        bad,
        "NodeNotReady",
        f"Node {bad} status is now: NodeNotReady",
        count=1,
        first=8,
        last=8,
        component="node-controller",
    )
    w.healthy("shop", "cart-redis", "docker.io/library/redis:7.2.4", replicas=1, port=6379)
    return w.scenario(
        {
            "title": "CartServiceLatencyHigh",
            "description": "cart p99 latency 4.1s (SLO 800ms)",
            "severity": "high",
            "source": "datadog",
            "labels": {"namespace": "shop", "service": "cart"},
        },
        {"category": "node_not_ready", "evidence_contains": ["Kubelet stopped posting node status"]},
    )


def _evicted(w: World, ns: str, deploy: str, rev: int, specs: list, index: int, message: str, node_name: str) -> str:
    img = specs[0]["image"]
    st = status(specs[0]["name"], img, terminated("Error", 137, w.clk.ago(hours=3), w.clk.ago(minutes=9)), ready=False)
    p = w.pod(
        ns,
        deploy,
        rev,
        specs,
        [st],
        index=index,
        created_min=60 * 3,
        node=node_name,
        phase="Failed",
        reason="Evicted",
        message=message,
    )
    w.event(ns, "Pod", p, "Evicted", message, first=9, last=9)
    w.event(ns, "Pod", p, "Killing", f"Stopping container {specs[0]['name']}", type_="Normal", first=9, last=9)
    return p


@scenario("node_disk_pressure_eviction.json")
def disk_pressure() -> dict:
    w = World(AT)
    clk = w.clk
    w.nodes[2] = w.node(
        NODES[2],
        pressure={"DiskPressure": clk.ago(minutes=11)},
        taints=[{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule", "timeAdded": clk.ago(minutes=11)}],
    )
    w.noise()
    img = "ghcr.io/acme/thumbnailer:1.9.0"
    specs = [spec("thumbnailer", img, mounts=[{"name": "scratch", "mountPath": "/scratch"}])]
    w.deployment("media", "thumbnailer", specs, revision=4, replicas=3, ready=1, rs_created_min=60 * 24 * 9)
    for i in range(2):
        msg = (
            "The node was low on resource: ephemeral-storage. Threshold quantity: 4281126156, available: "
            f"{3896508 - i * 1000}Ki. Container thumbnailer was using {18342564 + i * 7}Ki, request is 0, has "
            "larger consumption of ephemeral-storage. "
        )
        _evicted(w, "media", "thumbnailer", 4, specs, i, msg, NODES[2])
    for i in range(2, 5):  # replacements scheduled on the other nodes run fine
        w.pod(
            "media",
            "thumbnailer",
            4,
            specs,
            [status("thumbnailer", img, running(clk.ago(minutes=8)))],
            index=i,
            created_min=8 if i < 4 else 60 * 24,
            node=NODES[i % 2],
        )
    w.event(
        "",
        "Node",
        NODES[2],
        "EvictionThresholdMet",
        "Attempting to reclaim ephemeral-storage",
        count=3,
        first=11,
        last=9,
        host=NODES[2],
    )
    w.event(
        "",
        "Node",
        NODES[2],
        "NodeHasDiskPressure",
        f"Node {NODES[2]} status is now: NodeHasDiskPressure",
        type_="Normal",
        first=11,
        last=11,
        host=NODES[2],
    )
    return w.scenario(
        {
            "title": "ThumbnailQueueLagHigh",
            "description": "thumbnail jobs waiting > 15 min",
            "severity": "warning",
            "source": "prometheus",
            "labels": {"namespace": "media", "deployment": "thumbnailer"},
        },
        {"category": "node_pressure_eviction", "evidence_contains": ["low on resource: ephemeral-storage"]},
    )


@scenario("node_memory_pressure_eviction_exit137.json")
def memory_pressure() -> dict:
    w = World(AT)
    clk = w.clk
    w.nodes[0] = w.node(
        NODES[0],
        pressure={"MemoryPressure": clk.ago(minutes=13)},
        taints=[
            {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule", "timeAdded": clk.ago(minutes=13)}
        ],
    )
    w.noise()
    img = "harbor.example.cn/reco/recommender:2.7.5"
    specs = [spec("recommender", img, mem_req="1Gi", mem_lim=None)]
    w.deployment("reco", "recommender", specs, revision=3, replicas=2, ready=1, rs_created_min=60 * 24 * 15)
    msg = (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91340Ki. Container "
        "recommender was using 5123452Ki, request is 1Gi, has larger consumption of memory. "
    )
    _evicted(w, "reco", "recommender", 3, specs, 0, msg, NODES[0])
    w.pod(
        "reco",
        "recommender",
        3,
        specs,
        [status("recommender", img, running(clk.ago(minutes=8)))],
        index=1,
        created_min=8,
        node=NODES[1],
    )
    w.event(
        "",
        "Node",
        NODES[0],
        "EvictionThresholdMet",
        "Attempting to reclaim memory",
        count=2,
        first=13,
        last=9,
        host=NODES[0],
    )
    return w.scenario(
        {
            "title": "推荐服务成功率下降",
            "description": "recommender 请求成功率低于 95%（exit code 137）",
            "severity": "high",
            "source": "grafana",
            "labels": {"namespace": "reco", "service": "recommender"},
        },
        {"category": "node_pressure_eviction", "evidence_contains": ["low on resource: memory"]},
    )


@scenario("hpa_maxed_out_search_latency.json")
def hpa_maxed() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme/search-api:9.0.4"
    specs = [spec("api", img, cpu_req="1", cpu_lim="2", mem_lim="2Gi")]
    w.deployment("search", "search-api", specs, revision=15, replicas=10, ready=10, rs_created_min=60 * 24 * 5)
    for i in range(10):
        w.pod(
            "search",
            "search-api",
            15,
            specs,
            [status("api", img, running(clk.ago(minutes=40 - i)))],
            index=i,
            created_min=40 - i if i > 2 else 60 * 24 * 5,
        )
    w.hpas.append(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {
                "name": "search-api",
                "namespace": "search",
                "uid": uid("hpa-search"),
                "creationTimestamp": clk.ago(days=100),
            },
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "search-api"},
                "minReplicas": 3,
                "maxReplicas": 10,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                    }
                ],
            },
            "status": {
                "currentReplicas": 10,
                "desiredReplicas": 10,
                "lastScaleTime": clk.ago(minutes=31),
                "currentMetrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "current": {"averageUtilization": 186, "averageValue": "1862m"}},
                    }
                ],
                "conditions": [
                    {
                        "type": "AbleToScale",
                        "status": "True",
                        "reason": "ReadyForNewScale",
                        "message": "recommended size matches current size",
                        "lastTransitionTime": clk.ago(minutes=31),
                    },
                    {
                        "type": "ScalingActive",
                        "status": "True",
                        "reason": "ValidMetricFound",
                        "message": "the HPA was able to successfully calculate a replica count from cpu resource "
                        "utilization (percentage of request)",
                        "lastTransitionTime": clk.ago(days=100),
                    },
                    {
                        "type": "ScalingLimited",
                        "status": "True",
                        "reason": "TooManyReplicas",
                        "message": "the desired replica count is more than the maximum replica count",
                        "lastTransitionTime": clk.ago(minutes=29),
                    },
                ],
            },
        }
    )
    return w.scenario(
        {
            "title": "SearchApiLatencyHigh",
            "description": "search p95 latency 2.8s for 15m",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "search", "service": "search-api"},
        },
        {"category": "hpa_maxed_out", "evidence_contains": ["TooManyReplicas", "averageUtilization=186%"]},
    )


@scenario("resource_quota_exceeded_scale_up.json")
def quota() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "ghcr.io/acme/batch-api:1.12.0"
    specs = [spec("api", img, mem_req="512Mi", mem_lim="1Gi")]
    cond = [
        {
            "type": "Available",
            "status": "True",
            "reason": "MinimumReplicasAvailable",
            "message": "Deployment has minimum availability.",
            "lastTransitionTime": clk.ago(days=3),
            "lastUpdateTime": clk.ago(days=3),
        },
        {
            "type": "ReplicaFailure",
            "status": "True",
            "reason": "FailedCreate",
            "message": 'pods "batch-api-59d7b8c4f6-w2xkq" is forbidden: exceeded quota: team-alpha-quota, requested: '
            "limits.memory=1Gi, used: limits.memory=7680Mi, limited: limits.memory=8Gi",
            "lastTransitionTime": clk.ago(minutes=14),
            "lastUpdateTime": clk.ago(minutes=14),
        },
    ]
    h = w.deployment("team-alpha", "batch-api", specs, revision=6, replicas=6, ready=2, conditions=cond)
    for i in range(2):
        w.pod(
            "team-alpha",
            "batch-api",
            6,
            specs,
            [status("api", img, running(clk.ago(days=3)))],
            index=i,
            created_min=60 * 24 * 3,
        )
    w.event(
        "team-alpha",
        "ReplicaSet",
        f"batch-api-{h}",
        "FailedCreate",
        f'Error creating: pods "batch-api-{h}-w2xkq" is forbidden: exceeded quota: team-alpha-quota, requested: '
        "limits.memory=1Gi, used: limits.memory=7680Mi, limited: limits.memory=8Gi",
        count=27,
        first=14,
        last=0.5,
        component="replicaset-controller",
    )
    w.event(
        "team-alpha",
        "Deployment",
        "batch-api",
        "ScalingReplicaSet",
        f"Scaled up replica set batch-api-{h} to 6 from 2",
        type_="Normal",
        first=14,
        last=14,
        component="deployment-controller",
    )
    return w.scenario(
        {
            "title": "BatchJobsBacklog",
            "description": "pending batch jobs > 1000",
            "severity": "warning",
            "source": "prometheus",
            "labels": {"namespace": "team-alpha", "deployment": "batch-api"},
        },
        {"category": "resource_quota_exceeded", "evidence_contains": ["exceeded quota: team-alpha-quota"]},
    )


@scenario("volume_full_postgres_wal.json")
def volume_full() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    pg = "docker.io/library/postgres:16.2"
    specs = [spec("postgres", pg, port=5432, mounts=[{"name": "data", "mountPath": "/var/lib/postgresql/data"}])]
    st = status(
        "postgres",
        pg,
        waiting("CrashLoopBackOff", "back-off 1m20s restarting failed container=postgres"),
        last=terminated("Error", 1, clk.ago(minutes=2), clk.ago(minutes=1.5)),
        ready=False,
        restarts=5,
    )
    w.pods.append(
        w.pod_object(
            "orders",
            "postgres-0",
            specs=specs,
            statuses=[st],
            created=clk.ago(days=30),
            node=NODES[1],
            owner=("StatefulSet", "postgres"),
            labels={"app": "postgres"},
            volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-postgres-0"}}],
        )
    )
    w.pvcs.append(
        pvc("data-postgres-0", "orders", phase="Bound", storage_class="gp3", size="50Gi", created=clk.ago(days=30))
    )
    w.log(
        "orders",
        "postgres-0",
        "postgres",
        "\n".join(
            [
                "2026-03-12 02:05:31.214 UTC [1] LOG:  database system was interrupted; last known up at 2026-03-12 02:01:07 UTC",
                "2026-03-12 02:05:31.388 UTC [1] LOG:  redo starts at 3A/1F0001C8",
                '2026-03-12 02:05:32.007 UTC [1] PANIC:  could not write to file "pg_wal/xlogtemp.27": No space left on device',
                "2026-03-12 02:05:32.101 UTC [1] LOG:  startup process (PID 27) was terminated by signal 6: Aborted",
            ]
        ),
        previous=True,
    )
    w.event(
        "orders",
        "Pod",
        "postgres-0",
        "BackOff",
        "Back-off restarting failed container postgres in pod postgres-0_orders",
        count=14,
        first=12,
        last=1,
    )
    img = "ghcr.io/acme/orders-api:7.7.1"
    for p in w.healthy("orders", "orders-api", img, replicas=2):
        w.log(
            "orders",
            p,
            "app",
            "\n".join(
                [
                    f"{clk.log_ts(3)} ERROR [orders-api] HikariPool-1 - Exception during pool initialization.",
                    "org.postgresql.util.PSQLException: Connection to postgres:5432 refused. Check that the hostname and port "
                    "are correct and that the postmaster is accepting TCP/IP connections.",
                    f"{clk.log_ts(1)} ERROR [orders-api] POST /orders -> 500 (could not connect to server postgres:5432)",
                ]
            ),
        )
    return w.scenario(
        {
            "title": "OrdersApiErrorBudgetBurn",
            "description": "orders-api burning 14x error budget",
            "severity": "critical",
            "source": "alertmanager",
            "labels": {"namespace": "orders", "service": "orders-api"},
        },
        {"category": "volume_full", "evidence_contains": ["No space left on device"]},
    )


@scenario("network_policy_blocks_redis.json")
def network_policy() -> dict:
    w = World(AT)
    w.noise()
    clk = w.clk
    img = "registry.example.com/payments/payments-api:v2.4.1"
    pods = w.healthy("payments", "payments-api", img, replicas=2)
    for i, p in enumerate(pods):
        w.log(
            "payments",
            p,
            "app",
            "\n".join(
                f'{{"level":"warn","ts":"{clk.log_ts(m, i)}","msg":"cache get failed, falling back to db",'
                '"addr":"redis-cache.payments-cache.svc.cluster.local:6379","error":"dial tcp 172.20.91.4:6379: '
                'i/o timeout","duration_ms":5001}'
                for m in (9, 6, 3, 1)
            ),
        )
    w.healthy("payments-cache", "redis-cache", "docker.io/library/redis:7.2.4", replicas=1, port=6379)
    w.netpols.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "default-deny-ingress",
                "namespace": "payments-cache",
                "uid": uid("np"),
                "creationTimestamp": clk.ago(minutes=12),
                "annotations": {"meta.helm.sh/release-name": "namespace-baseline"},
            },
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        }
    )
    return w.scenario(
        {
            "title": "PaymentsApiLatencyHigh",
            "description": "payments-api p99 above 3s",
            "severity": "high",
            "source": "prometheus",
            "labels": {"namespace": "payments", "deployment": "payments-api", "service": "payments-api"},
        },
        {"category": "network_policy_blocked", "evidence_contains": ["i/o timeout", "default-deny-ingress"]},
    )
