from datetime import datetime
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel

from pagerless.api.conditional import CONDITIONAL_PUT, READ, IfMatchDep, tagged
from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, Page
from pagerless.api.security import AdminDep, OperatorDep, ViewerDep
from pagerless.domain.key_scopes import hold_to_services
from pagerless.knowledge.service import (
    EnvironmentContext,
    KnowledgeCreate,
    KnowledgeService,
    KnowledgeUpdate,
    put_environment,
    versioned_environment,
)
from pagerless.knowledge.similar import similar_to_incident
from pagerless.store.incidents import IncidentRepository

router = APIRouter(tags=["knowledge"], route_class=DeferredRoute)


@cache
def knowledge_service() -> KnowledgeService:
    return KnowledgeService()


KnowledgeDep = Annotated[KnowledgeService, Depends(knowledge_service)]


class KnowledgePublic(BaseModel):
    id: str
    title: str
    content: str
    tags: list[str]
    service: str | None
    author: str
    created_at: datetime
    updated_at: datetime


class KnowledgeHit(KnowledgePublic):
    score: float


class SimilarIncident(BaseModel):
    incident_id: str
    title: str
    status: str
    service: str | None
    namespace: str | None
    category: str | None
    resolution: str | None
    created_at: str
    score: float
    reasons: list[str]


@router.get("/api/knowledge", response_model=Page[KnowledgePublic])
def list_knowledge(
    principal: ViewerDep, knowledge: KnowledgeDep, limit: LimitParam = 50, cursor: CursorParam = None
) -> dict:
    """Knowledge-base entries of the workspace (a key scoped to services: its services' and those about no service;
    a page may then hold fewer than ``limit``, follow next_cursor)."""
    from pagerless.knowledge.service import readable

    items, next_cursor = knowledge.list_entries(principal.workspace, limit, cursor)
    return {"items": [i.to_dict() for i in items if readable(principal.scope, i)], "next_cursor": next_cursor}


@router.post("/api/knowledge", response_model=KnowledgePublic, status_code=status.HTTP_201_CREATED)
def create_knowledge(body: KnowledgeCreate, principal: OperatorDep, knowledge: KnowledgeDep) -> dict:
    """Add a runbook, postmortem lesson or fact the diagnosis may use (a key scoped to services: about one of them)."""
    hold_to_services(principal.scope, body.service, key=principal.key_id, what="write knowledge")
    return knowledge.create(principal.workspace, body, principal.key_id).to_dict()


@router.get("/api/knowledge/search", response_model=Page[KnowledgeHit])
def search_knowledge(
    principal: ViewerDep,
    knowledge: KnowledgeDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: LimitParam = 10,
) -> dict:
    """Entries ranked by relevance to `q` (English and Chinese)."""
    return {"items": knowledge.search(principal.workspace, q, limit, scope=principal.scope), "next_cursor": None}


@router.get("/api/knowledge/{entry_id}", response_model=KnowledgePublic)
def get_knowledge(entry_id: str, principal: ViewerDep, knowledge: KnowledgeDep) -> dict:
    """One entry (a key scoped to services: of one of them, or about no service)."""
    entry = knowledge.get(principal.workspace, entry_id)
    if entry.service:
        hold_to_services(principal.scope, entry.service, key=principal.key_id, what="read knowledge")
    return entry.to_dict()


@router.put("/api/knowledge/{entry_id}", response_model=KnowledgePublic)
def update_knowledge(entry_id: str, body: KnowledgeUpdate, principal: OperatorDep, knowledge: KnowledgeDep) -> dict:
    """Change an entry's title, content, tags or service (a key scoped to services: an entry of one of them, kept
    within them)."""
    return knowledge.update(principal.workspace, entry_id, body, scope=principal.scope, key=principal.key_id).to_dict()


@router.delete("/api/knowledge/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_knowledge(entry_id: str, principal: OperatorDep, knowledge: KnowledgeDep) -> None:
    """Delete an entry (a key scoped to services: an entry of one of them)."""
    knowledge.delete(principal.workspace, entry_id, scope=principal.scope, key=principal.key_id)


@router.get("/api/environment-context", response_model=EnvironmentContext, responses=READ)
def read_environment(principal: ViewerDep, response: Response) -> EnvironmentContext:
    """The workspace's environment notes and service catalog (owners, dependencies, runbooks), with its ETag once
    stored."""
    return tagged(response, *versioned_environment(principal.workspace))


@router.put("/api/environment-context", response_model=EnvironmentContext, responses=CONDITIONAL_PUT)
def write_environment(
    body: EnvironmentContext, principal: AdminDep, if_match: IfMatchDep, response: Response
) -> EnvironmentContext:
    """Replace the environment notes and service catalog; with If-Match, only the version read."""
    return tagged(response, *put_environment(principal.workspace, body, if_match))


@router.get("/api/incidents/{incident_id}/similar", response_model=Page[SimilarIncident])
def similar(incident_id: str, principal: ViewerDep, limit: LimitParam = 10) -> dict:
    """Past incidents most like this one, with scores and reasons (a key scoped to services: of those services)."""
    incident = IncidentRepository().get(incident_id, principal.workspace)
    services = principal.scope.services if principal.scope else None
    return {"items": similar_to_incident(incident, limit=limit, services=services), "next_cursor": None}
