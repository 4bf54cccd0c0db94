"""Users and sessions (seed 001's /auth/* shapes under /api), user management and agent tokens."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep, SignatureRequirement, SignInDep
from pagerless.auth.agent_tokens import public as public_token
from pagerless.auth.authenticate import agent_token_service, user_service
from pagerless.auth.users import UserService, principal_for, public
from pagerless.domain.errors import ValidationError
from pagerless.domain.schema_docs import documented

router = APIRouter(tags=["users"], route_class=DeferredRoute)
UsersDep = Annotated[UserService, Depends(user_service)]


class CredentialsInBody(SignatureRequirement):
    """Marks a public sign-in route: the credential travels in the body and the handler checks it."""

    def __init__(self) -> None:
        super().__init__("pagerless")


PublicAuth = Depends(CredentialsInBody())


class UserRegister(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"email": "alice@example.com", "name": "Alice Chen", "password": "correct-horse-battery-1"},
            email="The user's email address; it is the sign-in name.",
            name="The name shown beside the user's id (seed 004 sends it as `nickname`).",
            password="The password (at least the configured minimum length).",
        )
    )
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=100, validation_alias=AliasChoices("name", "nickname"))
    password: str = Field(max_length=256)


class UserLogin(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


_PASSWORD = {"type": "string", "maxLength": 256, "description": "The password."}
_FORM = {
    "schema": {
        "type": "object",
        "required": ["username", "password"],
        "properties": {
            "username": {
                "type": "string",
                "description": "The user's email address (OAuth2's password form, seed 004).",
            },
            "password": _PASSWORD,
        },
    },
    "example": {"username": "alice@example.com", "password": "correct-horse-battery-1"},
}
# The login reads JSON or a form itself (seed 004 posts the form): the OpenAPI declares both from here.
_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["email", "password"],
                    "properties": {
                        "email": {"type": "string", "maxLength": 254, "description": "The user's email address."},
                        "password": _PASSWORD,
                    },
                },
                "example": {"email": "alice@example.com", "password": "correct-horse-battery-1"},
            },
            "application/x-www-form-urlencoded": _FORM,
            "multipart/form-data": _FORM,
        },
    }
}


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.refresh"},
            refresh_token="The refresh token returned by login or register.",
        )
    )
    refresh_token: str = Field(max_length=4096)


class TokenPairPublic(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"


class UserPublic(BaseModel):
    id: str
    email: str
    name: str
    role: str
    is_active: bool
    person_id: str | None = None
    created_at: str | None = None


class UserCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"email": "bob@example.com", "name": "Bob", "password": "initial-password-1", "role": "operator"},
            email="The new user's email address (sign-in name).",
            name="The name shown beside the user's id.",
            password="An initial password.",
            role="viewer, operator or admin.",
        )
    )
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=100)
    password: str = Field(max_length=256)
    role: str = "viewer"


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"role": "operator", "is_active": True},
            name="A new display name.",
            email="A new email address.",
            role="viewer, operator or admin.",
            is_active="false disables the user and ends their sessions.",
            person_id="The person (on-call roster) this user is.",
        )
    )
    name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    role: str | None = None
    is_active: bool | None = None
    person_id: str | None = Field(default=None, max_length=100)


class PasswordReset(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"new_password": "new-password-2026"}, new_password="The password the user signs in with from now on."
        )
    )
    new_password: str = Field(max_length=256)


class UserList(BaseModel):
    items: list[UserPublic]
    total: int
    page: int
    page_size: int


class AgentTokenCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"name": "vector-agent-eu1", "sources": ["alertmanager"], "services": ["checkout"]},
            name="A label for the agent token.",
            sources="The alert sources the agent may send (aliases such as prometheus resolve); left out: every source.",
            services="The services the agent may send alerts and deploys for; left out: every service.",
        )
    )
    name: str = Field(max_length=100)
    sources: list[str] | None = None
    services: list[str] | None = None


class AgentTokenPublic(BaseModel):
    id: str
    name: str
    token_prefix: str
    is_active: bool
    created_by: str
    created_at: str | None
    sources: list[str] | None = Field(default=None, description="the alert sources it may send; null: every source")
    services: list[str] | None = Field(default=None, description="the services it may speak for; null: every service")


class AgentTokenCreated(AgentTokenPublic):
    token: str = Field(description="the full token, returned only in this response")


def _pair(pair) -> dict:
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token, "token_type": "bearer"}


def _client_address(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post(
    "/api/auth/register", response_model=TokenPairPublic, status_code=status.HTTP_201_CREATED, dependencies=[PublicAuth]
)
def register(body: UserRegister, request: Request, users: UsersDep) -> dict:
    """Register; the first user ever becomes admin, later ones viewers. Returns a token pair."""
    user = users.register(email=body.email, name=body.name, password=body.password)
    request.state.principal = principal_for(user)
    _, pair = users.login(email=user.email, password=body.password, address=_client_address(request))
    return _pair(pair)


@router.post("/api/auth/login", response_model=TokenPairPublic, dependencies=[PublicAuth], openapi_extra=_LOGIN_BODY)
async def login(request: Request, users: UsersDep) -> dict:
    """Sign in with email and password (JSON, or a form with username/password)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        email, password = form.get("username") or form.get("email"), form.get("password")
    else:
        try:
            body = UserLogin.model_validate(await request.json())
        except ValueError as exc:
            raise ValidationError("expected JSON {email, password} or a form with username and password") from exc
        email, password = body.email, body.password
    if not isinstance(email, str) or not isinstance(password, str):
        raise ValidationError("email (or username) and password are required")
    from starlette.concurrency import run_in_threadpool

    user, pair = await run_in_threadpool(users.login, email=email, password=password, address=_client_address(request))
    request.state.principal = principal_for(user)
    return _pair(pair)


