"""The action catalog: every remediation Pagerless can run, typed, with its risk and blast radius.

Actions are frozen pydantic models (they travel between Lambdas as JSON, discriminated by
``action``). An ``ActionPlan`` is one action plus why it was chosen and how to undo it; the
policy engine judges plans, the executor runs them.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pagerless.domain.errors import ValidationError
from pagerless.domain.phrases import Phrase
from pagerless.remediation.quantity import parse_quantity

DNS_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
MAX_NAME = 253  # a DNS-1123 subdomain's length


def not_a_name(**names: str | None) -> tuple[str, str] | None:
    """The first of ``names`` (field → value, None: not given) that is no Kubernetes name (RFC 1123, lower case,
    at most 253 characters), as (field, value); alert labels become these names, and a selector, a PromQL or
    a path built from one that is not (``payments"} or vector(1) #``) would say something else."""
    for field, value in names.items():
        if value is not None and (len(value) > MAX_NAME or not re.fullmatch(DNS_NAME, value)):
            return field, value
    return None


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class BlastRadius(StrEnum):
    """How much one action can break, ordered: single_pod < deployment < namespace < cluster."""

    SINGLE_POD = "single_pod"
    DEPLOYMENT = "deployment"
    NAMESPACE = "namespace"
    CLUSTER = "cluster"

    @property
    def rank(self) -> int:
        return list(BlastRadius).index(self)


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: ClassVar[str]
    risk: ClassVar[Risk]
    blast_radius: ClassVar[BlastRadius]
    reversible: ClassVar[bool]
    inverse: ClassVar[str]  # how to undo it, in words; ActionPlan.inverse holds the concrete action
    always_approve: ClassVar[bool] = False  # a human approves it under every autonomy level

    @property
    def namespace_scope(self) -> str | None:
        return getattr(self, "namespace", None)

    def summary(self) -> str:
        return self.description


class RestartPod(_Action):
    action: Literal["restart_pod"] = "restart_pod"
    namespace: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    pod: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    deployment: str | None = Field(
        default=None, pattern=DNS_NAME, max_length=MAX_NAME
    )  # the owner, when known: what verification watches

    description: ClassVar[str] = (
        "Evict one pod through the Eviction API (PodDisruptionBudgets hold); its controller recreates it."
    )
    risk: ClassVar[Risk] = Risk.LOW
    blast_radius: ClassVar[BlastRadius] = BlastRadius.SINGLE_POD
    reversible: ClassVar[bool] = False
    inverse: ClassVar[str] = "none needed: the ReplicaSet replaces the pod"


class DeletePod(_Action):
    action: Literal["delete_pod"] = "delete_pod"
    namespace: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    pod: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    deployment: str | None = Field(default=None, pattern=DNS_NAME, max_length=MAX_NAME)

    description: ClassVar[str] = "Delete one pod directly (bypasses PodDisruptionBudgets); its controller recreates it."
    risk: ClassVar[Risk] = Risk.MEDIUM
    blast_radius: ClassVar[BlastRadius] = BlastRadius.SINGLE_POD
    reversible: ClassVar[bool] = False
    inverse: ClassVar[str] = "none: a bare pod without a controller is gone for good"


class RolloutRestart(_Action):
    action: Literal["rollout_restart"] = "rollout_restart"
    namespace: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    deployment: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)

    description: ClassVar[str] = "Replace every pod of a Deployment with a rolling update (kubectl rollout restart)."
    risk: ClassVar[Risk] = Risk.LOW
    blast_radius: ClassVar[BlastRadius] = BlastRadius.DEPLOYMENT
    reversible: ClassVar[bool] = False
    inverse: ClassVar[str] = "none needed: the pod template is unchanged apart from a restartedAt annotation"


class ScaleDeployment(_Action):
    action: Literal["scale_deployment"] = "scale_deployment"
    namespace: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    deployment: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    replicas: int = Field(ge=0, le=1000)

    description: ClassVar[str] = "Set a Deployment's replica count through its /scale subresource."
    risk: ClassVar[Risk] = Risk.MEDIUM
    blast_radius: ClassVar[BlastRadius] = BlastRadius.DEPLOYMENT
    reversible: ClassVar[bool] = True
    inverse: ClassVar[str] = "scale_deployment back to the previous replica count"


