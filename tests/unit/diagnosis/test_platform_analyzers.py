import pytest

from pagerless.diagnosis.analyzers import nodes, probes, scaling, scheduling, storage
from tests.unit.diagnosis.kube import cspec, cstatus, event, node, pod, running, snap, terminated

pytestmark = pytest.mark.unit
P = "checkout-6d5f7c9b8-a1"


def pending(name: str = P, **kwargs) -> dict:
    return pod(name, statuses=[], specs=[cspec()], phase="Pending", node=None, **kwargs)


@pytest.mark.parametrize(
    "message,category",
    [
        ("0/3 nodes are available: 3 Insufficient memory.", "unschedulable_insufficient_resources"),
        (
            "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
            "3 Insufficient cpu.",
            "unschedulable_insufficient_resources",
        ),
        ("0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: gpu}.", "unschedulable_taint_affinity"),
        (
            "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector.",
            "unschedulable_taint_affinity",
        ),
    ],
)
def test_scheduler_message_decides_capacity_versus_constraints(message, category):
    # Given a Pending pod and the scheduler's FailedScheduling message
    snapshot = snap(pods=[pending()], events=[event("shop", "Pod", P, "FailedScheduling", message)])
    # When the scheduling analyzer runs
    findings = scheduling.analyze(snapshot)
    # Then the category follows what ruled out most nodes (control-plane taints do not count)
    assert [f.category for f in findings] == [category]
    assert message in findings[0].evidence[0].detail


def test_the_newest_scheduler_message_decides_when_the_reason_changed():
    # Given a pod Pending for 40 minutes: short of memory at first, and now (its nodeSelector's node pool was
    # scaled away) on no node that matches its nodeSelector; the API lists the newer event first
    events = [
        event(
            "shop",
            "Pod",
            P,
            "FailedScheduling",
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
            minutes_ago=1,
        ),
        event("shop", "Pod", P, "FailedScheduling", "0/3 nodes are available: 3 Insufficient memory.", minutes_ago=30),
    ]
    # When the scheduling analyzer runs, whatever order the events come in
    for order in (events, events[::-1]):
        findings = scheduling.analyze(snap(pods=[pending()], events=order))
        # Then the current reason is the finding, quoting the newest message
        assert [f.category for f in findings] == ["unschedulable_taint_affinity"]
        assert "node affinity/selector" in findings[0].evidence[0].detail


def test_unbound_claim_belongs_to_storage_not_scheduling():
    # Given a Pending pod waiting on a claim whose StorageClass does not exist
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data-0"}}]
    msg = "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
    snapshot = snap(
        pods=[pending(volumes=volumes)],
        events=[
            event("shop", "Pod", P, "FailedScheduling", msg),
            event(
                "shop",
                "PersistentVolumeClaim",
                "data-0",
                "ProvisioningFailed",
                'storageclass.storage.k8s.io "fast" not found',
            ),
        ],
        pvcs=[
            {
                "metadata": {"name": "data-0", "namespace": "shop"},
                "spec": {"storageClassName": "fast"},
                "status": {"phase": "Pending"},
            }
        ],
    )
    # When both analyzers run
    # Then scheduling stays silent and storage reports pvc_unbound citing the StorageClass
    assert scheduling.analyze(snapshot) == []
    findings = storage.analyze(snapshot)
    assert [f.category for f in findings] == ["pvc_unbound"]
    assert any('"fast" not found' in e.detail for e in findings[0].evidence)


def test_failed_mount_is_a_volume_mount_failure():
    # Given a pod stuck in ContainerCreating with FailedMount events
    snapshot = snap(
        pods=[pending()],
        events=[
            event(
                "shop", "Pod", P, "FailedMount", 'MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found'
            )
        ],
    )
    # When the storage analyzer runs
    findings = storage.analyze(snapshot)
    # Then it is volume_mount_failure and the fix is the missing ConfigMap
    assert [f.category for f in findings] == ["volume_mount_failure"]
    assert findings[0].remediations == ["fix_config"]


