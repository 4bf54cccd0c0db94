"""A scenario under construction: workloads with their ReplicaSets and pods, events, logs, noise."""

from __future__ import annotations

import json
from pathlib import Path

from k8s import (
    Clock,
    deployment,
    event,
    lst,
    node,
    pod,
    replicaset,
    reset_versions,
    rs_hash,
    running,
    spec,
    status,
    suffix,
    terminated,
    uid,
)

NODES = ("ip-10-0-1-23.ec2.internal", "ip-10-0-2-117.ec2.internal", "ip-10-0-3-41.ec2.internal")


class World:
    def __init__(self, at: str, nodes: tuple[str, ...] = NODES, node_objects: list | None = None) -> None:
        reset_versions(31_400_000)  # each scenario's resourceVersions start afresh
        self.clk = Clock(at)
        self.at = at
        self.node_names = nodes
        self.nodes = node_objects if node_objects is not None else [self.node(n) for n in nodes]
        self.pods, self.events, self.deployments, self.replicasets = [], [], [], []
        self.pvcs, self.hpas, self.netpols, self.deploys = [], [], [], []
        self.logs: dict[str, str] = {}

    def node(self, name: str, **kwargs) -> dict:
        """A node created 40 days ago, Ready for 12, with a heartbeat a minute ago (kwargs as `kube_objects.node`)."""
        return node(
            name,
            **{
                "created": self.clk.ago(days=40),
                "since": self.clk.ago(days=12),
                "heartbeat": self.clk.ago(minutes=1),
                **kwargs,
            },
        )

    # workloads -------------------------------------------------------------------------------
    def deployment(
        self,
        ns: str,
        name: str,
        specs: list,
        *,
        revision: int = 4,
        replicas: int = 2,
        ready: int | None = None,
        rs_created_min: float = 60 * 24 * 6,
        created_days: float = 90,
        prev_specs: list | None = None,
        prev_rs_created_min: float | None = None,
        prev_replicas: int = 0,
        prev_ready: int = 0,
        conditions: list | None = None,
        labels: dict | None = None,
        updated: int | None = None,
    ) -> str:
        ready = replicas if ready is None else ready
        labels = labels or {"app": name}
        current = f"{name}-{rs_hash(name + str(revision))}"
        # Available while at most one replica is missing (maxUnavailable 25% of the usual 2-6 replicas).
        self.deployments.append(
            deployment(
                name,
                ns,
                created=self.clk.ago(days=created_days),
                image=specs[0]["image"],
                replicas=replicas,
                ready=ready,
                updated=updated,
                revision=revision,
                containers=specs,
                conditions=conditions,
                labels=labels,
                min_available=max(replicas - 1, 1),
                new_replicaset=current,
            )
        )
        self.replicasets.append(
            replicaset(
                current,
                ns,
                name,
                created=self.clk.ago(minutes=rs_created_min),
                image=specs[0]["image"],
                replicas=replicas,
                ready=ready,
                revision=revision,
                containers=specs,
                labels=labels,
            )
        )
        if prev_specs is not None:
            self.replicasets.append(
                replicaset(
                    f"{name}-{rs_hash(name + str(revision - 1))}",
                    ns,
                    name,
                    created=self.clk.ago(minutes=prev_rs_created_min or rs_created_min + 60 * 24 * 3),
                    image=prev_specs[0]["image"],
                    replicas=prev_replicas,
                    ready=prev_ready,
                    revision=revision - 1,
                    containers=prev_specs,
                    labels=labels,
                )
            )
        return rs_hash(name + str(revision))

    def pod(
        self,
        ns: str,
        deploy: str,
        revision: int,
        specs: list,
        statuses: list,
        *,
        index: int = 0,
        created_min: float = 60 * 24 * 2,
        node_index: int | None = None,
        labels: dict | None = None,
        **kwargs,
    ) -> str:
        h = rs_hash(deploy + str(revision))
        name = f"{deploy}-{h}-{suffix(deploy + h + str(index))}"
        node_name = kwargs.pop("node", None)
        if node_name is None and node_index is not None:
            node_name = self.node_names[node_index % len(self.node_names)]
        elif node_name is None and "no_node" not in kwargs:
            node_name = self.node_names[index % len(self.node_names)]
        kwargs.pop("no_node", None)
        all_labels = {"app": deploy, "pod-template-hash": h, **(labels or {})}
        self.pods.append(
            self.pod_object(
                ns,
                name,
                specs=specs,
                statuses=statuses,
                created=self.clk.ago(minutes=created_min),
                node=node_name,
                owner=("ReplicaSet", f"{deploy}-{h}"),
                labels=all_labels,
                **kwargs,
            )
        )
        return name

    def pod_object(
        self,
        ns: str,
        name: str,
        *,
        specs: list,
        statuses: list,
        created: str,
        node: str | None,
        owner: tuple[str, str] | None = None,
        phase: str | None = None,
        init_specs: list | None = None,
        reason: str | None = None,
        message: str | None = None,
        pod_ip: str | None = None,
        **kwargs,
    ) -> dict:
        """A pod from the kit: Running if a container runs, else Pending; IPs derived from the pod and node names."""
        phase = phase or ("Running" if any("running" in s["state"] for s in statuses) else "Pending")
        extra = {k: v for k, v in (("reason", reason), ("message", message)) if v}
        ids = uid(name)
        if node:
            kwargs["host_ip"] = "10.0.1." + str(10 + int(uid(node)[:2], 16) % 40)
        return pod(
            name,
            ns,
            created=created,
            containers=specs,
            statuses=statuses,
            node=node,
            scheduled=node is not None,
            owner=(owner[0], owner[1], ns) if owner else None,
            phase=phase,
            init_containers=init_specs,
            pod_ip=pod_ip or f"10.244.{int(ids[:2], 16) % 8}.{int(ids[2:4], 16) % 250 + 2}",
            status_extra=extra or None,
            **kwargs,
        )

    def healthy(
        self,
        ns: str,
        name: str,
        image: str,
        *,
        replicas: int = 2,
        revision: int = 4,
        port: int = 8080,
        log: str | None = None,
        restarts: int = 0,
        **spec_kwargs,
    ) -> list[str]:
        specs = [spec("app", image, port=port, **spec_kwargs)]
        self.deployment(ns, name, specs, revision=revision, replicas=replicas)
        names = []
        for i in range(replicas):
            started = self.clk.ago(days=2, minutes=i * 7)
            p = self.pod(
                ns,
                name,
                revision,
                specs,
                [status("app", image, running(started), restarts=restarts)],
                index=i,
                created_min=60 * 48 + i * 7,
            )
            names.append(p)
            if log:
                self.log(ns, p, "app", log)
        return names

    def log(self, ns: str, pod_name: str, container: str, text: str, previous: bool = False) -> None:
        self.logs[f"{ns}/{pod_name}/{container}" + ("#previous" if previous else "")] = text.strip("\n") + "\n"

    def event(
        self,
        ns: str,
        kind: str,
        name: str,
        reason: str,
        message: str,
        *,
        type_: str = "Warning",
        count: int = 1,
        first: float = 5,
        last: float = 1,
        component: str = "kubelet",
        host: str | None = None,
        field_path: str | None = None,
    ) -> None:
        """An event first and last seen ``first`` / ``last`` minutes before the alert."""
        api = "v1" if kind in ("Pod", "Node", "PersistentVolumeClaim") else "apps/v1"
        self.events.append(
            event(
                ns or None,
                kind,
                name,
                reason,
                message,
                first=self.clk.ago(minutes=first),
                last=self.clk.ago(minutes=last),
                count=count,
                type_=type_,
                component=component,
                host=host,
                field=field_path,
                api=api,
            )
        )

    # noise -------------------------------------------------------------------------------------
    def noise(self) -> None:
        """What every real snapshot carries: kube-system and monitoring pods, old and deleted-object events."""
        clk = self.clk
        for i in range(2):
            image = "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.4"
            specs = [spec("coredns", image, port=53, mem_lim="170Mi", mem_req="70Mi")]
            name = f"coredns-{rs_hash('coredns')}-{suffix('coredns' + str(i))}"
            self.pods.append(
                self.pod_object(
                    "kube-system",
                    name,
                    specs=specs,
                    created=clk.ago(days=12),
                    statuses=[status("coredns", image, running(clk.ago(days=12)))],
                    node=self.node_names[i % len(self.node_names)],
                    owner=("ReplicaSet", f"coredns-{rs_hash('coredns')}"),
                    labels={"k8s-app": "kube-dns", "pod-template-hash": rs_hash("coredns")},
                )
            )
        for node_name in self.node_names:
            image = "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.29.0-minimal-eksbuild.1"
            self.pods.append(
                self.pod_object(
                    "kube-system",
                    f"kube-proxy-{suffix('kp' + node_name)}",
                    specs=[spec("kube-proxy", image, port=None, mem_lim=None)],
                    created=clk.ago(days=12),
                    statuses=[status("kube-proxy", image, running(clk.ago(days=12)))],
                    node=node_name,
                    owner=("DaemonSet", "kube-proxy"),
                    labels={"k8s-app": "kube-proxy"},
                )
            )
        image = "registry.k8s.io/metrics-server/metrics-server:v0.7.0"
        ms = f"metrics-server-{rs_hash('ms')}-{suffix('ms')}"
        old_oom = terminated("OOMKilled", 137, clk.ago(days=3, hours=5), clk.ago(days=3))
        self.pods.append(
            self.pod_object(
                "kube-system",
                ms,
                specs=[spec("metrics-server", image, port=10250, mem_lim="200Mi")],
                statuses=[status("metrics-server", image, running(clk.ago(days=3)), last=old_oom, restarts=3)],
                created=clk.ago(days=9),
                node=self.node_names[-1],
                owner=("ReplicaSet", f"metrics-server-{rs_hash('ms')}"),
                labels={"k8s-app": "metrics-server", "pod-template-hash": rs_hash("ms")},
            )
        )
        image = "quay.io/prometheus/prometheus:v2.51.2"
        self.pods.append(
            self.pod_object(
                "monitoring",
                "prometheus-k8s-0",
                specs=[spec("prometheus", image, port=9090, mem_lim="4Gi")],
                statuses=[status("prometheus", image, running(clk.ago(days=5)))],
                created=clk.ago(days=5),
                node=self.node_names[0],
                owner=("StatefulSet", "prometheus-k8s"),
                labels={"app.kubernetes.io/name": "prometheus"},
            )
        )
        # Events: an old one past the window, one about a pod deleted long ago, routine Normal ones.
        self.event(
            "kube-system",
            "Pod",
            ms,
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 500",
            first=60 * 26,
            last=60 * 25,
            count=4,
            host=self.node_names[-1],
        )
        self.event(
            "monitoring",
            "Pod",
            "alertmanager-main-1",
            "Killing",
            "Stopping container alertmanager",
            type_="Normal",
            first=40,
            last=40,
            host=self.node_names[1],
        )
        self.event(
            "",
            "Node",
            self.node_names[1],
            "NodeHasSufficientMemory",
            f"Node {self.node_names[1]} status is now: NodeHasSufficientMemory",
            type_="Normal",
            first=60 * 30,
            last=50,
            component="kubelet",
            host=self.node_names[1],
        )
        self.event(
            "monitoring",
            "Pod",
            "prometheus-k8s-0",
            "Pulled",
            'Container image "quay.io/prometheus-operator/prometheus-config-reloader:v0.73.2" already present '
            "on machine",
            type_="Normal",
            first=35,
            last=35,
            host=self.node_names[0],
        )

    # output -------------------------------------------------------------------------------------
    def scenario(self, alert: dict, expected: dict) -> dict:
        alert = {"starts_at": self.at, **alert}
        cluster = {
            "pods": lst(self.pods),
            "events": lst(self.events),
            "deployments": lst(self.deployments),
            "replicasets": lst(self.replicasets),
            "nodes": lst(self.nodes),
        }
        if self.pvcs:
            cluster["pvcs"] = lst(self.pvcs)
        if self.hpas:
            cluster["hpas"] = lst(self.hpas)
        if self.netpols:
            cluster["networkpolicies"] = lst(self.netpols)
        cluster["logs"] = self.logs
        return {"alert": alert, "cluster": cluster, "deploys": self.deploys, "expected": expected}


def write(path: Path, scenario: dict) -> None:
    path.write_text(json.dumps(scenario, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
