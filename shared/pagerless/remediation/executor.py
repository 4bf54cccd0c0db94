"""Run a plan against the cluster: server-side dry run first, then the real call, never unbidden.

``execute`` applies only what the policy decided: without an allowing Decision for this very
plan (and an approver when the decision asks for one) it returns a ``refused`` outcome and sends
nothing to the cluster. A PodDisruptionBudget that forbids an eviction is an outcome
(``blocked_by_pdb``) after a bounded number of attempts, not an endless retry. Every outcome is
data: status, message, attempts, times and the field-level changes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pagerless.kube.annotations import REVISION
from pagerless.kube.clients import ChangeWithheldError, KubeClients
from pagerless.remediation import actions as a
from pagerless.remediation.action_phrases import dry_run_phrase, english, succeeded_phrase
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.diff import Change, diff, render
from pagerless.remediation.policy import Decision
from pagerless.remediation.reasons import refusal
from pagerless.remediation.reasons import render as render_reason
from pagerless.remediation.workloads import owned_replicasets

Status = Literal[
    "succeeded",
    "would_change",
    "no_change",
    "blocked_by_pdb",
    "refused",
    "not_found",
    "rejected",
    "forbidden",
    "conflict",
    "failed",
]
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
HASH_LABEL = "pod-template-hash"
_RETRYABLE = {429, 409, 500, 503, 504}


class DryRunResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    plan_id: str
    action: str
    status: Status
    message: str
    changes: list[Change] = Field(default_factory=list)

    @property
    def diff(self) -> str:
        """The changes, one `field: before → after` a line, for the approver."""
        return render(self.changes)


class ActionOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)
    plan_id: str
    action: str
    status: Status
    message: str
    started_at: datetime
    finished_at: datetime
    attempts: int = 0
    changes: list[Change] = Field(default_factory=list)
    decision_rule: str = ""
    approved_by: str | None = None
    # the message as a phrase (`reasons`), where Pagerless wrote it (a refusal): a Chinese page says it from this
    message_phrase: dict | None = None


class _Failed(Exception):
    def __init__(
        self, status: Status, message: str, http_status: int | None = None, changes: list[Change] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.http_status = status, message, http_status
        self.changes = changes or []  # what was done before it failed (a partial drain)


def dry_run(plan: ActionPlan, kube: KubeClients, decision: Decision | None = None) -> DryRunResult:
    """Ask the API server to validate the action with ``dryRun=All`` and report what would change.

    ``decision`` carries the per-pod namespace rules of a drain; without one none apply."""
    try:
        changes = _apply(plan.action, kube, dry=True, decision=decision)
    except _Failed as failure:
        return DryRunResult(
            plan_id=plan.id,
            action=plan.action.action,
            status=failure.status,
            message=failure.message,
            changes=failure.changes,
        )
    status: Status = "would_change" if changes else "no_change"
    return DryRunResult(
        plan_id=plan.id,
        action=plan.action.action,
        status=status,
        changes=changes,
        message=english(dry_run_phrase(len(changes))),
    )


def execute(
    plan: ActionPlan,
    kube: KubeClients,
    decision: Decision | None,
    *,
    approved_by: str | None = None,
    max_attempts: int = 3,
    backoff_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> ActionOutcome:
    """Run ``plan`` if ``decision`` allows it; retry 429/409/5xx at most ``max_attempts`` times."""
    started = datetime.now(UTC)

    def outcome(
        status: Status, message: str, attempts: int, changes: list[Change] | None = None, phrase: dict | None = None
    ) -> ActionOutcome:
        return ActionOutcome(
            plan_id=plan.id,
            action=plan.action.action,
            status=status,
            message=message,
            started_at=started,
            finished_at=datetime.now(UTC),
            attempts=attempts,
            changes=changes or [],
            decision_rule=decision.rule if decision else "",
            approved_by=approved_by,
            message_phrase=phrase,
        )

    if refused := refusal(plan.id, decision, approved_by):
        return outcome(
            "refused", render_reason(refused, "en") or refused.code, 0, phrase=refused.model_dump(mode="json")
        )
    for attempt in range(1, max_attempts + 1):
        try:
            changes = _apply(plan.action, kube, dry=False, decision=decision, sleep=sleep)
            done = english(succeeded_phrase(plan.action.action, render(changes)))
            return outcome("succeeded", done, attempt, changes)
        except _Failed as failure:
            if failure.http_status not in _RETRYABLE or attempt == max_attempts:
                return outcome(failure.status, failure.message, attempt, failure.changes)
            sleep(backoff_seconds * attempt)
    raise AssertionError("unreachable")


def _apply(
    action: a._Action,
    kube: KubeClients,
    *,
    dry: bool,
    decision: Decision | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Change]:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        if isinstance(action, a.DrainNode):
            return _drain(action, kube, "All" if dry else None, decision, sleep)
        return _HANDLERS[type(action)](action, kube, "All" if dry else None)
    except ApiException as exc:
        raise _from_api_exception(exc, action) from exc
    except HTTPError as exc:
        raise _connection_failure(exc) from exc
    except ChangeWithheldError as exc:
        raise _Failed("refused", f"the change was not sent ({exc}): nothing was applied") from exc


def _connection_failure(exc: Exception) -> _Failed:
    from urllib3.exceptions import NewConnectionError

    if isinstance(getattr(exc, "reason", None), NewConnectionError):
        return _Failed("failed", "cluster unreachable (no connection): nothing was applied")
    return _Failed(
        "failed",
        f"cluster too slow or connection lost ({type(exc).__name__}): the change may or "
        "may not have been applied; verify before retrying",
    )


def _from_api_exception(exc: Exception, action: a._Action | None = None) -> _Failed:
    code = getattr(exc, "status", None)
    try:
        body = json.loads(getattr(exc, "body", "") or "{}")
        message = body.get("message") or str(getattr(exc, "reason", ""))
    except (ValueError, AttributeError):
        body, message = {}, str(getattr(exc, "reason", "")) or "request failed"
    if code == 404 and (missing := _missing(body.get("details"), action)):
        return _Failed("not_found", f"{missing} not found ({code}: {message})", code)
    status: Status = {
        429: "blocked_by_pdb",
        404: "not_found",
        403: "forbidden",
        409: "conflict",
        422: "rejected",
        400: "rejected",
    }.get(code, "failed")
    if code == 429 and "disruption budget" not in message:
        status = "failed"
    return _Failed(status, f"{code}: {message}", code)


def _missing(details: object, action: a._Action | None) -> str | None:
    """What a NotFound names, as ``pod payments/api-1``: the kind and name of the Status's ``details`` and the
    action's namespace (a cluster-scoped action's object, a node, has none); None without them."""
    if not isinstance(details, dict) or not details.get("kind") or not details.get("name"):
        return None
    kind = str(details["kind"]).removesuffix("s")  # the resource (pods, deployments, nodes) as one object
    namespace = action.namespace_scope if action is not None else None
    return f"{kind} {namespace}/{details['name']}" if namespace else f"{kind} {details['name']}"


def _restart_pod(action: a.RestartPod, kube: KubeClients, dry: str | None) -> list[Change]:
    from kubernetes import client

    pod = kube.call(kube.core.read_namespaced_pod, action.pod, action.namespace)
    body = client.V1Eviction(
        metadata=client.V1ObjectMeta(name=action.pod, namespace=action.namespace),
        delete_options=client.V1DeleteOptions(dry_run=[dry]) if dry else None,
    )
    kube.call(kube.core.create_namespaced_pod_eviction, action.pod, action.namespace, body, dry_run=dry)
    return [_pod_gone(pod, "evicted")]


def _delete_pod(action: a.DeletePod, kube: KubeClients, dry: str | None) -> list[Change]:
    pod = kube.call(kube.core.read_namespaced_pod, action.pod, action.namespace)
    kube.call(kube.core.delete_namespaced_pod, action.pod, action.namespace, dry_run=dry)
    return [_pod_gone(pod, "deleted")]


def _pod_gone(pod: dict, how: str) -> Change:
    meta = pod["metadata"]
    owners = [f"{ref['kind']} {ref['name']}" for ref in meta.get("ownerReferences") or [] if ref.get("controller")]
    after = (
        f"{how}; {owners[0]} creates a replacement"
        if owners
        else f"{how}; no controller owns it: it will NOT come back"
    )
    return Change(
        field=f"pod {meta['namespace']}/{meta['name']}",
        before=pod.get("status", {}).get("phase", "present"),
        after=after,
    )


def _patch_deployment(
    kube: KubeClients, action, body: dict | Callable[[dict], dict | list], dry: str | None
) -> list[Change]:
    """Patch the deployment (``body`` may be built from the current object); the spec's differences."""
    before = kube.call(kube.apps.read_namespaced_deployment, action.deployment, action.namespace)
    if callable(body):
        body = body(before)
    after = kube.call(kube.apps.patch_namespaced_deployment, action.deployment, action.namespace, body, dry_run=dry)
    return diff(before.get("spec"), after.get("spec"), "spec")


