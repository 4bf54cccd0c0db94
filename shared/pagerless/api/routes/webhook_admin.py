from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, Page
from pagerless.api.security import AdminDep, OperatorDep
from pagerless.domain.errors import ValidationError
from pagerless.domain.roles import Role, role_satisfies
from pagerless.domain.schema_docs import documented
from pagerless.intake.bootstrap import dead_letter_service, webhook_intake
from pagerless.intake.dead_letters import DeadLetterService
from pagerless.intake.senders import SIGNED_SOURCES
from pagerless.intake.webhooks import WebhookIntake
from pagerless.store.webhook_settings import WebhookSettingsRepository

router = APIRouter(tags=["webhooks"], route_class=DeferredRoute)
DeadLettersDep = Annotated[DeadLetterService, Depends(dead_letter_service)]
IntakeDep = Annotated[WebhookIntake, Depends(webhook_intake)]


class WebhookSettingsUpdate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"secrets": {"grafana": "a-shared-secret"}, "verify_sns": True},
            verify_sns="Check the signature of SNS messages.",
        )
    )
    secrets: dict[str, str | None] = Field(
        default_factory=dict, description="source -> signing secret; null removes it (pagerduty, grafana, sentry)"
    )
    sns_topics: list[str] | None = Field(default=None, description="SNS topic ARNs whose subscriptions are confirmed")
    verify_sns: bool | None = None


class SourceSecretState(BaseModel):
    configured: bool


class WebhookSettingsPublic(BaseModel):
    sources: dict[str, SourceSecretState]
    sns_topics: list[str]
    verify_sns: bool


class DeadLetterPublic(BaseModel):
    id: str
    status: str
    kind: str
    source: str
    content_type: str | None
    payload: str
    payload_encoding: str
    error: str | None
    attempts: int
    received_at: str
    dead_at: str | None
    replayed_at: str | None
    replay_result: dict | None


class ReplayRequest(BaseModel):
    model_config = ConfigDict(**documented({"source": "alertmanager"}))
    source: str | None = Field(
        default=None,
        description="replay a payload as another source (e.g. when it was sent to the wrong one); "
        "a queued alert or a notification replays only as its own",
    )


@router.get("/api/webhooks/settings", response_model=WebhookSettingsPublic)
def get_webhook_settings(principal: AdminDep) -> dict:
    """Which sources have a signing secret (never the secrets) and the allowed SNS topics."""
    return WebhookSettingsRepository().get(principal.workspace).public()


@router.put("/api/webhooks/settings", response_model=WebhookSettingsPublic)
def put_webhook_settings(body: WebhookSettingsUpdate, principal: AdminDep, intake: IntakeDep) -> dict:
    """Set signing secrets and allowed SNS topics; secrets are stored, never returned."""
    unknown = sorted(set(body.secrets) - SIGNED_SOURCES)
    if unknown:
        raise ValidationError(
            f"sources without webhook signatures: {', '.join(unknown)}",
            details=[{"field": "secrets", "signed_sources": sorted(SIGNED_SOURCES)}],
        )
    bad_topics = [t for t in body.sns_topics or [] if not t.startswith("arn:aws") or ":sns:" not in t]
    if bad_topics:
        raise ValidationError(
            "sns_topics must be SNS topic ARNs", details=[{"field": "sns_topics", "values": bad_topics}]
        )

    # what is sent, onto the stored settings (again onto what another edit stored, if one came first)
    def change(current) -> None:
        for source, secret in body.secrets.items():
            if secret:
                current.secrets[source] = secret
            else:
                current.secrets.pop(source, None)
        if body.sns_topics is not None:
            current.sns_topics = list(dict.fromkeys(body.sns_topics))
        if body.verify_sns is not None:
            current.verify_sns = body.verify_sns

    stored = WebhookSettingsRepository().edit(principal.workspace, change)
    intake.forget_settings(principal.workspace)
    return stored.public()


@router.get("/api/webhooks/dead-letter", response_model=Page[DeadLetterPublic])
def list_dead_letters(
    principal: OperatorDep,
    dead_letters: DeadLettersDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
    status: Annotated[
        Literal["dead", "replayed", "replay_failed"] | None,
        Query(description="dead: still to replay; replayed; replay_failed"),
    ] = None,
    kind: Annotated[
        Literal["ingest", "alert", "sns", "raw", "notify", "refused"] | None,
        Query(
            description="what died: a webhook payload, one queued alert, an SNS or raw message, a notification, "
            "an alert its key's scope refused"
        ),
    ] = None,
    source: Annotated[str | None, Query(description="the alert source (or channel of a notification)")] = None,
) -> dict:
    """Payloads that could not be processed: payload, source, error and time, newest first."""
    items, next_cursor = dead_letters.page(
        principal.workspace, limit=limit, cursor=cursor, status=status, kind=kind, source=source
    )
    return {"items": [i.to_dict() for i in items], "next_cursor": next_cursor}


@router.get("/api/webhooks/dead-letter/{dead_letter_id}", response_model=DeadLetterPublic)
def get_dead_letter(dead_letter_id: str, principal: OperatorDep, dead_letters: DeadLettersDep) -> dict:
    """One dead letter by its id (as logged when it was dead-lettered): payload, error, replay result."""
    return dead_letters.get(principal.workspace, dead_letter_id).to_dict()


@router.post("/api/webhooks/dead-letter/{dead_letter_id}/replay")
def replay_dead_letter(
    dead_letter_id: str, principal: OperatorDep, dead_letters: DeadLettersDep, body: ReplayRequest | None = None
) -> dict:
    """Run a dead-lettered payload through ingestion again and record the result (an alert refused by its
    key's scope: admins only)."""
    return dead_letters.replay(
        principal.workspace,
        dead_letter_id,
        source=body.source if body else None,
        admin=role_satisfies(principal.role, Role.ADMIN),
    )
