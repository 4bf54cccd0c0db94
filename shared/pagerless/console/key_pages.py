"""The console's keys page: API keys and agent tokens (with their scopes), prefixes only; create and revoke both
(each revoke asks first, on a page of its own: it works without JavaScript).

Reads and writes through the service the keys API uses (`auth.keys`), with the signed-in admin's role.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pagerless.api.deferred import DeferredRoute
from pagerless.console.session import check_csrf, require_role
from pagerless.console.web import refused_form, render
from pagerless.domain.errors import NotFoundError, ValidationError
from pagerless.domain.roles import Role

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
CsrfChecked = Depends(check_csrf)


@router.get("/console/keys", response_class=HTMLResponse)
def keys_page(request: Request, created: str | None = None) -> HTMLResponse:
    """API keys and agent tokens (prefixes only), with create and revoke."""
    principal = require_role(request, Role.ADMIN)
    return render(request, "keys.html", keys=response_keys(principal), tokens=response_tokens(principal), created=None)


@router.post("/console/keys", dependencies=[CsrfChecked])
def create_key(
    request: Request,
    role: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=100)] = "",
    sources: Annotated[str, Form(max_length=2000)] = "",
    services: Annotated[str, Form(max_length=10000)] = "",
):
    """Create an API key, optionally scoped to sources and services; the secret is shown once, on this page."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.api.security import key_service
    from pagerless.intake.key_scopes import parse_scope

    try:
        scope = parse_scope(_names(sources), _names(services))
    except ValidationError as exc:
        draft = {"name": name, "role": role, "sources": sources, "services": services}
        labels = {"sources": "Sources", "services": "Services"}
        return refused_form(
            request,
            exc,
            "keys.html",
            labels=labels,
            keys=response_keys(principal),
            tokens=response_tokens(principal),
            created=None,
            draft=draft,
        )
    created = key_service().create(
        workspace=principal.workspace, role=role, name=name, created_by=principal.key_id, scope=scope
    )
    return render(
        request, "keys.html", keys=response_keys(principal), tokens=response_tokens(principal), created=created.secret
    )


@router.post("/console/keys/agent-tokens", dependencies=[CsrfChecked])
def create_agent_token(
    request: Request,
    name: Annotated[str, Form(max_length=100)] = "",
    sources: Annotated[str, Form(max_length=2000)] = "",
    services: Annotated[str, Form(max_length=10000)] = "",
):
    """Create an agent token, optionally scoped to sources and services; the token is shown once, on this page."""
    principal = require_role(request, Role.ADMIN)
    from pagerless.auth.authenticate import agent_token_service
    from pagerless.intake.key_scopes import parse_scope

    try:
        scope = parse_scope(_names(sources), _names(services))
        _, token = agent_token_service().create(
            workspace=principal.workspace, name=name, created_by=principal.key_id, scope=scope
        )
    except ValidationError as exc:
        return refused_form(
            request,
            exc,
            "keys.html",
            labels={"name": "Name", "sources": "Sources", "services": "Services"},
            keys=response_keys(principal),
            tokens=response_tokens(principal),
            created=None,
            token_draft={"name": name, "sources": sources, "services": services},
        )
    return render(
        request, "keys.html", keys=response_keys(principal), tokens=response_tokens(principal), created_token=token
    )


@router.get("/console/keys/agent-tokens/{token_id}/revoke", response_class=HTMLResponse, response_model=None)
def confirm_revoke_agent_token_page(request: Request, token_id: str) -> HTMLResponse | RedirectResponse:
    """Ask before revoking an agent token (its agent stops sending alerts; it cannot be taken back): a page of its
    own, so the question is asked without JavaScript too. A token already revoked goes back to the keys page."""
    principal = require_role(request, Role.ADMIN)
    token = _agent_token(principal, token_id)
    if not token["is_active"]:
        return RedirectResponse("/console/keys", status_code=303)
    return render(request, "agent_token_revoke.html", token=token)


@router.post("/console/keys/agent-tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_agent_token(
    request: Request, token_id: str, confirm: Annotated[str, Form(max_length=10)] = ""
) -> RedirectResponse:
    """Revoke an agent token, as DELETE /api/agent-tokens/{id} does. Only once asked (``confirm=yes``, the
    confirmation page's form); a post without it is sent to that page."""
    principal = require_role(request, Role.ADMIN)
    if confirm != "yes":
        request.state.audit_details = {"token_id": token_id, "confirmed": False}  # nothing revoked: asked first
        return RedirectResponse(f"/console/keys/agent-tokens/{token_id}/revoke", status_code=303)
    from pagerless.auth.authenticate import agent_token_service

    request.state.audit_details = {"token_id": token_id}
    agent_token_service().revoke(principal.workspace, token_id)
    return RedirectResponse("/console/keys", status_code=303)


@router.get("/console/keys/{key_id}/revoke", response_class=HTMLResponse, response_model=None)
def confirm_revoke_key_page(request: Request, key_id: str) -> HTMLResponse | RedirectResponse:
    """Ask before revoking an API key (whatever uses it stops working; it cannot be taken back): a page of its own,
    so the question is asked without JavaScript too. A key already revoked goes back to the keys page."""
    principal = require_role(request, Role.ADMIN)
    key = _api_key(principal, key_id)
    if key["revoked"]:
        return RedirectResponse("/console/keys", status_code=303)
    return render(request, "key_revoke.html", key=key)


@router.post("/console/keys/{key_id}/revoke", dependencies=[CsrfChecked])
def revoke_key(request: Request, key_id: str, confirm: Annotated[str, Form(max_length=10)] = "") -> RedirectResponse:
    """Revoke an API key, as DELETE /api/keys/{id} does. Only once asked (``confirm=yes``, the confirmation page's
    form); a post without it is sent to that page."""
    principal = require_role(request, Role.ADMIN)
    if confirm != "yes":
        request.state.audit_details = {"key_id": key_id, "confirmed": False}  # nothing revoked: asked first
        return RedirectResponse(f"/console/keys/{key_id}/revoke", status_code=303)
    from pagerless.api.security import key_service

    request.state.audit_details = {"key_id": key_id}
    key_service().revoke(principal.workspace, key_id)
    return RedirectResponse("/console/keys", status_code=303)


def _api_key(principal, key_id: str) -> dict:
    """The workspace's API key ``key_id`` as the keys page lists it; NotFoundError (404) if it has none."""
    for key in response_keys(principal):
        if key["id"] == key_id:
            return key
    raise NotFoundError(f"API key {key_id} not found")


def _agent_token(principal, token_id: str) -> dict:
    """The workspace's agent token ``token_id`` as the keys page lists it; NotFoundError (404) if it has none."""
    for token in response_tokens(principal):
        if token["id"] == token_id:
            return token
    raise NotFoundError(f"agent token {token_id} not found")


def _names(field: str) -> list[str] | None:
    """A form's list of names (comma- or space-separated); None when left empty: not limited."""
    names = [n for n in field.replace(",", " ").split() if n]
    return names or None


def response_keys(principal) -> list[dict]:
    from pagerless.api.security import key_service

    return [
        {
            "id": r.key_id,
            "name": r.name,
            "role": r.role,
            "prefix": r.prefix,
            "created_at": r.created_at,
            "revoked": r.revoked,
            "sources": r.scope_sources or [],
            "services": r.scope_services or [],
        }
        for r in key_service().list_keys(principal.workspace)
    ]


def response_tokens(principal) -> list[dict]:
    from pagerless.auth.agent_tokens import public as public_token
    from pagerless.auth.authenticate import agent_token_service

    return [public_token(t) for t in agent_token_service().list(principal.workspace)]
