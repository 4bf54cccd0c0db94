"""A sandbox Kubernetes API server: a scenario's cluster, in memory, over HTTP on 127.0.0.1.

It speaks the REST paths and JSON of the official ``kubernetes`` Python client for what Pagerless
reads and changes: pods (list, read, logs with ``tailLines`` and ``limitBytes``, delete, eviction),
events, deployments (read, list, patch, ``/scale``), replicasets, statefulsets, daemonsets, jobs and cronjobs
(batch/v1), nodes (patch for cordon), PVCs, HPAs (autoscaling/v2) and PDBs.
Every mutating call honours ``dryRun=All``. Failures are Kubernetes ``Status`` bodies
(400, 403, 404, 405, 409, 415, 422, 429). ``/version`` says ``v1.31.0-sandbox``, and every object
the sandbox creates (pods, ReplicaSets, events) carries ``pagerless.dev/sandbox: "true"``.

The rules that make actions take effect (instantly, no real time passes):

1. A workload fails until the fix for *its* failure is applied. When the scenario loads, each
   Deployment's failure is read from its pods (or from the optional ``sandbox.failures``
   section, ``{"<ns>/<deployment>": {"kind": "oom"|"crash"|"none", "container": ...,
   "memory_needed": "300Mi"}}``):
   - ``oom`` (a container OOMKilled): fixed by a memory limit strictly above the limit it was
     killed at (or ``>= memory_needed``). A restart, eviction, rollout restart or rollback to a
     template with the same limit does NOT fix it: the new pods crash with OOMKilled again.
   - ``crash`` (any other not-Ready pods): fixed by a template whose containers differ in image,
     command, args, env or envFrom (a rollback to the previous ReplicaSet, a new image).
   This is what lets verification tell a fix that worked from one that did not.
2. A changed pod template (rollout restart, resources patch, rollback) creates a new ReplicaSet,
   or revives the older ReplicaSet with an equal template under the next
   ``deployment.kubernetes.io/revision``; the rollout completes at once and old pods are gone.
3. An evicted or deleted pod owned by a ReplicaSet is replaced by a pod with a new name; a bare
   pod stays gone. Deletion is immediate (no grace period). A StatefulSet's pod comes back under its
   name, a DaemonSet's under a new one on the same node, a Job's under a new one while the Job has
   not finished, each Ready, and the workload's status counts its pods again
   (``sandbox.pod_controllers``). CronJobs are served as recorded and never schedule.
4. A new pod is Ready with restartCount 0 unless rule 1's failure still holds for its template; a
   failing pod copies a failing scenario pod's status and logs, with one restart just now (an
   OOM pod: lastState OOMKilled, exit 137; a pod that was Pending stays Pending).
5. Scaling changes ``spec.replicas`` and the pod count (not-Ready and newest pods go first).
   HPAs are served as recorded and never act.
6. Eviction honours PodDisruptionBudgets (scenario ``pdbs``, in ``cluster`` or at the top): a
   Ready pod goes only if ready pods minus the budget's desired healthy count is at least 1; a
   not-Ready pod only if the budget is met or ``unhealthyPodEvictionPolicy: AlwaysAllow``.
   Otherwise: 429 "Cannot evict pod as it would violate the pod's disruption budget."
7. Cordon sets ``spec.unschedulable``; running pods stay, new pods go to other Ready,
   schedulable nodes, or stay Pending when none is left. A recording without Node objects gets
   one Ready, schedulable Node per ``spec.nodeName`` its pods name (labelled
   ``pagerless.dev/sandbox: "true"``); one whose pods name no node schedules on ``sandbox-node-1``.
8. Patches: strategic merge (merge keys for containers, env, ports, volumes...), JSON merge and
   JSON patch. A ``metadata.resourceVersion`` in a patch that is not current → 409; requests
   above limits or negative replicas → 422.
"""

