"""Console pages beyond incidents: approvals, knowledge, deploys, dead letters, policy, users, audit.

Notifications, on-call, SLOs and reports are in ops_pages.py; API keys and agent tokens in key_pages.py.

Each reads through the service or repository the API uses, with the signed-in user's role.
"""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pagerless.api.deferred import DeferredRoute
from pagerless.console.session import check_csrf, current_principal, require_role
from pagerless.console.web import (
    PAGE_SIZE,
    SHOWN_VERSION,
    page_links,
    refused_form,
    render,
    saved_meanwhile,
    shown_version,
)
from pagerless.domain.errors import ConflictError, ValidationError
from pagerless.domain.roles import Role, role_satisfies

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
CsrfChecked = Depends(check_csrf)


Cursor = Annotated[str | None, Query(max_length=2000)]  # the page of a list after the first (`page_links`)


def _table(request: Request, title: str, columns: list[tuple[str, str]], rows: list[dict], **extra) -> HTMLResponse:
    return render(request, "table.html", title=title, columns=columns, rows=rows, **extra)


@router.get("/console/approvals", response_class=HTMLResponse)
def approvals_page(request: Request, status: str = "pending", cursor: Cursor = None) -> HTMLResponse:
    """The approvals queue (pending by default)."""
    principal = current_principal(request)
    from pagerless.workflow.approvals import ApprovalService

    status = status if status in ("pending", "approved", "rejected", "expired") else "pending"
    items, next_cursor = ApprovalService().list(principal.workspace, status, limit=PAGE_SIZE, cursor=cursor)
    rows = [_approval_row(a) for a in items]
    return _table(
        request,
        "Approvals",
        [
            ("incident_id", "Incident"),
            ("status", "Status"),
            ("action", "Action"),
            ("requested_at", "Requested"),
            ("expires_at", "Expires"),
            ("decided_by_label", "Decided by"),
        ],
        rows,
        tabs=("pending", "approved", "rejected", "expired"),
        tab=status,
        link_column="incident_id",
        **page_links(request, cursor, next_cursor),
    )


def _approval_row(approval: dict) -> dict:
    """An approval as the queue lists it: a runbook step says its runbook and step; one of a run
    with no incident (kept under the job id) links to its job's page."""
    proposal = approval.get("proposal") or {}
    action = proposal.get("action")
    if proposal.get("kind") == "runbook_step":
        action = f"{action} ({proposal.get('runbook_id')}: {proposal.get('step')})"
        if approval["incident_id"] == proposal.get("job_id"):
            return {**approval, "action": action, "link": f"/console/jobs/{proposal.get('job_id')}"}
    return {**approval, "action": action, "link": f"/console/incidents/{approval['incident_id']}"}


@router.get("/console/knowledge", response_class=HTMLResponse)
def knowledge_page(request: Request, cursor: Cursor = None) -> HTMLResponse:
    """Knowledge-base entries."""
    principal = current_principal(request)
    from pagerless.api.routes.knowledge import knowledge_service

    items, next_cursor = knowledge_service().list_entries(principal.workspace, PAGE_SIZE, cursor)
    return _table(
        request,
        "Knowledge",
        [("title", "Title"), ("service", "Service"), ("tags", "Tags"), ("content", "Content"), ("author", "Author")],
        [i.to_dict() for i in items],
        **page_links(request, cursor, next_cursor),
    )


@router.get("/console/deploys", response_class=HTMLResponse)
def deploys_page(request: Request, cursor: Cursor = None) -> HTMLResponse:
    """Recent deploys."""
    principal = current_principal(request)
    from pagerless.store.deploys import DeployRepository

    items, next_cursor = DeployRepository().query(
        principal.workspace, service=None, namespace=None, since=None, limit=PAGE_SIZE, cursor=cursor
    )
    return _table(
        request,
        "Deploys",
        [
            ("timestamp", "Time"),
            ("service", "Service"),
            ("namespace", "Namespace"),
            ("image", "Image"),
            ("actor", "Actor"),
            ("commit_sha", "Commit"),
        ],
        [i.to_dict() for i in items],
        **page_links(request, cursor, next_cursor),
    )


