"""The tool contract, following HolmesGPT's: what a tool is, what it returns, how text is cut.

Each tool has a ``name``, a ``description`` written for the model, typed parameters (a pydantic
model whose JSON schema is the tool's ``input_schema``) and ``invoke(params) -> ToolResult``.
Failures are data: an ``ERROR`` result carries the upstream message so the model can correct its
call; ``NO_DATA`` says the question was valid but the snapshot has nothing for it. The tools
themselves are in `pagerless.diagnosis.llm.tools`.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pagerless.diagnosis.llm.backend import CLUSTER_SCOPED, ToolBackend


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


class StrictParams(BaseModel):
    """Tool parameters: an unknown parameter is an error the model reads."""

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


class BackendTool(Tool, ABC):
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