import copy
import json
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pagerless.kube.annotations import REVISION
from pagerless.local.sandbox.controller import HASH_LABEL, owned_replicasets, pods_of
from pagerless.local.sandbox.failures import detect_failure
from pagerless.local.sandbox.http import SandboxServer
from pagerless.local.sandbox.store import SANDBOX_LABEL, ClusterState, now_iso
from pagerless.local.sandbox.timeshift import shift_scenario

__all__ = ["SANDBOX_LABEL", "SandboxCluster"]


class SandboxCluster:
    """A scenario's cluster served over HTTP; ``start()`` it, point a client at ``base_url``."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        self.time_offset = timedelta(0)  # how far the recording's times were moved (see from_scenario)

    @classmethod
    def from_scenario(cls, scenario: str | Path | dict[str, Any], *, now: datetime | None = None) -> "SandboxCluster":
        """Load a scenario file (or its parsed dict) in the diagnosis scenario format.

        With ``now``, the recording's times are moved so that its alert started at ``now``
        (see `timeshift`): what `pagerless dev --sandbox` does, so an alert sent today finds
        the recording fresh.
        """
        data = scenario if isinstance(scenario, dict) else json.loads(Path(scenario).read_text("utf-8"))
        offset = timedelta(0)
        if now is not None:
            data, offset = shift_scenario(data, now)
        cluster = data.get("cluster", {})
        state = ClusterState()
        state.load(cluster, cluster.get("pdbs") or data.get("pdbs"))
        synthesize_nodes(state)
        overrides = (data.get("sandbox") or {}).get("failures") or {}
        for deployment in state.list("deployments"):
            namespace, name = deployment["metadata"]["namespace"], deployment["metadata"]["name"]
            pods = _align_current_replicaset(state, deployment)
            failure = detect_failure(state, deployment, pods, overrides.get(f"{namespace}/{name}"))
            if failure:
                state.failures[(namespace, name)] = failure
        cluster = cls(state)
        cluster.time_offset = offset
        return cluster

    def start(self) -> str:
        """Serve on 127.0.0.1 on a free port, in a daemon thread; returns the base URL."""
        if self._server is None:
            self._server = SandboxServer(("127.0.0.1", 0), self.state)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-cluster", daemon=True
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> "SandboxCluster":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox cluster is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def kubeconfig_path(self, context: str = "pagerless-sandbox") -> str:
        """Write a kubeconfig (JSON, which is YAML) whose ``context`` points at this server."""
        if self._tmpdir is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="pagerless-sandbox-")
        path = Path(self._tmpdir.name) / "kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": context,
            "clusters": [{"name": context, "cluster": {"server": self.base_url}}],
            "users": [{"name": context, "user": {"token": "sandbox-token"}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        }
        path.write_text(json.dumps(config, indent=2), "utf-8")
        return str(path)

    # direct state access for tests; copies, so a test cannot change the cluster by accident
    def pods(self, namespace: str | None = None) -> list[dict]:
        with self._lock():
            return copy.deepcopy(self.state.list("pods", namespace))

    def pod(self, namespace: str, name: str) -> dict | None:
        with self._lock():
            return copy.deepcopy(self.state.find("pods", namespace, name))

    def deployment(self, namespace: str, name: str) -> dict | None:
        with self._lock():
            return copy.deepcopy(self.state.find("deployments", namespace, name))

    def replicasets(self, namespace: str | None = None) -> list[dict]:
        with self._lock():
            return copy.deepcopy(self.state.list("replicasets", namespace))

    def node(self, name: str) -> dict | None:
        with self._lock():
            return copy.deepcopy(self.state.find("nodes", "", name))

    def events(self, namespace: str | None = None) -> list[dict]:
        with self._lock():
            return copy.deepcopy(self.state.list("events", namespace))

    def forbid(self, resource: str, namespace: str | None = None) -> None:
        """Answer 403 for ``resource`` (in ``namespace``, or everywhere), as RBAC would."""
        self._require_server().forbidden.add((resource, namespace))

    def slow_down(self, resource: str, seconds: float) -> None:
        """Delay every request for ``resource``, to exercise client timeouts."""
        self._require_server().delays[resource] = seconds

    def on_request(self, hook: Callable[[str, str], None]) -> None:
        """Call ``hook(method, path)`` before each request is served (outside the cluster's lock): a
        test holds a request there, on an event, to order something between a caller's read and write."""
        self._require_server().hooks.append(hook)

    def drop_connection(self, resource: str, subresource: str | None = None) -> None:
        """Close the connection of every request for ``resource`` (``/subresource``) without an answer
        and without acting on it, as a network that fails mid-request does."""
        self._require_server().dropped.add((resource, subresource))

    def keep_terminating(self, namespace: str, pod: str) -> None:
        """Accept the pod's eviction but keep the pod, Terminating (``deletionTimestamp`` set), as a
        finalizer or a kubelet that does not confirm the deletion would."""
        self._require_server().terminating.add((namespace, pod))

    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request served so far."""
        return list(self._require_server().requests)

    def _require_server(self) -> SandboxServer:
        if self._server is None:
            raise RuntimeError("the sandbox cluster is not started")
        return self._server

    def _lock(self) -> Any:
        return self._server.lock if self._server else threading.RLock()


def synthesize_nodes(state: ClusterState) -> list[str]:
    """Give a recording without Node objects one Ready, schedulable Node per node its pods run on.

    Without them no new pod could be scheduled: every fix would leave its pods Pending and fail
    verification. The nodes say only that they exist and are Ready, nothing a diagnosis could
    take for evidence. Returns the names created.
    """
    if state.list("nodes"):
        return []
    names = sorted({p.get("spec", {}).get("nodeName") for p in state.list("pods")} - {None, ""})
    stamp = min(
        (p["metadata"].get("creationTimestamp") for p in state.list("pods") if p["metadata"].get("creationTimestamp")),
        default=now_iso(),
    )
    for name in names:
        conditions = [
            {
                "type": kind,
                "status": "False",
                "reason": f"KubeletHas{reason}",
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": stamp,
            }
            for kind, reason in (
                ("MemoryPressure", "SufficientMemory"),
                ("DiskPressure", "NoDiskPressure"),
                ("PIDPressure", "SufficientPID"),
            )
        ]
        conditions.append(
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": stamp,
                "message": "kubelet is posting ready status",
            }
        )
        state.put(
            "nodes",
            {
                "metadata": {
                    "name": name,
                    "creationTimestamp": stamp,
                    "labels": {"kubernetes.io/hostname": name, SANDBOX_LABEL: "true"},
                    "annotations": {SANDBOX_LABEL: "synthesized from the pods' nodeName"},
                },
                "spec": {},
                "status": {"conditions": conditions},
            },
        )
    return names


def _align_current_replicaset(state: ClusterState, deployment: dict) -> list[dict]:
    """Make the newest ReplicaSet's template equal the Deployment's (hand-written scenarios may
    differ in defaults) so that the first rollout compares like with like; return its pods."""
    replicasets = owned_replicasets(state, deployment)
    if not replicasets:
        return [
            p
            for p in state.list("pods", deployment["metadata"]["namespace"])
            if all(
                (p["metadata"].get("labels") or {}).get(k) == v
                for k, v in ((deployment["spec"].get("selector") or {}).get("matchLabels") or {}).items()
            )
        ]
    wanted = (deployment["metadata"].get("annotations") or {}).get(REVISION)
    current = next(
        (rs for rs in replicasets if (rs["metadata"].get("annotations") or {}).get(REVISION) == wanted), replicasets[-1]
    )
    template = copy.deepcopy(deployment["spec"]["template"])
    pod_hash = (current["spec"]["template"].get("metadata", {}).get("labels") or {}).get(HASH_LABEL)
    if pod_hash:
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
    current["spec"]["template"] = template
    return pods_of(state, current)
