from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep
from pagerless.config.service import ConfigPublic, ConfigService

router = APIRouter(tags=["config"], route_class=DeferredRoute)

_EXAMPLE = {"LLM_PROVIDER": "anthropic", "LLM_MODEL": "claude-sonnet-5-5", "llm_max_cost_usd": 0.25}


@router.get("/api/config", response_model=ConfigPublic)
def get_config(principal: AdminDep) -> dict:
    """The workspace's effective configuration: each value and whether the workspace or the deployment set it."""
    return ConfigService().effective(principal.workspace)


@router.put("/api/config", response_model=ConfigPublic)
def update_config(
    principal: AdminDep, request: Request, changes: Annotated[dict[str, Any], Body(examples=[_EXAMPLE])]
) -> dict:
    """Change configuration keys (snake case or seed 000's LLM_MODEL form); null restores the deployment's value."""
    request.state.audit_details = {"changes": changes}
    return ConfigService().update(principal.workspace, changes, actor=principal.key_id)
