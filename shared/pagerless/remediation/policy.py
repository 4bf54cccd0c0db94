"""The policy engine: plain code, outside the LLM, that decides whether a plan may run.

``evaluate(plan, policy, context)`` is pure. Rules run in this order and the first that decides
names itself in ``Decision.rule``:

1. ``kill_switch``           nothing runs while it is on
   ``action_disabled``        the workspace switched this action off (/api/plugins)
2. ``autonomy:observe``       proposals only, nothing runs
3. ``denied_namespace``       the namespace is denied
4. ``namespace_not_allowed``  allowed_namespaces is set and the action is outside it
                              (cluster-scoped actions are outside every namespace)
   ``service_scope``          for an incident, the action leaves its service's part of the cluster as the service
                              catalog draws it, or acts on a pod another workload owns (or whose owner is not
                              known), whatever the alert's labels say (`service_scope`)
   ``action_limits``          the action sets more replicas, or a higher memory/CPU limit, than the
                              policy's bounds (by default the planner's ceilings: 20 replicas, 8Gi, 8 CPUs),
                              whoever asked for it: the planner, an API request, a runbook step, a rollback
5. ``max_blast_radius``       the action reaches further than the policy allows
6. ``change_freeze``          now is inside a dated or weekly freeze window
7. ``rate_limit``             the workload (``ActionPlan.workload``) already had max_actions within window_minutes
   (a dry run changes nothing: ``evaluate_dry_run`` leaves rules 6 and 7, which are about now rather than the
   action, out, and the dry run says what the real run would be told, ``dry_run_message``; so a fix can be
   previewed during a freeze, to run when it ends)
   (a drain_node is judged per pod: rules 3 and 4 travel in the Decision and the executor
   refuses the whole drain if one pod on the node is outside them)
8. ``autonomy:approve``       allowed, a human approves first
   (an action marked ``always_approve``, a drain, needs a human under every autonomy level; so does a fix on a
   dependency of the incident's service, not the service: `service_scope.dependency_changed`)
   ``autonomy:auto-safe``     allowed; runs at once if low risk and single_pod/deployment, else approval
   ``autonomy:auto``          allowed, runs at once
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pagerless.clock import zone_field
from pagerless.domain.errors import ValidationError
from pagerless.domain.phrases import Phrase
from pagerless.domain.schema_docs import documented
from pagerless.remediation.actions import ActionPlan, BlastRadius, PatchResources, Risk, ScaleDeployment
from pagerless.remediation.policy_phrases import english, why
from pagerless.remediation.quantity import cpu_millis, memory_bytes, parse_quantity
from pagerless.remediation.service_scope import ServiceScope, dependency_changed, refusal

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Autonomy(StrEnum):
    OBSERVE = "observe"
    APPROVE = "approve"
    AUTO_SAFE = "auto-safe"
    AUTO = "auto"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetimes need a time zone (e.g. 2026-03-11T14:00:00Z)")
    return value


class FreezeWindow(BaseModel):
    """A dated change freeze, e.g. a release week or a holiday."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    start: datetime
    end: datetime
    reason: str = ""

    @field_validator("start", "end")
    @classmethod
    def _tz(cls, value: datetime) -> datetime:
        return _aware(value)

    @model_validator(mode="after")
    def _ordered(self) -> FreezeWindow:
        if self.end <= self.start:
            raise ValueError("a freeze window must end after it starts")
        return self

    def covers(self, now: datetime) -> bool:
        return self.start <= now < self.end


