"""Typed views over workloads, nodes, claims, autoscalers and deploy records.

Each ``from_obj`` tolerates missing fields and returns None for objects without a name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pagerless.clock import parse_time
from pagerless.diagnosis.snapshot_objects import _dict, _meta, by_key, dicts, to_int
from pagerless.kube.annotations import REVISION


@dataclass(frozen=True, slots=True)
class Deployment:
    namespace: str
    name: str
    replicas: int
    ready: int
    available: int
    revision: str
    conditions: list
    containers: list
    created: datetime | None

    @classmethod
    def from_obj(cls, obj: dict) -> Deployment | None:
        meta, spec, status = _meta(obj), _dict(obj.get("spec")), _dict(obj.get("status"))
        if not meta.get("name"):
            return None
        template_spec = _dict(_dict(spec.get("template")).get("spec"))
        return cls(
            namespace=str(meta.get("namespace") or "default"),
            name=str(meta["name"]),
            replicas=to_int(spec.get("replicas"), 1),
            ready=to_int(status.get("readyReplicas"), 0),
            available=to_int(status.get("availableReplicas"), 0),
            revision=str(_dict(meta.get("annotations")).get(REVISION, "")),
            conditions=dicts(status.get("conditions")),
            containers=dicts(template_spec.get("containers")),
            created=parse_time(meta.get("creationTimestamp")),
        )


@dataclass(frozen=True, slots=True)
class ReplicaSet:
    namespace: str
    name: str
    deployment: str
    revision: int
    created: datetime | None
    replicas: int
    ready: int
    template_hash: str
    containers: list
    conditions: list = field(default_factory=list)

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(str(c.get("image", "")) for c in self.containers)

    @classmethod
    def from_obj(cls, obj: dict) -> ReplicaSet | None:
        meta, spec, status = _meta(obj), _dict(obj.get("spec")), _dict(obj.get("status"))
        if not meta.get("name"):
            return None
        owner = next(iter(dicts(meta.get("ownerReferences"))), {})
        revision = str(_dict(meta.get("annotations")).get(REVISION, "0"))
        template = _dict(spec.get("template"))
        return cls(
            namespace=str(meta.get("namespace") or "default"),
            name=str(meta["name"]),
            deployment=str(owner.get("name", "")),
            revision=int(revision) if revision.isdigit() else 0,
            created=parse_time(meta.get("creationTimestamp")),
            replicas=to_int(spec.get("replicas"), 0),
            ready=to_int(status.get("readyReplicas"), 0),
            template_hash=str(_dict(meta.get("labels")).get("pod-template-hash", "")),
            containers=dicts(_dict(template.get("spec")).get("containers")),
            conditions=dicts(status.get("conditions")),
        )


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    conditions: dict
    taints: list
    unschedulable: bool

    @classmethod
    def from_obj(cls, obj: dict) -> Node | None:
        meta, spec, status = _meta(obj), _dict(obj.get("spec")), _dict(obj.get("status"))
        if not meta.get("name"):
            return None
        return cls(
            name=str(meta["name"]),
            conditions=by_key(status.get("conditions"), "type"),
            taints=dicts(spec.get("taints")),
            unschedulable=bool(spec.get("unschedulable")),
        )


@dataclass(frozen=True, slots=True)
class Pvc:
    namespace: str
    name: str
    phase: str
    storage_class: str
    capacity: str

    @classmethod
    def from_obj(cls, obj: dict) -> Pvc | None:
        meta, spec, status = _meta(obj), _dict(obj.get("spec")), _dict(obj.get("status"))
        if not meta.get("name"):
            return None
        return cls(
            namespace=str(meta.get("namespace") or "default"),
            name=str(meta["name"]),
            phase=str(status.get("phase", "")),
            storage_class=str(spec.get("storageClassName") or ""),
            capacity=str(_dict(status.get("capacity")).get("storage", "")),
        )


@dataclass(frozen=True, slots=True)
class Hpa:
    namespace: str
    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    current_replicas: int
    desired_replicas: int
    metrics: list  # (metric name, current utilization %, target utilization %)
    conditions: list

    @classmethod
    def from_obj(cls, obj: dict) -> Hpa | None:
        meta, spec, status = _meta(obj), _dict(obj.get("spec")), _dict(obj.get("status"))
        if not meta.get("name"):
            return None
        targets = {}
        for m in dicts(spec.get("metrics")):
            resource = _dict(_dict(m).get("resource"))
            targets[resource.get("name")] = _dict(resource.get("target")).get("averageUtilization")
        if spec.get("targetCPUUtilizationPercentage") is not None:  # autoscaling/v1
            targets["cpu"] = spec["targetCPUUtilizationPercentage"]
        metrics = []
        for m in dicts(status.get("currentMetrics")):
            resource = _dict(_dict(m).get("resource"))
            current = _dict(resource.get("current")).get("averageUtilization")
            metrics.append((resource.get("name"), current, targets.get(resource.get("name"))))
        if status.get("currentCPUUtilizationPercentage") is not None:
            metrics.append(("cpu", status["currentCPUUtilizationPercentage"], targets.get("cpu")))
        ref = _dict(spec.get("scaleTargetRef"))
        return cls(
            namespace=str(meta.get("namespace") or "default"),
            name=str(meta["name"]),
            target_kind=str(ref.get("kind", "")),
            target_name=str(ref.get("name", "")),
            min_replicas=to_int(spec.get("minReplicas"), 1),
            max_replicas=to_int(spec.get("maxReplicas"), 0),
            current_replicas=to_int(status.get("currentReplicas"), 0),
            desired_replicas=to_int(status.get("desiredReplicas"), 0),
            metrics=metrics,
            conditions=dicts(status.get("conditions")),
        )


@dataclass(frozen=True, slots=True)
class Deploy:
    service: str
    namespace: str
    image: str
    actor: str
    commit_sha: str
    timestamp: datetime | None
    raw: dict

    @classmethod
    def from_obj(cls, obj: object) -> Deploy | None:
        if not isinstance(obj, dict) or not obj.get("service"):
            return None
        return cls(
            service=str(obj["service"]),
            namespace=str(obj.get("namespace") or ""),
            image=str(obj.get("image") or ""),
            actor=str(obj.get("actor") or ""),
            commit_sha=str(obj.get("commit_sha") or ""),
            timestamp=parse_time(obj.get("timestamp")),
            raw=obj,
        )
