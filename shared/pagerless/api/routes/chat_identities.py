"""Chat identities (which Slack / Lark user is which person) and chat app configs.

Generic routes under /api/chat-identities and /api/chat-apps, and seed 004's Feishu routes under
/api/v1/feishu (the Lark key is app id + open_id; ``app_id`` defaults to the only Lark app).
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, Page, page_of
from pagerless.api.security import AdminDep, ViewerDep
from pagerless.chat.apps import ChatAppService
from pagerless.domain.errors import ValidationError
from pagerless.domain.schema_docs import documented
from pagerless.people.identities import ChatIdentityService

router = APIRouter(tags=["chat identities"], route_class=DeferredRoute)


def identity_service() -> ChatIdentityService:
    return ChatIdentityService()


def app_service() -> ChatAppService:
    return ChatAppService()


IdentitiesDep = Annotated[ChatIdentityService, Depends(identity_service)]
AppsDep = Annotated[ChatAppService, Depends(app_service)]
Provider = Literal["lark", "slack"]
Id = Annotated[str, Field(min_length=1, max_length=128)]


class ChatIdentityPublic(BaseModel):
    provider: str
    tenant: str = Field(description="Lark: the app id; Slack: the team id")
    user: str = Field(description="Lark: the open_id; Slack: the user id")
    workspace: str
    status: Literal["bound", "pending"]
    person_id: str | None = None
    display_name: str = ""
    requested_at: str = ""
    bound_at: str | None = None
    bound_by: str | None = None


class ChatIdentityBind(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "provider": "lark",
                "tenant": "cli_a1b2c3d4e5",
                "user": "ou_7d8a6e6df7621556ce0d21922b676706",
                "person_id": "per_1a2b3c4d",
            },
            provider="lark (Lark and Feishu) or slack.",
            tenant="The chat app or workspace the user belongs to.",
            user="The chat user's id (Lark open_id, Slack user id).",
            person_id="The person this chat user is.",
        )
    )
    provider: Provider
    tenant: Id
    user: Id
    person_id: Id


class ChatIdentityKey(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"provider": "slack", "tenant": "T0123ABCD", "user": "U0456EFGH"},
            provider="lark (Lark and Feishu) or slack.",
            tenant="The chat app or workspace the user belongs to.",
            user="The chat user's id.",
        )
    )
    provider: Provider
    tenant: Id
    user: Id


class FeishuBind(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"open_id": "ou_7d8a6e6df7621556ce0d21922b676706", "person_id": "per_1a2b3c4d"},
            open_id="The Feishu user's open_id.",
            person_id="The person this Feishu user is.",
            app_id="The Feishu app (default: the only one configured).",
        )
    )
    open_id: Id
    person_id: Id
    app_id: Id | None = None


class FeishuUser(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"open_id": "ou_7d8a6e6df7621556ce0d21922b676706"},
            open_id="The Feishu user's open_id.",
            app_id="The Feishu app (default: the only one configured).",
        )
    )
    open_id: Id
    app_id: Id | None = None


class FeishuApprove(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"open_id": "ou_7d8a6e6df7621556ce0d21922b676706", "person_id": "per_1a2b3c4d"},
            open_id="The Feishu user's open_id.",
            app_id="The Feishu app (default: the only one configured).",
        )
    )
    open_id: Id
    app_id: Id | None = None
    person_id: Id | None = Field(default=None, description="required unless the request named a person")


class ChatAppCreate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "provider": "lark",
                "app_id": "cli_a1b2c3d4e5",
                "name": "Pagerless bot",
                "encrypt_key": "lark-encrypt-key",
                "verification_token": "lark-verification-token",
            },
            provider="lark (Lark and Feishu) or slack.",
            app_id="The chat app's id (Lark app_id, Slack app id).",
            name="A label for the app.",
        )
    )
    provider: Provider
    app_id: Id
    name: str = Field(default="", max_length=100)
    signing_secret: str | None = Field(default=None, max_length=256, description="Slack")
    encrypt_key: str | None = Field(default=None, max_length=256, description="Lark/Feishu")
    verification_token: str | None = Field(default=None, max_length=256, description="Lark/Feishu")


class ChatAppPublic(BaseModel):
    provider: str
    app_id: str
    workspace: str
    name: str
    source: str
    secrets: dict[str, str] = Field(description="where each secret lives (SSM parameter name), never its value")


def _actor(request: Request) -> str:
    return request.state.principal.key_id


# ---- generic ------------------------------------------------------------------------------------


@router.get("/api/chat-identities", response_model=Page[ChatIdentityPublic])
def list_identities(
    principal: AdminDep,
    identities: IdentitiesDep,
    status_: Annotated[Literal["bound", "pending"] | None, Query(alias="status")] = None,
    person_id: str | None = None,
    limit: LimitParam = 200,
    cursor: CursorParam = None,
) -> dict:
    """Chat identities of the workspace, bound and pending, optionally of one person, a page at a time."""
    return _identity_page(identities.list(principal.workspace, status_, person_id), limit, cursor)


def _identity_page(items: list, limit: int, cursor: str | None) -> dict:
    page, next_cursor = page_of(items, limit=limit, cursor=cursor, order=lambda i: (i.provider, i.tenant, i.user))
    return {"items": [i.to_public() for i in page], "next_cursor": next_cursor}


@router.post("/api/chat-identities", response_model=ChatIdentityPublic, status_code=status.HTTP_201_CREATED)
def bind_identity(body: ChatIdentityBind, request: Request, principal: AdminDep, identities: IdentitiesDep) -> dict:
    """Bind a Slack (team + user) or Lark (app id + open_id) user to a person."""
    return identities.bind(
        principal.workspace, body.provider, body.tenant, body.user, body.person_id, actor=_actor(request)
    ).to_public()


@router.post("/api/chat-identities/unbind", response_model=ChatIdentityPublic)
def unbind_identity(body: ChatIdentityKey, principal: AdminDep, identities: IdentitiesDep) -> dict:
    """Remove a binding (bound or pending): the chat user acts as nobody."""
    return identities.unbind(principal.workspace, body.provider, body.tenant, body.user).to_public()


@router.get("/api/chat-apps", response_model=Page[ChatAppPublic])
def list_chat_apps(principal: AdminDep, apps: AppsDep, limit: LimitParam = 200, cursor: CursorParam = None) -> dict:
    """Slack and Lark apps whose callbacks are accepted (secrets never shown), a page at a time."""
    page, next_cursor = page_of(
        apps.list(principal.workspace), limit=limit, cursor=cursor, order=lambda a: (a.provider, a.app_id)
    )
    return {"items": [a.to_public() for a in page], "next_cursor": next_cursor}


@router.post("/api/chat-apps", response_model=ChatAppPublic, status_code=status.HTTP_201_CREATED)
def register_chat_app(body: ChatAppCreate, principal: AdminDep, apps: AppsDep) -> dict:
    """Register (or replace) a chat app; its secrets are stored as SSM SecureString parameters."""
    secrets = {
        k: v for k, v in body.model_dump(include={"signing_secret", "encrypt_key", "verification_token"}).items() if v
    }
    return apps.register(principal.workspace, body.provider, body.app_id, name=body.name, secrets=secrets).to_public()


@router.delete("/api/chat-apps/{provider}/{app_id}", response_model=ChatAppPublic)
def remove_chat_app(provider: Provider, app_id: str, principal: AdminDep, apps: AppsDep) -> dict:
    """Stop accepting an app's callbacks and delete its secrets."""
    return apps.remove(principal.workspace, provider, app_id).to_public()