class WeeklyFreeze(BaseModel):
    """A recurring freeze, e.g. Friday 16:00 to Monday 08:00 Europe/Paris: each listed day, from
    ``start`` for ``hours`` (a window may run past midnight into the next days)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    days: list[Weekday] = Field(min_length=1)
    start: time
    hours: float = Field(gt=0, le=168)
    timezone: str = "UTC"
    reason: str = ""

    _zone = field_validator("timezone")(classmethod(lambda cls, value, info: zone_field(value, info)))

    def covers(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        for days_back in range(0, 8):
            day = local.date() - timedelta(days=days_back)
            if WEEKDAYS[day.weekday()] not in self.days:
                continue
            opens = datetime.combine(day, self.start, tzinfo=ZoneInfo(self.timezone))
            if opens <= local < opens + timedelta(hours=self.hours):
                return True
        return False


class RateLimit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    max_actions: int = Field(default=3, ge=1)
    window_minutes: int = Field(default=60, ge=1)


class ActionLimits(BaseModel):
    """Upper bounds on what an action may set, whatever proposed it. The defaults are the planner's
    ceilings (``planner.PlannerLimits``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    max_replicas: int = Field(default=20, ge=0, le=1000)
    max_memory_limit: str = "8Gi"
    max_cpu_limit: str = "8"

    @field_validator("max_memory_limit", "max_cpu_limit")
    @classmethod
    def _quantity(cls, value: str) -> str:
        try:
            if parse_quantity(value) <= 0:
                raise ValueError("a bound must be above zero")
        except ValidationError as exc:
            raise ValueError(exc.message) from exc
        return value

    def exceeded(self, plan: ActionPlan) -> str | None:
        """Which bound ``plan`` goes past, in words, or None."""
        bounds = self.bounds_exceeded(plan)
        if not bounds:
            return None
        if bounds[0]["bound"] == "max_replicas":
            return f"scale_deployment to {bounds[0]['value']} replicas exceeds action_limits.max_replicas {bounds[0]['max']}"
        over = [f"{_LIMITED[b['bound']]} {b['value']} exceeds action_limits.{b['bound']} {b['max']}" for b in bounds]
        return f"patch_resources: {'; '.join(over)}"

    def bounds_exceeded(self, plan: ActionPlan) -> list[dict]:
        """Each bound ``plan`` goes past, as data (``bound``: the field of ``action_limits``, ``value``, ``max``)."""
        action = plan.action
        if isinstance(action, ScaleDeployment) and action.replicas > self.max_replicas:
            return [{"bound": "max_replicas", "value": action.replicas, "max": self.max_replicas}]
        if not isinstance(action, PatchResources):
            return []
        over = []
        if action.memory_limit and memory_bytes(action.memory_limit) > memory_bytes(self.max_memory_limit):
            over.append({"bound": "max_memory_limit", "value": action.memory_limit, "max": self.max_memory_limit})
        if action.cpu_limit and cpu_millis(action.cpu_limit) > cpu_millis(self.max_cpu_limit):
            over.append({"bound": "max_cpu_limit", "value": action.cpu_limit, "max": self.max_cpu_limit})
        return over


# what each bound of ``action_limits`` limits, in the English of ``ActionLimits.exceeded``
_LIMITED = {"max_memory_limit": "memory limit", "max_cpu_limit": "CPU limit"}


class Policy(BaseModel):
    """A workspace's remediation policy. The defaults are the cautious ones."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        **documented(
            {
                "autonomy": "approve",
                "denied_namespaces": ["kube-system"],
                "max_blast_radius": "deployment",
                "rate_limit": {"max_actions": 3, "window_minutes": 60},
                "kill_switch": False,
                "action_limits": {"max_replicas": 20, "max_memory_limit": "8Gi", "max_cpu_limit": "8"},
            },
            autonomy="observe, approve, auto-safe or auto.",
            allowed_namespaces="If set, actions run only in these namespaces.",
            denied_namespaces="Actions never run in these namespaces (a drain: for any of its pods).",
            max_blast_radius="single_pod, deployment, namespace or cluster.",
            rate_limit=(
                "At most max_actions per workload (namespace/deployment, the workload that owns a pod, or node) "
                "within window_minutes."
            ),
            freeze_windows="Dated change freezes.",
            weekly_freezes="Recurring change freezes.",
            kill_switch="true: no action runs.",
            service_scope=(
                "true (default): an incident's action stays in its service's part of the cluster, whatever the "
                "alert's labels say: never another catalogued service's deployment, nor a pod that none of the "
                "service's workloads owns (those its catalog entry lists, else the one named as the service); once the catalog names a namespace, only in the "
                "service's namespace (never another service's, nor one no service owns). Applies once the service "
                "catalog lists a service."
            ),
            approval_timeout_seconds="How long an approval waits for a human.",
            action_limits=(
                "Upper bounds on any action, whoever proposes it (planner, API, runbook): max_replicas for a "
                "scale, max_memory_limit and max_cpu_limit for a resource patch."
            ),
        ),
    )

    autonomy: Autonomy = Autonomy.APPROVE
    allowed_namespaces: list[str] = Field(default_factory=list)  # empty: every namespace
    denied_namespaces: list[str] = Field(default_factory=lambda: ["kube-system"])
    max_blast_radius: BlastRadius = BlastRadius.DEPLOYMENT
    rate_limit: RateLimit = RateLimit()
    freeze_windows: list[FreezeWindow] = Field(default_factory=list)
    weekly_freezes: list[WeeklyFreeze] = Field(default_factory=list)
    kill_switch: bool = False
    service_scope: bool = True
    approval_timeout_seconds: int = Field(default=1800, ge=60, le=7 * 24 * 3600)
    action_limits: ActionLimits = ActionLimits()

    @field_validator("allowed_namespaces", "denied_namespaces", mode="before")
    @classmethod
    def _namespace_names(cls, value: object) -> object:
        # Kubernetes names namespaces in lower case: "Kube-System " typed by a person means
        # kube-system, and must deny it, not silently match nothing
        if isinstance(value, list):
            return [name.strip().lower() if isinstance(name, str) else name for name in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        both = set(self.allowed_namespaces) & set(self.denied_namespaces)
        if both:
            raise ValueError(f"namespaces both allowed and denied: {sorted(both)}")
        return self


class PolicyContext(BaseModel):
    """What the engine needs to know of the world: the time and what already ran."""

    model_config = ConfigDict(frozen=True)
    now: datetime
    recent_actions: dict[str, list[datetime]] = Field(default_factory=dict)  # ActionPlan.workload → when actions ran
    disabled_actions: frozenset[str] = frozenset()  # action names the workspace switched off
    scope: ServiceScope = ServiceScope()  # the incident's service and the service catalog (`service_scope`)

    @field_validator("now")
    @classmethod
    def _tz(cls, value: datetime) -> datetime:
        return _aware(value)


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)
    allowed: bool
    requires_approval: bool
    rule: str
    reason: str
    # ``reason`` as data, said per language (`policy_phrases`); not in the stored or returned decision
    why: Phrase | None = Field(default=None, exclude=True)
    plan_id: str = ""
    approval_timeout_seconds: int | None = None  # how long to wait for a human, when one must approve
    # for an action that touches pods in many namespaces (a drain): the namespace rules, applied per pod
    pod_denied_namespaces: list[str] = Field(default_factory=list)
    pod_allowed_namespaces: list[str] = Field(default_factory=list)

    @property
    def may_run_now(self) -> bool:
        return self.allowed and not self.requires_approval

    def pod_refusal(self, namespace: str) -> str | None:
        """Why the policy forbids touching a pod of ``namespace`` (a drain's per-pod rule), or None."""
        if namespace in self.pod_denied_namespaces:
            return f"denied_namespace: namespace {namespace} is denied"
        if self.pod_allowed_namespaces and namespace not in self.pod_allowed_namespaces:
            return f"namespace_not_allowed: namespace {namespace} is outside {self.pod_allowed_namespaces}"
        return None


def evaluate(plan: ActionPlan, policy: Policy, context: PolicyContext) -> Decision:
    """Decide whether ``plan`` may run, and whether a human must approve it first."""

    def deny(rule: str, said: Phrase) -> Decision:
        return Decision(
            allowed=False, requires_approval=False, rule=rule, reason=english(said), why=said, plan_id=plan.id
        )

    action = plan.action
    namespace = action.namespace_scope
    per_pod = action.action == "drain_node"  # its pods' namespaces are judged one by one when it runs
    if policy.kill_switch:
        return deny("kill_switch", why("kill_switch"))
    if action.action in context.disabled_actions:
        return deny("action_disabled", why("action_disabled", action=action.action))
    if policy.autonomy is Autonomy.OBSERVE:
        return deny("autonomy:observe", why("observe"))
    if not per_pod and namespace in policy.denied_namespaces:
        return deny("denied_namespace", why("denied_namespace", namespace=namespace))
    if not per_pod and policy.allowed_namespaces and namespace not in policy.allowed_namespaces:
        outside = why("namespace_not_allowed", namespace=namespace, allowed=list(policy.allowed_namespaces))
        return deny("namespace_not_allowed", outside)
    if policy.service_scope and (beyond := refusal(plan, context.scope)):
        return deny("service_scope", beyond)
    if over := policy.action_limits.exceeded(plan):
        return deny("action_limits", why("action_limits", over=over, bounds=policy.action_limits.bounds_exceeded(plan)))
    if plan.blast_radius.rank > policy.max_blast_radius.rank:
        wider = why("max_blast_radius", radius=plan.blast_radius.value, max=policy.max_blast_radius.value)
        return deny("max_blast_radius", wider)
    for window in [*policy.freeze_windows, *policy.weekly_freezes]:
        if window.covers(context.now):
            return deny("change_freeze", why("change_freeze", why=window.reason))
    since = context.now - timedelta(minutes=policy.rate_limit.window_minutes)
    recent = [t for t in context.recent_actions.get(plan.workload, []) if t > since]
    if len(recent) >= policy.rate_limit.max_actions:
        limits = policy.rate_limit
        return deny(
            "rate_limit",
            why(
                "rate_limit",
                workload=plan.workload,
                count=len(recent),
                window=limits.window_minutes,
                max=limits.max_actions,
            ),
        )
    rule = f"autonomy:{policy.autonomy.value}"
    scope = (
        {
            "pod_denied_namespaces": list(policy.denied_namespaces),
            "pod_allowed_namespaces": list(policy.allowed_namespaces),
        }
        if per_pod
        else {}
    )
    if dependency := dependency_changed(plan, context.scope):
        return Decision(
            allowed=True,
            requires_approval=True,
            rule=rule,
            plan_id=plan.id,
            **_because(why("dependency_change", dependency=dependency, service=context.scope.service)),
            approval_timeout_seconds=policy.approval_timeout_seconds,
        )
    if type(action).always_approve:
        return Decision(
            allowed=True,
            requires_approval=True,
            rule=rule,
            plan_id=plan.id,
            **scope,
            **_because(why("always_approve", action=action.action, risk=plan.risk.value)),
            approval_timeout_seconds=policy.approval_timeout_seconds,
        )
    if policy.autonomy is Autonomy.AUTO:
        return Decision(allowed=True, requires_approval=False, rule=rule, **_because(why("auto")), plan_id=plan.id)
    if policy.autonomy is Autonomy.AUTO_SAFE:
        safe = plan.risk is Risk.LOW and plan.blast_radius in (BlastRadius.SINGLE_POD, BlastRadius.DEPLOYMENT)
        said = why("auto_safe") if safe else why("needs_approval", risk=plan.risk.value, radius=plan.blast_radius.value)
        return Decision(
            allowed=True,
            requires_approval=not safe,
            rule=rule,
            **_because(said),
            plan_id=plan.id,
            approval_timeout_seconds=None if safe else policy.approval_timeout_seconds,
        )
    return Decision(
        allowed=True,
        requires_approval=True,
        rule=rule,
        **_because(why("every_action")),
        plan_id=plan.id,
        approval_timeout_seconds=policy.approval_timeout_seconds,
    )


def _because(said: Phrase) -> dict:
    """A decision's reason: its English and its phrase."""
    return {"reason": english(said), "why": said}


def evaluate_dry_run(plan: ActionPlan, policy: Policy, context: PolicyContext) -> Decision:
    """Whether a server-side dry run of ``plan`` may be sent: every rule of `evaluate` but the two about now,
    which forbid changes and a dry run makes none: the rate limit and the change freeze. A rule that forbids
    the action itself (a denied namespace, the action limits, the kill switch) refuses its dry run too."""
    unfrozen = policy.model_copy(update={"freeze_windows": [], "weekly_freezes": []})
    return evaluate(plan, unfrozen, context.model_copy(update={"recent_actions": {}}))


def dry_run_message(message: str, decision: Decision) -> str:
    """A dry run's ``message``, and what the policy says of running it for real now (``decision``, from
    `evaluate`) when it would not allow it: a preview that does not say a real run would be refused misleads."""
    if decision.allowed:
        return message
    return f"{message}; a real run now would be blocked by policy rule {decision.rule}: {decision.reason}"
