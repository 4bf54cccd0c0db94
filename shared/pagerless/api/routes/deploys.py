from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from pagerless.api.pagination import CursorParam, LimitParam, Page
from pagerless.api.security import IngestDep, ViewerDep
from pagerless.api.timefilter import time_filter
from pagerless.store.deploys import DeployRepository

router = APIRouter(tags=["deploys"])


class DeployCreate(BaseModel):
    service: str = Field(min_length=1, max_length=200)
    namespace: str | None = Field(default=None, max_length=200)
    environment: str | None = Field(default=None, max_length=100)
    image: str | None = Field(default=None, max_length=500)
    actor: str | None = Field(default=None, max_length=200)
    commit_sha: str | None = Field(default=None, max_length=100)
    timestamp: datetime | None = Field(default=None, description="when it was deployed (default: now)")


class DeployPublic(BaseModel):
    id: str
    service: str
    namespace: str | None
    environment: str | None
    image: str | None
    actor: str | None
    commit_sha: str | None
    timestamp: datetime


@router.post("/api/deploys", response_model=DeployPublic, status_code=status.HTTP_201_CREATED)
def create_deploy(body: DeployCreate, principal: IngestDep) -> dict:
    """Record a deploy (CI/CD sends these); the diagnosis correlates them with incidents."""
    deployed_at = body.timestamp or datetime.now(UTC)
    if deployed_at.tzinfo is None:
        deployed_at = deployed_at.replace(tzinfo=UTC)
    fields = body.model_dump(exclude={"service", "timestamp"})
    return DeployRepository().record(principal.workspace, service=body.service, deployed_at=deployed_at.astimezone(UTC),
                                     recorded_by=principal.key_id, **fields).to_dict()


@router.get("/api/deploys", response_model=Page[DeployPublic])
def list_deploys(
    principal: ViewerDep,
    service: str | None = None,
    namespace: str | None = None,
    since: time_filter("only deploys at or after this time") = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> dict:
    """Deploys, newest first, by service, namespace and time."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    items, next_cursor = DeployRepository().query(principal.workspace, service=service, namespace=namespace,
                                                  since=since.astimezone(UTC) if since else None, limit=limit,
                                                  cursor=cursor)
    return {"items": [i.to_dict() for i in items], "next_cursor": next_cursor}
