"""Alert webhooks: one endpoint per source, a header-selected one, and a plain-text/generic one.

By default a webhook is acknowledged once its alerts are on the alert queue (202, naming them);
``?sync=true`` waits for dedup and incident creation and answers 200 with each incident id.
Seed 002's clients read the first alert's outcome at the top level (``ok``, ``incident_id``,
``deduplicated``, ``dedup_strategy``, ``group_id``; for PagerDuty also ``event_type``,
``pd_incident_id``, ``local_incident_id``, ``action_taken``): they are added beside ``alerts``.

Every request is audited (who sent what): the source, the body's size and, per alert, the
fingerprint, the incident and what happened (the first AUDITED_ALERTS of them).
"""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import IngestDep, own_workspace
from pagerless.auth.keys import Principal
from pagerless.intake.bootstrap import webhook_intake
from pagerless.intake.webhooks import WebhookIntake, WebhookRequest

router = APIRouter(tags=["ingest"], route_class=DeferredRoute)
IntakeDep = Annotated[WebhookIntake, Depends(webhook_intake)]
NO_AUDIT = {"x-audit": True}  # name kept for other branches; intake is audited
AUDITED_ALERTS = 20
INTAKE = {**NO_AUDIT, "x-intake": True}  # over the rate limit, queued (202) instead of refused


class AlertResult(BaseModel):
    fingerprint: str
    incident_id: str | None
    deduplicated: bool
    status: str
    action: str
    group_id: str | None = None  # only for an alert correlated into a group
    reason: str | None = None  # only for an alert ignored or refused for a reason: late_firing, late_resolve, key_scope
    message: str | None = None  # a refused alert: why it is outside the key's scope
    dead_letter_id: str | None = None  # a refused alert: where it is kept (an admin may replay it)


class IngestResponse(BaseModel):
    alerts: list[AlertResult]
    ok: bool = True
    incident_id: str | None = None
    deduplicated: bool | None = None
    dedup_strategy: str | None = None
    group_id: str | None = None


class QueuedResponse(BaseModel):
    queued: bool
    reason: str | None = None  # accepted | rate_limited (absent: the store failed, the payload was kept)
    accepted: int | None = None
    queued_alerts: list[str] | None = None  # fingerprints, in payload order
    message: str | None = None
    refused: list[AlertResult] | None = None  # alerts outside the key's scope (action refused), not queued


_RESPONSES = {202: {"model": QueuedResponse, "description": "accepted; processed shortly from the alert queue"}}
SyncParam = Annotated[
    bool | None,
    Query(
        description="true: process now and answer 200 with each incident id; "
        "false: queue and answer 202 (default: PAGERLESS_INTAKE_ACKNOWLEDGE)"
    ),
]
# The routes read the body themselves (any source's payload, in any of these types), so FastAPI declares
# none: the OpenAPI gets it from here, with seed 002's and seed 000's examples, for Swagger's "Try it out".
_GENERIC = {
    "title": "High CPU on payments-api",
    "description": "CPU usage > 90% for 5 minutes",
    "severity": "critical",
    "source": "prometheus",
    "namespace": "production",
    "pod": "payments-api-7d8f9c6b5-x2k4m",
    "deployment": "payments-api",
    "service": "payments-api",
}
_SEED_002 = {
    "generic": _GENERIC,
    "pagerduty": {
        "event": {
            "event_type": "incident.triggered",
            "data": {
                "id": "PD12345",
                "title": "Database connection pool exhausted",
                "urgency": "high",
                "service": {"summary": "auth-service"},
            },
        }
    },
    "alertmanager": {
        "status": "firing",
        "groupKey": 'alertmanager/cluster-1/{severity="critical"}',
        "alerts": [
            {
                "status": "firing",
                "fingerprint": "abc123",
                "labels": {
                    "alertname": "PodCrashLooping",
                    "namespace": "production",
                    "pod": "api-server-5d4f3c2b1-xyz",
                },
                "annotations": {
                    "summary": "Pod is crash looping",
                    "description": "Pod has restarted 5 times in the last 10 minutes",
                },
            }
        ],
    },
}
_CHAT_TEXT = "[告警] Pod CrashLoopBackOff\n服务: user-service\n命名空间: production"  # seed 000


