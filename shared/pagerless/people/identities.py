"""Chat identities: which Lark/Feishu or Slack user is which person.

The key is (provider, tenant, user): for Lark the tenant is the app id, because an open_id is
different in every app; for Slack it is the team id. A binding is ``bound`` (the user acts as
the person, with the person's role) or ``pending`` (the user asked, or clicked while unknown;
an admin approves it by naming the person).
"""

from __future__ import annotations

from dataclasses import dataclass

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError, NotFoundError, ValidationError
from pagerless.people.service import PeopleService, Person
from pagerless.store.people import BOUND, IDENTITY_SK, PENDING, PeopleRecord, PeopleRepository

PROVIDERS = ("lark", "slack")


@dataclass(frozen=True)
class ChatIdentity:
    provider: str
    tenant: str
    user: str
    workspace: str
    status: str  # bound | pending
    person_id: str | None = None
    display_name: str = ""
    requested_at: str = ""
    bound_at: str | None = None
    bound_by: str | None = None

    def to_public(self) -> dict:
        return {
            "provider": self.provider,
            "tenant": self.tenant,
            "user": self.user,
            "workspace": self.workspace,
            "status": self.status,
            "person_id": self.person_id,
            "display_name": self.display_name,
            "requested_at": self.requested_at,
            "bound_at": self.bound_at,
            "bound_by": self.bound_by,
        }


class ChatIdentityService:
    def __init__(self, repository: PeopleRepository | None = None, people: PeopleService | None = None) -> None:
        self.repository = repository or PeopleRepository()
        self.people = people or PeopleService(self.repository)

    def lookup(self, provider: str, tenant: str, user: str) -> ChatIdentity | None:
        """The binding of a chat user, bound or pending, or None."""
        record = self.repository.get(_pk(provider, tenant, user), IDENTITY_SK)
        return _identity(record) if record is not None else None

    def person_of(self, provider: str, tenant: str, user: str) -> Person | None:
        """The person a chat user acts as, or None if the user is unbound, pending or the person is gone."""
        identity = self.lookup(provider, tenant, user)
        if identity is None or identity.status != BOUND or not identity.person_id:
            return None
        return self.people.find(identity.workspace, identity.person_id)

    def bind(
        self,
        workspace: str,
        provider: str,
        tenant: str,
        user: str,
        person_id: str,
        *,
        actor: str,
        display_name: str = "",
    ) -> ChatIdentity:
        """Bind a chat user to a person of the workspace (an admin's act); re-binding moves it."""
        _check(provider, tenant, user)
        self.people.get(workspace, person_id)  # NotFoundError for a person of another workspace
        existing = self.repository.get(_pk(provider, tenant, user), IDENTITY_SK)
        if existing is not None and existing.workspace != workspace:
            raise ConflictError(f"{provider} user {user} is bound in another workspace")
        now = utcnow()
        data = {
            **((existing.data or {}) if existing else {}),
            "provider": provider,
            "tenant": tenant,
            "user": user,
            "person_id": person_id,
            "status": BOUND,
            "bound_at": now.isoformat(),
            "bound_by": actor,
        }
        if display_name:
            data["display_name"] = display_name
        data.setdefault("requested_at", now.isoformat())
        record = _record(workspace, data)
        self.repository.put(record)
        return _identity(record)

    def unbind(self, workspace: str, provider: str, tenant: str, user: str) -> ChatIdentity:
        record = self.repository.get(_pk(provider, tenant, user), IDENTITY_SK)
        if record is None or record.workspace != workspace or not self.repository.delete(record):
            raise NotFoundError(f"{provider} user {user} is not bound")
        return _identity(record)

    def request(
        self,
        workspace: str,
        provider: str,
        tenant: str,
        user: str,
        *,
        display_name: str = "",
        person_id: str | None = None,
    ) -> ChatIdentity:
        """File a pending binding (idempotent; a bound user stays bound)."""
        _check(provider, tenant, user)
        existing = self.repository.get(_pk(provider, tenant, user), IDENTITY_SK)
        if existing is not None:
            return _identity(existing)
        record = _record(
            workspace,
            {
                "provider": provider,
                "tenant": tenant,
                "user": user,
                "status": PENDING,
                "person_id": person_id,
                "display_name": display_name,
                "requested_at": utcnow().isoformat(),
            },
        )
        if not self.repository.create(record):
            return _identity(self.repository.get(record.pk, IDENTITY_SK))
        return _identity(record)

    def approve_pending(
        self, workspace: str, provider: str, tenant: str, user: str, *, actor: str, person_id: str | None = None
    ) -> ChatIdentity:
        """An admin approves a pending binding, naming the person unless the request named one."""
        pending = self.lookup(provider, tenant, user)
        if pending is None or pending.workspace != workspace or pending.status != PENDING:
            raise NotFoundError(f"no pending binding for {provider} user {user}")
        target = person_id or pending.person_id
        if not target:
            raise ValidationError("name the person to bind to", details=[{"field": "person_id"}])
        return self.bind(workspace, provider, tenant, user, target, actor=actor, display_name=pending.display_name)

    def list(self, workspace: str, status: str | None = None, person_id: str | None = None) -> list[ChatIdentity]:
        statuses = [status] if status else [BOUND, PENDING]
        found = [_identity(r) for s in statuses for r in self.repository.all(f"{workspace}#identity#{s}")]
        return [i for i in found if person_id is None or i.person_id == person_id]


def _pk(provider: str, tenant: str, user: str) -> str:
    return f"chat#{provider}#{tenant}#{user}"


def _check(provider: str, tenant: str, user: str) -> None:
    errors = []
    if provider not in PROVIDERS:
        errors.append({"field": "provider", "message": "lark or slack"})
    for name, value in (("tenant", tenant), ("user", user)):
        if not value or len(value) > 128 or "#" in value:
            errors.append({"field": name, "message": "1 to 128 characters, no '#'"})
    if errors:
        raise ValidationError("the chat identity is not valid", details=errors)


def _record(workspace: str, data: dict) -> PeopleRecord:
    pk = _pk(data["provider"], data["tenant"], data["user"])
    return PeopleRecord(
        pk,
        IDENTITY_SK,
        workspace=workspace,
        workspace_key=f"{workspace}#identity#{data['status']}",
        sort_key=pk,
        data=data,
    )


def _identity(record: PeopleRecord) -> ChatIdentity:
    data = record.data or {}
    return ChatIdentity(
        provider=data["provider"],
        tenant=data["tenant"],
        user=data["user"],
        workspace=record.workspace,
        status=data.get("status", PENDING),
        person_id=data.get("person_id"),
        display_name=data.get("display_name", ""),
        requested_at=data.get("requested_at", ""),
        bound_at=data.get("bound_at"),
        bound_by=data.get("bound_by"),
    )
