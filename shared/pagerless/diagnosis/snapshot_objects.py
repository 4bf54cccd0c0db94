"""Typed views over pods, their containers and events, as ``kubectl get -o json`` returns them.

Each ``from_obj`` tolerates missing fields and returns None for objects without a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pagerless.clock import parse_time

SYSTEM_NAMESPACES = frozenset(
    {
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "monitoring",
        "cert-manager",
        "ingress-nginx",
        "istio-system",
        "logging",
    }
)
# Without ownerReferences a pod's workload is read from its name: deploy-<rs hash>-<5>, sts-<ordinal>.
_DEPLOYMENT_POD = re.compile(r"^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$")
_STATEFUL_POD = re.compile(r"^(.+)-\d+$")
_CRONJOB_RUN = re.compile(r"^(.+)-\d{8,}$")  # a CronJob names its Jobs <cronjob>-<scheduled minute>
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_MEMORY_UNITS = {
    "": 1,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
}


_OWNER_KEYS = {"ReplicaSet": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset", "Job": "job"}


def cpu_millicores(value: object) -> float | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return float(text[:-1]) if text.endswith("m") else float(text) * 1000
    except ValueError:
        return None


def memory_bytes(value: object) -> float | None:
    match = _QUANTITY.match(str(value or "").strip())
    if not match or match.group(2) not in _MEMORY_UNITS:
        return None
    return float(match.group(1)) * _MEMORY_UNITS[match.group(2)]


def to_int(value: object, default: int = 0) -> int:
    """An integer field that may be missing, a string, or junk."""
    try:
        return int(value) if value is not None and value != "" else default
    except (TypeError, ValueError):
        return default


def cronjob_of(name: str) -> str:
    """The CronJob a Job belongs to ("nightly-report" for "nightly-report-29140865"), else the Job's name."""
    match = _CRONJOB_RUN.match(name)
    return match.group(1) if match else name


