from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import ViewerDep
from pagerless.chat.bot import BotService
from pagerless.domain.schema_docs import documented

router = APIRouter(tags=["incidents"], route_class=DeferredRoute)


class BotMessage(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        **documented(
            {"message": "What is wrong with payments-api?", "incident_id": "INC-20260311-0042"},
            message="The question or command, in English or Chinese.",
            incident_id="The incident the message is about (default: the latest open one).",
        ),
    )

    message: str = Field(min_length=1, max_length=2000, examples=["What is wrong with payments-api?"])
    incident_id: str | None = Field(default=None, max_length=100)
    auto_apply: bool = Field(
        default=False,
        description="approve the incident's pending proposal (operator role); the policy is checked again when it runs",
    )


@router.post("/api/bot/interact")
def interact(body: BotMessage, principal: ViewerDep, request: Request) -> dict:
    """Ask about an incident or a service in plain words (seed 002); answers from the stored diagnosis and proposal."""
    request.state.audit_details = {"incident_id": body.incident_id, "auto_apply": body.auto_apply}
    answer = BotService().interact(
        principal,
        body.message,
        incident_id=body.incident_id,
        auto_apply=body.auto_apply,
        path=request.scope["route"].path,  # the alias's (seed 002's /bot/interact) or this one's
    )
    decided = answer.decided
    if decided is not None:
        request.state.audit_details.update(changed=decided.changed, approval_id=decided.approval["approval_id"])
        if decided.changed:  # the approval sweep may write this decision's record in its stead: one of them does
            from pagerless.incidents import decision_audit

            request.state.audit_once = decision_audit.once(decided.approval)
    return answer.body