def _body(description: str, json_examples: dict, text: str) -> dict:
    """The request body as the route reads it: JSON (an object or a list of them), text, or a form."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {
                    "schema": {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
                    "examples": {name: {"value": value} for name, value in json_examples.items()},
                },
                "text/plain": {"schema": {"type": "string"}, "example": text},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                    "example": {"title": "High CPU on payments-api", "severity": "critical", "service": "payments-api"},
                },
            },
        }
    }


_BY_SOURCE = _body(
    "The source's own payload, as it sends it (the `text` source takes plain text; JSON labelled text/plain, "
    "as Amazon SNS sends it, is read as JSON; a form is the object of its fields).",
    {f"{name} (seed 002)": value for name, value in _SEED_002.items()},
    _CHAT_TEXT,
)
_BY_HEADER = _body(
    "The payload of the source named by X-Source, as it sends it (seed 002's examples).",
    {f"X-Source: {'webhook' if name == 'generic' else name}": value for name, value in _SEED_002.items()},
    _CHAT_TEXT,
)
_ONE_ALERT = _body(
    "One alert: plain text (text/plain), a chat bot's {message, sender_id} (seed 000), or a generic JSON alert.",
    {"chat message (seed 000)": {"message": _CHAT_TEXT, "sender_id": "alert_bot"}, "generic alert": _GENERIC},
    _CHAT_TEXT,
)
WorkspaceHeader = Annotated[
    str | None,
    Header(
        alias="X-Workspace-Id",
        description="seed 002: the workspace the alert is for; it must be the key's (403 otherwise, nothing stored)",
    ),
]


@router.post(
    "/api/webhooks/{source}",
    response_model=IngestResponse,
    responses=_RESPONSES,
    openapi_extra={**INTAKE, **_BY_SOURCE},
)
async def webhook(
    source: str,
    request: Request,
    principal: IngestDep,
    intake: IntakeDep,
    sync: SyncParam = None,
    workspace: WorkspaceHeader = None,
) -> JSONResponse:
    """Receive a vendor webhook (alertmanager, grafana, pagerduty, opsgenie, datadog, newrelic, sentry, cloudwatch/sns, eventbridge, generic, text)."""
    return await _receive(source, request, principal, intake, sync, workspace)


@router.post("/webhook", response_model=IngestResponse, responses=_RESPONSES, openapi_extra={**INTAKE, **_BY_HEADER})
async def webhook_by_header(
    request: Request,
    principal: IngestDep,
    intake: IntakeDep,
    x_source: Annotated[str, Header()] = "generic",
    sync: SyncParam = None,
    workspace: WorkspaceHeader = None,
) -> JSONResponse:
    """Receive a webhook whose source is named by the X-Source header (default generic)."""
    return await _receive(x_source, request, principal, intake, sync, workspace)


@router.post("/api/alert", response_model=IngestResponse, responses=_RESPONSES, openapi_extra={**INTAKE, **_ONE_ALERT})
async def alert(
    request: Request, principal: IngestDep, intake: IntakeDep, sync: SyncParam = None, workspace: WorkspaceHeader = None
) -> JSONResponse:
    """Send one alert as plain text (text/plain) or generic JSON."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    source = "text" if media == "text/plain" else "generic"
    return await _receive(source, request, principal, intake, sync, workspace)


async def _receive(
    source: str, request: Request, principal: Principal, intake: WebhookIntake, sync: bool | None, workspace: str | None
) -> JSONResponse:
    own_workspace(principal, workspace, field="X-Workspace-Id")  # before anything is read, queued or stored
    incoming = WebhookRequest(
        source=source,
        workspace=principal.workspace,
        body=await request.body(),
        headers={k.lower(): v for k, v in request.headers.items()},
        content_type=request.headers.get("content-type"),
        sync=sync,
        scope=principal.scope,
        key=principal.key_id,
    )
    request.state.audit_details = {"source": source, "bytes": len(incoming.body)}
    verdict = getattr(request.state, "rate_limit", None)
    deferred = verdict is not None and not verdict.allowed
    outcome = await run_in_threadpool(intake.receive, incoming, defer=deferred)
    alerts = outcome.body.get("alerts") or []
    refused = outcome.body.get("refused") or []
    request.state.audit_details.update(
        alert_count=len(alerts) or outcome.body.get("accepted", 0),
        queued=outcome.body.get("queued", False),
        alerts=[_audited(a) for a in [*alerts, *refused][:AUDITED_ALERTS]],
    )
    headers = {"Retry-After": str(verdict.retry_after)} if deferred else None
    body = outcome.body
    if outcome.status_code == 200 and "alerts" in body:  # processed now (a queued 202 names no incident yet)
        body = {**body, **_seed_summary(source, incoming.body, alerts)}
    return JSONResponse(body, status_code=outcome.status_code, headers=headers)


def _audited(alert: dict) -> dict:
    """What the audit keeps of one alert's outcome (its reason, when it was ignored for one)."""
    kept = {k: alert.get(k) for k in ("fingerprint", "incident_id", "action")}
    if alert.get("dead_letter_id"):  # refused by the key's scope: kept there
        kept["dead_letter_id"] = alert["dead_letter_id"]
    return {**kept, "reason": alert["reason"]} if alert.get("reason") else kept


def _seed_summary(source: str, raw: bytes, alerts: list[dict]) -> dict:
    """Seed 002's top-level answer: the first alert's outcome (every alert stays in ``alerts``); an alert
    refused by the key's scope is never it."""
    alerts = [a for a in alerts if a.get("action") != "refused"]
    if not alerts:
        return {"ok": True}
    first = alerts[0]
    summary = {
        "ok": True,
        "incident_id": first.get("incident_id"),
        "deduplicated": first.get("deduplicated"),
        "dedup_strategy": "fingerprint" if first.get("deduplicated") else None,
        "group_id": first.get("group_id"),
    }
    if source.strip().lower() == "pagerduty":
        summary.update(
            event_type=_pagerduty_event_type(raw),
            pd_incident_id=first.get("fingerprint"),
            local_incident_id=first.get("incident_id"),
            action_taken=first.get("action"),
        )
    return summary


def _pagerduty_event_type(raw: bytes) -> str | None:
    try:
        event = json.loads(raw).get("event")
    except (ValueError, AttributeError):
        return None
    return event.get("event_type") if isinstance(event, dict) else None
