"""The built-in runbooks. They are version 1 of their id; a custom runbook may not take their ids."""

from pagerless.runbooks.models import Runbook

_HEALTHY = {
    "check": "workload_healthy",
    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
    "max_attempts": 5,
    "interval_seconds": 15,
}
_PODS = {"check": "pods_running", "params": {"namespace": "{namespace}", "deployment": "{deployment}"}}
# it records the pods' state before the fix of that very state (none Ready in a crash loop): it does not gate
_INSPECT = {"name": "Inspect the pods", "kind": "check", "check": _PODS, "on_fail": "continue"}
_REVISION = {"check": "deployment_revision", "params": {"namespace": "{namespace}", "deployment": "{deployment}"}}
_UNDO = {"action": "rollback_deployment", "params": {"namespace": "{namespace}", "deployment": "{deployment}"}}

_DEFINITIONS = [
    {
        "id": "oom-recovery",
        "name": "OOMKilled recovery",
        "description": "Raise the memory limit of the container that was OOMKilled, then watch the rollout; "
        "undo the rollout if the pods do not settle.",
        "match": {
            "alert_types": ["oom_killed", "OOMKilled", "KubePodOOMKilled", "memory_limit"],
            "keywords": ["oom", "oomkilled", "out of memory", "内存"],
        },
        "risk_level": "confirm",
        "safety_checks": ["require_namespace"],
        "steps": [
            _INSPECT,
            {
                "name": "Raise the memory limit",
                "kind": "action",
                "action": {
                    "action": "patch_resources",
                    "params": {
                        "namespace": "{namespace}",
                        "deployment": "{deployment}",
                        "container": "{container}",
                        "memory_limit": "{memory_limit}",
                    },
                },
                "verify": _HEALTHY,
                "rollback": _UNDO,
            },
        ],
    },
    {
        "id": "crashloop-triage",
        "name": "CrashLoopBackOff triage",
        "description": "Record the pods' state and the running revision, then restart the Deployment and check "
        "that the pods stay up.",
        "match": {
            "alert_types": ["crash_loop", "CrashLoopBackOff", "KubePodCrashLooping", "application_crash"],
            "keywords": ["crashloop", "crashloopbackoff", "back-off restarting"],
        },
        "risk_level": "confirm",
        "safety_checks": ["require_namespace"],
        "steps": [
            _INSPECT,
            {"name": "Record the revision", "kind": "check", "check": _REVISION},
            {
                "name": "Rollout restart",
                "kind": "action",
                "action": {
                    "action": "rollout_restart",
                    "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
                },
                "verify": _HEALTHY,
            },
        ],
    },
    {
        "id": "bad-deploy-rollback",
        "name": "Roll back a bad deploy",
        "description": "Roll the Deployment back to its previous revision and check the rollout; roll forward "
        "again if the old revision is not healthy either.",
        "match": {
            "alert_types": ["bad_deploy", "image_pull", "config_error", "KubeDeploymentReplicasMismatch"],
            "keywords": ["deploy", "rollout", "release", "发布"],
        },
        "risk_level": "confirm",
        "safety_checks": ["require_namespace"],
        "steps": [
            {"name": "Record the revision", "kind": "check", "check": _REVISION},
            {"name": "Roll back", "kind": "action", "action": _UNDO, "verify": _HEALTHY, "rollback": _UNDO},
        ],
    },
    {
        "id": "node-drain",
        "name": "Drain a failing node",
        "description": "Drain the node as kubectl drain --ignore-daemonsets does: cordon it, evict every pod on it "
        "through the Eviction API (PodDisruptionBudgets hold; DaemonSet and mirror pods stay), check that "
        "nothing evictable is left; on failure, uncordon a node the drain cordoned (one already cordoned stays so).",
        "match": {
            "alert_types": ["node_not_ready", "node_pressure", "KubeNodeNotReady", "NodeDiskPressure"],
            "keywords": ["node", "notready", "disk pressure", "节点"],
        },
        "risk_level": "confirm",
        "steps": [
            {
                "name": "Check the node",
                "kind": "check",
                "check": {"check": "node_ready", "params": {"node": "{node}"}},
                "on_fail": "continue",  # records it: a NotReady node is the one this drains
            },
            {
                "name": "Drain the node",
                "kind": "action",
                "action": {"action": "drain_node", "params": {"node": "{node}"}},
                "verify": {
                    "check": "node_drained",
                    "params": {"node": "{node}"},
                    "max_attempts": 5,
                    "interval_seconds": 15,
                },
                "rollback": {"action": "cordon_node", "params": {"node": "{node}", "unschedulable": False}},
            },
        ],
    },
    {
        "id": "scale-out",
        "name": "Scale out",
        "description": "Add replicas to a saturated Deployment and check that the new pods become Ready; scale "
        "back to the previous count if they do not.",
        "match": {
            "alert_types": ["saturation", "high_latency", "KubeHpaMaxedOut", "cpu_throttling"],
            "keywords": ["latency", "saturation", "cpu", "throttl", "扩容"],
        },
        "risk_level": "confirm",
        "safety_checks": ["require_namespace"],
        "steps": [
            _INSPECT,
            {
                "name": "Scale out",
                "kind": "action",
                "action": {
                    "action": "scale_deployment",
                    "params": {"namespace": "{namespace}", "deployment": "{deployment}", "replicas": "{replicas}"},
                },
                "verify": _HEALTHY,
                "rollback": {
                    "action": "scale_deployment",
                    "params": {
                        "namespace": "{namespace}",
                        "deployment": "{deployment}",
                        "replicas": "{current_replicas}",
                    },
                },
            },
        ],
    },
    {
        "id": "certificate-expiry-check",
        "name": "Certificate expiry check",
        "description": "Read the namespace's TLS secrets and report every certificate that expires within the "
        "given number of days (14 unless the context says `days`). Read-only.",
        "match": {
            "alert_types": ["certificate_expiry", "CertificateExpiry", "SSLCertExpiringSoon"],
            "keywords": ["certificate", "cert", "tls", "ssl", "证书"],
        },
        "risk_level": "auto",
        "steps": [
            {
                "name": "Check certificates",
                "kind": "check",
                "check": {"check": "certificate_expiry", "params": {"namespace": "{namespace}", "days": "{days}"}},
            }
        ],
    },
]

BUILTINS: dict[str, Runbook] = {
    d["id"]: Runbook.model_validate({**d, "source": "builtin", "created_by": "pagerless"}) for d in _DEFINITIONS
}
# seed 002's /workflows ids
WORKFLOW_ALIASES = {
    "oom_recovery": "oom-recovery",
    "crashloop_triage": "crashloop-triage",
    "bad_deploy_rollback": "bad-deploy-rollback",
    "node_drain": "node-drain",
    "scale_out": "scale-out",
    "certificate_expiry_check": "certificate-expiry-check",
}
