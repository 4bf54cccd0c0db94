"""Console pages for runbooks and their runs (jobs): list and read runbooks, start a run, follow a job's
steps, and approve or reject the step a parked job waits on.

The pages are clients of the same services as the API: a run starts through ``start_run`` (the checks, the
job record and the runbook-run execution of POST /api/workflows/{id}/execute), and a decision goes through
``ApprovalService.decide`` (the chat cards' and approvals API's path, which the job's policy and approval
rules guard). Viewers read; operators and admins start runs and decide steps, as over the API.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from pagerless.api.deferred import DeferredRoute
from pagerless.console.session import can, check_csrf, current_principal, require_role
from pagerless.console.web import page_links, refused_form, render
from pagerless.domain.errors import ConflictError, NotFoundError, ValidationError
from pagerless.domain.roles import Role

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
CsrfChecked = Depends(check_csrf)
JOB_STATUSES = ("pending", "running", "parked", "completed", "failed", "cancelled")
JOBS_PAGE = 50  # as GET /api/jobs (our tables only: no Step Functions call per job)
LIVE = ("pending", "running")  # a job page refreshes itself while its job is in one of these
STOPPABLE = ("pending", "running", "parked")  # a runbook run an operator may stop (jobs.service.stop)
# the context fields a run form asks for (`runbooks.models.CONTEXT_FIELDS`; current_replicas is read by the run)
FORM_FIELDS = (
    "namespace",
    "deployment",
    "pod",
    "node",
    "container",
    "service",
    "replicas",
    "memory_limit",
    "cpu_limit",
    "to_revision",
    "secret",
    "days",
)
# the run form's labels of the fields a refusal names (runbook.html)
RUN_LABELS = {f"context.{name}": name for name in FORM_FIELDS} | {
    "incident_id": "Incident (optional: its labels fill the context)",
    "dry_run": "Dry run (checks and server-side dry runs only: nothing changes)",
}


class RunForm(BaseModel):
    """The run form: the context, the incident it is for and whether it only dry-runs."""

    namespace: str = Field(default="", max_length=253)
    deployment: str = Field(default="", max_length=253)
    pod: str = Field(default="", max_length=253)
    node: str = Field(default="", max_length=253)
    container: str = Field(default="", max_length=253)
    service: str = Field(default="", max_length=253)
    replicas: str = Field(default="", max_length=20)
    memory_limit: str = Field(default="", max_length=40)
    cpu_limit: str = Field(default="", max_length=40)
    to_revision: str = Field(default="", max_length=20)
    secret: str = Field(default="", max_length=253)
    days: str = Field(default="", max_length=20)
    incident_id: str = Field(default="", max_length=100)
    dry_run: str = Field(default="", max_length=10)
    version: int | None = Field(default=None, ge=1)

    def context(self) -> dict:
        """The fields typed in, spaces trimmed; an empty one is left to the incident or the runbook's default."""
        return {name: getattr(self, name).strip() for name in FORM_FIELDS if getattr(self, name).strip()}


def _runbooks(principal):
    from pagerless.runbooks.service import RunbookService

    return RunbookService(principal.workspace)


# ---------------------------------------------------------------- runbooks
@router.get("/console/runbooks", response_class=HTMLResponse)
def runbooks_page(request: Request) -> HTMLResponse:
    """Built-in and custom runbooks (the latest version of each), by id."""
    principal = current_principal(request)
    runbooks = sorted(_runbooks(principal).list(), key=lambda r: r.id)
    return render(request, "runbooks.html", runbooks=[r.summary() for r in runbooks])


@router.get("/console/runbooks/{runbook_id}", response_class=HTMLResponse)
def runbook_page(request: Request, runbook_id: str, version: Annotated[int | None, Query(ge=1)] = None) -> HTMLResponse:
    """One runbook: what it matches, its safety checks and steps; the run form for operators."""
    principal = current_principal(request)
    return render(request, "runbook.html", **_runbook_page(principal, runbook_id, version), draft=None)


