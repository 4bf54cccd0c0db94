"""Authentication and role requirements for routes.

Every /api route declares ``Depends(require(Role.X))``; tests walk every app's routes and fail
on any /api route without a RoleRequirement (or a SignatureRequirement for vendor callbacks).
"""

from functools import cache
from typing import Annotated

from fastapi import Depends, Request

from pagerless.auth.authenticate import authenticate
from pagerless.auth.keys import ApiKeyService, Principal
from pagerless.domain.errors import ForbiddenError, UnauthorizedError
from pagerless.domain.roles import Role, role_satisfies


@cache
def key_service() -> ApiKeyService:
    return ApiKeyService()


def presented_key(request: Request, *, allow_query: bool = False) -> str | None:
    """The API key from `Authorization: Bearer`, `X-API-Key`, or — on ingest routes only, for
    webhook senders that cannot set headers — `?api_key=` (query strings end up in access logs)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    header = request.headers.get("x-api-key") or request.headers.get("x-agent-token")
    if header:
        return header
    if request.query_params.get("api_key") and not allow_query:
        raise UnauthorizedError(
            "?api_key= is accepted on ingest routes only; send the key in the "
            "Authorization: Bearer header (query strings end up in logs)"
        )
    return request.query_params.get("api_key") or None


WORKSPACE_WIDE_KEY = "x-workspace-wide"


def workspace_wide(what: str) -> dict:
    """A route's ``openapi_extra`` for what it reads or does across every service of the workspace (``what``, as a
    refusal says it): a services-scoped key is refused it with a 403 before its handler runs, as it cannot be
    narrowed to the key's services without reading the whole workspace (docs/intake.md, "Who may send what")."""
    return {WORKSPACE_WIDE_KEY: what}


class RoleRequirement:
    """A dependency that authenticates the caller and checks its role."""

    def __init__(self, role: Role, *, sign_in: bool = False) -> None:
        self.role = role
        self.sign_in = sign_in  # an OIDC token's first use makes its user (only where the role may write users)

    def __call__(self, request: Request) -> Principal:
        principal = getattr(request.state, "session_principal", None)  # set by the console's cookie session
        if principal is None:
            secret = presented_key(request, allow_query=self.role is Role.INGEST)
            if not secret:
                raise UnauthorizedError("an API key is required (Authorization: Bearer <key>)")
            principal = authenticate(secret, key_service(), sign_in=self.sign_in)
        request.state.principal = principal
        if not role_satisfies(principal.role, self.role):
            raise ForbiddenError(f"this action needs the {self.role.value} role; the key has {principal.role.value}")
        from pagerless.api.ratelimit import enforce

        extra = getattr(request.scope.get("route"), "openapi_extra", None) or {}
        enforce(request, principal, intake=bool(extra.get("x-intake")))
        _hold_to_incident(request, principal)
        if extra.get(WORKSPACE_WIDE_KEY):
            from pagerless.incidents.key_scope import hold_unbound

            hold_unbound(principal.scope, key=principal.key_id, what=extra[WORKSPACE_WIDE_KEY])
        return principal


def _hold_to_incident(request: Request, principal: Principal) -> None:
    """A route naming an incident in its path reads or acts on it: a key scoped to services is held to its
    services' incidents before the handler runs, so a refusal (403) writes nothing (`pagerless.incidents.key_scope`)."""
    incident_id = request.path_params.get("incident_id")
    if incident_id is None or principal.scope is None:
        return
    from pagerless.incidents.key_scope import hold

    reading = request.method in ("GET", "HEAD")
    hold(principal.scope, key=principal.key_id, workspace=principal.workspace, incident_id=incident_id, reading=reading)


def own_workspace(principal: Principal, named: str | None, *, field: str) -> None:
    """Seed 002 names a workspace (``?workspace_id=``, ``X-Workspace-Id``); a key serves only its own:
    naming another is a 403, never silently the key's workspace instead."""
    if named and named != principal.workspace:
        raise ForbiddenError("the key belongs to another workspace", details=[{"field": field}])


class SignatureRequirement:
    """Marks a public vendor callback whose handler verifies the vendor's signature itself."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor

    def __call__(self) -> None:
        return None


@cache
def require(role: Role) -> RoleRequirement:
    return RoleRequirement(role)


ViewerDep = Annotated[Principal, Depends(require(Role.VIEWER))]
OperatorDep = Annotated[Principal, Depends(require(Role.OPERATOR))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
IngestDep = Annotated[Principal, Depends(require(Role.INGEST))]
# GET /api/auth/me: an OIDC token's sign-in, served by the admin function, whose role writes the users table
SignInDep = Annotated[Principal, Depends(RoleRequirement(Role.VIEWER, sign_in=True))]
