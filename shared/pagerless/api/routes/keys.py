from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, Page
from pagerless.api.security import AdminDep, key_service
from pagerless.api.timefilter import time_filter
from pagerless.auth.keys import ApiKeyService
from pagerless.domain.errors import ValidationError
from pagerless.domain.roles import Role
from pagerless.domain.schema_docs import documented
from pagerless.intake.key_scopes import parse_scope
from pagerless.store.audit import AuditRepository
from pagerless.store.base import decode_cursor, encode_cursor

router = APIRouter(tags=["keys"], route_class=DeferredRoute)
KeysDep = Annotated[ApiKeyService, Depends(key_service)]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"role": "ingest", "name": "alertmanager team A", "sources": ["alertmanager"], "services": ["checkout"]},
            role="viewer, operator, admin or ingest (alert intake only).",
            name="A label for the key, shown beside its id wherever it acts.",
            sources="The alert sources the key may send (aliases such as prometheus resolve); left out: every source.",
            services="The services the key may send alerts for (an alert naming no other service); "
            "left out: every service, and alerts without one.",
        )
    )
    role: Role
    name: str = Field(default="", max_length=100)
    sources: list[str] | None = None
    services: list[str] | None = None


class ApiKeyPublic(BaseModel):
    id: str
    workspace: str
    role: Role
    name: str
    prefix: str
    created_at: datetime
    revoked: bool
    sources: list[str] | None = Field(description="the alert sources the key may send; null: every source")
    services: list[str] | None = Field(description="the services the key may send alerts for; null: every service")


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the secret, shown only in this response")


class AuditLogPublic(BaseModel):
    at: str
    actor: str  # the key id
    actor_name: str = ""  # the key's name
    actor_label: str = ""  # "name (id)" as shown
    role: str
    action: str
    target: str
    status: int
    request_id: str
    details: dict


def _public(record) -> dict:
    return {
        "id": record.key_id,
        "workspace": record.workspace,
        "role": record.role,
        "name": record.name,
        "prefix": record.prefix,
        "created_at": record.created_at,
        "revoked": record.revoked,
        "sources": record.scope_sources,
        "services": record.scope_services,
    }


@router.get("/api/keys", response_model=Page[ApiKeyPublic])
def list_keys(principal: AdminDep, keys: KeysDep, limit: LimitParam = 50, cursor: CursorParam = None) -> dict:
    """API keys of the caller's workspace, oldest first (never their secrets)."""
    records = keys.list_keys(principal.workspace)
    start = 0
    if cursor:
        after = decode_cursor(cursor).get("key_id", {}).get("S")
        ids = [r.key_id for r in records]
        if after not in ids:
            raise ValidationError(
                "cursor is not valid; use the next_cursor of a previous page", details=[{"field": "cursor"}]
            )
        start = ids.index(after) + 1
    page = records[start : start + limit]
    more = start + limit < len(records)
    return {
        "items": [_public(r) for r in page],
        "next_cursor": encode_cursor({"key_id": {"S": page[-1].key_id}}) if more and page else None,
    }


@router.post("/api/keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_key(body: ApiKeyCreate, principal: AdminDep, keys: KeysDep) -> dict:
    """Create a key in the caller's workspace, optionally scoped to sources and services; the secret is returned once."""
    created = keys.create(
        workspace=principal.workspace,
        role=body.role,
        name=body.name,
        created_by=principal.key_id,
        scope=parse_scope(body.sources, body.services),
    )
    return {**_public(created.record), "key": created.secret}


@router.delete("/api/keys/{key_id}", response_model=ApiKeyPublic)
def revoke_key(key_id: str, principal: AdminDep, keys: KeysDep) -> dict:
    """Revoke a key of the caller's workspace."""
    return _public(keys.revoke(principal.workspace, key_id))


@router.get("/api/audit-logs", response_model=Page[AuditLogPublic])
def audit_logs(
    principal: AdminDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    actor: Annotated[str | None, Query(description="key id")] = None,
    action: Annotated[str | None, Query(description="prefix, e.g. 'POST /api/keys'")] = None,
    target: str | None = None,
    since: time_filter("at or after") = None,
    until: time_filter("at or before") = None,
) -> dict:
    """Who did what, newest first, filtered by actor, action, target and time."""
    items, next_cursor = AuditRepository().query(
        principal.workspace,
        actor=actor,
        action=action,
        target=target,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return {"items": [r.to_dict() for r in items], "next_cursor": next_cursor}
