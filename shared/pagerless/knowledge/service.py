"""Knowledge entries (CRUD + ranked search) and the workspace's environment context."""

import re
import uuid

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from pagerless.clock import utcnow
from pagerless.domain.key_scopes import KeyScope, hold_to_services
from pagerless.domain.preconditions import IfMatch, precondition_failed
from pagerless.domain.schema_docs import documented
from pagerless.knowledge.ranking import Bm25, tokenize
from pagerless.store.knowledge import KnowledgeRecord, KnowledgeRepository
from pagerless.store.system import SystemRepository

MAX_CONTENT = 64 * 1024


class KnowledgeCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "title": "Payments OOM runbook",
                "content": "Raise the memory limit of payments-api to 1Gi, then watch restarts.",
                "tags": ["oom", "payments"],
                "service": "payments-api",
            },
            title="The entry's title.",
            content="The text (Markdown).",
            tags="Words to find it by.",
            service="The service it is about.",
        )
    )
    title: str = Field(min_length=1, max_length=300)
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    tags: list[str] = Field(default_factory=list, max_length=50)
    service: str | None = Field(default=None, max_length=200)


class KnowledgeUpdate(BaseModel):
    """Only the fields sent change. title, content and tags cannot be null; service null clears it."""

    model_config = ConfigDict(
        **documented(
            {"tags": ["oom", "payments", "memory"]},
            title="A new title (not null).",
            content="New text (not null).",
            tags="New tags (not null).",
            service="The service; null clears it.",
        )
    )

    title: str = Field(default=None, min_length=1, max_length=300, examples=["Payments OOM runbook"])
    content: str = Field(
        default=None,
        min_length=1,
        max_length=MAX_CONTENT,
        examples=["Raise the memory limit of payments-api to 1Gi, then watch restarts."],
    )
    tags: list[str] = Field(default=None, max_length=50, examples=[["oom", "payments"]])
    service: str | None = Field(default=None, max_length=200, examples=["payments-api"])


# a workload as the cluster names it: its kind as Kubernetes spells it, and its name (RFC 1123)
_WORKLOAD = re.compile(r"[A-Z][A-Za-z0-9]*/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


class ServiceEntry(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    namespace: str | None = None
    workloads: list[str] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "The service's workloads as Kind/name (Deployment/payments, StatefulSet/payments-db, CronJob/payments-"
            "report): a fix for its incidents acts only on their pods, and another service's fix not on their "
            "Deployments. None listed: its workload is the one named as the service."
        ),
        examples=[["Deployment/payments", "StatefulSet/payments-db"]],
    )
    owners: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    runbooks: list[str] = Field(default_factory=list, description="runbook links")
    tier: str | None = None
    notes: str = ""

    @field_validator("workloads")
    @classmethod
    def _kind_and_name(cls, workloads: list[str]) -> list[str]:
        for workload in workloads:
            if not _WORKLOAD.fullmatch(workload):
                raise ValueError(
                    f"{workload!r} is not Kind/name: the kind as Kubernetes spells it and the workload's name "
                    "(RFC 1123), e.g. Deployment/payments"
                )
        return workloads


def shared_workloads(services: list[ServiceEntry]) -> list[str]:
    """Why a workload is more than one service's in ``services``, one sentence each: two services list the same
    Kind/name, or one lists the workload named as another that lists none, in the same namespace (or one of them has
    none: any namespace). Services in different namespaces may list the same Kind/name: those are two workloads."""
    found = []
    for i, first in enumerate(services):
        for j, second in enumerate(services[i + 1 :], start=i + 1):
            if first.namespace and second.namespace and first.namespace != second.namespace:
                continue
            for a, ia, b in ((first, i, second), (second, j, first)):
                named = [w for w in a.workloads if w.partition("/")[2] == b.name] if not b.workloads else []
                if named and a.name != b.name:
                    found.append(
                        f"services[{ia}].workloads: {named[0]} of service {a.name} is the workload named as service "
                        f"{b.name}, which lists none"
                    )
            both = [w for w in first.workloads if w in second.workloads]
            if both:
                found.append(
                    f"services[{j}].workloads: {both[0]} is listed by both service {first.name} and service "
                    f"{second.name}"
                )
    return found


class EnvironmentContext(BaseModel):
    """Free text about the environment plus a structured service catalog."""

    model_config = ConfigDict(
        **documented(
            {
                "text": "EKS 1.31 in eu-west-1; payments runs in namespace payments.",
                "services": [{"name": "payments-api", "owners": ["team-payments"]}],
            },
            text="Free text the investigator reads about the environment.",
            services="The service catalog: names, namespaces, workloads, owners, dependencies.",
        )
    )

    text: str = Field(default="", max_length=MAX_CONTENT)
    services: list[ServiceEntry] = Field(default_factory=list, max_length=1000)

    @field_validator("services")
    @classmethod
    def _one_service_per_workload(cls, services: list[ServiceEntry], info: ValidationInfo) -> list[ServiceEntry]:
        """A workload is one service's: the service scope would not know whose fix may act on it. A catalog stored
        before this was checked is read as it is (``context`` ``stored``): its shared workloads are no one's to
        change (`remediation.service_scope`) until it is saved again."""
        if (info.context or {}).get("stored"):
            return services
        if found := shared_workloads(services):
            raise ValueError(
                f"{found[0]}: a workload is one service's (list it under one of them, or give the services their own "
                "namespaces)"
            )
        return services


