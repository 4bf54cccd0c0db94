from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, Page
from pagerless.api.security import OperatorDep, ViewerDep
from pagerless.domain.approvals import STATUSES, VIA_API, Via
from pagerless.domain.schema_docs import documented
from pagerless.incidents import decision_audit
from pagerless.incidents.schemas import MUTATION_BODY
from pagerless.workflow.approvals import ApprovalService

router = APIRouter(tags=["approvals"], route_class=DeferredRoute)


def approval_service() -> ApprovalService:
    return ApprovalService()


ApprovalsDep = Annotated[ApprovalService, Depends(approval_service)]


class DecisionCreate(BaseModel):
    model_config = ConfigDict(
        **MUTATION_BODY,
        **documented({"comment": "dry run looks right"}, comment="Why, recorded on the timeline and in the audit log."),
    )
    comment: str = Field(default="", max_length=1000)
    approval_id: str | None = Field(
        default=None,
        max_length=200,
        description="The approval you reviewed (`GET /api/approvals`). If the incident has a newer one "
        "meanwhile (a reopen or a re-diagnosis replaced the proposal), nothing changes: 409.",
    )


class ApprovalPublic(BaseModel):
    incident_id: str
    approval_id: str
    workspace: str
    status: Literal["pending", "approved", "rejected", "expired"]
    requested_at: str
    expires_at: str
    timeout_seconds: int
    proposal: dict
    decided_by: str | None = None
    decided_by_name: str = ""  # the decider's name when they decided
    decided_by_label: str | None = None  # "name (id)" as shown
    decided_role: str | None = None
    decided_at: str | None = None
    comment: str | None = None
    note: str | None = None
    decided_via: str | None = Field(
        default=None,
        description="The channel a person decided through: `api`, `console`, `chat:slack`, `chat:lark`, `email` "
        "(an emailed link), `job-signal` (`POST /api/jobs/{id}/signal`) or `bot` (`/bot/interact`); null for an "
        "approval still pending, expired by the system, or decided before the channel was kept.",
    )


class DecisionPublic(BaseModel):
    approval: ApprovalPublic
    changed: bool = Field(description="false when an identical earlier decision stands (a repeated click)")


def _decide(
    request: Request, service: ApprovalService, principal, incident_id: str, approve: bool, body: DecisionCreate
) -> dict:
    request.state.audit_details = {"decision": "approve" if approve else "reject", "comment": body.comment}
    decided = service.decide(
        incident_id,
        principal.workspace,
        approve=approve,
        actor=principal.key_id,
        role=principal.role.value,
        comment=body.comment,
        approval_id=body.approval_id,
        via=Via(VIA_API),
    )
    request.state.audit_details["changed"] = decided.changed
    request.state.audit_details["approval_id"] = decided.approval["approval_id"]
    if decided.changed:  # the approval sweep may write this decision's record in its stead: one of them does
        request.state.audit_once = decision_audit.once(decided.approval)
    return {"approval": decided.approval, "changed": decided.changed}


@router.post("/api/incidents/{incident_id}/approve", response_model=DecisionPublic)
def approve(
    incident_id: str, body: DecisionCreate, request: Request, principal: OperatorDep, service: ApprovalsDep
) -> dict:
    """Approve the pending proposal: the workflow runs the action (once, however often this is sent)."""
    return _decide(request, service, principal, incident_id, True, body)


@router.post("/api/incidents/{incident_id}/reject", response_model=DecisionPublic)
def reject(
    incident_id: str, body: DecisionCreate, request: Request, principal: OperatorDep, service: ApprovalsDep
) -> dict:
    """Reject the pending proposal: nothing runs and the incident goes back to diagnosed."""
    return _decide(request, service, principal, incident_id, False, body)


@router.get("/api/approvals", response_model=Page[ApprovalPublic])
def list_approvals(
    principal: ViewerDep,
    service: ApprovalsDep,
    status: Annotated[Literal[STATUSES], Query(description="pending | approved | rejected | expired")] = "pending",
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> dict:
    """Approval requests of the workspace by status, newest first (never their task tokens). A services-scoped key
    reads its services' incidents' approvals only (a page may hold fewer than ``limit``: follow ``next_cursor``)."""
    from pagerless.incidents.key_scope import visible_items

    items, next_cursor = service.list(principal.workspace, status, limit=limit, cursor=cursor)
    return {"items": visible_items(principal.scope, principal.workspace, items), "next_cursor": next_cursor}
