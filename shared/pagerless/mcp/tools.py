"""The tools an MCP client may call, each bound to the caller's workspace and role.

Read-only except ``propose_action``, a server-side dry run (the policy engine and the dry-run
diff, never a change), and ``run_runbook``, which starts a runbook run exactly as the REST API
does (``POST /api/runs``, the operator role) with one difference: it never approves its own steps
(no ``auto_approve``), so every step the runbook's risk level or the policy wants approved waits,
parked, for a person. There is deliberately no approve tool: approvals are for people.
Results are plain JSON data; a domain error becomes a tool error with its message, so an agent
can correct itself. A key or agent token scoped to services lists, reads and acts on its services'
incidents (and knowledge) only, as the REST API holds it (`pagerless.incidents.key_scope`).
"""

import json
from dataclasses import dataclass, field
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import Field

from pagerless.auth.keys import Principal
from pagerless.domain.errors import ForbiddenError, NotFoundError, ValidationError
from pagerless.domain.incidents import IncidentStatus
from pagerless.domain.roles import Role, role_satisfies
from pagerless.domain.severity import Severity

MAX_LIMIT = 100
MAX_TIMELINE_LIMIT = 500  # as GET /api/incidents/{id}/timeline pages it
# The filters' values, inlined in the tool's schema: a word that is no status matches nothing, so
# the model is told, rather than shown an empty list it would take for "no incidents".
StatusFilter = Literal[tuple(s.value for s in IncidentStatus)]
SeverityFilter = Literal[tuple(s.value for s in Severity)]
# An id the store can look up: an empty one (or one past a key's size) is the model's mistake, told
# as such, not a DynamoDB ValidationException the model would read as "the tool is broken".
IncidentId = Annotated[str, Field(min_length=1, max_length=200)]
JobId = Annotated[str, Field(min_length=1, max_length=200)]
RunbookId = Annotated[str, Field(min_length=1, max_length=120)]
JobStatusFilter = Literal["pending", "running", "parked", "completed", "failed", "cancelled"]
# A limit outside its range is the model's mistake, told as such (not quietly made 1 or the maximum).
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
TimelineLimit = Annotated[int, Field(ge=1, le=MAX_TIMELINE_LIMIT)]
Query = Annotated[str, Field(min_length=1, max_length=500)]


