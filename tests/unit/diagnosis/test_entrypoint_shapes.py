"""Entrypoints that do not exist, whatever the runtime: the crash is the command, not the application."""

import pytest

from pagerless.diagnosis.engine import diagnose
from tests.unit.diagnosis.kube import cstatus, pod, snap, terminated, waiting

pytestmark = pytest.mark.unit
P = "api-6d5f7c9b8-a1"
NODE_MISSING = """node:internal/modules/cjs/loader:1080
  throw err;
  ^

Error: Cannot find module '/app/dist/server.js'
    at Module._resolveFilename (node:internal/modules/cjs/loader:1077:15)
    at node:internal/main/run_main_module:23:47 {
  code: 'MODULE_NOT_FOUND',
  requireStack: []
}

Node.js v18.17.0"""


@pytest.mark.parametrize(
    "log,quote",
    [
        (NODE_MISSING, "Cannot find module '/app/dist/server.js'"),
        ("python: can't open file '/app/main.py': [Errno 2] No such file or directory", "can't open file"),
        ("Error: Could not find or load main class com.acme.Main", "Could not find or load main class"),
        ("/usr/bin/env: 'python': No such file or directory", "/usr/bin/env"),
    ],
)
def test_missing_entrypoints_are_wrong_commands(log, quote):
    crashed = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 2), restarts=5)
    snapshot = snap(pods=[pod(P, statuses=[crashed])], logs={f"shop/{P}/app#previous": log})
    result = diagnose(snapshot)
    assert result.category == "wrong_command_or_entrypoint"
    assert any(quote in e.detail for e in result.evidence)


def test_a_process_that_dies_on_its_database_connection_points_at_the_dependency():
    # Given a crash loop whose previous instance died refusing connections to an external database
    log = "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "/app/main.py", line 9, in <module>',
            "    engine.connect()",
            "psycopg2.OperationalError: could not connect to server: Connection refused",
            '\tIs the server running on host "orders-db.cxyz.eu-west-1.rds.amazonaws.com" and accepting TCP/IP connections '
            "on port 5432?",
        ]
    )
    crashed = cstatus(state=waiting("CrashLoopBackOff"), last=terminated("Error", 1, 2), restarts=6)
    snapshot = snap(pods=[pod(P, statuses=[crashed])], logs={f"shop/{P}/app#previous": log})
    # When it is diagnosed
    result = diagnose(snapshot)
    # Then the dependency is the cause, not the application
    assert result.category == "dependency_unavailable"
    assert any("Connection refused" in e.detail for e in result.evidence)


@pytest.mark.parametrize(
    "message,category",
    [
        (
            "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }. preemption: "
            "0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
            "node_pressure_eviction",
        ),
        (
            "0/2 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: "
            "0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
            "node_not_ready",
        ),
        (
            "0/3 nodes are available: 3 node(s) were unschedulable. preemption: 0/3 nodes are available: "
            "3 Preemption is not helpful for scheduling.",
            "unschedulable_taint_affinity",
        ),
        (
            "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }, "
            "2 Insufficient cpu.",
            "unschedulable_insufficient_resources",
        ),
    ],
)
def test_pending_pods_blame_sick_nodes_not_their_tolerations(message, category):
    from tests.unit.diagnosis.kube import event

    pending = pod(P, phase="Pending", node=None, statuses=[])
    snapshot = snap(pods=[pending], events=[event("shop", "Pod", P, "FailedScheduling", message, count=9)])
    assert diagnose(snapshot).category == category


@pytest.mark.parametrize(
    "message,category",
    [
        (
            'Error creating: pods "checkout-6d5f7c9b8-x" is forbidden: error looking up service account shop/checkout: '
            'serviceaccount "checkout" not found',
            "missing_config_reference",
        ),
        (
            'Error creating: pods "checkout-6d5f7c9b8-x" is forbidden: violates PodSecurity "restricted:latest": '
            'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)',
            "permission_denied",
        ),
        (
            'Error creating: Internal error occurred: failed calling webhook "validate.kyverno.svc-fail": failed to call '
            'webhook: Post "https://kyverno-svc.kyverno.svc:443/validate/fail?timeout=10s": dial tcp 10.96.3.4:443: '
            "connect: connection refused",
            "dependency_unavailable",
        ),
    ],
)
def test_pods_refused_at_admission(message, category):
    from tests.unit.diagnosis.kube import event

    snapshot = snap(
        pods=[], events=[event("shop", "ReplicaSet", "checkout-6d5f7c9b8", "FailedCreate", message, count=12)]
    )
    result = diagnose(snapshot)
    assert result.category == category
    assert any("FailedCreate" in e.detail for e in result.evidence)
