"""Console pages: sign-in, incidents (live), one incident with its actions, the event stream.

Pages read and act through the same services as the API (IncidentService, ApprovalService,
the workflow trace), with the signed-in user as the principal, so roles, audit and timeline
behave exactly as over the API.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from pagerless import settings
from pagerless.api.deferred import DeferredRoute
from pagerless.api.static import vendored_asset
from pagerless.auth.authenticate import user_service
from pagerless.console import i18n
from pagerless.console.session import (
    LANG_COOKIE,
    can,
    check_csrf,
    current_principal,
    end_session,
    jar,
    require_role,
    safe_next,
    start_session,
)
from pagerless.console.web import PAGE_SIZE, page_links, render
from pagerless.domain.errors import ForbiddenError, PagerlessError, RateLimitedError, UnauthorizedError
from pagerless.domain.roles import Role

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
CsrfChecked = Depends(check_csrf)
STATUSES = ("open", "diagnosing", "diagnosed", "awaiting_approval", "remediating", "verifying", "escalated", "resolved")
SEVERITIES = ("critical", "high", "warning", "info")
STATIC = {name: i18n.HERE / "static" / name for name in ("htmx.min.js", "console.js", "console.css")}
FAVICON = {"favicon.ico": i18n.HERE / "static" / "favicon.ico"}


def _incidents():
    from pagerless.incidents.service import IncidentService  # the service alone, not the API's incident routes

    return IncidentService()


def _approvals():
    from pagerless.workflow.approvals import ApprovalService

    return ApprovalService()


@router.get("/")
def home() -> RedirectResponse:
    """The console's front door."""
    return RedirectResponse("/console/incidents", status_code=303)


@router.get("/favicon.ico")
def favicon() -> Response:
    """The icon a browser asks every site for (the API docs' favicon.svg as an icon: static/VENDORED.txt)."""
    return vendored_asset(FAVICON, "favicon.ico")


@router.get("/console/static/{name}")
def static(name: str) -> Response:
    """The console's own assets (htmx is vendored from npm)."""
    return vendored_asset(STATIC, name)


@router.get("/console/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/console/incidents") -> HTMLResponse:
    """The sign-in form (password, and the SSO link when OIDC is configured)."""
    return render(request, "login.html", next=safe_next(next), error=None, sso=sso_configured())


@router.post("/console/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form()] = "/console/incidents",
):
    """Check the password and start a cookie session."""
    try:
        user, pair = user_service().login(
            email=email, password=password, address=request.client.host if request.client else ""
        )
    except (UnauthorizedError, ForbiddenError, RateLimitedError) as exc:
        status = {UnauthorizedError: 401, ForbiddenError: 403, RateLimitedError: 429}[type(exc)]
        return render(
            request,
            "login.html",
            status_code=status,
            next=safe_next(next),
            error=exc.code,
            lockout=_lockout(exc),
            sso=sso_configured(),
            email=email,  # kept, so a mistyped password costs only the password
        )
    start_session(request, pair.access_token, pair.refresh_token)
    from pagerless.auth.users import principal_for

    request.state.principal = principal_for(user)  # the audit log records the sign-in
    return RedirectResponse(safe_next(next), status_code=303)