class RollbackDeployment(_Action):
    action: Literal["rollback_deployment"] = "rollback_deployment"
    namespace: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    deployment: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    to_revision: int | None = Field(default=None, ge=1)  # None: the revision before the current one

    description: ClassVar[str] = "Set a Deployment's pod template to an earlier ReplicaSet's (kubectl rollout undo)."
    risk: ClassVar[Risk] = Risk.MEDIUM
    blast_radius: ClassVar[BlastRadius] = BlastRadius.DEPLOYMENT
    reversible: ClassVar[bool] = True
    inverse: ClassVar[str] = "rollback_deployment to the revision that was current before"


class PatchResources(_Action):
    action: Literal["patch_resources"] = "patch_resources"
    namespace: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    deployment: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    container: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    memory_limit: str | None = None
    cpu_limit: str | None = None

    description: ClassVar[str] = (
        "Raise a container's memory/CPU limit (and its request, if the request is above "
        "the new limit); starts a rollout."
    )
    risk: ClassVar[Risk] = Risk.MEDIUM
    blast_radius: ClassVar[BlastRadius] = BlastRadius.DEPLOYMENT
    reversible: ClassVar[bool] = True
    inverse: ClassVar[str] = "patch_resources back to the previous limits"

    @field_validator("memory_limit", "cpu_limit")
    @classmethod
    def _quantity(cls, value: str | None) -> str | None:
        try:
            if value is not None and parse_quantity(value) <= 0:
                raise ValueError("a limit must be above zero")
        except ValidationError as exc:
            raise ValueError(exc.message) from exc
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> PatchResources:
        if self.memory_limit is None and self.cpu_limit is None:
            raise ValueError("patch_resources needs memory_limit or cpu_limit")
        return self


class CordonNode(_Action):
    action: Literal["cordon_node"] = "cordon_node"
    node: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    unschedulable: bool = True  # False uncordons

    description: ClassVar[str] = "Mark a node unschedulable (kubectl cordon); running pods stay where they are."
    risk: ClassVar[Risk] = Risk.HIGH
    blast_radius: ClassVar[BlastRadius] = BlastRadius.CLUSTER
    reversible: ClassVar[bool] = True
    inverse: ClassVar[str] = "cordon_node with unschedulable=false (uncordon)"


class DrainNode(_Action):
    """kubectl drain --ignore-daemonsets, through the Eviction API (see ``remediation.drain``)."""

    action: Literal["drain_node"] = "drain_node"
    node: str = Field(pattern=DNS_NAME, max_length=MAX_NAME)
    delete_emptydir_data: bool = False  # evict pods with emptyDir volumes (their data is lost)
    evict_unmanaged: bool = False  # evict pods no controller owns (they do not come back)
    eviction_attempts: int = Field(default=3, ge=1, le=10)  # per pod, while a PodDisruptionBudget answers 429
    retry_seconds: float = Field(default=5.0, ge=0, le=60)  # wait before the next attempt (times the attempt)

    description: ClassVar[str] = (
        "Cordon a node and evict every pod on it through the Eviction API (kubectl drain "
        "--ignore-daemonsets): DaemonSet and mirror pods stay, pods with emptyDir or no "
        "controller only when asked, PodDisruptionBudgets hold."
    )
    risk: ClassVar[Risk] = Risk.HIGH
    blast_radius: ClassVar[BlastRadius] = BlastRadius.CLUSTER
    reversible: ClassVar[bool] = True
    inverse: ClassVar[str] = "cordon_node with unschedulable=false (uncordon); evicted pods are not moved back"
    always_approve: ClassVar[bool] = True


