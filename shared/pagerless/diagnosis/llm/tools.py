"""Read-only investigation tools, following HolmesGPT's tool contract.

Each tool has a ``name``, a ``description`` written for the model, typed parameters (a pydantic
model whose JSON schema is the tool's ``input_schema``) and ``invoke(params) -> ToolResult``.
Failures are data: an ``ERROR`` result carries the upstream message so the model can correct its
call; ``NO_DATA`` says the question was valid but the snapshot has nothing for it.
"""

import copy
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pagerless.clock import parse_time
from pagerless.diagnosis.llm.backend import CLUSTER_SCOPED, KIND_ALIASES, ToolBackend
from pagerless.diagnosis.llm.redact import redact_obj, redact_text

KnowledgeSearchFn = Callable[[str, int], Sequence[Mapping[str, Any]]]
"""(query, limit) → runbook/knowledge passages, e.g. ``{"title", "source", "text"}``."""
SimilarIncidentsFn = Callable[[str | None, int], Sequence[Mapping[str, Any]]]
"""(query or None for "like this alert", limit) → past incidents with their resolved diagnosis."""


class ToolStatus(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    NO_DATA = "no_data"
    APPROVAL_REQUIRED = "approval_required"


class ToolResult(BaseModel):
    status: ToolStatus
    data: Any = None
    error: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)  # what the tool ran with, for audit logs

    def to_text(self, max_chars: int) -> str:
        """What the model reads: the data (or the error), cut to ``max_chars`` with a note."""
        if self.status in (ToolStatus.ERROR, ToolStatus.APPROVAL_REQUIRED):
            body = f"{self.status.value}: {self.error}"
        elif self.status is ToolStatus.NO_DATA:
            body = f"no_data: {self.error or 'nothing found'}"
        else:
            body = self.data if isinstance(self.data, str) else json.dumps(self.data, ensure_ascii=False, default=str)
        return truncate_head(body, max_chars)


def truncate_head(text: str, max_chars: int) -> str:
    """Keep the first ``max_chars`` characters and say how much was dropped."""
    if len(text) <= max_chars:
        return text
    return text[:max_chars] + f"\n[truncated: {len(text) - max_chars} of {len(text)} characters not shown]"


def truncate_tail(text: str, max_chars: int) -> str:
    """Keep the last ``max_chars`` characters (the newest log lines) and say how much was dropped."""
    if len(text) <= max_chars:
        return text
    return (
        f"[truncated: the first {len(text) - max_chars} of {len(text)} characters are not shown]\n" + text[-max_chars:]
    )


