"""The sandbox's in-memory objects: one dict per resource, keyed by (namespace, name)."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pagerless.local.sandbox.errors import not_found
from pagerless.local.sandbox.selectors import Predicate

SANDBOX_LABEL = "pagerless.dev/sandbox"


@dataclass(frozen=True)
class Resource:
    plural: str
    kind: str
    api_version: str  # "v1", "apps/v1", ...
    namespaced: bool = True
    scenario_key: str = ""

    @property
    def group(self) -> str:
        return self.api_version.split("/")[0] if "/" in self.api_version else ""


RESOURCES = {
    r.plural: r
    for r in [
        Resource("pods", "Pod", "v1", scenario_key="pods"),
        Resource("events", "Event", "v1", scenario_key="events"),
        Resource("nodes", "Node", "v1", namespaced=False, scenario_key="nodes"),
        Resource("services", "Service", "v1", scenario_key="services"),
        Resource("persistentvolumeclaims", "PersistentVolumeClaim", "v1", scenario_key="pvcs"),
        Resource("deployments", "Deployment", "apps/v1", scenario_key="deployments"),
        Resource("replicasets", "ReplicaSet", "apps/v1", scenario_key="replicasets"),
        Resource("statefulsets", "StatefulSet", "apps/v1", scenario_key="statefulsets"),
        Resource("daemonsets", "DaemonSet", "apps/v1", scenario_key="daemonsets"),
        Resource("jobs", "Job", "batch/v1", scenario_key="jobs"),
        Resource("cronjobs", "CronJob", "batch/v1", scenario_key="cronjobs"),
        Resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", "autoscaling/v2", scenario_key="hpas"),
        Resource("poddisruptionbudgets", "PodDisruptionBudget", "policy/v1", scenario_key="pdbs"),
    ]
}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_of(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata", {})
    return meta.get("namespace", ""), meta["name"]


@dataclass
class ClusterState:
    """Every object of the sandbox plus container logs; deep-copied whole for a dry run."""

    objects: dict[str, dict[tuple[str, str], dict]] = field(default_factory=lambda: {r: {} for r in RESOURCES})
    logs: dict[str, str] = field(default_factory=dict)
    failures: dict[tuple[str, str], Any] = field(default_factory=dict)  # (ns, deployment) → workloads.Failure
    next_version: int = 1000
    serial: int = 0

    def clone(self) -> ClusterState:
        return copy.deepcopy(self)

    def get(self, resource: str, namespace: str, name: str) -> dict:
        try:
            return self.objects[resource][(namespace if RESOURCES[resource].namespaced else "", name)]
        except KeyError:
            raise not_found(resource, name, RESOURCES[resource].group) from None

    def find(self, resource: str, namespace: str, name: str) -> dict | None:
        return self.objects[resource].get((namespace if RESOURCES[resource].namespaced else "", name))

    def list(self, resource: str, namespace: str | None = None, *predicates: Predicate) -> list[dict]:
        return [
            obj
            for (ns, _), obj in self.objects[resource].items()
            if (namespace is None or ns == namespace) and all(p(obj) for p in predicates)
        ]

    def put(self, resource: str, obj: dict) -> dict:
        """Store ``obj`` with a fresh resourceVersion (and a uid and a kind if it had none)."""
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_iso())
        meta["resourceVersion"] = str(self.bump())
        obj.setdefault("kind", RESOURCES[resource].kind)
        obj.setdefault("apiVersion", RESOURCES[resource].api_version)
        if not RESOURCES[resource].namespaced:
            meta.pop("namespace", None)
        self.objects[resource][key_of(obj)] = obj
        return obj

    def remove(self, resource: str, namespace: str, name: str) -> dict:
        obj = self.get(resource, namespace, name)
        del self.objects[resource][key_of(obj)]
        return obj

    def bump(self) -> int:
        self.next_version += 1
        return self.next_version

    def unique_suffix(self, length: int = 5) -> str:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        self.serial += 1
        number, chars = self.serial * 7919 + 104729, []
        for _ in range(length):
            number, digit = divmod(number, len(alphabet))
            chars.append(alphabet[digit])
        return "".join(chars)

    def load(self, cluster: dict, pdbs: list[dict] | dict | None = None) -> None:
        """Load a scenario's `cluster` section (kubectl -o json Lists) and its optional PDBs."""
        for resource in RESOURCES.values():
            section = cluster.get(resource.scenario_key) or (
                pdbs if resource.plural == "poddisruptionbudgets" else None
            )
            items = section.get("items", []) if isinstance(section, dict) else section or []
            for item in items:
                obj = copy.deepcopy(item)
                meta = obj.setdefault("metadata", {})
                meta.setdefault("name", f"{resource.kind.lower()}-{self.unique_suffix()}")
                obj.setdefault("kind", resource.kind)
                obj.setdefault("apiVersion", resource.api_version)
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("resourceVersion", str(self.bump()))
                self.objects[resource.plural][key_of(obj) if resource.namespaced else ("", meta["name"])] = obj
        self.logs.update(cluster.get("logs") or {})
