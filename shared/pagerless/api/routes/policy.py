from fastapi import APIRouter, Request

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep
from pagerless.remediation.policy import Policy
from pagerless.remediation.workspace_policy import policy_document, put_policy

router = APIRouter(tags=["policy"], route_class=DeferredRoute)


@router.get("/api/policy")
def get_policy(principal: AdminDep) -> dict:
    """The workspace's remediation policy (the cautious defaults until one is stored)."""
    return policy_document(principal.workspace)


@router.put("/api/policy")
def replace_policy(body: Policy, request: Request, principal: AdminDep) -> dict:
    """Replace the workspace's remediation policy; returns the stored policy."""
    request.state.audit_details = {"policy": body.model_dump(mode="json")}
    put_policy(principal.workspace, body, actor=principal.key_id)
    return policy_document(principal.workspace)
