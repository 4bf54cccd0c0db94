"""Notification channels, routes, the delivery log and test notifications (templates: `notification_templates`)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.conditional import CONDITIONAL_PUT, READ, IfMatchDep, tagged
from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, Page
from pagerless.api.security import AdminDep, OperatorDep, ViewerDep
from pagerless.domain.errors import ValidationError
from pagerless.domain.schema_docs import documented

router = APIRouter(tags=["notifications"], route_class=DeferredRoute)


def _service():
    from pagerless.notify.bootstrap import notify_service

    return notify_service()


class ChannelCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "name": "sre-oncall",
                "channel_type": "slack",
                "config": {"webhook_url": "https://hooks.slack.com/services/T000/B000/XXXX"},
                "is_enabled": True,
            },
            name="The channel's name.",
            config="The channel type's settings (webhook URL, secret, addresses...); any type also takes language"
            " (en, zh), rate_per_minute and timezone (an IANA name, e.g. Asia/Shanghai: the zone its times read in).",
            is_enabled="false keeps it but sends nothing.",
        )
    )
    name: str = Field(min_length=1, max_length=200)
    channel_type: str = Field(description="slack, lark, lark_bot, dingtalk, wecom, teams, email, webhook")
    config: dict[str, Any] = Field(default_factory=dict)
    is_enabled: bool = True


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(
        **documented({"is_enabled": False}, name="A new name.", is_enabled="false keeps it but sends nothing.")
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    config: dict[str, Any] | None = Field(default=None, description='fields to change; null or "" removes one')
    is_enabled: bool | None = None


class NotificationChannel(BaseModel):
    id: str
    name: str
    channel_type: str
    config: dict[str, Any]
    is_enabled: bool
    created_at: str
    updated_at: str


class NotificationLog(BaseModel):
    id: str
    incident_id: str | None
    alert_id: str | None
    event: str
    generation: str
    channel_id: str
    channel_type: str
    channel_name: str
    recipient: dict | None = None  # a page to a person: {person_id, name, address}
    # a page to a Teams channel: whom its card @-mentions by email for lack of a teams contact ({person_id, name,
    # email}); Teams notifies them only where the email is their sign-in name (UPN)
    mentioned_by_email: list[dict] = []
    status: str
    attempts: int
    last_error: str | None
    title: str
    provider_message_id: str | None
    created_at: str
    sent_at: str | None
    updated_at: str


# ---------------------------------------------------------------- channels
@router.get("/api/notifications/channels", response_model=list[NotificationChannel])
def list_channels(principal: ViewerDep) -> list[dict]:
    """Notification channels; secrets are shown masked."""
    from pagerless.notify.config import public_channel

    return [public_channel(c) for c in _service().channels.list(principal.workspace)]


@router.post("/api/notifications/channels", response_model=NotificationChannel, status_code=status.HTTP_201_CREATED)
def create_channel(body: ChannelCreate, principal: AdminDep) -> dict:
    """Create a channel; its secrets go to SSM SecureString and are never returned."""
    from pagerless.notify.config import public_channel

    return public_channel(_service().channels.create(principal.workspace, body.model_dump()))


@router.get("/api/notifications/channels/{channel_id}", response_model=NotificationChannel)
def get_channel(channel_id: str, principal: ViewerDep) -> dict:
    """One channel, secrets masked."""
    from pagerless.notify.config import public_channel

    return public_channel(_service().channels.get(principal.workspace, channel_id))


@router.put("/api/notifications/channels/{channel_id}", response_model=NotificationChannel)
def update_channel(channel_id: str, body: ChannelUpdate, principal: AdminDep) -> dict:
    """Change a channel's name, config (merged; secrets kept unless given) or enabled flag (409 renaming it while an
    escalation policy pages it by that name and no other channel)."""
    from pagerless.notify.config import public_channel

    if body.name is not None:
        from pagerless.oncall.service import OncallService

        OncallService().keep_channel(principal.workspace, channel_id, renamed_to=body.name)
    return public_channel(_service().channels.update(principal.workspace, channel_id, body.model_dump()))


@router.delete("/api/notifications/channels/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_channel(channel_id: str, principal: AdminDep) -> Response:
    """Delete a channel and its stored secrets (409 while an escalation policy pages it and no other channel)."""
    from pagerless.oncall.service import OncallService

    OncallService().keep_channel(principal.workspace, channel_id)
    _service().channels.delete(principal.workspace, channel_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/api/notifications/channels/{channel_id}/test")
def test_channel(channel_id: str, principal: AdminDep) -> dict:
    """Send a test message to this channel now (one delivery, logged) and report the vendor's answer."""
    from pagerless.incidents.notice_phrases import data, english, phrase
    from pagerless.notify.throttle import RetryLaterError
    from pagerless.outbox.jobs import NotifyJob

    service = _service()
    channel = service.channels.get(principal.workspace, channel_id)
    said = phrase("channel_test", channel=channel["name"])  # said in the channel's language
    job = NotifyJob(
        workspace=principal.workspace,
        event="test",
        generation=f"test-{uuid.uuid4().hex[:12]}",
        targets=[{"kind": "channel", "id": channel["id"]}],
        data={"title": "Test notification", "severity": "info", "message": english(said), "message_phrase": data(said)},
    )
    try:
        outcome = service.handle(job)
    except RetryLaterError as exc:
        return {"ok": False, "channel_id": channel_id, "status": "failed", "error": str(exc)}
    failed = outcome.failed[0] if outcome.failed else None
    return {
        "ok": not failed and channel_id in outcome.delivered,
        "channel_id": channel_id,
        "status": failed["status"] if failed else "sent",
        "error": failed["error"] if failed else None,
    }


