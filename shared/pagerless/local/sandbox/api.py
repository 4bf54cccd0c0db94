"""The sandbox's API handlers: one function per verb and resource, over a `ClusterState`.

Every mutating handler honours ``dryRun=All``: it runs on a copy of the state, so the answer is
the would-be object and nothing changes.
"""

import copy
from dataclasses import dataclass, field
from typing import Any

from pagerless.domain.errors import ValidationError
from pagerless.local.sandbox import controller
from pagerless.local.sandbox.errors import ApiStatusError, bad_request, conflict, disruption_budget_violated, invalid
from pagerless.local.sandbox.patch import apply_patch
from pagerless.local.sandbox.selectors import field_predicate, label_predicate
from pagerless.local.sandbox.store import RESOURCES, ClusterState, now_iso
from pagerless.remediation.quantity import parse_quantity

SANDBOX_VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-sandbox",
    "gitCommit": "pagerless-sandbox",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "sandbox",
    "compiler": "sandbox",
    "platform": "pagerless/sandbox",
}


@dataclass
class Request:
    method: str
    resource: str = ""
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    content_type: str = ""
    body: Any = None

    @property
    def dry_run(self) -> bool:
        value = self.query.get("dryRun") or ((self.body or {}).get("dryRun") if isinstance(self.body, dict) else None)
        value = value[0] if isinstance(value, list) and value else value
        if value and value != "All":
            raise bad_request(f'Unsupported value: {value!r}: supported values: "All"')
        return value == "All"


def list_objects(state: ClusterState, req: Request) -> dict:
    info = RESOURCES[req.resource]
    items = state.list(
        req.resource,
        req.namespace,
        label_predicate(req.query.get("labelSelector")),
        field_predicate(req.query.get("fieldSelector")),
    )
    start = int(req.query.get("continue") or 0)
    limit = int(req.query.get("limit") or 0) or len(items)
    page, rest = items[start : start + limit], items[start + limit :]
    metadata: dict[str, Any] = {"resourceVersion": str(state.next_version)}
    if rest:
        metadata.update({"continue": str(start + limit), "remainingItemCount": len(rest)})
    return {"kind": f"{info.kind}List", "apiVersion": info.api_version, "metadata": metadata, "items": page}


def read_log(state: ClusterState, req: Request) -> bytes:
    """A container's log; ``tailLines`` picks the last lines, then ``limitBytes`` caps what is sent
    (the first bytes of that, possibly mid-line or mid-character, as the kubelet streams it)."""
    pod = state.get("pods", req.namespace, req.name)
    names = [c["name"] for c in pod["spec"].get("containers", [])]
    container = req.query.get("container")
    if not container:
        if len(names) != 1:
            raise bad_request(
                f"a container name must be specified for pod {req.name}, choose one of: [{' '.join(names)}]"
            )
        container = names[0]
    if container not in names + [c["name"] for c in pod["spec"].get("initContainers", [])]:
        raise bad_request(f"container {container} is not valid for pod {req.name}")
    key = f"{req.namespace}/{req.name}/{container}"
    if req.query.get("previous") in ("true", "True", "1"):
        if f"{key}#previous" not in state.logs:
            raise bad_request(f'previous terminated container "{container}" in pod "{req.name}" not found')
        text = state.logs[f"{key}#previous"]
    else:
        text = state.logs.get(key, "")
    if req.query.get("tailLines"):
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-int(req.query["tailLines"]) :]) if int(req.query["tailLines"]) > 0 else ""
    data = text.encode()
    if req.query.get("limitBytes"):
        limit = int(req.query["limitBytes"])
        if limit < 1:
            raise invalid("PodLogOptions", req.name, "limitBytes", limit, "must be greater than 0")
        data = data[:limit]
    return data