@router.post("/api/auth/refresh", response_model=TokenPairPublic, dependencies=[PublicAuth])
def refresh(body: RefreshRequest, users: UsersDep) -> dict:
    """Exchange a refresh token for a new pair; a reused refresh token revokes its whole family."""
    return _pair(users.refresh(body.refresh_token))


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=[PublicAuth])
def logout(request: Request, users: UsersDep, body: RefreshRequest | None = None) -> Response:
    """End a session, named by its refresh token or by the access token in Authorization: Bearer."""
    if body is not None:
        users.logout(body.refresh_token)
    else:
        from pagerless.api.security import presented_key
        from pagerless.domain.errors import UnauthorizedError

        access_token = presented_key(request)
        if not access_token:
            raise UnauthorizedError("send the refresh token in the body or the access token as Authorization: Bearer")
        users.logout_access(access_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/auth/me", response_model=UserPublic)
def me(principal: SignInDep, users: UsersDep) -> dict:
    """The signed-in user (a user token or session; API keys have no user). An OIDC token's first sign-in:
    links it to the user with its verified email, or makes a user with the default role."""
    if principal.user_id is None:
        raise ValidationError("this credential is an API key, not a user")
    return public(users.get(principal.workspace, principal.user_id))


@router.get("/api/users", response_model=UserList)
def list_users(
    principal: AdminDep,
    users: UsersDep,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict:
    """Users of the workspace, a page at a time."""
    everyone = users.list(principal.workspace)
    start = (page - 1) * page_size
    return {
        "items": [public(u) for u in everyone[start : start + page_size]],
        "total": len(everyone),
        "page": page,
        "page_size": page_size,
    }


@router.post("/api/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, principal: AdminDep, users: UsersDep) -> dict:
    """Create a user with a role (admin, operator or viewer)."""
    return public(
        users.create(
            workspace=principal.workspace, email=body.email, name=body.name, password=body.password, role=body.role
        )
    )


@router.get("/api/users/{user_id}", response_model=UserPublic)
def get_user(user_id: str, principal: AdminDep, users: UsersDep) -> dict:
    """One user."""
    return public(users.get(principal.workspace, user_id))


@router.put("/api/users/{user_id}", response_model=UserPublic)
def update_user(user_id: str, body: UserUpdate, principal: AdminDep, users: UsersDep) -> dict:
    """Change a user's name, email, role, active flag or linked person; disabling ends their sessions."""
    return public(
        users.update(
            principal.workspace, user_id, actor_user_id=principal.user_id, **body.model_dump(exclude_unset=True)
        )
    )


@router.delete("/api/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: str, principal: AdminDep, users: UsersDep) -> Response:
    """Delete a user (an admin cannot delete themselves)."""
    users.delete(principal.workspace, user_id, actor_user_id=principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/api/users/{user_id}/reset-password")
def reset_password(user_id: str, body: PasswordReset, principal: AdminDep, users: UsersDep) -> dict:
    """Set a new password; the user's open sessions end."""
    users.reset_password(principal.workspace, user_id, body.new_password)
    return {"status": "ok"}


@router.get("/api/agent-tokens", response_model=list[AgentTokenPublic])
def list_agent_tokens(principal: AdminDep) -> list[dict]:
    """Agent tokens of the workspace (prefix only, never the token)."""
    return [public_token(t) for t in agent_token_service().list(principal.workspace)]


@router.post("/api/agent-tokens", response_model=AgentTokenCreated, status_code=status.HTTP_201_CREATED)
def create_agent_token(body: AgentTokenCreate, principal: AdminDep) -> dict:
    """Create an agent token, optionally scoped to sources and services as a key is; the full token is returned once."""
    from pagerless.intake.key_scopes import parse_scope

    scope = parse_scope(body.sources, body.services)
    record, token = agent_token_service().create(
        workspace=principal.workspace, name=body.name, created_by=principal.key_id, scope=scope
    )
    return {**public_token(record), "token": token}


@router.delete("/api/agent-tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_agent_token(token_id: str, principal: AdminDep) -> Response:
    """Revoke an agent token (is_active becomes false)."""
    agent_token_service().revoke(principal.workspace, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