# ---------------------------------------------------------------- routes and tests
@router.get("/api/notifications/routes", responses=READ)
def get_routes(principal: ViewerDep, response: Response) -> dict:
    """The routes, and the seed 002 view of them (default rules by severity, service overrides); ETag once stored."""
    return tagged(response, *_service().routes.versioned_view(principal.workspace))


@router.put("/api/notifications/routes", responses=CONDITIONAL_PUT)
def put_routes(
    body: Annotated[
        dict[str, Any],
        Body(
            description='{"routes": [...]} or seed 002\'s {"default_rules", "service_overrides"}',
            examples=[
                {
                    "default_rules": {"critical": ["sre-oncall"], "warning": ["sre-chat"]},
                    "service_overrides": {"payments-api": {"critical": ["payments-oncall"]}},
                }
            ],
        ),
    ],
    principal: AdminDep,
    if_match: IfMatchDep,
    response: Response,
) -> dict:
    """Replace the routes ({"routes": [...]} or seed 002's shape); with If-Match, only the version read."""
    return tagged(response, *_service().routes.put(principal.workspace, body, if_match))


@router.post("/api/notifications/test", status_code=status.HTTP_202_ACCEPTED)
def test_notification(
    principal: AdminDep,
    severity: str = "info",
    service: str | None = None,
    message: str = "Test notification",
    namespace: str | None = None,
) -> dict:
    """Queue a routed test notification; answers which channels the routes chose, and which route names none."""
    from pagerless import settings
    from pagerless.domain.errors import ServiceUnavailableError
    from pagerless.incidents.notice_phrases import data, phrase
    from pagerless.notify import context
    from pagerless.notify.routing import sends_nowhere
    from pagerless.outbox.jobs import NotifyJob, enqueue

    if not settings.workflow().notify_queue_url:
        raise ServiceUnavailableError("no notification queue is configured (PAGERLESS_NOTIFY_QUEUE_URL)")
    job = NotifyJob(
        workspace=principal.workspace,
        event="test",
        generation=f"test-{uuid.uuid4().hex[:12]}",
        data={
            "severity": severity,
            "service": service,
            "namespace": namespace,
            "message": message,
            "title": message,
            # the default message is said in each channel's language; one the caller wrote, as written
            "message_phrase": data(phrase("test_notification")),
        },
    )
    channels = _service().targets(job, context.build(job))
    enqueue(job)
    unknown = _service().routes.unknown_channels(principal.workspace)
    return {
        "queued": True,
        "generation": job.generation,
        "channels": [c["id"] for c in channels],
        "unknown_channels": [{k: u[k] for k in ("route", "name", "channel")} for u in unknown],
        "warning": sends_nowhere(unknown) or (None if channels else _reaches_nobody(principal.workspace, job.data)),
    }


def _reaches_nobody(workspace: str, data: dict) -> str:
    """Why a routed test chose no channel, and what to change: it is queued, and nothing will be sent."""
    route_set = _service().routes.get(workspace)
    if route_set is None or not route_set.routes:
        return "no notification route is set, so nothing is sent: add one with PUT /api/notifications/routes"
    asked = ", ".join(f"{key} {data[key]!r}" for key in ("severity", "service", "namespace") if data.get(key))
    return (
        f"no route chooses an enabled channel for a notification of {asked}, so nothing is sent: widen a route's"
        " match (PUT /api/notifications/routes), or check that its channels are enabled (is_enabled, and their type not"
        " switched off in /api/plugins)"
    )


@router.get("/api/notification-logs", response_model=Page[NotificationLog])
def list_notification_logs(
    principal: OperatorDep,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    incident_id: str | None = None,
    alert_id: str | None = None,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
) -> dict:
    """Deliveries, newest first: status, attempts, last error, provider message id (kept 90 days)."""
    from pagerless.store.deliveries import DELIVERY_STATUSES

    if status_filter and status_filter not in DELIVERY_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(DELIVERY_STATUSES)}", details=[{"field": "status"}])
    items, next_cursor = _service().deliveries.page(
        principal.workspace, incident_id=incident_id or alert_id, status=status_filter, limit=limit, cursor=cursor
    )
    return {"items": [i.to_public() for i in items], "next_cursor": next_cursor}