def patch_object(state: ClusterState, req: Request) -> dict:
    """PATCH a deployment, its scale, a node or a pod; a changed pod template starts a rollout."""
    current = state.get(req.resource, req.namespace, req.name)
    if req.subresource == "scale":
        patched_scale = apply_patch(scale_of(current), req.body, req.content_type)
        body = {"spec": {"replicas": patched_scale.get("spec", {}).get("replicas")}}
        patched = apply_patch(current, body, "application/merge-patch+json")
    else:
        patched = apply_patch(current, req.body, req.content_type)
    expected = (req.body or {}).get("metadata", {}).get("resourceVersion") if isinstance(req.body, dict) else None
    if expected and expected != current["metadata"].get("resourceVersion"):
        raise conflict(req.resource, req.name)
    if (patched.get("metadata", {}).get("name"), patched["metadata"].get("namespace")) != (
        current["metadata"]["name"],
        current["metadata"].get("namespace"),
    ):
        raise invalid(
            RESOURCES[req.resource].kind,
            req.name,
            "metadata.name",
            patched["metadata"].get("name"),
            "field is immutable",
        )
    if req.resource == "deployments":
        _validate_deployment(patched)
        if patched.get("spec") != current.get("spec"):
            patched["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
    target = state.clone() if req.dry_run else state
    stored = target.put(req.resource, patched)
    answer = copy.deepcopy(stored)
    if req.resource == "deployments" and patched.get("spec") != current.get("spec"):
        controller.rollout(target, stored)
    return scale_of(answer) if req.subresource == "scale" else answer


def scale_of(deployment: dict) -> dict:
    meta = deployment["metadata"]
    labels = (deployment["spec"].get("selector") or {}).get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        },
        "spec": {"replicas": deployment["spec"].get("replicas", 1)},
        "status": {
            "replicas": deployment.get("status", {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in labels.items()),
        },
    }


def delete_pod(state: ClusterState, req: Request) -> dict:
    target = state.clone() if req.dry_run else state
    pod = target.remove("pods", req.namespace, req.name)
    pod["metadata"]["deletionTimestamp"] = now_iso()
    pod["metadata"]["deletionGracePeriodSeconds"] = 0
    controller.emit_event(target, pod, "Killing", f"Stopping container(s) of pod {req.name}")
    controller.after_pod_removed(target, pod)
    return pod


def evict_pod(state: ClusterState, req: Request, *, stays: bool = False) -> dict:
    """The Eviction API: 429 while a PodDisruptionBudget forbids it, else the pod goes (and is replaced).

    ``stays``: the eviction is accepted but the pod stays, Terminating (a finalizer, a kubelet that
    does not confirm), and nothing replaces it yet."""
    pod = state.get("pods", req.namespace, req.name)
    body = req.body if isinstance(req.body, dict) else {}
    if body.get("metadata", {}).get("name") not in (None, req.name):
        raise bad_request("name in URL does not match name in Eviction object")
    options = body.get("deleteOptions") or {}
    dry_run = req.dry_run or "All" in (options.get("dryRun") or [])
    if blocker := controller.disruption_blocker(state, pod):
        raise disruption_budget_violated(blocker)
    target = state.clone() if dry_run else state
    if stays:
        pod = target.get("pods", req.namespace, req.name)
        pod["metadata"].setdefault("deletionTimestamp", now_iso())
        target.put("pods", pod)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    removed = target.remove("pods", req.namespace, req.name)
    controller.emit_event(target, removed, "Evicted", f"Evicted pod {req.name} via the Eviction API")
    controller.after_pod_removed(target, removed)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def _validate_deployment(deployment: dict) -> None:
    name, spec = deployment["metadata"]["name"], deployment.get("spec", {})
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise invalid("Deployment.apps", name, "spec.replicas", replicas, "must be greater than or equal to 0")
    labels = spec.get("template", {}).get("metadata", {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items()):
        raise invalid(
            "Deployment.apps",
            name,
            "spec.template.metadata.labels",
            labels,
            "`selector` does not match template `labels`",
        )
    for index, container in enumerate(spec.get("template", {}).get("spec", {}).get("containers", [])):
        resources = container.get("resources") or {}
        limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
        field = f"spec.template.spec.containers[{index}].resources"
        try:
            parsed_limits = {k: parse_quantity(v) for k, v in limits.items()}
            parsed_requests = {k: parse_quantity(v) for k, v in requests.items()}
        except ValidationError as exc:
            raise ApiStatusError(
                400, "BadRequest", f"quantities must match the regular expression: {exc.message}"
            ) from exc
        for kind, amount in parsed_requests.items():
            if kind in parsed_limits and amount > parsed_limits[kind]:
                raise invalid(
                    "Deployment.apps",
                    name,
                    f"{field}.requests",
                    requests[kind],
                    f"must be less than or equal to {kind} limit of {limits[kind]}",
                )