def dicts(value: object) -> list[dict]:
    """The dict items of a list field; anything else (missing, junk) is an empty list."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def by_key(value: object, key: str) -> dict[str, dict]:
    return {str(d[key]): d for d in dicts(value) if d.get(key)}


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    init: bool
    image: str
    ready: bool
    restart_count: int
    state: dict
    last_state: dict
    spec: dict

    @property
    def waiting(self) -> dict:
        return _dict(self.state.get("waiting"))

    @property
    def terminated(self) -> dict:
        return _dict(self.state.get("terminated"))

    @property
    def last_terminated(self) -> dict:
        return _dict(self.last_state.get("terminated"))

    @property
    def running(self) -> bool:
        return "running" in self.state

    @property
    def limits(self) -> dict:
        return _dict(_dict(self.spec.get("resources")).get("limits"))


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    phase: str
    reason: str
    message: str
    labels: dict
    node_name: str
    owner_kind: str
    owner_name: str
    workload: str
    app: str
    created: datetime | None
    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...]
    conditions: dict
    spec: dict
    ip: str = ""

    @property
    def system(self) -> bool:
        return self.namespace in SYSTEM_NAMESPACES

    @property
    def template_hash(self) -> str:
        return str(self.labels.get("pod-template-hash", ""))

    def ref(self) -> str:
        return f"pod {self.namespace}/{self.name}"

    def target(self, container: str | None = None) -> dict[str, str]:
        """What a finding about this pod is about, with the keys the remediation planner reads."""
        target = {
            "kind": "Pod",
            "namespace": self.namespace,
            "name": self.name,
            "pod": self.name,
            "workload": self.workload,
        }
        owner_key = _OWNER_KEYS.get(self.owner_kind)
        if owner_key:
            target[owner_key] = self.workload
        if self.node_name:
            target["node"] = self.node_name
        if container:
            target["container"] = container
        return target

    @classmethod
    def from_obj(cls, obj: dict) -> Pod | None:
        meta, spec, status = _meta(obj), _dict(obj.get("spec")), _dict(obj.get("status"))
        name = meta.get("name")
        if not name:
            return None
        labels = {str(k): str(v) for k, v in _dict(meta.get("labels")).items()}
        owners = dicts(meta.get("ownerReferences"))
        owner = next((o for o in owners if o.get("controller")), owners[0] if owners else {})
        owner_kind, owner_name = str(owner.get("kind", "")), str(owner.get("name", ""))
        app = str(labels.get("app.kubernetes.io/name") or labels.get("app") or labels.get("k8s-app") or "")
        workload = owner_name
        hash_ = str(labels.get("pod-template-hash", ""))
        if owner_kind == "ReplicaSet":
            workload = (
                owner_name[: -len(hash_) - 1]
                if hash_ and owner_name.endswith("-" + hash_)
                else (owner_name.rsplit("-", 1)[0])
            )
        elif owner_kind == "Job":
            workload = cronjob_of(owner_name)
        if not workload:
            match = _DEPLOYMENT_POD.match(str(name)) or _STATEFUL_POD.match(str(name))
            workload = app or (match.group(1) if match else str(name))
        specs = by_key(spec.get("containers"), "name")
        init_specs = by_key(spec.get("initContainers"), "name")
        return cls(
            namespace=str(meta.get("namespace") or "default"),
            name=str(name),
            phase=str(status.get("phase", "")),
            reason=str(status.get("reason", "")),
            message=str(status.get("message", "")),
            labels=labels,
            node_name=str(spec.get("nodeName", "")),
            owner_kind=owner_kind,
            owner_name=owner_name,
            workload=workload,
            app=app,
            created=parse_time(meta.get("creationTimestamp")),
            containers=_containers(status.get("containerStatuses"), specs, init=False),
            init_containers=_containers(status.get("initContainerStatuses"), init_specs, init=True),
            conditions=by_key(status.get("conditions"), "type"),
            spec=spec,
            ip=str(status.get("podIP") or ""),
        )


def _containers(statuses: object, specs: dict, init: bool) -> tuple[Container, ...]:
    result, seen = [], set()
    for s in statuses if isinstance(statuses, list) else []:
        if not isinstance(s, dict) or not s.get("name"):
            continue
        seen.add(s["name"])
        result.append(
            Container(
                name=str(s["name"]),
                init=init,
                image=str(s.get("image", "")),
                ready=bool(s.get("ready")),
                restart_count=to_int(s.get("restartCount")),
                state=_dict(s.get("state")),
                last_state=_dict(s.get("lastState")),
                spec=_dict(specs.get(s["name"])),
            )
        )
    for name, spec in specs.items():  # a pod that never started has specs but no statuses
        if name and name not in seen:
            result.append(Container(str(name), init, str(spec.get("image", "")), False, 0, {}, {}, spec))
    return tuple(result)


@dataclass(frozen=True, slots=True)
class Event:
    namespace: str
    kind: str
    name: str
    reason: str
    message: str
    type: str
    count: int
    first: datetime | None
    last: datetime | None
    field_path: str = ""  # "spec.containers{api}": the container a kubelet event is about

    def about_container(self, name: str) -> bool:
        """Whether the event may be about container ``name``: it names that container by fieldPath,
        or no container at all (a pod-level event)."""
        if not self.field_path.startswith("spec."):
            return True
        return self.field_path in (f"spec.containers{{{name}}}", f"spec.initContainers{{{name}}}")

    @property
    def source(self) -> str:
        return f"event {self.namespace}/{self.kind}/{self.name}"

    @property
    def detail(self) -> str:
        times = f" (x{self.count})" if self.count > 1 else ""
        return f"{self.reason}: {self.message}{times}"

    @classmethod
    def from_obj(cls, obj: dict) -> Event | None:
        involved, meta = _dict(obj.get("involvedObject") or obj.get("regarding")), _meta(obj)
        if not involved.get("name") or not (obj.get("reason") or obj.get("message")):
            return None
        series = _dict(obj.get("series"))
        # A recurring event (events.k8s.io, as the scheduler writes them) keeps its first occurrence in eventTime
        # and the latest in series.lastObservedTime; events.k8s.io/v1 renames the core fields deprecated*.
        last = (
            parse_time(obj.get("lastTimestamp") or obj.get("deprecatedLastTimestamp"))
            or parse_time(series.get("lastObservedTime"))
            or parse_time(obj.get("eventTime"))
            or parse_time(meta.get("creationTimestamp"))
        )
        first = (
            parse_time(obj.get("firstTimestamp") or obj.get("deprecatedFirstTimestamp"))
            or parse_time(obj.get("eventTime"))
            or last
        )
        return cls(
            namespace=str(involved.get("namespace") or meta.get("namespace") or ""),
            kind=str(involved.get("kind", "")),
            name=str(involved["name"]),
            reason=str(obj.get("reason", "")),
            message=str(obj.get("message") or obj.get("note") or "").strip(),
            type=str(obj.get("type", "")),
            count=to_int(obj.get("count") or series.get("count") or obj.get("deprecatedCount"), 1),
            first=first,
            last=last,
            field_path=str(involved.get("fieldPath") or ""),
        )
