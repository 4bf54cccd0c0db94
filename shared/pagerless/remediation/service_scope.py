"""The service scope rule of the policy engine: an alert names what it is about in its labels, and labels come from
outside (any tool that reaches a webhook, any pod's labels), so they do not choose what Pagerless changes.

When the decision is for an incident (``ServiceScope.service``: the incident's service) and the workspace has a
service catalog (the environment context's ``services``), an action must stay inside that service's part of the
cluster:

- once the catalog names any namespace: its namespace is the catalog's namespace for the service, when the catalog
  gives it one; else its namespace is no other catalogued service's, and is one the catalog names at all (a namespace
  no service owns is nobody's to change on an alert's word);
- its deployment is not another catalogued service's workload, whether or not the catalog names namespaces; and
  when the service lists its workloads, it is one of them (a Deployment nobody catalogued is not the service's);
- a pod it acts on (restart_pod, delete_pod) is the service's own: the workload that owns the pod, read from the
  cluster before the policy is asked (pod → ReplicaSet → Deployment, pod → Job → CronJob, or its StatefulSet,
  DaemonSet, Job: ``ActionPlan.pod_owner``), is one of the service's workloads. In a namespace several workloads share,
  the alert's pod label could name another team's pod. The owner decides, not the Deployment the action names with
  the pod (an alert's ``app`` label, or, in a plan stored before the owner was kept there, that label still). A pod whose owner is not known
  (``ActionPlan.pod_owner_unknown``: the pod is gone, it has no owner, or the API refused the read) is refused too: the
  rule fails closed. A cluster that does not answer at all fails the step that reads it (the proposal, a runbook's
  plan step), as any other read of it does: nothing runs.

A service's workloads are those its catalog entry lists (``workloads``: "Deployment/payments",
"StatefulSet/payments-db"), or, when it lists none, the workload named as the service (of any kind). A workload is
one service's: the catalog is refused when two services in one namespace claim the same one; one stored before that
was checked is read as it is, and a workload it gives several services is refused to all of them until it is fixed.

A listed dependency of the service (its catalog entry's ``dependencies``, ``ServiceScope.dependencies``) is the
exception: a fix on that Deployment is allowed, in the dependency's catalogued namespace (or, the catalog giving it
none, the service's), and `dependency_changed` makes the policy ask a person for it whatever the autonomy: it changes
another service than the one that was paged about.

A cluster-scoped action (a node's) has no namespace to check: its own rules (always approve, the drain's per-pod
namespace rules) bound it. Without a service, or without a catalog, the rule says nothing: ``allowed_namespaces`` and
``denied_namespaces`` still bound every action. ``Policy.service_scope`` false turns it off.

The rule is pure: it reads the plan's facts and the catalog. The executor does not read the pod's owner again: a pod
keeps its owner for life (a StatefulSet's pod keeps its name and its owner), and a pod that is gone by then is not
found when the action runs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pagerless.domain.phrases import Phrase
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.policy_phrases import why


class ServiceScope(BaseModel):
    """Whose incident a decision is for, the catalog's namespace of each service (None: none given), and the workloads
    of the services that list theirs ("Deployment/payments")."""

    model_config = ConfigDict(frozen=True)
    service: str | None = None
    catalog: dict[str, str | None] = Field(default_factory=dict)
    workloads: dict[str, list[str]] = Field(default_factory=dict)
    dependencies: list[str] = Field(default_factory=list)  # the catalog's dependencies of ``service``

    def owners(self, namespace: str) -> list[str]:
        return sorted(name for name, ns in self.catalog.items() if ns == namespace)

    def owns(self, service: str, kind: str, name: str) -> bool:
        """Whether the workload ``kind``/``name`` is ``service``'s: one it lists, or, listing none, named as it."""
        listed = self.workloads.get(service)
        return f"{kind}/{name}" in listed if listed else name == service

    def sharing(self, kind: str, name: str, namespace: str) -> list[str]:
        """The services whose workload ``kind``/``name`` in ``namespace`` is, when that is more than the incident's
        service alone (a catalog stored before it was checked may list a workload under two services in the same
        namespace); else none."""
        if not self.owns(self.service, kind, name):
            return []
        owners = sorted(s for s, ns in self.catalog.items() if ns in (None, namespace) and self.owns(s, kind, name))
        return owners if any(s != self.service for s in owners) else []

    def others(self, kind: str, name: str) -> bool:
        """Whether the workload is another catalogued service's, not the incident's service's."""
        service = self.service
        return not self.owns(service, kind, name) and any(
            self.owns(other, kind, name) for other in self.catalog if other != service
        )