def _lockout(exc: PagerlessError) -> dict | None:
    """What a locked sign-in's page says: whose lock (this account's or this network's) and the minutes left."""
    if not isinstance(exc, RateLimitedError):
        return None
    detail = next((d for d in exc.details if isinstance(d, dict)), {})
    seconds = exc.retry_after or detail.get("retry_after") or 60
    return {"locked": detail.get("locked", "email"), "minutes": max(1, -(-int(seconds) // 60))}


@router.post("/console/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> RedirectResponse:
    """End the session."""
    end_session(request)
    return RedirectResponse("/console/login", status_code=303)


@router.post("/console/language", dependencies=[CsrfChecked])
def switch_language(
    request: Request, lang: Annotated[str, Form()], next: Annotated[str, Form()] = "/console/incidents"
):
    """Switch the console's language (kept in a cookie)."""
    if lang in i18n.LANGUAGES:
        jar(request).to_set[LANG_COOKIE] = (
            lang,
            {"httponly": False, "samesite": "lax", "path": "/", "max_age": 365 * 24 * 3600},
        )
    return RedirectResponse(safe_next(next), status_code=303)


def _filters(status: str | None, severity: str | None, service: str | None) -> dict:
    """The list's filters as given, without the spaces a pasted service name brings along."""
    given = {"status": status, "severity": severity, "service": service}
    return {k: v.strip() for k, v in given.items() if v and v.strip()}


@router.get("/console/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request,
    status: str | None = None,
    severity: str | None = None,
    service: Annotated[str | None, Query(max_length=200)] = None,
    partial: bool = False,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    """Incidents, newest first, a page at a time; filters live in the URL, and the first page
    refreshes itself on new events (an older page stays as it is)."""
    principal = current_principal(request)
    filters = _filters(status, severity, service)
    items, next_cursor = _incidents().search(principal.workspace, limit=PAGE_SIZE, cursor=cursor, **filters)
    template = "_incident_rows.html" if partial else "incidents.html"
    return render(
        request,
        template,
        incidents=items,
        filters=filters,
        statuses=STATUSES,
        severities=SEVERITIES,
        rows_url=None if cursor else "/console/incidents?" + urlencode({**filters, "partial": "true"}),
        **page_links(request, cursor, next_cursor),
    )


@router.get("/console/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: str, partial: str | None = None) -> HTMLResponse:
    """One incident: timeline, diagnosis with evidence, proposal with its dry-run diff, actions, workflow."""
    principal = current_principal(request)
    service = _incidents()
    incident = service.get(principal.workspace, incident_id)
    from pagerless.incidents.timeline_names import named

    timeline = named(principal.workspace, [t.to_dict() for t in service.timeline_of(principal.workspace, incident_id)])
    latest = _approvals().repository.latest(incident_id)
    approval = latest.to_public() if latest is not None and latest.workspace == principal.workspace else None
    context = {
        "incident": incident,
        "timeline": timeline,
        "diagnosis": incident.diagnosis or None,
        "proposal": incident.proposal or None,
        "approval": approval,
        "trace": None,
        "can_operate": can(principal, Role.OPERATOR),
    }
    if partial == "live":
        return render(request, "_incident_live.html", **context)
    context["trace"] = _trace(incident)
    return render(request, "incident.html", **context)


def _trace(incident) -> dict | None:
    from pagerless.workflow.trace import workflow_trace

    if not getattr(incident, "execution_arn", None):
        return None
    try:
        return workflow_trace(incident)
    except PagerlessError:
        return None


@router.post("/console/incidents/{incident_id}/{action}", dependencies=[CsrfChecked])
def incident_action(
    request: Request,
    incident_id: str,
    action: str,
    text: Annotated[str, Form(max_length=8000)] = "",
    approval_id: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Approve, reject, acknowledge, resolve or comment, as the signed-in user (operator or admin).

    Approve and reject name the approval the page showed: one replaced meanwhile changes nothing."""
    principal = require_role(request, Role.OPERATOR)
    service = _incidents()
    if action in ("approve", "reject"):
        from pagerless.domain.approvals import VIA_CONSOLE, Via
        from pagerless.incidents import decision_audit

        request.state.audit_details = {"decision": action, "comment": text}
        decided = _approvals().decide(
            incident_id,
            principal.workspace,
            approve=action == "approve",
            actor=principal.key_id,
            role=principal.role.value,
            comment=text,
            approval_id=approval_id or None,
            via=Via(VIA_CONSOLE),
        )
        request.state.audit_details.update(changed=decided.changed, approval_id=decided.approval["approval_id"])
        if decided.changed:  # the approval sweep may write this decision's record in its stead: one of them does
            request.state.audit_once = decision_audit.once(decided.approval)
    elif action == "acknowledge":
        service.acknowledge(principal.workspace, incident_id, principal)
    elif action == "resolve":
        service.resolve(principal.workspace, incident_id, principal, text)
    elif action == "comment":
        if not text.strip():
            return RedirectResponse(f"/console/incidents/{incident_id}", status_code=303)
        service.comment(principal.workspace, incident_id, principal, text)
    else:
        raise ForbiddenError(f"unknown action {action}")
    return RedirectResponse(f"/console/incidents/{incident_id}", status_code=303)


@router.get("/console/events")
def console_events(
    request: Request,
    max_seconds: Annotated[float, Query(gt=0, le=28)] = 20,
    last_event_id: Annotated[str | None, Query(max_length=20)] = None,
) -> StreamingResponse:
    """The workspace's event stream for the signed-in user (bounded; the browser reconnects)."""
    principal = current_principal(request)
    from pagerless.incidents import stream

    resume_seq = stream.parse_event_id(request.headers.get("last-event-id") or last_event_id)

    options = stream.StreamOptions(max_seconds=max_seconds, seed_000_events=False)
    chunks = stream.stream_events(principal.workspace, resume_seq, options)
    # Every event arrives as a plain "message" (its type is in the data): one listener sees them all.
    unnamed = (
        "".join(line for line in chunk.splitlines(keepends=True) if not line.startswith("event: ")) for chunk in chunks
    )
    return StreamingResponse(
        unnamed, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


def sso_configured() -> bool:
    config = settings.auth()
    return bool(config.oidc_authorize_url and config.oidc_token_url and config.oidc_client_id)