def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema, self-contained (``$ref``s inlined) and without pydantic's titles."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
        return {k: walk(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}

    return walk(schema)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tool(ABC):
    """One investigation tool; subclasses set ``name``, ``description``, ``Params`` and ``_run``."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[BaseModel]]

    def definition(self) -> dict[str, Any]:
        """The Messages API tool definition."""
        return {"name": self.name, "description": self.description, "input_schema": input_schema(self.Params)}

    def invoke(self, params: Mapping[str, Any]) -> ToolResult:
        """Validate ``params`` and run; never raises."""
        raw = dict(params or {})
        try:
            parsed = self.Params.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}" for err in exc.errors()
            )
            return ToolResult(
                status=ToolStatus.ERROR, error=f"invalid parameters for {self.name}: {problems}", params=raw
            )
        try:
            result = self._run(parsed)
        except Exception as exc:  # the upstream failure is data for the model
            result = ToolResult(status=ToolStatus.ERROR, error=f"{self.name} failed: {type(exc).__name__}: {exc}")
        return result.model_copy(update={"params": parsed.model_dump(exclude_none=True)})

    @abstractmethod
    def _run(self, params: Any) -> ToolResult: ...


class _BackendTool(Tool, ABC):
    def __init__(self, backend: ToolBackend, max_chars: int = 8_000) -> None:
        self._backend = backend
        self._max_chars = max_chars

    def _names(self, collection: str, namespace: str | None) -> list[str]:
        return sorted(
            (o.get("metadata") or {}).get("name", "")
            for o in self._backend.list_objects(collection)
            if namespace is None
            or collection in CLUSTER_SCOPED
            or (o.get("metadata") or {}).get("namespace") == namespace
        )[:30]


class PodLogs(_BackendTool):
    name = "pod_logs"
    description = (
        "Read the log of one container of a pod (the newest lines). Use previous=true for the log of "
        "the last terminated instance of a crash-looping container (kubectl logs --previous): that is "
        "where the crash reason is. Omit container when the pod has a single container."
    )

    class Params(_Params):
        namespace: str = Field(min_length=1)
        pod: str = Field(min_length=1)
        container: str | None = None
        previous: bool = False
        tail_lines: int = Field(default=200, ge=1, le=1000, description="how many of the last lines to return")

    def _run(self, p: Params) -> ToolResult:
        pod = self._backend.get_object("pods", p.namespace, p.pod)
        if pod is None:
            # A deleted pod's log may still have been recorded; without the pod, the container must be named.
            if p.container and (log := self._backend.pod_log(p.namespace, p.pod, p.container, p.previous)):
                return self._log_result(p, p.container, log)
            pods = self._names("pods", p.namespace)
            return ToolResult(
                status=ToolStatus.NO_DATA, error=f"pod {p.namespace}/{p.pod} not found; pods in {p.namespace}: {pods}"
            )
        spec = pod.get("spec") or {}
        containers = [c.get("name") for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])]
        container = p.container
        if container is None:
            main = [c.get("name") for c in spec.get("containers") or []]
            if len(main) != 1:
                return ToolResult(
                    status=ToolStatus.ERROR, error=f"pod {p.pod} has containers {containers}; pass container"
                )
            container = main[0]
        elif container not in containers:
            return ToolResult(
                status=ToolStatus.ERROR, error=f"container {container!r} not in pod {p.pod}; containers: {containers}"
            )
        log = self._backend.pod_log(p.namespace, p.pod, container, p.previous)
        if not log:
            hint = ""
            if not p.previous and self._backend.pod_log(p.namespace, p.pod, container, True):
                hint = "; a previous-instance log exists, call again with previous=true"
            which = "previous " if p.previous else ""
            return ToolResult(
                status=ToolStatus.NO_DATA, error=f"no {which}log for {p.namespace}/{p.pod}/{container}{hint}"
            )
        return self._log_result(p, container, log)

    def _log_result(self, p: Params, container: str, log: str) -> ToolResult:
        lines = log.splitlines()[-p.tail_lines :]
        header = f"# {p.namespace}/{p.pod}/{container}{' (previous)' if p.previous else ''}, last {len(lines)} lines\n"
        room = max(self._max_chars - len(header) - 100, 200)  # leave room for the truncation note
        return ToolResult(status=ToolStatus.SUCCESS, data=header + truncate_tail("\n".join(lines), room))


class Events(_BackendTool):
    name = "events"
    description = (
        "List Kubernetes events, newest first, optionally filtered by namespace, the involved object's "
        "kind and name (a name prefix such as a deployment name matches its pods), and reason "
        "(e.g. FailedScheduling, BackOff, Unhealthy, FailedMount, Evicted)."
    )

    class Params(_Params):
        namespace: str | None = Field(default=None, description="omit for all namespaces")
        involved_kind: str | None = None
        involved_name: str | None = Field(default=None, description="exact name or name prefix")
        reason: str | None = None
        limit: int = Field(default=50, ge=1, le=200)

    def _run(self, p: Params) -> ToolResult:
        matched = []
        for ev in self._backend.list_objects("events"):
            obj = ev.get("involvedObject") or {}
            ns = obj.get("namespace") or (ev.get("metadata") or {}).get("namespace")
            if p.namespace and ns != p.namespace:
                continue
            if p.involved_kind and (obj.get("kind") or "").lower() != p.involved_kind.lower():
                continue
            if p.involved_name and not (obj.get("name") or "").startswith(p.involved_name):
                continue
            if p.reason and (ev.get("reason") or "").lower() != p.reason.lower():
                continue
            matched.append(ev)
        if not matched:
            return ToolResult(status=ToolStatus.NO_DATA, error="no events match these filters")
        matched.sort(key=_event_time, reverse=True)
        return ToolResult(status=ToolStatus.SUCCESS, data=[_compact_event(ev) for ev in matched[: p.limit]])


def _event_time(ev: dict[str, Any]) -> str:
    return (
        ev.get("lastTimestamp")
        or ev.get("eventTime")
        or ev.get("firstTimestamp")
        or (ev.get("metadata") or {}).get("creationTimestamp")
        or ""
    )


def _compact_event(ev: dict[str, Any]) -> dict[str, Any]:
    obj = ev.get("involvedObject") or {}
    return {
        "type": ev.get("type"),
        "reason": ev.get("reason"),
        "object": "/".join(x for x in (obj.get("kind"), obj.get("namespace"), obj.get("name")) if x),
        "message": ev.get("message"),
        "count": ev.get("count"),
        "last": _event_time(ev),
    }


class DescribeObject(_BackendTool):
    name = "describe_object"
    description = (
        "Get one Kubernetes object as JSON (spec and status; managedFields removed). Kinds: Pod, "
        "Deployment, ReplicaSet, Node, PersistentVolumeClaim, HorizontalPodAutoscaler, Service, "
        "ConfigMap, Secret (values hidden), StatefulSet, DaemonSet, Endpoints. Nodes take no namespace."
    )

    class Params(_Params):
        kind: str = Field(min_length=1)
        name: str = Field(min_length=1)
        namespace: str | None = None

    def _run(self, p: Params) -> ToolResult:
        collection = KIND_ALIASES.get(p.kind.lower())
        if collection is None:
            return ToolResult(
                status=ToolStatus.ERROR,
                error=f"unknown kind {p.kind!r}; use one of {sorted(set(KIND_ALIASES.values()))}",
            )
        obj = self._backend.get_object(collection, p.namespace, p.name)
        if obj is None:
            names = self._names(collection, p.namespace)
            return ToolResult(
                status=ToolStatus.NO_DATA,
                error=f"{p.kind} {p.namespace or ''}/{p.name} not found; {collection} there: {names}",
            )
        return ToolResult(status=ToolStatus.SUCCESS, data=trim_object(obj))


def trim_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy without the noise ``kubectl describe`` hides: managedFields, last-applied-configuration."""
    trimmed = copy.deepcopy(obj)
    meta = trimmed.get("metadata") or {}
    meta.pop("managedFields", None)
    (meta.get("annotations") or {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return trimmed


class DeployHistory(_BackendTool):
    name = "deploy_history"
    description = (
        "List recent deploys (image, actor, commit, timestamp), newest first, optionally for one "
        "service and/or namespace and since a time (RFC 3339). Compare deploy times with when the "
        "failure started."
    )

    class Params(_Params):
        service: str | None = None
        namespace: str | None = None
        since: str | None = Field(default=None, description="RFC 3339, e.g. 2026-03-11T13:00:00Z")
        limit: int = Field(default=20, ge=1, le=100)

    def _run(self, p: Params) -> ToolResult:
        since = parse_time(p.since)
        if p.since and since is None:
            return ToolResult(status=ToolStatus.ERROR, error=f"since {p.since!r} is not an RFC 3339 timestamp")
        deploys = [
            d
            for d in self._backend.deploys()
            if (not p.service or d.get("service") == p.service)
            and (not p.namespace or d.get("namespace") == p.namespace)
            and (since is None or ((t := parse_time(d.get("timestamp"))) is not None and t >= since))
        ]
        if not deploys:
            return ToolResult(status=ToolStatus.NO_DATA, error="no deploys match these filters")
        deploys.sort(key=lambda d: d.get("timestamp") or "", reverse=True)
        return ToolResult(status=ToolStatus.SUCCESS, data=deploys[: p.limit])


class KnowledgeSearch(Tool):
    name = "knowledge_search"
    description = "Search the team's runbooks and knowledge base; returns the most relevant passages."

    class Params(_Params):
        query: str = Field(min_length=3, max_length=500)
        limit: int = Field(default=5, ge=1, le=10)

    def __init__(self, search: KnowledgeSearchFn) -> None:
        self._search = search

    def _run(self, p: Params) -> ToolResult:
        hits = [dict(h) for h in self._search(p.query, p.limit)]
        if not hits:
            return ToolResult(status=ToolStatus.NO_DATA, error=f"no knowledge matches {p.query!r}")
        return ToolResult(status=ToolStatus.SUCCESS, data=hits[: p.limit])


class SimilarIncidents(Tool):
    name = "similar_incidents"
    description = (
        "Find past incidents similar to this alert (omit query) or to a query, with the diagnosis "
        "and remediation that resolved them. A past cause is a hypothesis to verify, not evidence."
    )

    class Params(_Params):
        query: str | None = Field(default=None, max_length=500)
        limit: int = Field(default=5, ge=1, le=10)

    def __init__(self, find: SimilarIncidentsFn) -> None:
        self._find = find

    def _run(self, p: Params) -> ToolResult:
        hits = [dict(h) for h in self._find(p.query, p.limit)]
        if not hits:
            return ToolResult(status=ToolStatus.NO_DATA, error="no similar past incidents")
        return ToolResult(status=ToolStatus.SUCCESS, data=hits[: p.limit])


class Toolset:
    """The tools offered to the model; every result is redacted before anyone reads it."""

    def __init__(self, tools: Sequence[Tool], *, max_chars: int = 8_000) -> None:
        self._tools = {tool.name: tool for tool in tools}
        self.max_chars = max_chars

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def definitions(self) -> list[dict[str, Any]]:
        """Tool definitions for the Messages API, in a stable order (it is part of the cached prefix)."""
        return [tool.definition() for tool in self._tools.values()]

    def invoke(self, name: str, params: Mapping[str, Any]) -> ToolResult:
        """Run tool ``name``; an unknown name is an ``ERROR`` result, never an exception."""
        tool = self._tools.get(name)
        if tool is None:
            return ToolResult(
                status=ToolStatus.ERROR, error=f"unknown tool {name!r}; tools: {self.names}", params=dict(params or {})
            )
        result = tool.invoke(params)
        return result.model_copy(
            update={
                "data": redact_obj(result.data),
                "error": redact_text(result.error or "") or None,
                "params": redact_obj(result.params),
            }
        )

    def render(self, result: ToolResult) -> str:
        """The result as the model reads it: bounded and redacted."""
        return redact_text(result.to_text(self.max_chars))


def build_toolset(
    backend: ToolBackend,
    *,
    knowledge: KnowledgeSearchFn | None = None,
    similar: SimilarIncidentsFn | None = None,
    max_chars: int = 8_000,
) -> Toolset:
    """The read-only tools over ``backend``, plus knowledge search and similar incidents when given."""
    tools: list[Tool] = [
        PodLogs(backend, max_chars),
        Events(backend, max_chars),
        DescribeObject(backend, max_chars),
        DeployHistory(backend, max_chars),
    ]
    if knowledge is not None:
        tools.append(KnowledgeSearch(knowledge))
    if similar is not None:
        tools.append(SimilarIncidents(similar))
    return Toolset(tools, max_chars=max_chars)