@router.get("/console/dead-letters", response_class=HTMLResponse)
def dead_letters_page(request: Request, cursor: Cursor = None) -> HTMLResponse:
    """Payloads that could not be processed, with a replay button."""
    principal = require_role(request, Role.OPERATOR)
    from pagerless.intake.bootstrap import dead_letter_service

    items, next_cursor = dead_letter_service().page(principal.workspace, limit=PAGE_SIZE, cursor=cursor)
    return _table(
        request,
        "Dead letters",
        [
            ("received_at", "Received"),
            ("source", "Source"),
            ("status", "Status"),
            ("error", "Error"),
            ("replay_result", "Replay result"),
            ("incident_id", "Incident"),
        ],
        [_dead_letter_row(i.to_dict(), admin=role_satisfies(principal.role, Role.ADMIN)) for i in items],
        row_action=("/console/dead-letters/{id}/replay", "Replay"),
        link_column="incident_id",
        **page_links(request, cursor, next_cursor),
    )


def _dead_letter_row(letter: dict, *, admin: bool) -> dict:
    """A dead letter as the page lists it: what its replay did in words (the alerts' actions, a requeued
    notification, why it failed) and the incident it reached (a link), not the replay's JSON; and no replay
    button once replayed (the service refuses a second replay), nor for an alert a key's scope refused unless
    an admin reads the page (only an admin may replay it)."""
    result = letter.get("replay_result") or {}
    alerts = [a for a in result.get("alerts") or [] if isinstance(a, dict)]
    error = result.get("error")
    incident_id = next((a["incident_id"] for a in alerts if a.get("incident_id")), None) or result.get("incident_id")
    if alerts:
        done = ", ".join(dict.fromkeys(str(a.get("action") or a.get("status") or "") for a in alerts))
    elif isinstance(error, dict):
        done = str(error.get("message") or error.get("code") or "")
    else:
        done = "requeued" if result.get("requeued") else ""
    return {
        **letter,
        "replay_result": done,
        "incident_id": incident_id,
        "link": f"/console/incidents/{incident_id}" if incident_id else None,
        "no_action": letter.get("status") == "replayed" or (letter.get("kind") == "refused" and not admin),
    }


@router.post("/console/dead-letters/{dead_letter_id}/replay", dependencies=[CsrfChecked])
def replay(request: Request, dead_letter_id: str) -> RedirectResponse:
    """Run a dead-lettered payload through ingestion again."""
    principal = require_role(request, Role.OPERATOR)
    from pagerless.intake.bootstrap import dead_letter_service

    admin = role_satisfies(principal.role, Role.ADMIN)  # an alert a key's scope refused: admins only
    dead_letter_service().replay(principal.workspace, dead_letter_id, source=None, admin=admin)
    return RedirectResponse("/console/dead-letters", status_code=303)


@router.get("/console/policy", response_class=HTMLResponse)
def policy_page(request: Request) -> HTMLResponse:
    """The workspace's remediation policy, editable as JSON (the same check and store as PUT /api/policy)."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.remediation.workspace_policy import versioned_policy_document

    document, version = versioned_policy_document(principal.workspace)
    shown = json.dumps(document["policy"], indent=2, default=str, ensure_ascii=False)
    return render(request, "json_edit.html", **_policy_editor(shown, version))


def _policy_editor(document: str, version: int | str | None) -> dict:
    """The policy editor's page showing ``document`` (as stored, or as typed) and the version it was read at."""
    return {
        "title": "Policy",
        "action": "/console/policy",
        "field": "policy",
        "editable": True,
        "document": document,
        "version": version,
    }


