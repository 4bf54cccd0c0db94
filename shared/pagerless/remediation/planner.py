"""From a diagnosis's remediation ids and target to a concrete, checkable ActionPlan.

The planner is pure: what it needs to know about the workload (its Deployment and ReplicaSets,
as Kubernetes JSON) is handed in as a ``Workload``; ``executor.read_workload`` fetches one.

A plan's ``reason`` says why this action: what it changes, from what to what, and where the diagnosis's category
says it, why that answers it ("roll back catalog-api from revision 19 to 18, the revision before the rollout that
started the failures"). It does not repeat the diagnosis, which every place that shows the proposal shows beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pagerless.diagnosis.models import Diagnosis
from pagerless.kube.annotations import REVISION
from pagerless.remediation.actions import (
    ActionPlan,
    CordonNode,
    DrainNode,
    NoAction,
    PatchResources,
    RestartPod,
    Risk,
    RollbackDeployment,
    RolloutRestart,
    ScaleDeployment,
    not_a_name,
)
from pagerless.remediation.dependency import is_dependency_outage, plan_dependency
from pagerless.remediation.policy import ActionLimits
from pagerless.remediation.quantity import MI, cpu_millis, format_cpu, format_memory, memory_bytes
from pagerless.remediation.reasons import not_planned, reason


@dataclass(frozen=True)
class PlannerLimits:
    """Ceilings the planner never proposes beyond, whatever the current values."""

    max_memory_bytes: int = 8 * 1024 * MI
    max_cpu_millis: int = 8000
    max_replicas: int = 20

    @classmethod
    def within(cls, bounds: ActionLimits) -> PlannerLimits:
        """The ceilings of a policy's ``action_limits``: the planner never proposes what the policy refuses."""
        return cls(
            max_memory_bytes=memory_bytes(bounds.max_memory_limit),
            max_cpu_millis=cpu_millis(bounds.max_cpu_limit),
            max_replicas=bounds.max_replicas,
        )


@dataclass(frozen=True)
class Workload:
    """What the planner knows of the target: its Deployment, ReplicaSets and the
    HorizontalPodAutoscalers that scale it (Kubernetes JSON); for a dependency that is down, the events about
    its Deployment too (`dependency.previous_replicas`)."""

    deployment: dict | None = None
    replicasets: list[dict] = field(default_factory=list)
    hpas: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def container(self, name: str | None) -> dict | None:
        containers = (self.deployment or {}).get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        if name is None and len(containers) == 1:
            return containers[0]
        return next((c for c in containers if c.get("name") == name), None)

    def revisions(self) -> list[int]:
        return sorted(int((rs["metadata"].get("annotations") or {}).get(REVISION, 0)) for rs in self.replicasets)

    @property
    def name(self) -> str | None:
        return (self.deployment or {}).get("metadata", {}).get("name")

    @property
    def current_revision(self) -> int | None:
        value = ((self.deployment or {}).get("metadata", {}).get("annotations") or {}).get(REVISION)
        return int(value) if value else None


def target_names(target: dict[str, str]) -> tuple[str | None, str | None, str | None, str | None]:
    """(namespace, deployment, pod, node) from a Finding target such as {"kind": "Pod", "name": ...}."""
    kind = (target.get("kind") or "").lower()
    deployment = target.get("deployment") or (target.get("name") if kind == "deployment" else None)
    pod = target.get("pod") or (target.get("name") if kind == "pod" else None)
    node = target.get("node") or (target.get("name") if kind == "node" else None)
    return target.get("namespace"), deployment, pod, node


