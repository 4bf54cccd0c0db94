"""/api/plugins: the registries of sources, analyzers, actions and channels, switchable per workspace."""

from typing import Literal

from fastapi import APIRouter, Request

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep, ViewerDep
from pagerless.plugins import PluginService

router = APIRouter(tags=["plugins"], route_class=DeferredRoute)
Kind = Literal["source", "analyzer", "action", "channel"]


@router.get("/api/plugins")
def list_plugins(principal: ViewerDep, kind: Kind | None = None, enabled: bool | None = None) -> dict:
    """Every alert source, analyzer, remediation action and notification channel, and whether it is enabled here."""
    items = PluginService().list(principal.workspace, kind, enabled)
    return {"items": items, "total": len(items)}


@router.get("/api/plugins/{name}")
def get_plugin(name: str, principal: ViewerDep, kind: Kind | None = None) -> dict:
    """One plugin (by name, alias or kind:name): what it is, what it needs, and who last switched it."""
    return PluginService().get(principal.workspace, name, kind)


@router.post("/api/plugins/{name}/enable")
def enable_plugin(name: str, request: Request, principal: AdminDep, kind: Kind | None = None) -> dict:
    """Switch a plugin on for this workspace."""
    request.state.audit_details = {"enabled": True}
    return PluginService().set_enabled(principal.workspace, name, True, actor=principal.key_id, kind=kind)


@router.post("/api/plugins/{name}/disable")
def disable_plugin(name: str, request: Request, principal: AdminDep, kind: Kind | None = None) -> dict:
    """Switch a plugin off for this workspace: its webhook, analyzer, action or channel stops being used."""
    request.state.audit_details = {"enabled": False}
    return PluginService().set_enabled(principal.workspace, name, False, actor=principal.key_id, kind=kind)


@router.get("/api/adapters")
def list_adapters(principal: ViewerDep) -> dict:
    """What Pagerless is connected to (Kubernetes, LLM, channels, sources) and each connection's status."""
    from pagerless.system.adapters import adapters

    return adapters(principal.workspace)