def refusal(plan: ActionPlan, scope: ServiceScope) -> Phrase | None:
    """Why ``plan`` reaches outside the incident's service (a phrase of `policy_phrases`), or None."""
    if dependency_changed(plan, scope):
        return None
    action = plan.action
    namespace = action.namespace_scope
    if not scope.service or namespace is None or not scope.catalog:
        return None
    service = scope.service
    if any(scope.catalog.values()) and (outside := _namespace_refusal(namespace, scope)):
        return outside
    pod = getattr(action, "pod", None)
    if pod:  # the owner read from the cluster decides, not the deployment an alert's label names with the pod
        return _pod_refusal(plan, pod, scope)
    deployment = getattr(action, "deployment", None)
    if deployment and scope.others("Deployment", deployment):
        return why("others_deployment", deployment=deployment, service=service)
    if deployment and (shared := scope.sharing("Deployment", deployment, namespace)):
        return why("shared_workload", kind="Deployment", name=deployment, service=service, services=shared)
    listed = scope.workloads.get(service)
    if deployment and listed and not scope.owns(service, "Deployment", deployment):
        return why("unlisted_deployment", deployment=deployment, service=service, listed=listed)
    return None


def _namespace_refusal(namespace: str, scope: ServiceScope) -> Phrase | None:
    service = scope.service
    own = scope.catalog.get(service)
    if own and namespace != own:
        return why("service_namespace", namespace=namespace, service=service, own=own)
    others = [name for name in scope.owners(namespace) if name != service]
    if not own and others:
        return why("others_namespace", namespace=namespace, service=service, owners=others)
    if not own and not others:
        return why("unowned_namespace", namespace=namespace, service=service)
    return None


def _pod_refusal(plan: ActionPlan, pod: str, scope: ServiceScope) -> Phrase | None:
    service = scope.service
    if not plan.pod_owner:  # not read (a plan stored before owners were read), gone, bare or unreadable: fail closed
        return why("pod_owner_unknown", pod=pod, service=service, unknown=plan.pod_owner_unknown or "unread")
    kind, _, owner = plan.pod_owner.partition("/")
    if shared := scope.sharing(kind, owner, plan.action.namespace_scope or ""):
        return why("shared_workload", kind=kind, name=owner, service=service, services=shared)
    if scope.owns(service, kind, owner):
        return None
    listed = scope.workloads.get(service)
    return why("others_pod", pod=pod, kind=kind, owner=owner, service=service, **({"listed": listed} if listed else {}))


def dependency_changed(plan: ActionPlan, scope: ServiceScope) -> str | None:
    """The Deployment of a dependency, not of the incident's service, that ``plan`` changes: a listed dependency of
    the service in its namespace, or the dependency a ``restore_dependency`` plan brings back; None otherwise."""
    deployment = changed_deployment(plan)
    if not deployment or deployment == scope.service:
        return None
    if plan.remediation == "restore_dependency":
        return deployment
    if deployment not in scope.dependencies:
        return None
    where = scope.catalog.get(deployment) or scope.catalog.get(scope.service or "")
    return deployment if not where or plan.action.namespace_scope == where else None


def changed_deployment(plan: ActionPlan) -> str | None:
    """The Deployment ``plan`` changes: the action's; for a pod action, the Deployment read from the cluster as the
    pod's owner (None when another kind owns it or its owner is not known), whatever Deployment the action names: a
    plan stored before the owner was kept in the action still names the alert's label there."""
    action = plan.action
    if not getattr(action, "pod", None):
        return getattr(action, "deployment", None)
    kind, _, name = (plan.pod_owner or "").partition("/")
    return name if kind == "Deployment" else None