def _runbook_page(principal, runbook_id: str, version: int | None) -> dict:
    service = _runbooks(principal)
    runbook = service.get(runbook_id, version)
    needed = runbook.context_fields()
    return {
        "runbook": runbook.model_dump(mode="json"),
        "versions": [r.version for r in service.versions(runbook.id)],
        "fields": [f for f in FORM_FIELDS if f in needed],
        "other_fields": [f for f in FORM_FIELDS if f not in needed],
        "can_run": can(principal, Role.OPERATOR),
    }


@router.post("/console/runbooks/{runbook_id}/run", dependencies=[CsrfChecked])
def start_run(request: Request, runbook_id: str, form: Annotated[RunForm, Form()]) -> Response:
    """Start a run of the runbook (the version the page showed) as the signed-in operator; the job's page
    follows it. Every mutating step goes through the policy and, unless the runbook is ``auto``, waits for
    an approval. A run refused (a missing context field, a manual runbook not dry-run) comes back in the form."""
    principal = require_role(request, Role.OPERATOR)
    from pagerless.runbooks.runs import start_run as start
    from pagerless.store.incidents import IncidentRepository

    dry_run = form.dry_run == "true"
    try:
        incident = (
            IncidentRepository().get(form.incident_id.strip(), principal.workspace)
            if form.incident_id.strip()
            else None
        )
        job = start(
            principal.workspace,
            principal.key_id,
            runbook_id,
            context=form.context(),
            dry_run=dry_run,
            incident=incident,
            version=form.version,
        )
    except (ValidationError, NotFoundError) as exc:
        if isinstance(exc, NotFoundError) and not form.incident_id.strip():
            raise  # no such runbook (version): the error page says so
        page = _runbook_page(principal, runbook_id, form.version)
        draft = {**form.model_dump(), "dry_run": dry_run}
        return refused_form(request, _named(exc), "runbook.html", labels=RUN_LABELS, **page, draft=draft)
    request.state.audit_details = {"job_id": job.job_id, "runbook_id": runbook_id, "dry_run": dry_run}
    return RedirectResponse(f"/console/jobs/{job.job_id}", status_code=303)


def _named(exc: ValidationError | NotFoundError) -> ValidationError:
    """A refusal as the form shows it: an incident that is not there is the incident field's problem."""
    if isinstance(exc, ValidationError):
        return exc
    return ValidationError(exc.message, details=[{"field": "incident_id", "message": exc.message}])


# ---------------------------------------------------------------- jobs
@router.get("/console/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request, status: str | None = None, cursor: Annotated[str | None, Query(max_length=2000)] = None
) -> HTMLResponse:
    """Runbook runs, newest first, a page at a time (``status``: only those)."""
    principal = current_principal(request)
    from pagerless.jobs.service import list_jobs

    status = status if status in JOB_STATUSES else None
    items, next_cursor = list_jobs(principal.workspace, status, JOBS_PAGE, cursor)
    return render(
        request,
        "jobs.html",
        jobs=items,
        statuses=JOB_STATUSES,
        status=status,
        **page_links(request, cursor, next_cursor),
    )