# ---- seed 004: /api/v1/feishu -------------------------------------------------------------------


def _lark_app_id(apps: ChatAppService, workspace: str, app_id: str | None) -> str:
    if app_id:
        return app_id
    ids = [a.app_id for a in apps.apps("lark") if a.workspace == workspace]
    if len(ids) != 1:
        raise ValidationError(
            "name the Lark app (app_id): an open_id is only meaningful within its app",
            details=[{"field": "app_id", "configured": ids}],
        )
    return ids[0]


@router.post("/api/v1/feishu/bind", response_model=ChatIdentityPublic)
def feishu_bind(
    body: FeishuBind, request: Request, principal: AdminDep, identities: IdentitiesDep, apps: AppsDep
) -> dict:
    """Bind a Feishu user (app id + open_id) to a person."""
    app_id = _lark_app_id(apps, principal.workspace, body.app_id)
    return identities.bind(
        principal.workspace, "lark", app_id, body.open_id, body.person_id, actor=_actor(request)
    ).to_public()


@router.post("/api/v1/feishu/unbind", response_model=ChatIdentityPublic)
def feishu_unbind(body: FeishuUser, principal: AdminDep, identities: IdentitiesDep, apps: AppsDep) -> dict:
    """Unbind a Feishu user."""
    app_id = _lark_app_id(apps, principal.workspace, body.app_id)
    return identities.unbind(principal.workspace, "lark", app_id, body.open_id).to_public()