@dataclass(frozen=True)
class Toolbox:
    principal: Principal
    # What a call did, for the request's audit record (as a REST route's ``request.state.audit_details``).
    audit: dict = field(default_factory=dict, compare=False)

    @property
    def workspace(self) -> str:
        return self.principal.workspace

    def list_incidents(
        self,
        status: StatusFilter | None = None,
        severity: SeverityFilter | None = None,
        service: str | None = None,
        limit: Limit = 20,
        cursor: str | None = None,
    ) -> dict:
        from pagerless.incidents.schemas import public
        from pagerless.incidents.service import IncidentService

        items, next_cursor = IncidentService().search(
            self.workspace,
            status=status,
            severity=severity,
            service=service,
            namespace=None,
            since=None,
            limit=limit,
            cursor=cursor,
            scope=self.principal.scope,
            key=self.principal.key_id,
        )
        return {"items": [_jsonable(public(i)) for i in items], "next_cursor": next_cursor}

    def _read(self, incident_id: str):
        """The incident, if this key may read it (a services-scoped key: its services' only, else a 403)."""
        from pagerless.incidents import key_scope
        from pagerless.incidents.service import IncidentService

        incident = IncidentService().get(self.workspace, incident_id)
        key_scope.hold_record(self.principal.scope, incident, key=self.principal.key_id, reading=True)
        return incident

    def get_incident(self, incident_id: IncidentId) -> dict:
        from pagerless.incidents.schemas import public

        return _jsonable(public(self._read(incident_id)))

    def get_timeline(self, incident_id: IncidentId, limit: TimelineLimit = 100, cursor: str | None = None) -> dict:
        from pagerless.incidents.service import IncidentService
        from pagerless.incidents.timeline_names import named

        self._read(incident_id)
        events, next_cursor = IncidentService().timeline_page(self.workspace, incident_id, limit=limit, cursor=cursor)
        entries = named(self.workspace, [e.to_dict() for e in events])  # as the REST timeline reads them
        return {"items": [_jsonable(e) for e in entries], "next_cursor": next_cursor}

    def get_diagnosis(self, incident_id: IncidentId) -> dict:

        incident = self._read(incident_id)
        if not incident.diagnosis:
            raise NotFoundError(f"incident {incident_id} has no diagnosis yet (status {incident.status})")
        return _jsonable(incident.diagnosis)

    def search_knowledge(self, query: Query, limit: Limit = 10) -> dict:
        """What the investigator's knowledge search sees: the entries and the uploaded documents' passages."""
        from pagerless.knowledge.documents import search_everything

        if not query.strip():  # words only: a query of spaces would match nothing and look like "no knowledge"
            raise ValidationError("query must have a word to search for", details=[{"field": "query"}])
        return {
            "items": [
                _jsonable(hit) for hit in search_everything(self.workspace, query, limit, scope=self.principal.scope)
            ]
        }

    def similar_incidents(self, incident_id: IncidentId, limit: Limit = 10) -> dict:
        from pagerless.knowledge.similar import similar_to_incident

        incident = self._read(incident_id)
        services = self.principal.scope.services if self.principal.scope else None
        return {"items": [_jsonable(s) for s in similar_to_incident(incident, limit=limit, services=services)]}

    def list_actions(self) -> dict:
        from pagerless.remediation.actions import catalog

        return {"items": catalog()}

    def list_runbooks(self, incident_id: IncidentId | None = None) -> dict:
        """Every runbook, or with ``incident_id`` the ones matching that incident, best first."""
        from pagerless.runbooks.service import RunbookService

        service = RunbookService(self.workspace)
        if incident_id:
            return {"items": service.match(self._read(incident_id))}
        return {"items": [r.summary() for r in service.list()]}

    def list_jobs(self, status: JobStatusFilter | None = None, limit: Limit = 20, cursor: str | None = None) -> dict:
        """The workspace's jobs (runbook runs), newest first, as GET /api/jobs pages them (a services-scoped key's:
        its services' incidents' jobs only)."""
        from pagerless.incidents.key_scope import visible_items
        from pagerless.jobs.service import list_jobs

        items, next_cursor = list_jobs(self.workspace, status, limit, cursor)
        items = visible_items(self.principal.scope, self.workspace, items)
        return {"items": [_jsonable(i) for i in items], "next_cursor": next_cursor}

    def get_job(self, job_id: JobId) -> dict:
        """One job as GET /api/jobs/{id} shows it (an incident's id shows its workflow); held to a services-scoped
        key's incidents as that route is."""
        from pagerless.incidents import key_scope
        from pagerless.jobs.service import find, view

        if key_scope.binds(self.principal.scope):
            record = find(job_id, self.workspace)
            incident_id = job_id if record is None else record.incident_id
            key = self.principal.key_id
            if incident_id:
                key_scope.hold(
                    self.principal.scope, key=key, workspace=self.workspace, incident_id=incident_id, reading=True
                )
            else:
                key_scope.hold_unbound(self.principal.scope, key=key, what="read a job on no incident")
        return _jsonable(view(job_id, self.workspace))

    def run_runbook(
        self,
        runbook_id: RunbookId,
        context: dict[str, str | int | float] | None = None,
        incident_id: IncidentId | None = None,
        dry_run: bool = False,
        version: Annotated[int, Field(ge=1)] | None = None,
    ) -> dict:
        """Start a runbook run through the REST API's path (``runs.start_run``, the operator role),
        never approving its own steps: a step that needs approval waits, parked, for a person."""
        from pagerless.incidents import key_scope
        from pagerless.runbooks.runs import start_run

        if not role_satisfies(self.principal.role, Role.OPERATOR):
            raise ForbiddenError(f"running a runbook needs the operator role; the key has {self.principal.role.value}")
        incident = None
        if incident_id:
            from pagerless.store.incidents import IncidentRepository

            incident = IncidentRepository().get(incident_id, self.workspace)
            key_scope.hold_record(self.principal.scope, incident, key=self.principal.key_id)
        else:
            key_scope.hold_unbound(self.principal.scope, key=self.principal.key_id, what="run a runbook on no incident")
        job = start_run(
            self.workspace,
            self.principal.key_id,
            runbook_id.removeprefix("runbook:"),
            context=context or {},
            dry_run=dry_run,
            auto_approve=False,  # an agent never approves: each step the runbook or the policy wants approved waits
            incident=incident,
            version=version,
        )
        self.audit.update(job_id=job.job_id, runbook_id=runbook_id.removeprefix("runbook:"), dry_run=dry_run)
        return {
            "job_id": job.job_id,
            "status": job.status,
            "workflow_id": job.workflow_id,
            "incident_id": job.incident_id,
            "dry_run": dry_run,
            "created_at": job.created_at.isoformat(),
        }

    def propose_action(self, action: dict, incident_id: IncidentId | None = None, reason: str = "") -> dict:
        """A dry run through the policy engine; the same right as the API's dry run (operator)."""
        from pagerless.incidents import key_scope
        from pagerless.workflow.manual_actions import run_action

        if not role_satisfies(self.principal.role, Role.OPERATOR):
            raise ForbiddenError(f"a dry run needs the operator role; the key has {self.principal.role.value}")
        if incident_id:
            key_scope.hold(
                self.principal.scope, key=self.principal.key_id, workspace=self.workspace, incident_id=incident_id
            )
        else:
            key_scope.hold_unbound(self.principal.scope, key=self.principal.key_id, what="run actions on no incident")
        return _jsonable(
            run_action(
                self.workspace,
                self.principal.key_id,
                action,
                dry_run=True,
                incident_id=incident_id,
                reason=reason[:500],
            )
        )


