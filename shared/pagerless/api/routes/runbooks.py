"""Runbooks: built-in and custom (seed 001 /custom-runbooks), drafts (seed 002), matching, runs, /workflows."""

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.api.pagination import CursorParam, LimitParam, page_of
from pagerless.api.security import OperatorDep, ViewerDep
from pagerless.domain.schema_docs import documented

router = APIRouter(tags=["runbooks"], route_class=DeferredRoute)


class RunRequest(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"context": {"namespace": "payments", "deployment": "payments-api"}, "dry_run": True},
            dry_run="Checks and server-side dry runs only: nothing changes.",
            incident_id="The incident the run belongs to (its timeline gets each step).",
            version="The runbook version to run (default: the latest).",
        )
    )
    context: dict = Field(
        default_factory=dict, description="namespace, deployment, pod, container, node, replicas, ..."
    )
    dry_run: bool = False
    auto_approve: bool = Field(default=False, description="the caller approves every step (policy permitting)")
    incident_id: str | None = None
    version: int | None = Field(default=None, ge=1)
    options: dict = Field(default_factory=dict, description='e.g. {"verify_interval_seconds": 0}')


class GenerateRequest(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"pattern": "oomkilled", "min_incidents": 2, "service": "payments-api"},
            pattern="Draft from past incidents of this pattern (a diagnosis category or words of their titles).",
            min_incidents="How many matching incidents are needed.",
            service="Only incidents of this service.",
            description="Or: draft from this description (Claude when keyed, a template otherwise).",
            risk_level="auto, confirm or manual.",
        )
    )
    pattern: str | None = Field(default=None, min_length=1, max_length=80)
    min_incidents: int = Field(default=2, ge=1, le=1000)
    service: str | None = None
    description: str | None = Field(default=None, min_length=3, max_length=4000)
    risk_level: Literal["auto", "confirm", "manual"] = "confirm"


class ApproveDraft(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"draft_id": "draft-oom-payments-3f2a"},
            draft_id="The draft to approve (POST /api/runbooks/generate made it).",
        )
    )
    draft_id: str | None = None
    runbook: dict | None = Field(default=None, description="seed 002: the generated runbook (its id names the draft)")


def _service(principal):
    from pagerless.runbooks.service import RunbookService

    return RunbookService(principal.workspace)


def _public(runbook) -> dict:
    return runbook.model_dump(mode="json")


@router.get("/api/runbooks")
def list_runbooks(
    principal: ViewerDep,
    source: Annotated[Literal["builtin", "custom", "generated"] | None, Query()] = None,
    limit: LimitParam = 200,
    cursor: CursorParam = None,
) -> dict:
    """Built-in and custom runbooks (the latest version of each), by id, a page at a time."""
    page, next_cursor = page_of(_service(principal).list(source), limit=limit, cursor=cursor, order=lambda r: (r.id,))
    items = [r.summary() for r in page]
    return {"items": items, "count": len(items), "next_cursor": next_cursor}


@router.get("/api/runbooks/all")
def list_all_runbooks(principal: ViewerDep) -> dict:
    """Every runbook, with the generated drafts that wait for approval."""
    service = _service(principal)
    drafts = [
        {**d["runbook"], "draft_id": d["draft_id"], "author": d["author"], "status": d["status"]}
        for d in service.store.drafts()
        if d["status"] == "pending"
    ]
    items = [r.summary() for r in service.list()]
    return {"items": items, "drafts": drafts, "count": len(items)}


@router.get("/api/runbooks/{runbook_id}")
def get_runbook(runbook_id: str, principal: ViewerDep, version: Annotated[int | None, Query(ge=1)] = None) -> dict:
    """One runbook (its latest version, or ?version=N)."""
    return _public(_service(principal).get(runbook_id, version))


@router.get("/api/runbooks/{runbook_id}/versions")
def runbook_versions(runbook_id: str, principal: ViewerDep) -> dict:
    """Every version of a runbook, oldest first (versions are immutable)."""
    items = [_public(r) for r in _service(principal).versions(runbook_id)]
    return {"items": items, "count": len(items)}


