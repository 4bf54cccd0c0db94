from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pagerless.api.deferred import DeferredRoute
from pagerless.api.security import OperatorDep, ViewerDep
from pagerless.domain.schema_docs import documented

router = APIRouter(tags=["actions"], route_class=DeferredRoute)


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
    approved: bool | None = Field(
        default=None,
        description="seed 002's explicit approval; a body that says false (its default) runs dry runs only",
    )

    @model_validator(mode="before")
    @classmethod
    def _seed_flat_body(cls, data: Any) -> Any:
        """Seed 002's body names the action and puts its parameters beside it (pod_name,
        deployment_name, replicas, ...); fold them into the catalog's action object."""
        if not isinstance(data, dict) or not isinstance(data.get("action"), str):
            return data
        own = {"dry_run", "incident_id", "reason", "approved"}
        action = {_SEED_PARAMS.get(k, k): v for k, v in data.items() if k not in own and v not in ("", None)}
        return {"approved": False, **{k: v for k, v in data.items() if k in own}, "action": action}


_SEED_PARAMS = {"pod_name": "pod", "deployment_name": "deployment"}


@router.get("/api/actions")
def list_actions(principal: ViewerDep) -> dict:
    """The action catalog: parameters, risk, blast radius and reversibility of each action."""
    from pagerless.remediation.actions import catalog

    return {"items": catalog(), "next_cursor": None}


@router.post("/api/actions/execute")
def execute_action(body: ActionRun, request: Request, principal: OperatorDep) -> dict:
    """Dry-run (default) or run one action, policy permitting; optionally on an incident's record."""
    from pydantic import ValidationError as PydanticValidationError

    from pagerless.domain.errors import ForbiddenError, ValidationError
    from pagerless.workflow.manual_actions import run_action

    if body.approved is False and not body.dry_run:
        raise ForbiddenError("not approved: send approved: true to run the action, or dry_run: true to preview it")

    request.state.audit_details = {"action": body.action, "dry_run": body.dry_run, "incident_id": body.incident_id}
    held(principal, body.incident_id, what="run actions")
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
    return {**result, **_seed_fields(result)}


def held(principal, incident_id: str | None, *, what: str) -> None:
    """A key scoped to services acts on its services' incidents only, and on nothing without an incident
    (an action there may touch any service's namespace): a 403 before anything runs."""
    from pagerless.incidents import key_scope

    if incident_id:
        key_scope.hold(principal.scope, key=principal.key_id, workspace=principal.workspace, incident_id=incident_id)
    else:
        key_scope.hold_unbound(principal.scope, key=principal.key_id, what=f"{what} on no incident")


def _seed_fields(result: dict) -> dict:
    """Seed 002's flat answer beside Pagerless's: status, message and the target's names."""
    from pagerless.domain.actions import seed_outcome

    status = result["result"].get("status")
    status = "dry_run" if result["dry_run"] and status in ("would_change", "no_change") else seed_outcome(status)
    action = result["action"]
    return {
        "status": status,
        "message": result["result"].get("message", ""),
        "namespace": action.get("namespace"),
        **({"pod_name": action["pod"]} if action.get("pod") else {}),
        **({"deployment_name": action["deployment"]} if action.get("deployment") else {}),
    }