def plan_remediation(
    remediation: str,
    target: dict[str, str],
    workload: Workload | None = None,
    *,
    category: str = "",
    limits: PlannerLimits = PlannerLimits(),
) -> ActionPlan | NoAction:
    """The action that carries out ``remediation`` on ``target``, or NoAction with the reason. ``category``: the
    diagnosis's, which the plan's reason may say the action answers."""
    workload = workload or Workload()
    namespace, deployment, pod, node = target_names(target)
    if bad := not_a_name(
        namespace=namespace, deployment=deployment, pod=pod, node=node, container=target.get("container")
    ):
        return not_planned(remediation, "not_a_name", field=bad[0], value=bad[1])
    deployment = deployment or workload.name
    verify_target = {k: v for k, v in {"namespace": namespace, "deployment": deployment, "pod": pod}.items() if v}
    if remediation == "remediate_node":
        if not node:
            return not_planned(remediation, "no_node", verb="cordon")
        return ActionPlan.of(
            CordonNode(node=node),
            remediation,
            reason("cordon_node", node=node),
            inverse=CordonNode(node=node, unschedulable=False),  # run only if it cordoned (remediation.restore)
            target=_node_target(node, verify_target, keeps_pods=True),
        )
    if remediation == "drain_node":
        if not node:
            return not_planned(remediation, "no_node", verb="drain")
        return ActionPlan.of(
            DrainNode(node=node),
            remediation,
            reason("drain_node", node=node),
            inverse=CordonNode(node=node, unschedulable=False),  # run only if it cordoned (remediation.restore)
            target=_node_target(node, verify_target, keeps_pods=False),
        )
    if not namespace:
        return not_planned(remediation, "no_namespace")
    if remediation == "restart_pod":
        if pod:
            return ActionPlan.of(
                RestartPod(namespace=namespace, pod=pod, deployment=deployment),
                remediation,
                reason("restart_pod", pod=pod),
                target=verify_target,
            )
        if deployment:
            return ActionPlan.of(
                RolloutRestart(namespace=namespace, deployment=deployment),
                remediation,
                reason("rollout_restart", deployment=deployment),
                target=verify_target,
            )
        return not_planned(remediation, "no_pod_or_deployment")
    if remediation in _DEPLOYMENT_PLANNERS:
        if not deployment:
            return not_planned(remediation, "no_deployment", remediation=remediation)
        if workload.deployment is None:
            return not_planned(remediation, "unreadable_deployment", namespace=namespace, deployment=deployment)
        return _DEPLOYMENT_PLANNERS[remediation](
            namespace, deployment, target, workload, category, limits, verify_target
        )
    return not_planned(remediation, "by_human", remediation=remediation)


def _node_target(node: str, workload: dict[str, str], *, keeps_pods: bool) -> dict[str, str]:
    """What verification checks after a node action: the node, and the alert's workload when the
    diagnosis names one (its Deployment; a pod only if the action leaves it in place, a drain evicts it)."""
    if "namespace" not in workload or not ("deployment" in workload or (keeps_pods and "pod" in workload)):
        return {"node": node}
    named = {"deployment": workload["deployment"]} if "deployment" in workload else {"pod": workload["pod"]}
    return {"node": node, "namespace": workload["namespace"], **named}


def plan_diagnosis(
    diagnosis: Diagnosis,
    workload: Workload | None = None,
    *,
    dependency: Workload | None = None,
    limits: PlannerLimits = PlannerLimits(),
) -> list[ActionPlan | NoAction]:
    """One plan (or NoAction) per remediation id of the diagnosis, in the diagnosis's order. When the diagnosis
    blames a dependency of its target (`dependency.is_dependency_outage`), each is planned on the dependency
    (``dependency``: its Deployment's workload, `dependency.dependency_target`), never on the target, and two
    remediations that plan the same action give it once."""
    if not is_dependency_outage(diagnosis.category, diagnosis.target):
        return [
            plan_remediation(remediation, diagnosis.target, workload, category=diagnosis.category, limits=limits)
            for remediation in diagnosis.remediations
        ]
    planned: list[ActionPlan | NoAction] = []
    for remediation in diagnosis.remediations:
        plan = plan_dependency(remediation, diagnosis.target, dependency or Workload(), limits=limits)
        if not any(isinstance(p, ActionPlan) and isinstance(plan, ActionPlan) and p.id == plan.id for p in planned):
            planned.append(plan)
    return planned


def _increase_memory(namespace, deployment, target, workload, category, limits, verify_target):
    container = workload.container(target.get("container"))
    if container is None:
        return not_planned("increase_memory_limit", "no_container", container=target.get("container"))
    current = (container.get("resources") or {}).get("limits", {}).get("memory")
    if not current:
        return not_planned("increase_memory_limit", "no_memory_limit", container=container["name"])
    new = min(math.ceil(memory_bytes(current) * 2 / MI) * MI, limits.max_memory_bytes)
    if new <= memory_bytes(current):
        cap = format_memory(limits.max_memory_bytes)
        return not_planned("increase_memory_limit", "memory_at_cap", current=current, cap=cap)
    action = PatchResources(
        namespace=namespace, deployment=deployment, container=container["name"], memory_limit=format_memory(new)
    )
    inverse = PatchResources(
        namespace=namespace, deployment=deployment, container=container["name"], memory_limit=current
    )
    why = reason(
        "increase_memory_limit",
        container=container["name"],
        deployment=deployment,
        current=current,
        new=format_memory(new),
        capped=new == limits.max_memory_bytes,
        oom=category == "oom_killed",
    )
    return ActionPlan.of(
        action,
        "increase_memory_limit",
        why,
        inverse=inverse,
        target=verify_target,
    )


