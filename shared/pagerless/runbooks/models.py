"""What a runbook is: match rules, a risk level and steps taken only from the action catalog.

A step is one of three kinds:

- ``action``: an action of the catalog (``pagerless.remediation.actions``), its parameters
  written as templates over the run's context (``"{namespace}"``, ``"{deployment}"``...);
  optional ``verify`` (a read-only check, polled) and ``rollback`` (another catalog action);
- ``check``: a read-only check (``pagerless.runbooks.checks.CHECKS``). A check gates: one that
  fails stops the run there, before any later step (``on_fail: "stop"``, the default), and the
  steps before it that changed something are rolled back, as after a failed verify. A check that
  only records what it sees before the fix of that very state (the pods of a crash-looping
  Deployment) says ``on_fail: "continue"``;
- ``wait``: a pause of ``seconds``.

Nothing else can be written: there is no shell command and no free-form API call.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pagerless.remediation.actions import ACTION_TYPES

ACTION_NAMES = tuple(t.model_fields["action"].default for t in ACTION_TYPES)
CHECK_NAMES = (
    "workload_healthy",
    "pods_running",
    "node_ready",
    "deployment_revision",
    "certificate_expiry",
    "node_drained",
)
RUNBOOK_ID = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
OWNER_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")  # what workload_healthy's ``owner`` may name
_FIELD = re.compile(r"\{([a-z_]+)\}")
CONTEXT_FIELDS = (
    "namespace",
    "deployment",
    "pod",
    "node",
    "container",
    "service",
    "replicas",
    "memory_limit",
    "cpu_limit",
    "to_revision",
    "secret",
    "days",
    "current_replicas",
)


class RiskLevel(StrEnum):
    """Seed 001's ``risk_level``: ``auto`` may run under the policy alone, ``confirm`` asks a human for
    every mutating step, ``manual`` is never run by Pagerless (a read-only guide)."""

    AUTO = "auto"
    CONFIRM = "confirm"
    MANUAL = "manual"


class Check(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    check: Literal[CHECK_NAMES]  # type: ignore[valid-type]
    params: dict[str, str | int] = Field(default_factory=dict)
    max_attempts: int = Field(default=3, ge=1, le=60)  # a verify is polled this many times
    interval_seconds: int = Field(default=10, ge=0, le=3600)


class ActionSpec(BaseModel):
    """A catalog action with templated parameters, resolved against the run's context."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    action: Literal[ACTION_NAMES]  # type: ignore[valid-type]
    params: dict[str, str | int | bool | None] = Field(default_factory=dict)


class Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["action", "check", "wait"]
    action: ActionSpec | None = None
    check: Check | None = None
    seconds: int | None = Field(default=None, ge=0, le=3600)
    verify: Check | None = None
    rollback: ActionSpec | None = None
    timeout_sec: int = Field(default=60, ge=1, le=3600)
    description: str = Field(default="", max_length=500)
    on_fail: Literal["stop", "continue"] = "stop"  # a check step's: does its failure stop the run?

    @model_validator(mode="after")
    def _shape(self) -> Step:
        wanted = {"action": self.action, "check": self.check, "wait": self.seconds}
        if wanted[self.kind] is None:
            raise ValueError(f"a {self.kind} step needs `{'seconds' if self.kind == 'wait' else self.kind}`")
        extra = [k for k, v in wanted.items() if k != self.kind and v is not None]
        if extra:
            raise ValueError(f"a {self.kind} step cannot also have {extra}")
        if self.kind != "action" and (self.verify or self.rollback):
            raise ValueError("only an action step has a verify or a rollback")
        if self.kind != "check" and self.on_fail != "stop":
            raise ValueError("only a check step has on_fail")
        return self

    @property
    def mutating(self) -> bool:
        return self.kind == "action"


class Match(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    alert_types: list[str] = Field(default_factory=list)  # diagnosis categories / alert names, case-insensitive
    keywords: list[str] = Field(default_factory=list)  # any of them in the title or description
    labels: dict[str, str] = Field(default_factory=dict)  # every one must equal the incident's label


class Runbook(BaseModel):
    """One immutable version of a runbook."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=RUNBOOK_ID)
    version: int = Field(default=1, ge=1)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    match: Match = Match()
    risk_level: RiskLevel = RiskLevel.CONFIRM
    safety_checks: list[str] = Field(default_factory=list)  # "require_label:<name>" | "require_namespace"
    steps: list[Step] = Field(min_length=1, max_length=30)
    source: Literal["builtin", "custom", "generated"] = "custom"
    created_by: str = ""
    created_at: str = ""

    @model_validator(mode="after")
    def _safety_checks(self) -> Runbook:
        for rule in self.safety_checks:
            if not (rule.startswith("require_label:") and len(rule) > 14) and rule != "require_namespace":
                raise ValueError(f"unknown safety check {rule!r} (require_label:<name> or require_namespace)")
        return self

    def summary(self) -> dict:
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "risk_level": self.risk_level.value,
            "source": self.source,
            "step_count": len(self.steps),
            "match": self.match.model_dump(),
        }

    def context_fields(self) -> set[str]:
        """The context fields the steps' templates need."""
        found: set[str] = set()
        for step in self.steps:
            for spec in (step.action, step.rollback):
                if spec is not None:
                    found |= template_fields(spec.params)
            for check in (step.check, step.verify):
                if check is not None:
                    found |= template_fields(check.params)
        return found


def template_fields(params: dict) -> set[str]:
    return {m for v in params.values() if isinstance(v, str) for m in _FIELD.findall(v)}


class MissingContextError(ValueError):
    pass


def resolve(params: dict, context: dict) -> dict:
    """Fill ``{field}`` templates from ``context``; a value that is exactly one template keeps its type."""
    resolved = {}
    for key, value in params.items():
        if isinstance(value, str):
            missing = [f for f in _FIELD.findall(value) if context.get(f) in (None, "")]
            if missing:
                raise MissingContextError(f"the context has no {', '.join(missing)} (needed by {key})")
            whole = _FIELD.fullmatch(value)
            value = context[whole.group(1)] if whole else _FIELD.sub(lambda m: str(context[m.group(1)]), value)
        resolved[key] = value
    return resolved