def _rollout_restart(action: a.RolloutRestart, kube: KubeClients, dry: str | None) -> list[Change]:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    return _patch_deployment(kube, action, body, dry)


def _patch_resources(action: a.PatchResources, kube: KubeClients, dry: str | None) -> list[Change]:
    from pagerless.remediation.quantity import parse_quantity

    def body(deployment: dict) -> dict:
        containers = deployment["spec"]["template"]["spec"].get("containers", [])
        container = next((c for c in containers if c["name"] == action.container), None)
        if container is None:
            raise _Failed("not_found", f"container {action.container} not found in deployment {action.deployment}")
        requests = (container.get("resources") or {}).get("requests") or {}
        resources: dict = {"limits": {}, "requests": {}}
        for kind, limit in (("memory", action.memory_limit), ("cpu", action.cpu_limit)):
            if limit is None:
                continue
            resources["limits"][kind] = limit
            if kind in requests and parse_quantity(requests[kind]) > parse_quantity(limit):
                resources["requests"][kind] = limit
        if not resources["requests"]:
            del resources["requests"]
        return {"spec": {"template": {"spec": {"containers": [{"name": action.container, "resources": resources}]}}}}

    return _patch_deployment(kube, action, body, dry)


def _rollback(action: a.RollbackDeployment, kube: KubeClients, dry: str | None) -> list[Change]:
    def body(deployment: dict) -> list:
        revision = lambda rs: int((rs["metadata"].get("annotations") or {}).get(REVISION, 0))  # noqa: E731
        current = int((deployment["metadata"].get("annotations") or {}).get(REVISION, 0))
        replicasets = sorted(owned_replicasets(kube, deployment), key=revision)
        wanted = action.to_revision or max([revision(rs) for rs in replicasets if revision(rs) < current], default=0)
        chosen = next((rs for rs in replicasets if revision(rs) == wanted), None)
        if chosen is None or wanted == current:
            raise _Failed(
                "not_found", f"deployment {action.deployment} has no revision {wanted or '(earlier)'} to roll back to"
            )
        template = chosen["spec"]["template"]
        (template.get("metadata", {}).get("labels") or {}).pop(HASH_LABEL, None)
        return [{"op": "replace", "path": "/spec/template", "value": template}]

    return _patch_deployment(kube, action, body, dry)