def test_readiness_failing_without_restarts():
    # Given a running, unready container with readiness probe failures and no restarts
    status = cstatus(state=running(100), ready=False)
    snapshot = snap(
        pods=[pod(P, statuses=[status])],
        events=[
            event(
                "shop",
                "Pod",
                P,
                "Unhealthy",
                "Readiness probe failed: HTTP probe failed with statuscode: 503",
                count=40,
            )
        ],
    )
    # When the probes analyzer runs
    findings = probes.analyze(snapshot)
    # Then it is readiness_probe_failure
    assert [f.category for f in findings] == ["readiness_probe_failure"]


def test_a_probe_event_is_matched_to_its_container_by_field_path_in_a_pod_with_a_sidecar():
    # Given an unready app container beside a ready istio sidecar, and a probe event the kubelet attributes to
    # the app by fieldPath only (its message names no container; the sidecar's names the app's /api path)
    statuses = [cstatus("api", state=running(100), ready=False), cstatus("istio-proxy", image="istio/proxyv2:1.20")]
    specs = [
        cspec("api", readinessProbe={"httpGet": {"path": "/ready", "port": 8080}}),
        cspec("istio-proxy", image="istio/proxyv2:1.20", readinessProbe={"httpGet": {"port": 15021}}),
    ]
    app_probe = event("shop", "Pod", P, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503")
    app_probe["involvedObject"]["fieldPath"] = "spec.containers{api}"
    sidecar_probe = event(
        "shop", "Pod", P, "Unhealthy", 'Readiness probe failed: Get "http://10.1.2.3:15021/api/ready": EOF', count=2
    )
    sidecar_probe["involvedObject"]["fieldPath"] = "spec.containers{istio-proxy}"
    snapshot = snap(pods=[pod(P, statuses=statuses, specs=specs)], events=[sidecar_probe, app_probe])
    # When the probes analyzer runs
    findings = probes.analyze(snapshot)
    # Then the app's readiness failure cites the app's own probe event
    assert [f.category for f in findings] == ["readiness_probe_failure"]
    assert findings[0].evidence[0].detail == "Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503"
    assert findings[0].confidence == 0.7


def test_liveness_killing_a_slow_starter_is_not_mistaken_for_oom():
    # Given exit 137 (not OOMKilled), liveness kills, a 10 s initial delay and no startupProbe
    live = {
        "httpGet": {"path": "/health", "port": 8080},
        "initialDelaySeconds": 10,
        "periodSeconds": 5,
        "failureThreshold": 3,
    }
    status = cstatus(state=running(1), last=terminated("Error", 137, 2), restarts=6, ready=False)
    snapshot = snap(
        pods=[pod(P, statuses=[status], specs=[cspec(livenessProbe=live)])],
        events=[
            event(
                "shop",
                "Pod",
                P,
                "Killing",
                "Container app failed liveness probe, will be restarted",
                type_="Normal",
                count=6,
            )
        ],
        logs={f"shop/{P}/app": "Started App in 48.2 seconds"},
    )
    # When the probes analyzer runs
    findings = probes.analyze(snapshot)
    # Then it is liveness_probe_misconfigured, with the startup time as evidence
    assert [f.category for f in findings] == ["liveness_probe_misconfigured"]
    assert any("48.2 seconds" in e.detail for e in findings[0].evidence)
    assert findings[0].remediations == ["adjust_probe"]


def test_not_ready_node_names_the_pods_it_strands():
    # Given a node that stopped reporting and a focus pod on it
    snapshot = snap(
        pods=[pod(P, node="node-2")],
        nodes=[node("node-2", ready="Unknown", message="Kubelet stopped posting node status.")],
    )
    # When the nodes analyzer runs
    findings = nodes.analyze(snapshot)
    # Then it reports node_not_ready targeting the node and listing the pod
    assert [f.category for f in findings] == ["node_not_ready"]
    assert findings[0].target["kind"] == "Node" and P in findings[0].target["pods"]


def test_evicted_pods_under_disk_pressure():
    # Given a pod evicted for ephemeral-storage on a node with DiskPressure
    msg = "The node was low on resource: ephemeral-storage. Container app was using 18342564Ki, request is 0."
    evicted = pod(
        P,
        phase="Failed",
        reason="Evicted",
        message=msg,
        node="node-3",
        statuses=[cstatus(state=terminated("Error", 137, 9), ready=False)],
    )
    snapshot = snap(pods=[evicted], nodes=[node("node-3", pressure=("DiskPressure",))])
    # When the nodes analyzer runs
    findings = nodes.analyze(snapshot)
    # Then it is node_pressure_eviction with the disk remediations
    assert [f.category for f in findings] == ["node_pressure_eviction"]
    assert "clean_node_disk" in findings[0].remediations
    assert any("DiskPressure" in e.source for e in findings[0].evidence)


def test_an_evicted_pod_left_over_from_days_ago_is_not_a_cause():
    # Given a Failed/Evicted pod whose eviction happened three days ago, and no Evicted event
    msg = "The node was low on resource: memory."
    stale = pod(
        P,
        phase="Failed",
        reason="Evicted",
        message=msg,
        statuses=[cstatus(state=terminated("Error", 137, 60 * 72), ready=False)],
    )
    # When the nodes analyzer runs
    # Then nothing is reported
    assert nodes.analyze(snap(pods=[stale])) == []


def test_hpa_pinned_at_max_with_hot_cpu():
    # Given an HPA at maxReplicas with CPU far above target
    hpa = {
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "checkout"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 60}}}],
        },
        "status": {
            "currentReplicas": 6,
            "desiredReplicas": 6,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 140}}}
            ],
        },
    }
    # When the scaling analyzer runs
    findings = scaling.analyze(snap(pods=[pod(P)], hpas=[hpa]))
    # Then it is hpa_maxed_out targeting the workload
    assert [f.category for f in findings] == ["hpa_maxed_out"]
    assert findings[0].target["workload"] == "checkout"