Action = Annotated[
    RestartPod
    | DeletePod
    | RolloutRestart
    | ScaleDeployment
    | RollbackDeployment
    | PatchResources
    | CordonNode
    | DrainNode,
    Field(discriminator="action"),
]
ACTION_TYPES: tuple[type[_Action], ...] = (
    RestartPod,
    DeletePod,
    RolloutRestart,
    ScaleDeployment,
    RollbackDeployment,
    PatchResources,
    CordonNode,
    DrainNode,
)


class ActionPlan(BaseModel):
    """One concrete action, why it was chosen, and how to undo it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Action
    remediation: str  # the taxonomy remediation id it implements
    reason: str  # in English; ``why`` says it as data, for the other languages (remediation.reasons)
    why: Phrase | None = None
    risk: Risk
    blast_radius: BlastRadius
    inverse: Action | None = None
    target: dict[str, str] = Field(default_factory=dict)  # what verification checks afterwards
    # for a pod action, the workload that owns the pod, read from the cluster whatever the action's deployment says
    # ("Deployment/payments-api", "StatefulSet/db"), or why that is not known: "gone" (no such pod), "no_owner" (a bare
    # pod) or the API's answer to the read ("403 Forbidden"); see remediation.workloads.with_pod_owner
    pod_owner: str | None = None
    pod_owner_unknown: str | None = None

    @classmethod
    def of(
        cls,
        action: _Action,
        remediation: str,
        reason: str | Phrase,
        *,
        risk: Risk | None = None,
        inverse: _Action | None = None,
        target: dict[str, str] | None = None,
    ) -> ActionPlan:
        why = reason if isinstance(reason, Phrase) else None
        if why is not None:
            from pagerless.remediation.reasons import render

            reason = render(why, "en") or why.code
        return cls(
            action=action,
            remediation=remediation,
            reason=reason,
            why=why,
            risk=risk or action.risk,
            blast_radius=action.blast_radius,
            inverse=inverse,
            target=target or {},
        )

    @property
    def workload(self) -> str:
        """What the plan counts against for the policy's rate limit, when it is checked and when it is
        recorded: ``namespace/deployment`` (a Deployment of the same name in another namespace is
        another workload), the node, or for a pod the owner read from the cluster (``namespace/<Kind>/name`` when
        that is not a Deployment), whatever deployment the action names (an alert's label does not choose which
        workload is charged); the deployment the action names only when no owner was read, the pod itself when it
        has neither."""
        action = self.action
        name = None
        if self.pod_owner:
            kind, _, owner = self.pod_owner.partition("/")
            name = owner if kind == "Deployment" else self.pod_owner
        name = (
            name or getattr(action, "deployment", None) or getattr(action, "pod", None) or getattr(action, "node", "")
        )
        return f"{action.namespace_scope}/{name}" if action.namespace_scope else name

    @property
    def id(self) -> str:
        """Stable for the same action and parameters: a policy decision names the plan it judged."""
        digest = hashlib.sha256(json.dumps(self.action.model_dump(), sort_keys=True).encode()).hexdigest()
        return f"{self.action.action}-{digest[:12]}"


class NoAction(BaseModel):
    """A remediation Pagerless will not run itself, and why: a human takes it from here."""

    model_config = ConfigDict(frozen=True)

    remediation: str
    reason: str  # in English; ``why`` says it as data (remediation.reasons.NOT_PLANNED)
    why: Phrase | None = None


def catalog() -> list[dict]:
    """The catalog as ``GET /api/actions`` lists it: name, description, risk, blast radius,
    reversibility and the JSON schema of its parameters."""
    entries = []
    for action_type in ACTION_TYPES:
        schema = action_type.model_json_schema()
        parameters = {name: prop for name, prop in schema["properties"].items() if name != "action"}
        entries.append(
            {
                "name": action_type.model_fields["action"].default,
                "description": action_type.description,
                "risk": action_type.risk.value,
                "blast_radius": action_type.blast_radius.value,
                "reversible": action_type.reversible,
                "inverse": action_type.inverse,
                "parameters": parameters,
                "required": [p for p in schema.get("required", []) if p != "action"],
            }
        )
    return entries