# What each tool tells the model (the server's tool descriptions).
DESCRIPTIONS: dict[str, str] = {
    "list_incidents": "List incidents of the workspace, newest first. Filter by status (open, diagnosing, "
    "awaiting_approval, remediating, verifying, resolved, diagnosed, escalated), severity "
    "(critical, high, warning, info) and service. At most `limit` (up to 100) a call: pass the answer's "
    "next_cursor as `cursor` for the next page; next_cursor null means there are no more.",
    "get_incident": "One incident by id (INC-YYYYMMDD-NNNN): status, severity, service, alerts, metrics.",
    "get_timeline": "Everything that happened to an incident, oldest first: alerts, diagnosis, proposals, "
    "approvals, actions, verification. At most `limit` (up to 500) a call: pass the answer's next_cursor as "
    "`cursor` for the next page (the cursor of GET /api/incidents/{id}/timeline); next_cursor null means there "
    "are no more.",
    "get_diagnosis": "The incident's stored diagnosis: root-cause category, confidence, evidence with sources, "
    "ranked alternatives and suggested remediations.",
    "search_knowledge": "Search the team's knowledge by words, English or Chinese: its entries (runbooks, notes; "
    'kind "entry") and the passages of the documents uploaded to its knowledge bases (kind "document"). '
    "`query` needs a word; `limit` is 1 to 100.",
    "similar_incidents": "Past incidents most like this one, with the reasons and how they were resolved. "
    "`limit` is 1 to 100.",
    "list_actions": "The remediation action catalog: each action's parameters, risk, blast radius, reversibility.",
    "list_runbooks": "Runbooks (steps from the action catalog, with verify and rollback). With incident_id: only "
    "those matching the incident (alert types, keywords, labels), best first, with the reasons.",
    "list_jobs": "Jobs of the workspace (runbook runs), newest first: status (pending, running, parked, completed, "
    "failed, cancelled), the step each is on, its steps' results. Filter by status; at most `limit` (1 to 100) a "
    "call: pass the answer's next_cursor as `cursor` for the next page; next_cursor null means there are no more.",
    "get_job": "One job by id (job-...): its status, the step it is on (a parked job waits for a person's approval of "
    "that step), each step's result, its outcome and error.",
    "run_runbook": "Start a runbook run (list_runbooks gives the ids; `context` fills its steps' parameters: namespace, "
    "deployment, container, replicas, ...; with incident_id the incident fills them and the run is on its timeline). "
    "Needs the operator role. dry_run: true changes nothing (checks and server-side dry runs only). A real run goes "
    "through the policy at every step, and a step the runbook's risk level or the policy wants approved waits, "
    "parked, for a person to approve it: this tool never approves. Returns the job id: follow it with get_job.",
    "propose_action": 'Dry-run one catalog action (e.g. {"action": "rollout_restart", "namespace": ..., '
    '"deployment": ...}; list_actions gives each action\'s parameters): returns the policy decision with its '
    "rule and the server-side dry-run diff. Nothing is changed; a person approves real changes.",
}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> str:
    """Times as RFC 3339, as the API gives them (str() of a datetime has a space for the "T")."""
    return value.isoformat() if isinstance(value, date | time) else str(value)
