from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.security import OperatorDep, ViewerDep
from pagerless.domain.schema_docs import documented

router = APIRouter(tags=["actions"])


class ActionRun(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "action": {"action": "restart_pod", "namespace": "payments", "pod": "payments-api-7d9f8c6b5d-x2kqp"},
                "dry_run": True,
                "reason": "stuck pod",
            },
            reason="Why the action is run, recorded with it.",
        )
    )
    action: dict = Field(
        description='an action of the catalog, e.g. {"action": "restart_pod", "namespace": ..., "pod": ...}'
    )
    dry_run: bool = Field(default=True, description="server-side dry run only (the default)")
    incident_id: str | None = Field(default=None, description="attach the result to this incident")
    reason: str = Field(default="", max_length=500)


@router.get("/api/actions")
def list_actions(principal: ViewerDep) -> dict:
    """The action catalog: parameters, risk, blast radius and reversibility of each action."""
    from pagerless.remediation.actions import catalog

    return {"items": catalog(), "next_cursor": None}


@router.post("/api/actions/execute")
def execute_action(body: ActionRun, request: Request, principal: OperatorDep) -> dict:
    """Dry-run (default) or run one action, policy permitting; optionally on an incident's record."""
    from pydantic import ValidationError as PydanticValidationError

    from pagerless.domain.errors import ValidationError
    from pagerless.workflow.manual_actions import run_action

    request.state.audit_details = {"action": body.action, "dry_run": body.dry_run, "incident_id": body.incident_id}
    try:
        result = run_action(
            principal.workspace,
            principal.key_id,
            body.action,
            dry_run=body.dry_run,
            incident_id=body.incident_id,
            reason=body.reason,
        )
    except PydanticValidationError as exc:
        raise ValidationError(
            "the action is not valid",
            details=[{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()],
        ) from exc
    request.state.audit_details.update(rule=result["decision"]["rule"], status=result["result"].get("status"))
    return result