@router.post("/api/runbooks/generate")
def generate_runbook(body: GenerateRequest, principal: OperatorDep) -> dict:
    """Draft a runbook from incident history (pattern, min_incidents) or from a description; a key scoped to
    services drafts from its services' incidents only (naming another service is a 403)."""
    from pagerless.domain.errors import ValidationError
    from pagerless.runbooks import generate

    if body.pattern:
        from pagerless.incidents import key_scope

        services = key_scope.visible(
            principal.scope, body.service, key=principal.key_id, what="draft runbooks from the incidents"
        )
        return generate.from_history(
            principal.workspace, principal.key_id, body.pattern, body.min_incidents, body.service, services=services
        )
    if body.description:
        return generate.from_description(principal.workspace, principal.key_id, body.description, body.risk_level)
    raise ValidationError(
        "give a pattern (from incident history) or a description",
        details=[{"field": "pattern"}, {"field": "description"}],
    )


@router.post("/api/runbooks/generate/approve")
def approve_generated_runbook(body: ApproveDraft, principal: OperatorDep) -> dict:
    """Save a draft as a runbook; the draft's author cannot approve it."""
    from pagerless.domain.errors import ValidationError
    from pagerless.runbooks import generate

    draft_id = body.draft_id or (body.runbook or {}).get("id")
    if not draft_id:
        raise ValidationError("draft_id (or runbook.id) is required", details=[{"field": "draft_id"}])
    runbook = generate.approve(principal.workspace, principal.key_id, draft_id)
    return {
        "ok": True,
        "runbook_id": runbook.id,
        "version": runbook.version,
        "runbook": _public(runbook),
        "message": f"Runbook {runbook.id!r} saved (version {runbook.version}).",
    }


CUSTOM_RUNBOOK_EXAMPLE = {
    "name": "checkout_restart",
    "match_alert_types": ["crash_loop"],
    "trigger_keywords": ["checkout"],
    "risk_level": "confirm",
    "safety_checks": ["require_label:service"],
    "steps": [
        {
            "name": "Inspect",
            "check": "pods_running",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
        },
        {
            "name": "Restart",
            "action": "rollout_restart",
            "params": {"namespace": "{namespace}", "deployment": "{deployment}"},
        },
    ],
}
CustomRunbookBody = Annotated[
    dict,
    Body(
        description="seed 001's custom runbook: name, match_alert_types, "
        "trigger_keywords, risk_level, safety_checks, steps, verify_steps",
        examples=[CUSTOM_RUNBOOK_EXAMPLE],
    ),
]


@router.get("/api/custom-runbooks")
def list_custom_runbooks(principal: ViewerDep, limit: LimitParam = 200, cursor: CursorParam = None) -> dict:
    """Custom runbooks (seed 001), latest versions, by id, a page at a time."""
    page, next_cursor = page_of(_service(principal).list("custom"), limit=limit, cursor=cursor, order=lambda r: (r.id,))
    items = [_public(r) for r in page]
    return {"items": items, "count": len(items), "next_cursor": next_cursor}


@router.post("/api/custom-runbooks", status_code=201)
def create_custom_runbook(request: Request, principal: OperatorDep, body: CustomRunbookBody) -> dict:
    """Create a custom runbook (seed 001's body; steps from the action catalog, checks and waits)."""
    runbook = _service(principal).create(body, principal.key_id)
    request.state.audit_details = {"runbook_id": runbook.id, "version": runbook.version}
    return _public(runbook)


@router.put("/api/custom-runbooks/{runbook_id}")
def update_custom_runbook(runbook_id: str, request: Request, principal: OperatorDep, body: CustomRunbookBody) -> dict:
    """Change a custom runbook: writes a new version; earlier versions stay as they were."""
    runbook = _service(principal).update(runbook_id, body, principal.key_id)
    request.state.audit_details = {"runbook_id": runbook.id, "version": runbook.version}
    return _public(runbook)


@router.delete("/api/custom-runbooks/{runbook_id}", status_code=204)
def delete_custom_runbook(runbook_id: str, principal: OperatorDep) -> None:
    """Delete a custom runbook (its versions stay as history)."""
    _service(principal).delete(runbook_id, principal.key_id)


