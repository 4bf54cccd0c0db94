"""The service scope rule of the policy engine: an alert names what it is about in its labels, and labels come from
outside (any tool that reaches a webhook, any pod's labels), so they do not choose what Pagerless changes.

When the decision is for an incident (``ServiceScope.service``: the incident's service) and the workspace's service
catalog (the environment context's ``services``, each with its ``namespace``) names any namespace, an action must
stay inside that service's part of the cluster:

- its namespace is the catalog's namespace for the service, when the catalog gives it one;
- else its namespace is no other catalogued service's, and is one the catalog names at all
  (a namespace no service owns is nobody's to change on an alert's word);
- its deployment is not another catalogued service's (a deployment named like another team's service).

A listed dependency of the service (its catalog entry's ``dependencies``, ``ServiceScope.dependencies``) is the
exception: a fix on that Deployment is allowed, in the dependency's catalogued namespace (or, the catalog giving it
none, the service's), and `dependency_changed` makes the policy ask a person for it whatever the autonomy: it changes
another service than the one that was paged about.

A cluster-scoped action (a node's) has no namespace to check: its own rules (always approve, the drain's per-pod
namespace rules) bound it. Without a service, or with a catalog that names no namespace, the rule says nothing:
``allowed_namespaces`` and ``denied_namespaces`` still bound every action. ``Policy.service_scope`` false turns it off.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pagerless.domain.phrases import Phrase
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.policy_phrases import why


class ServiceScope(BaseModel):
    """Whose incident a decision is for, and the catalog's namespace of each service (None: none given)."""

    model_config = ConfigDict(frozen=True)
    service: str | None = None
    catalog: dict[str, str | None] = Field(default_factory=dict)
    dependencies: list[str] = Field(default_factory=list)  # the catalog's dependencies of ``service``

    def owners(self, namespace: str) -> list[str]:
        return sorted(name for name, ns in self.catalog.items() if ns == namespace)


def refusal(plan: ActionPlan, scope: ServiceScope) -> Phrase | None:
    """Why ``plan`` reaches outside the incident's service (a phrase of `policy_phrases`), or None."""
    if dependency_changed(plan, scope):
        return None
    action = plan.action
    namespace = action.namespace_scope
    if not scope.service or namespace is None or not any(scope.catalog.values()):
        return None
    service = scope.service
    own = scope.catalog.get(service)
    if own and namespace != own:
        return why("service_namespace", namespace=namespace, service=service, own=own)
    others = [name for name in scope.owners(namespace) if name != service]
    if not own and others:
        return why("others_namespace", namespace=namespace, service=service, owners=others)
    if not own and not others:
        return why("unowned_namespace", namespace=namespace, service=service)
    deployment = getattr(action, "deployment", None)
    if deployment and deployment != service and deployment in scope.catalog:
        return why("others_deployment", deployment=deployment, service=service)
    return None


def dependency_changed(plan: ActionPlan, scope: ServiceScope) -> str | None:
    """The Deployment of a dependency, not of the incident's service, that ``plan`` changes: a listed dependency of
    the service in its namespace, or the dependency a ``restore_dependency`` plan brings back; None otherwise."""
    deployment = getattr(plan.action, "deployment", None)
    if not deployment or deployment == scope.service:
        return None
    if plan.remediation == "restore_dependency":
        return deployment
    if deployment not in scope.dependencies:
        return None
    where = scope.catalog.get(deployment) or scope.catalog.get(scope.service or "")
    return deployment if not where or plan.action.namespace_scope == where else None