def test_hpa_at_max_but_under_target_is_fine():
    # Given an HPA at maxReplicas whose utilization is on target
    hpa = {
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "checkout"},
            "maxReplicas": 4,
            "targetCPUUtilizationPercentage": 70,
        },
        "status": {"currentReplicas": 4, "currentCPUUtilizationPercentage": 65},
    }
    # Then nothing is reported
    assert scaling.analyze(snap(pods=[pod(P)], hpas=[hpa])) == []


def test_quota_rejections_on_the_replicaset():
    # Given FailedCreate events for exceeded quota on the workload's ReplicaSet
    msg = 'Error creating: pods "checkout-6d5f7c9b8-zz" is forbidden: exceeded quota: q, requested: cpu=1'
    snapshot = snap(pods=[pod(P)], events=[event("shop", "ReplicaSet", "checkout-6d5f7c9b8", "FailedCreate", msg)])
    # When the scaling analyzer runs
    findings = scaling.analyze(snapshot)
    # Then it is resource_quota_exceeded on the Deployment
    assert [f.category for f in findings] == ["resource_quota_exceeded"]
    assert findings[0].target["workload"] == "checkout"


def test_evictions_of_pods_already_deleted_are_read_from_their_events():
    # Given no pod objects left, but Evicted events for two pods of checkout and a node under MemoryPressure
    msg = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91340Ki."
    events = [event("shop", "Pod", f"checkout-6d5f7c9b8-{s}", "Evicted", msg) for s in ("x2k4p", "q9wz7")]
    snapshot = snap(pods=[], events=events, nodes=[node("node-1", pressure=("MemoryPressure",))])
    # When the nodes analyzer runs
    findings = nodes.analyze(snapshot)
    # Then one node_pressure_eviction finding names the workload and cites the node's condition
    assert [f.category for f in findings] == ["node_pressure_eviction"]
    assert findings[0].target["workload"] == "checkout"
    assert any("MemoryPressure" in e.source for e in findings[0].evidence)