@router.get("/console/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, partial: str | None = None) -> HTMLResponse:
    """One job: its status, context, steps and trace; the step it waits on, with approve and reject for
    operators. While it runs the page refreshes its status and steps."""
    principal = current_principal(request)
    from pagerless.jobs.service import trace, view

    job = view(job_id, principal.workspace)
    context = {
        "job": job,
        "runbook_id": (job["input"] or {}).get("runbook_id") or job["workflow_id"],
        "waiting": _waiting_on(job, principal.workspace),
        "can_decide": can(principal, Role.OPERATOR),
        "can_stop": can(principal, Role.OPERATOR) and job["kind"] == "runbook_run" and job["status"] in STOPPABLE,
        "live": job["status"] in LIVE,
    }
    if partial == "live":
        return render(request, "_job_live.html", **context)
    return render(request, "job.html", **context, trace=trace(job_id, principal.workspace)["timeline"])


def _waiting_on(job: dict, workspace: str) -> dict | None:
    """The approval a parked runbook run waits on (its step, action and dry run), if any."""
    if job["status"] != "parked" or job["kind"] != "runbook_run" or not job["correlation_key"]:
        return None
    from pagerless.store.approvals import ApprovalRepository

    record = ApprovalRepository().get(job["incident_id"] or job["job_id"], job["correlation_key"])
    if record is None or record.workspace != workspace:
        return None
    return record.to_public()


@router.get("/console/jobs/{job_id}/stop", response_class=HTMLResponse, response_model=None)
def confirm_stop_page(request: Request, job_id: str) -> HTMLResponse | RedirectResponse:
    """Ask before stopping a runbook run (a stop cannot be taken back): a page of its own, so the question
    is asked without JavaScript too. A job that can no longer be stopped goes back to its page."""
    principal = require_role(request, Role.OPERATOR)
    from pagerless.jobs.service import view

    job = view(job_id, principal.workspace)
    if job["kind"] != "runbook_run" or job["status"] not in STOPPABLE:
        return RedirectResponse(f"/console/jobs/{job_id}", status_code=303)
    runbook_id = (job["input"] or {}).get("runbook_id") or job["workflow_id"]
    return render(request, "job_stop.html", job=job, runbook_id=runbook_id)


@router.post("/console/jobs/{job_id}/stop", dependencies=[CsrfChecked])
def stop_job(request: Request, job_id: str, confirm: Annotated[str, Form(max_length=10)] = "") -> RedirectResponse:
    """Stop a runbook run, as the signed-in operator, through the API's path (POST /api/jobs/{id}/stop):
    the job is cancelled first, its pending approval expired, then its execution stopped. Only once asked
    (``confirm=yes``, the confirmation page's form); a post without it is sent to that page."""
    principal = require_role(request, Role.OPERATOR)
    if confirm != "yes":
        request.state.audit_details = {"job_id": job_id, "confirmed": False}  # nothing stopped: asked first
        return RedirectResponse(f"/console/jobs/{job_id}/stop", status_code=303)
    from pagerless.jobs.service import stop

    request.state.audit_details = {"job_id": job_id}
    stop(job_id, principal.workspace, principal.key_id)
    return RedirectResponse(f"/console/jobs/{job_id}", status_code=303)


@router.post("/console/jobs/{job_id}/{decision}", dependencies=[CsrfChecked])
def decide_step(
    request: Request,
    job_id: str,
    decision: str,
    approval_id: Annotated[str, Form(min_length=1, max_length=200)],
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> RedirectResponse:
    """Approve or reject the step a parked job waits on, as the signed-in operator: the approval the page
    showed (``approval_id``), decided once, through the approvals service; a decision made meanwhile stands."""
    principal = require_role(request, Role.OPERATOR)
    if decision not in ("approve", "reject"):
        raise NotFoundError(f"no such action: {decision}")
    from pagerless.domain.approvals import VIA_CONSOLE, Via
    from pagerless.incidents import decision_audit
    from pagerless.jobs.service import find
    from pagerless.store.approvals import ApprovalRepository
    from pagerless.workflow.approvals import ApprovalService

    job = find(job_id, principal.workspace)
    if job is None:  # an incident's workflow: its approval is decided on the incident's page
        raise ConflictError(f"{job_id} is an incident; decide its approval on the incident's page")
    step = ApprovalRepository().get(job.incident_id or job.job_id, approval_id)
    if step is None or step.workspace != principal.workspace or (step.proposal or {}).get("job_id") != job.job_id:
        raise NotFoundError(f"job {job_id} has no approval {approval_id}")
    request.state.audit_details = {"job_id": job_id, "decision": decision, "comment": comment}
    decided = ApprovalService().decide(
        step.incident_id,
        principal.workspace,
        approve=decision == "approve",
        actor=principal.key_id,
        role=principal.role.value,
        comment=comment,
        approval_id=approval_id,
        via=Via(VIA_CONSOLE),
    )
    request.state.audit_details.update(changed=decided.changed, approval_id=approval_id)
    if decided.changed:  # the approval sweep may write this decision's record in its stead: one of them does
        request.state.audit_once = decision_audit.once(decided.approval)
    return RedirectResponse(f"/console/jobs/{job_id}", status_code=303)