def _increase_cpu(namespace, deployment, target, workload, category, limits, verify_target):
    container = workload.container(target.get("container"))
    if container is None:
        return not_planned("increase_cpu_limit", "no_container", container=target.get("container"))
    current = (container.get("resources") or {}).get("limits", {}).get("cpu")
    if not current:
        return not_planned("increase_cpu_limit", "no_cpu_limit", container=container["name"])
    new = min(cpu_millis(current) * 2, limits.max_cpu_millis)
    if new <= cpu_millis(current):
        return not_planned("increase_cpu_limit", "cpu_at_cap", current=current)
    action = PatchResources(
        namespace=namespace, deployment=deployment, container=container["name"], cpu_limit=format_cpu(new)
    )
    inverse = PatchResources(namespace=namespace, deployment=deployment, container=container["name"], cpu_limit=current)
    why = reason(
        "increase_cpu_limit",
        container=container["name"],
        deployment=deployment,
        current=current,
        new=format_cpu(new),
        capped=new == limits.max_cpu_millis,
        throttled=category == "cpu_throttling",
    )
    return ActionPlan.of(
        action,
        "increase_cpu_limit",
        why,
        inverse=inverse,
        target=verify_target,
    )


def _rollback(namespace, deployment, target, workload, category, limits, verify_target):
    current = workload.current_revision
    earlier = [r for r in workload.revisions() if current is None or r < current]
    if not earlier:
        return not_planned("rollback_deployment", "no_earlier_revision", deployment=deployment)
    action = RollbackDeployment(namespace=namespace, deployment=deployment, to_revision=earlier[-1])
    inverse = RollbackDeployment(namespace=namespace, deployment=deployment, to_revision=current) if current else None
    why = reason(
        "rollback_deployment",
        deployment=deployment,
        current=current,
        to=earlier[-1],
        bad_deploy=category == "bad_deploy",
    )
    return ActionPlan.of(
        action,
        "rollback_deployment",
        why,
        inverse=inverse,
        target=verify_target,
    )


def _scale(namespace, deployment, target, workload, category, limits, verify_target):
    if workload.hpas:  # it would set the replicas straight back; its bounds are what to change
        hpa = workload.hpas[0]
        spec = hpa.get("spec") or {}
        return not_planned(
            "scale_deployment",
            "scaled_by_hpa",
            deployment=deployment,
            hpa=hpa["metadata"]["name"],
            min=spec.get("minReplicas", 1),
            max=spec.get("maxReplicas"),
        )
    current = workload.deployment.get("spec", {}).get("replicas", 1)
    asked = target.get("replicas")
    if asked is not None and asked != "":
        if not (isinstance(asked, int) or (isinstance(asked, str) and asked.strip().isdecimal())):
            return not_planned("scale_deployment", "replicas_not_whole", asked=asked)
        wanted = int(asked)
    else:
        wanted = max(current + 1, math.ceil(current * 1.5))
    if wanted > limits.max_replicas and current >= limits.max_replicas:
        # capping would scale it down: not what was asked
        return not_planned(
            "scale_deployment", "replicas_at_cap", deployment=deployment, current=current, cap=limits.max_replicas
        )
    wanted = min(wanted, limits.max_replicas)
    if wanted == current:
        return not_planned("scale_deployment", "replicas_already", deployment=deployment, current=current)
    risk = Risk.LOW if wanted > current else Risk.HIGH if wanted == 0 else Risk.MEDIUM
    action = ScaleDeployment(namespace=namespace, deployment=deployment, replicas=wanted)
    inverse = ScaleDeployment(namespace=namespace, deployment=deployment, replicas=current)
    return ActionPlan.of(
        action,
        "scale_deployment",
        reason(
            "scale_deployment", deployment=deployment, current=current, wanted=wanted, asked=asked not in (None, "")
        ),
        risk=risk,
        inverse=inverse,
        target=verify_target,
    )


_DEPLOYMENT_PLANNERS = {
    "increase_memory_limit": _increase_memory,
    "increase_cpu_limit": _increase_cpu,
    "rollback_deployment": _rollback,
    "scale_deployment": _scale,
}
