from fastapi import APIRouter, Request, Response

from pagerless.api.conditional import CONDITIONAL_PUT, READ, IfMatchDep, tagged
from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import AdminDep
from pagerless.remediation.policy import Policy
from pagerless.remediation.workspace_policy import put_policy, versioned_policy_document

router = APIRouter(tags=["policy"], route_class=DeferredRoute)


@router.get("/api/policy", responses=READ)
def get_policy(principal: AdminDep, response: Response) -> dict:
    """The workspace's remediation policy (the cautious defaults until one is stored), with its ETag once stored."""
    return tagged(response, *versioned_policy_document(principal.workspace))


@router.put("/api/policy", responses=CONDITIONAL_PUT)
def replace_policy(
    body: Policy, request: Request, principal: AdminDep, if_match: IfMatchDep, response: Response
) -> dict:
    """Replace the workspace's remediation policy; returns the stored policy. With If-Match, only the version read."""
    request.state.audit_details = {"policy": body.model_dump(mode="json")}
    return tagged(response, *put_policy(principal.workspace, body, actor=principal.key_id, if_match=if_match))