def _scale(action: a.ScaleDeployment, kube: KubeClients, dry: str | None) -> list[Change]:
    before = kube.call(kube.apps.read_namespaced_deployment_scale, action.deployment, action.namespace)
    after = kube.call(
        kube.apps.patch_namespaced_deployment_scale,
        action.deployment,
        action.namespace,
        {"spec": {"replicas": action.replicas}},
        dry_run=dry,
    )
    return diff(before.get("spec"), after.get("spec"), "spec")


def _cordon(action: a.CordonNode, kube: KubeClients, dry: str | None) -> list[Change]:
    before = kube.call(kube.core.read_node, action.node)
    after = kube.call(kube.core.patch_node, action.node, {"spec": {"unschedulable": action.unschedulable}}, dry_run=dry)
    return (
        [
            Change(
                field=f"node {action.node} spec.unschedulable",
                before=bool(before["spec"].get("unschedulable")),
                after=bool(after["spec"].get("unschedulable")),
            )
        ]
        if diff(before["spec"], after["spec"])
        else []
    )


def _drain(
    action: a.DrainNode, kube: KubeClients, dry: str | None, decision: Decision | None, sleep: Callable[[float], None]
) -> list[Change]:
    from urllib3.exceptions import HTTPError

    from pagerless.remediation import drain

    report = drain.DrainReport()
    try:
        drain.apply(action, kube, dry, decision, sleep, report)
    except HTTPError as exc:  # mid-drain: say what became of the cordon, keep what was done
        lost = _connection_failure(exc)
        where = f"drain of {action.node} interrupted" + (f" ({report.cordon})" if report.cordon else "")
        raise _Failed(lost.status, f"{where}: {lost.message}", changes=report.changes) from exc
    if report.refused:
        status: Status = "refused" if any(r.startswith("policy") for r in report.refused.values()) else "rejected"
        raise _Failed(
            status,
            f"drain of {action.node} refused, nothing was changed: "
            + "; ".join(f"{p}: {r}" for p, r in report.refused.items()),
        )
    if not report.complete:
        status = "blocked_by_pdb" if report.blocked_by_pdb else "failed"
        raise _Failed(
            status,
            f"drain of {action.node} incomplete ({report.cordon}): {report.summary()}"
            if not dry
            else f"drain of {action.node} would be incomplete: {report.summary()}",
            changes=report.changes,
        )
    return report.changes


_HANDLERS = {
    a.RestartPod: _restart_pod,
    a.DeletePod: _delete_pod,
    a.RolloutRestart: _rollout_restart,
    a.PatchResources: _patch_resources,
    a.RollbackDeployment: _rollback,
    a.ScaleDeployment: _scale,
    a.CordonNode: _cordon,
}