@router.post("/api/custom-runbooks/generate")
def generate_custom_runbook(body: GenerateRequest, principal: OperatorDep) -> dict:
    """Draft a runbook from a natural-language description (seed 001's AI generate)."""
    from pagerless.domain.errors import ValidationError
    from pagerless.runbooks import generate

    if not body.description:
        raise ValidationError("description is required", details=[{"field": "description"}])
    return generate.from_description(principal.workspace, principal.key_id, body.description, body.risk_level)


@router.get("/api/incidents/{incident_id}/runbooks")
def incident_runbooks(incident_id: str, principal: ViewerDep) -> dict:
    """Runbooks matching the incident (alert types, keywords, labels), best first, with the reasons."""
    from pagerless.store.incidents import IncidentRepository

    incident = IncidentRepository().get(incident_id, principal.workspace)
    items = _service(principal).match(incident)
    return {"incident_id": incident_id, "items": items, "count": len(items)}


@router.post("/api/incidents/{incident_id}/runbooks/{runbook_id}/execute", status_code=202)
def execute_incident_runbook(
    incident_id: str,
    runbook_id: str,
    request: Request,
    principal: OperatorDep,
    auto_approve: Annotated[bool, Query()] = False,
    dry_run: Annotated[bool, Query()] = False,
    body: Annotated[RunRequest | None, Body()] = None,
) -> dict:
    """Run a runbook on an incident (a runbook-run execution; every step through the policy)."""
    from pagerless.store.incidents import IncidentRepository

    body = body or RunRequest()
    incident = IncidentRepository().get(incident_id, principal.workspace)
    return _start(
        request,
        principal,
        runbook_id,
        body.model_copy(update={"auto_approve": auto_approve or body.auto_approve, "dry_run": dry_run or body.dry_run}),
        incident,
    )


def _start(request: Request, principal, runbook_id: str, body: RunRequest, incident=None) -> dict:
    from pagerless.incidents import key_scope
    from pagerless.runbooks.runs import start_run

    if incident is not None:
        key_scope.hold_record(principal.scope, incident, key=principal.key_id)
    else:
        key_scope.hold_unbound(principal.scope, key=principal.key_id, what="run a runbook on no incident")
    job = start_run(
        principal.workspace,
        principal.key_id,
        runbook_id,
        context=body.context,
        dry_run=body.dry_run,
        auto_approve=body.auto_approve,
        incident=incident,
        version=body.version,
        options=body.options,
    )
    request.state.audit_details = {"job_id": job.job_id, "runbook_id": runbook_id, "dry_run": body.dry_run}
    return {
        "job_id": job.job_id,
        "run_id": job.job_id,
        "status": job.status,
        "workflow_id": job.workflow_id,
        "incident_id": job.incident_id,
        "dry_run": body.dry_run,
        "created_at": job.created_at.isoformat(),
    }


@router.get("/api/workflows")
def list_workflows(principal: ViewerDep) -> dict:
    """Seed 002's workflows: the runbooks, with their step counts."""
    workflows = [
        {
            "id": r.id,
            "name": r.name,
            "description": r.description,
            "step_count": len(r.steps),
            "risk_level": r.risk_level.value,
        }
        for r in _service(principal).list()
    ]
    return {"workflows": workflows, "count": len(workflows)}


@router.post("/api/workflows/{workflow_id}/execute", status_code=202)
def execute_workflow(workflow_id: str, body: RunRequest, request: Request, principal: OperatorDep) -> dict:
    """Seed 002: run a workflow (a runbook) with a context; dry_run is honoured."""
    incident = None
    if body.incident_id:
        from pagerless.store.incidents import IncidentRepository

        incident = IncidentRepository().get(body.incident_id, principal.workspace)
    return _start(request, principal, workflow_id, body, incident)


@router.get("/api/workflows/{run_id}/status")
def workflow_status(run_id: str, principal: ViewerDep) -> dict:
    """Seed 002: a workflow run's status (the job)."""
    from pagerless.jobs.service import view

    return view(run_id, principal.workspace)