class KnowledgeService:
    def __init__(self, repository: KnowledgeRepository | None = None) -> None:
        self.repository = repository or KnowledgeRepository()

    def create(self, workspace: str, body: KnowledgeCreate, author: str) -> KnowledgeRecord:
        now = utcnow()
        record = KnowledgeRecord(
            workspace,
            f"kb_{uuid.uuid4().hex[:12]}",
            title=body.title,
            content=body.content,
            tags=body.tags,
            service=body.service,
            author=author,
            created_at=now,
            updated_at=now,
        )
        return self.repository.put(record)

    def get(self, workspace: str, entry_id: str) -> KnowledgeRecord:
        return self.repository.get(workspace, entry_id)

    def list_entries(self, workspace: str, limit: int, cursor: str | None) -> tuple[list[KnowledgeRecord], str | None]:
        return self.repository.page(workspace, limit, cursor)

    def update(
        self, workspace: str, entry_id: str, body: KnowledgeUpdate, *, scope: KeyScope | None = None, key: str = ""
    ) -> KnowledgeRecord:
        """Change the fields sent, and only those (an edit of another field made meanwhile is kept). A key scoped to
        services edits an entry of one of them, and keeps it there: the stored service must still be the one checked."""
        fields = body.model_dump(exclude_unset=True)
        if scope is None or scope.services is None:
            return self.repository.edit(workspace, entry_id, fields)
        service = self.repository.get(workspace, entry_id).service
        hold_to_services(scope, service, key=key, what="edit knowledge")
        if "service" in fields:
            hold_to_services(scope, fields["service"], key=key, what="move knowledge")
        return self.repository.edit(workspace, entry_id, fields, service=service)

    def delete(self, workspace: str, entry_id: str, *, scope: KeyScope | None = None, key: str = "") -> None:
        """Delete the entry; a key scoped to services deletes an entry of one of them, and only while it still is
        (the store's condition: an entry moved to another service between the check and the delete stays, a 409)."""
        record = self.repository.get(workspace, entry_id)
        hold_to_services(scope, record.service, key=key, what="delete knowledge")
        bound = scope is not None and scope.services is not None
        self.repository.delete(record, service=record.service if bound else None)

    def search(self, workspace: str, query: str, limit: int = 10, *, scope: KeyScope | None = None) -> list[dict]:
        """Entries ranked by BM25 over title (weighted), tags, service and content; a key scoped to services finds
        those services' entries and the workspace-wide ones (no service) only."""
        entries = [e for e in self.repository.all(workspace) if readable(scope, e)]
        documents = [
            tokenize(f"{e.title} {e.title} {' '.join(e.tags or [])} {e.service or ''} {e.content}") for e in entries
        ]
        ranked = Bm25(documents).rank(tokenize(query))[:limit]
        return [{**entries[i].to_dict(), "score": round(score, 4)} for i, score in ranked]


def readable(scope: KeyScope | None, record: KnowledgeRecord) -> bool:
    """Whether a key of ``scope`` may read the entry: one of its services', or one about no service (every
    service's diagnosis reads it)."""
    return scope is None or not record.service or scope.allows_service(record.service)


_ENV_PK = "environment"


def get_environment(workspace: str) -> EnvironmentContext:
    return versioned_environment(workspace)[0]


def versioned_environment(workspace: str) -> tuple[EnvironmentContext, int | None]:
    """The environment context and its stored version (None: never stored, the empty default: no ETag)."""
    stored = SystemRepository().get_versioned(_ENV_PK, workspace)
    if stored is None:
        return EnvironmentContext(), None
    return EnvironmentContext.model_validate(stored[0], context={"stored": True}), stored[1]


def service_scope(workspace: str, service: str | None) -> dict:
    """What the policy's service scope rule reads (`pagerless.remediation.service_scope`): the incident's ``service``,
    each catalogued service's namespace, the workloads of those that list theirs, and the service's listed
    dependencies."""
    services = get_environment(workspace).services
    catalog = {entry.name: entry.namespace for entry in services}
    workloads = {entry.name: entry.workloads for entry in services if entry.workloads}
    dependencies = next((list(entry.dependencies) for entry in services if service and entry.name == service), [])
    return {"service": service or None, "catalog": catalog, "workloads": workloads, "dependencies": dependencies}


def put_environment(
    workspace: str, context: EnvironmentContext, if_match: IfMatch | None = None
) -> tuple[EnvironmentContext, int]:
    """Replace the environment context (created without ``if_match``); with ``if_match``, only over that stored
    version (412 if not, or if none is stored). The context and the version written."""
    repository = SystemRepository()
    record = repository.replace(_ENV_PK, workspace, context.model_dump(), if_match)
    if record is None:
        stored = repository.get_versioned(_ENV_PK, workspace)
        what = "the environment context"
        raise precondition_failed(what, stored[1] if stored else None, exists=stored is not None, if_match=if_match)
    return context, int(record.version)


def environment_prompt(context: EnvironmentContext) -> str:
    """The environment context as compact text for the investigator's cached prompt prefix."""
    lines = [context.text.strip()] if context.text.strip() else []
    for s in context.services:
        parts = [f"service {s.name}" + (f" (ns {s.namespace})" if s.namespace else "")]
        if s.workloads:
            parts.append("workloads " + ", ".join(s.workloads))
        if s.owners:
            parts.append("owners " + ", ".join(s.owners))
        if s.dependencies:
            parts.append("depends on " + ", ".join(s.dependencies))
        if s.runbooks:
            parts.append("runbooks " + ", ".join(s.runbooks))
        if s.tier:
            parts.append(f"tier {s.tier}")
        lines.append("; ".join(parts) + (f". {s.notes}" if s.notes else ""))
    return "\n".join(lines)
