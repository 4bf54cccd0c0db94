from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, Page
from pagerless.api.security import IngestDep, ViewerDep
from pagerless.api.timefilter import time_filter
from pagerless.domain.key_scopes import hold_to_services
from pagerless.domain.schema_docs import documented
from pagerless.store.deploys import DeployRepository

router = APIRouter(tags=["deploys"], route_class=DeferredRoute)


class DeployCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "service": "payments-api",
                "namespace": "payments",
                "environment": "production",
                "image": "registry.example.com/payments-api:v2.3.1",
                "actor": "ci",
                "commit_sha": "9f8e7d6",
            },
            service="The deployed service.",
            namespace="Its Kubernetes namespace.",
            environment="e.g. production or staging.",
            image="The image deployed.",
            actor="Who or what deployed it.",
            commit_sha="The commit deployed.",
        )
    )
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
    """Record a deploy (CI/CD sends these); the diagnosis correlates them with incidents. A key scoped to services
    records deploys of those services only (403 otherwise)."""
    hold_to_services(principal.scope, body.service, key=principal.key_id, what="record deploys")
    deployed_at = body.timestamp or datetime.now(UTC)
    if deployed_at.tzinfo is None:
        deployed_at = deployed_at.replace(tzinfo=UTC)
    fields = body.model_dump(exclude={"service", "timestamp"})
    return (
        DeployRepository()
        .record(
            principal.workspace,
            service=body.service,
            deployed_at=deployed_at.astimezone(UTC),
            recorded_by=principal.key_id,
            **fields,
        )
        .to_dict()
    )


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
    items, next_cursor = DeployRepository().query(
        principal.workspace,
        service=service,
        namespace=namespace,
        since=since.astimezone(UTC) if since else None,
        limit=limit,
        cursor=cursor,
    )
    return {"items": [i.to_dict() for i in items], "next_cursor": next_cursor}


class CorrelatedDeploy(BaseModel):
    deploy_id: str
    service: str
    namespace: str | None
    image: str | None
    actor: str | None
    commit_sha: str | None
    timestamp: datetime
    minutes_before_incident: int


class DeployCorrelation(BaseModel):
    incident_id: str
    has_correlation: bool
    correlated_deploy: CorrelatedDeploy | None
    lookback_minutes: int
    message: str


@router.get("/api/incidents/{incident_id}/deploy-correlation", response_model=DeployCorrelation)
def deploy_correlation(
    incident_id: str, principal: ViewerDep, lookback_minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 30
) -> dict:
    """The last deploy of the incident's service within `lookback_minutes` before it began (seed 002)."""
    from datetime import timedelta

    from pagerless.store.incidents import IncidentRepository

    incident = IncidentRepository().get(incident_id, principal.workspace)
    began = incident.first_seen or incident.created_at
    deploy = _last_deploy_before(incident, began - timedelta(minutes=lookback_minutes), began)
    if deploy is None:
        return {
            "incident_id": incident_id,
            "has_correlation": False,
            "correlated_deploy": None,
            "lookback_minutes": lookback_minutes,
            "message": f"No deploy of {incident.service or 'the service'} in the {lookback_minutes} min before this incident",
        }
    minutes = int((began - deploy.deployed_at).total_seconds() // 60)
    found = deploy.to_dict()
    return {
        "incident_id": incident_id,
        "has_correlation": True,
        "lookback_minutes": lookback_minutes,
        "correlated_deploy": {
            "deploy_id": found["id"],
            "service": found["service"],
            "namespace": found["namespace"],
            "image": found["image"],
            "actor": found["actor"],
            "commit_sha": found["commit_sha"],
            "timestamp": found["timestamp"],
            "minutes_before_incident": minutes,
        },
        "message": f"Deploy by {found['actor'] or 'someone'} ({found['service']}) was {minutes} min before this incident",
    }


def _last_deploy_before(incident, window_start: datetime, began: datetime):
    """The newest deploy of the incident's service (its namespace, or none named) in the window:
    pages through the window only, so deploys after the incident or elsewhere never crowd it out."""
    if not incident.service:
        return None
    cursor = None
    while True:
        page, cursor = DeployRepository().query(
            incident.workspace, service=incident.service, since=window_start, until=began, limit=50, cursor=cursor
        )
        for deploy in page:  # newest first
            if not incident.namespace or not deploy.namespace or deploy.namespace == incident.namespace:
                return deploy
        if cursor is None:
            return None