@router.post("/console/policy", dependencies=[CsrfChecked])
def put_policy_page(
    request: Request,
    policy: Annotated[str, Form(max_length=200000)],
    version: Annotated[str | None, Form(pattern=SHOWN_VERSION)] = None,
) -> Response:
    """Replace the remediation policy; a page that showed a stored version replaces only that one (as If-Match
    does), and one that showed the defaults stores only if nobody stored a policy meanwhile (as If-None-Match: *
    does), so a save from a page opened before someone else's save is refused (412) instead of overwriting it.
    A policy that is not valid comes back in the editor as typed, with the fields to fix."""
    principal = require_role(request, Role.ADMIN)
    from pydantic import ValidationError as SchemaError

    from pagerless.remediation.policy import Policy
    from pagerless.remediation.workspace_policy import put_policy

    try:
        try:
            body = Policy.model_validate_json(policy)
        except SchemaError as exc:
            raise ValidationError(
                "the policy is not valid",
                details=[
                    {"field": ".".join(str(p) for p in e["loc"]) or "policy", "message": e["msg"]}
                    for e in exc.errors()[:20]
                ],
            ) from exc
        request.state.audit_details = {"policy": body.model_dump(mode="json")}
        with saved_meanwhile("the policy was"):
            put_policy(principal.workspace, body, actor=principal.key_id, if_match=shown_version(version))
    except ValidationError as exc:
        editor = _policy_editor(policy, version)
        if version is None:  # the page had no version field: neither has the editor shown again
            del editor["version"]
        return refused_form(request, exc, "json_edit.html", **editor)
    return RedirectResponse("/console/policy", status_code=303)


@router.get("/console/users", response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    """Users, with create, role change and disable."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.auth.authenticate import user_service
    from pagerless.auth.users import public

    return render(request, "users.html", users=[public(u) for u in user_service().list(principal.workspace)])


@router.post("/console/users", dependencies=[CsrfChecked])
def create_user(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    role: Annotated[str, Form()],
    password: Annotated[str, Form(max_length=256)],
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create a user; one refused (a short password, a taken email) comes back in the form as typed, but the
    password."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.auth.authenticate import user_service
    from pagerless.auth.users import public

    users = user_service()
    try:
        users.create(workspace=principal.workspace, email=email, name=name, password=password, role=role)
    except (ValidationError, ConflictError) as exc:
        listed = [public(u) for u in users.list(principal.workspace)]
        draft = {"email": email, "name": name, "role": role}
        labels = {"email": "Email", "name": "Name", "password": "Password", "role": "Role"}  # users.html's
        return refused_form(request, exc, "users.html", labels=labels, users=listed, draft=draft)
    return RedirectResponse("/console/users", status_code=303)


@router.post("/console/users/{user_id}", dependencies=[CsrfChecked])
def update_user(
    request: Request,
    user_id: str,
    role: Annotated[str | None, Form()] = None,
    active: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    """Change a user's role, or disable / enable them (their sessions end at once)."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.auth.authenticate import user_service

    user_service().update(
        principal.workspace,
        user_id,
        actor_user_id=principal.user_id,
        role=role or None,
        is_active=None if active is None else active == "true",
    )
    return RedirectResponse("/console/users", status_code=303)


@router.post("/console/users/{user_id}/delete", dependencies=[CsrfChecked])
def delete_user(request: Request, user_id: str) -> RedirectResponse:
    """Delete a user (an admin cannot delete themselves)."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.auth.authenticate import user_service

    user_service().delete(principal.workspace, user_id, actor_user_id=principal.user_id)
    return RedirectResponse("/console/users", status_code=303)


@router.post("/console/users/{user_id}/password", dependencies=[CsrfChecked])
def reset_password(
    request: Request, user_id: str, new_password: Annotated[str, Form(max_length=256)]
) -> RedirectResponse:
    """Set a new password for a user; their sessions end at once."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.auth.authenticate import user_service

    user_service().reset_password(principal.workspace, user_id, new_password)
    return RedirectResponse("/console/users", status_code=303)


@router.get("/console/audit", response_class=HTMLResponse)
def audit_page(request: Request, actor: str | None = None, cursor: Cursor = None) -> HTMLResponse:
    """Who did what, newest first."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.store.audit import AuditRepository

    items, next_cursor = AuditRepository().query(
        principal.workspace, actor=actor or None, limit=PAGE_SIZE, cursor=cursor
    )
    return _table(
        request,
        "Audit",
        [
            ("at", "Time"),
            ("actor_label", "Actor"),
            ("role", "Role"),
            ("action", "Action"),
            ("target", "Target"),
            ("status", "Status"),
        ],
        [r.to_dict() for r in items],
        **page_links(request, cursor, next_cursor),
    )
