"""Where the investigation tools read from: a Protocol, and its implementation over a snapshot."""

from typing import Any, Protocol

# kubectl-style names → the snapshot's ``cluster`` key; cluster-scoped kinds ignore the namespace.
KIND_ALIASES: dict[str, str] = {
    "pod": "pods",
    "pods": "pods",
    "po": "pods",
    "event": "events",
    "events": "events",
    "ev": "events",
    "deployment": "deployments",
    "deployments": "deployments",
    "deploy": "deployments",
    "replicaset": "replicasets",
    "replicasets": "replicasets",
    "rs": "replicasets",
    "node": "nodes",
    "nodes": "nodes",
    "no": "nodes",
    "persistentvolumeclaim": "pvcs",
    "persistentvolumeclaims": "pvcs",
    "pvc": "pvcs",
    "pvcs": "pvcs",
    "horizontalpodautoscaler": "hpas",
    "horizontalpodautoscalers": "hpas",
    "hpa": "hpas",
    "hpas": "hpas",
    "service": "services",
    "services": "services",
    "svc": "services",
    "configmap": "configmaps",
    "configmaps": "configmaps",
    "cm": "configmaps",
    "secret": "secrets",
    "secrets": "secrets",
    "statefulset": "statefulsets",
    "statefulsets": "statefulsets",
    "sts": "statefulsets",
    "daemonset": "daemonsets",
    "daemonsets": "daemonsets",
    "ds": "daemonsets",
    "endpoints": "endpoints",
    "ep": "endpoints",
}
CLUSTER_SCOPED = {"nodes"}


class ToolBackend(Protocol):
    """Read-only access to one cluster's state, live or recorded."""

    def list_objects(self, collection: str) -> list[dict[str, Any]]:
        """Every object of a collection (``pods``, ``events``… see ``KIND_ALIASES`` values)."""
        ...

    def get_object(self, collection: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """One object by name, or None when it does not exist."""
        ...

    def pod_log(self, namespace: str, pod: str, container: str, previous: bool) -> str | None:
        """The container's log (``previous``: the last terminated instance), None when absent."""
        ...

    def deploys(self) -> list[dict[str, Any]]:
        """The deploy history, as in the scenario format's ``deploys``."""
        ...


class SnapshotBackend:
    """A ``ToolBackend`` over a scenario dict (``alert``/``cluster``/``deploys``)."""

    def __init__(self, context: dict[str, Any]) -> None:
        self._cluster: dict[str, Any] = context.get("cluster") or {}
        self._deploys: list[dict[str, Any]] = list(context.get("deploys") or [])

    def list_objects(self, collection: str) -> list[dict[str, Any]]:
        listing = self._cluster.get(collection) or {}
        return list(listing.get("items") or []) if isinstance(listing, dict) else []

    def get_object(self, collection: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for item in self.list_objects(collection):
            meta = item.get("metadata") or {}
            if meta.get("name") != name:
                continue
            if collection in CLUSTER_SCOPED or namespace is None or meta.get("namespace") == namespace:
                return item
        return None

    def pod_log(self, namespace: str, pod: str, container: str, previous: bool) -> str | None:
        key = f"{namespace}/{pod}/{container}" + ("#previous" if previous else "")
        return (self._cluster.get("logs") or {}).get(key)

    def deploys(self) -> list[dict[str, Any]]:
        return list(self._deploys)
