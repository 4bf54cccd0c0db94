"""The tools an MCP client may call, each bound to the caller's workspace and role.

Read-only except ``propose_action``, which is a server-side dry run: the policy engine and the
dry-run diff, never a change. There is deliberately no approve tool: approvals are for people.
Results are plain JSON data; a domain error becomes a tool error with its message, so an agent
can correct itself.
"""

import json
from dataclasses import dataclass
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import Field

from pagerless.auth.keys import Principal
from pagerless.domain.errors import ForbiddenError, NotFoundError
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


@dataclass(frozen=True)
class Toolbox:
    principal: Principal

    @property
    def workspace(self) -> str:
        return self.principal.workspace

    def list_incidents(
        self,
        status: StatusFilter | None = None,
        severity: SeverityFilter | None = None,
        service: str | None = None,
        limit: int = 20,
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
            limit=_bounded(limit),
            cursor=cursor,
        )
        return {"items": [_jsonable(public(i)) for i in items], "next_cursor": next_cursor}

    def get_incident(self, incident_id: IncidentId) -> dict:
        from pagerless.incidents.schemas import public
        from pagerless.incidents.service import IncidentService

        return _jsonable(public(IncidentService().get(self.workspace, incident_id)))

    def get_timeline(self, incident_id: IncidentId, limit: int = 100, cursor: str | None = None) -> dict:
        from pagerless.incidents.service import IncidentService

        events, next_cursor = IncidentService().timeline_page(
            self.workspace, incident_id, limit=_bounded(limit, MAX_TIMELINE_LIMIT), cursor=cursor
        )
        return {"items": [_jsonable(e.to_dict()) for e in events], "next_cursor": next_cursor}

    def get_diagnosis(self, incident_id: IncidentId) -> dict:
        from pagerless.incidents.service import IncidentService

        incident = IncidentService().get(self.workspace, incident_id)
        if not incident.diagnosis:
            raise NotFoundError(f"incident {incident_id} has no diagnosis yet (status {incident.status})")
        return _jsonable(incident.diagnosis)

    def search_knowledge(self, query: str, limit: int = 10) -> dict:
        """What the investigator's knowledge search sees: the entries and the uploaded documents' passages."""
        from pagerless.knowledge.documents import search_everything

        return {"items": [_jsonable(hit) for hit in search_everything(self.workspace, query, _bounded(limit))]}

    def similar_incidents(self, incident_id: IncidentId, limit: int = 10) -> dict:
        from pagerless.incidents.service import IncidentService
        from pagerless.knowledge.similar import similar_to_incident

        incident = IncidentService().get(self.workspace, incident_id)
        return {"items": [_jsonable(s) for s in similar_to_incident(incident, limit=_bounded(limit))]}

    def list_actions(self) -> dict:
        from pagerless.remediation.actions import catalog

        return {"items": catalog()}

    def list_runbooks(self, incident_id: IncidentId | None = None) -> dict:
        """Every runbook, or with ``incident_id`` the ones matching that incident, best first."""
        from pagerless.runbooks.service import RunbookService

        service = RunbookService(self.workspace)
        if incident_id:
            from pagerless.incidents.service import IncidentService

            return {"items": service.match(IncidentService().get(self.workspace, incident_id))}
        return {"items": [r.summary() for r in service.list()]}

    def propose_action(self, action: dict, incident_id: IncidentId | None = None, reason: str = "") -> dict:
        """A dry run through the policy engine; the same right as the API's dry run (operator)."""
        from pagerless.workflow.manual_actions import run_action

        if not role_satisfies(self.principal.role, Role.OPERATOR):
            raise ForbiddenError(f"a dry run needs the operator role; the key has {self.principal.role.value}")
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
    'kind "entry") and the passages of the documents uploaded to its knowledge bases (kind "document").',
    "similar_incidents": "Past incidents most like this one, with the reasons and how they were resolved.",
    "list_actions": "The remediation action catalog: each action's parameters, risk, blast radius, reversibility.",
    "list_runbooks": "Runbooks (steps from the action catalog, with verify and rollback). With incident_id: only "
    "those matching the incident (alert types, keywords, labels), best first, with the reasons.",
    "propose_action": 'Dry-run one catalog action (e.g. {"action": "rollout_restart", "namespace": ..., '
    '"deployment": ...}; list_actions gives each action\'s parameters): returns the policy decision with its '
    "rule and the server-side dry-run diff. Nothing is changed; a person approves real changes.",
}


def _bounded(limit: int, maximum: int = MAX_LIMIT) -> int:
    return max(1, min(int(limit), maximum))


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> str:
    """Times as RFC 3339, as the API gives them (str() of a datetime has a space for the "T")."""
    return value.isoformat() if isinstance(value, date | time) else str(value)