@router.post("/api/v1/feishu/lookup")
def feishu_lookup(body: FeishuUser, principal: ViewerDep, identities: IdentitiesDep, apps: AppsDep) -> dict:
    """Who a Feishu open_id is: the binding and the person, or bound=false."""
    app_id = _lark_app_id(apps, principal.workspace, body.app_id)
    identity = identities.lookup("lark", app_id, body.open_id)
    if identity is None or identity.workspace != principal.workspace:
        return {"app_id": app_id, "open_id": body.open_id, "bound": False, "status": None, "person": None}
    person = identities.person_of("lark", app_id, body.open_id)
    return {
        "app_id": app_id,
        "open_id": body.open_id,
        "bound": person is not None,
        "status": identity.status,
        "person": person.to_public() if person else None,
    }


@router.get("/api/v1/feishu/status")
def feishu_status(principal: ViewerDep, identities: IdentitiesDep, apps: AppsDep) -> dict:
    """Is Feishu set up: the apps that may call back, and how many users are bound or pending."""
    lark_apps = [a for a in apps.apps("lark") if a.workspace == principal.workspace]
    bound = [i for i in identities.list(principal.workspace, "bound") if i.provider == "lark"]
    pending = [i for i in identities.list(principal.workspace, "pending") if i.provider == "lark"]
    return {
        "configured": bool(lark_apps),
        "apps": [a.to_public() for a in lark_apps],
        "callback_paths": ["/lark/event", "/lark/card/action", "/api/v1/feishu/event"],
        "bound_users": len(bound),
        "pending_bindings": len(pending),
    }


@router.get("/api/v1/feishu/pending", response_model=Page[ChatIdentityPublic])
def feishu_pending(
    principal: AdminDep, identities: IdentitiesDep, limit: LimitParam = 200, cursor: CursorParam = None
) -> dict:
    """Feishu users waiting for an admin to approve their binding, a page at a time."""
    items = [i for i in identities.list(principal.workspace, "pending") if i.provider == "lark"]
    return _identity_page(items, limit, cursor)


@router.post("/api/v1/feishu/bind-pending", response_model=ChatIdentityPublic)
def feishu_bind_pending(
    body: FeishuApprove, request: Request, principal: AdminDep, identities: IdentitiesDep, apps: AppsDep
) -> dict:
    """Approve a pending Feishu binding (to the person it named, or to ``person_id``)."""
    app_id = _lark_app_id(apps, principal.workspace, body.app_id)
    return identities.approve_pending(
        principal.workspace, "lark", app_id, body.open_id, actor=_actor(request), person_id=body.person_id
    ).to_public()
