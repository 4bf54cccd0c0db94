"""Read-only investigation tools (the contract they follow is `pagerless.diagnosis.llm.tool`).

Pod logs, events, object descriptions and deploy history read the incident's cluster snapshot;
knowledge search and similar incidents read Pagerless's own records. ``build_toolset`` gives the
investigator the set it may use.
"""

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import Field

from pagerless.clock import parse_time
from pagerless.diagnosis.llm.backend import KIND_ALIASES, ToolBackend
from pagerless.diagnosis.llm.redact import redact_obj, redact_text
from pagerless.diagnosis.llm.tool import (
    BackendTool,
    StrictParams,
    Tool,
    ToolResult,
    ToolStatus,
    truncate_tail,
)

KnowledgeSearchFn = Callable[[str, int], Sequence[Mapping[str, Any]]]
"""(query, limit) → runbook/knowledge passages, e.g. ``{"title", "source", "text"}``."""
SimilarIncidentsFn = Callable[[str | None, int], Sequence[Mapping[str, Any]]]
"""(query or None for "like this alert", limit) → past incidents with their resolved diagnosis."""


class PodLogs(BackendTool):
    name = "pod_logs"
    description = (
        "Read the log of one container of a pod (the newest lines). Use previous=true for the log of "
        "the last terminated instance of a crash-looping container (kubectl logs --previous): that is "
        "where the crash reason is. Omit container when the pod has a single container."
    )

    class Params(StrictParams):
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


class Events(BackendTool):
    name = "events"
    description = (
        "List Kubernetes events, newest first, optionally filtered by namespace, the involved object's "
        "kind and name (a name prefix such as a deployment name matches its pods), and reason "
        "(e.g. FailedScheduling, BackOff, Unhealthy, FailedMount, Evicted)."
    )

    class Params(StrictParams):
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
    # A recurring events.k8s.io event keeps its first occurrence in eventTime, its latest in the series.
    return (
        ev.get("lastTimestamp")
        or (ev.get("series") or {}).get("lastObservedTime")
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
        "count": ev.get("count") or (ev.get("series") or {}).get("count"),
        "last": _event_time(ev),
    }


class DescribeObject(BackendTool):
    name = "describe_object"
    description = (
        "Get one Kubernetes object as JSON (spec and status; managedFields removed). Kinds: Pod, "
        "Deployment, ReplicaSet, Node, PersistentVolumeClaim, HorizontalPodAutoscaler, Service, "
        "ConfigMap, Secret (values hidden), StatefulSet, DaemonSet, Endpoints. Nodes take no namespace."
    )

    class Params(StrictParams):
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


class DeployHistory(BackendTool):
    name = "deploy_history"
    description = (
        "List recent deploys (image, actor, commit, timestamp), newest first, optionally for one "
        "service and/or namespace and since a time (RFC 3339). Compare deploy times with when the "
        "failure started."
    )

    class Params(StrictParams):
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

    class Params(StrictParams):
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

    class Params(StrictParams):
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
