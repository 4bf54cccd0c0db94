"""Postmortems: draft from the incident's record, optional Claude polish, edit, publish, versions, action items."""

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from pagerless.clock import utcnow
from pagerless.domain.actors import label
from pagerless.domain.errors import ConflictError, NotFoundError, ValidationError
from pagerless.domain.incidents import (
    open_periods,
    period_event,
    resolving_since,
    responding_since,
    waiting_for_acknowledgement_since,
)
from pagerless.domain.schema_docs import documented
from pagerless.incidents.timeline import timeline as incident_timeline
from pagerless.reports.polish import LESSONS, polish
from pagerless.reports.postmortem_draft import ITEM_STATUSES, PostmortemFacts, draft
from pagerless.reports.responses import responses
from pagerless.store.alerts import AlertRepository
from pagerless.store.approvals import ApprovalRepository
from pagerless.store.escalations import EscalationRepository
from pagerless.store.incidents import IncidentRepository
from pagerless.store.postmortems import PostmortemRepository
from pagerless.store.versions import retry_on_change


class ActionItem(BaseModel):
    id: str = Field(min_length=1, max_length=40)
    kind: str = Field(default="prevent", max_length=40)
    description: str = Field(min_length=1, max_length=2000)
    owner: str = Field(default="unassigned", max_length=200)
    due_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    status: str = Field(default="open", pattern="^(" + "|".join(ITEM_STATUSES) + ")$")


class PostmortemEdit(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "expected_version": 2,
                "title": "Checkout outage: payments-db pool exhausted",
                "sections": {"summary": "Checkout failed for 25 minutes."},
            },
            title="A new title.",
            sections="Sections to replace (summary, impact, root_causes, lessons_learned, ...).",
            action_items="The new full list of action items.",
        )
    )
    expected_version: int = Field(ge=1, description="the version this edit starts from")
    title: str | None = Field(default=None, min_length=1, max_length=300)
    sections: dict[str, object] | None = None
    action_items: list[ActionItem] | None = Field(default=None, max_length=100)


class ActionItemUpdate(BaseModel):
    model_config = ConfigDict(
        **documented(
            {"status": "done", "owner": "alice@example.com"},
            status="The item's status.",
            owner="Who owns it.",
            due_date="Due date, YYYY-MM-DD.",
        )
    )
    status: str | None = Field(default=None, pattern="^(" + "|".join(ITEM_STATUSES) + ")$")
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    due_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _section_shaped(name: str, value: object) -> bool:
    """Whether an edited section has the draft's shape (the Markdown and the console render that shape)."""
    if name == "lessons_learned":
        return isinstance(value, dict) and all(key in LESSONS and _text_list(items) for key, items in value.items())
    if name == "timeline":
        return _text_list(value)
    return isinstance(value, str)


class PostmortemService:
    def __init__(
        self,
        repository: PostmortemRepository | None = None,
        incidents: IncidentRepository | None = None,
        slos=None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repository = repository or PostmortemRepository()
        self.incidents = incidents or IncidentRepository()
        self._slos = slos
        self.clock = clock

    @property
    def slos(self):
        if self._slos is None:
            from pagerless.slo.service import SloService

            self._slos = SloService(clock=self.clock)
        return self._slos

    def facts(self, workspace: str, incident_id: str, language: str = "en") -> PostmortemFacts:
        record = self.incidents.get(incident_id, workspace)
        first_seen = record.first_seen or record.created_at
        since = responding_since(record)
        # a storm's root: its correlated incidents' alerts are its impact too (as the reports count them)
        children = self.incidents.children_of(record) if int(record.child_count or 0) > 0 else []
        # the duplicates of the last minute wait on the alert before they reach the incident: counted as the
        # incident's API counts them (`IncidentService.counted`)
        pending = AlertRepository().pending_for([record, *children])
        incident = {
            "id": record.id,
            "title": record.title,
            "severity": record.severity,
            "service": record.service,
            "namespace": record.namespace,
            "source": record.source,
            "parent_id": record.parent_id,
            "flapping": bool(record.flapping),
            "first_seen": _iso(first_seen),
            "acknowledged_at": _iso(record.acknowledged_at),
            "resolved_at": _iso(record.resolved_at),
            "reopened_at": _iso(record.reopened_at),
            # what the times to acknowledge and to resolve count from: the last reopen, if any
            "waiting_for_acknowledgement_since": _iso(waiting_for_acknowledgement_since(record)),
            "resolving_since": _iso(resolving_since(record)),
            "responding_since": _iso(since),
            # an incident's alert is the one fingerprint that opened it (its re-firings and duplicates come back to
            # it); each correlated incident has its own: `alert_count` counts their deliveries
            "alerts": 1 + len(children),
            "alert_count": sum(int(i.alert_count or 1) + pending.get(i.id, 0) for i in [record, *children]),
            "correlated_incidents": len(children),
            "resolved_by": record.resolved_by,
        }
        approvals = [
            {
                "requested_at": _iso(a.requested_at),
                "decided_at": _iso(a.decided_at),
                "status": a.status,
                "decided_by": a.decider_label(),  # name (id), as cards and the API show it
                "decided_by_id": a.decided_by,  # as the actions it approved name it (``approved_by``)
                "decided_via": a.decided_via,
                "action": (a.proposal or {}).get("action"),
                "comment": a.comment,
            }
            for a in ApprovalRepository().for_incident(incident_id)
        ]
        entries = incident_timeline(incident_id, limit=None, incident=record)
        timeline = [
            {
                "at": t.at.isoformat(),
                "type": t.type,
                "actor": label(t.actor, (t.data or {}).get("actor_name")),
                "actor_id": t.actor,  # a system actor (workflow) is said in words in Chinese
                "message": t.message,
                "data": dict(t.data or {}),  # what a Chinese draft says the entry from (`reports.timeline_phrases`)
            }
            for t in entries
        ]
        # the same responses the incident's metrics count (time to first response)
        answered = responses(
            [{"at": t.at, "actor": t.actor, "actor_name": (t.data or {}).get("actor_name")} for t in entries],
            since=since,
            acknowledged_at=record.acknowledged_at,
            acknowledged_by=record.acknowledged_by,
            source=record.source,
        )
        # The impact is the time it was open: a reopened incident's resolved gap spent no budget of its own.
        periods = open_periods(record, [(t.at, period_event(t.type, t.data)) for t in entries], self.clock())
        impact = [
            self.slos.impact(workspace, slo, periods)
            for slo in self.slos.all(workspace)
            if slo.service == record.service
        ]
        return PostmortemFacts(
            incident=incident,
            diagnosis=record.diagnosis,
            actions=list(record.actions or []),
            approvals=approvals,
            timeline=timeline,
            slo_impact=impact,
            owners=self._owners(workspace, record.service),
            today=self.clock().date(),
            responses=[{"at": r.at.isoformat(), "by": label(r.actor, r.actor_name)} for r in answered],
            escalations=self._escalations(incident_id, since, _held_sent(entries)),
            covering_policy=self._covering_policy(workspace, record),
            language=language,
            zone=self.zone(workspace),
        )

    @staticmethod
    def _escalations(incident_id: str, since: datetime, held_sent: dict[tuple[str, str], str]) -> list[dict]:
        """The incident's escalations of this firing (since ``since``: its last reopen, else its first alert),
        oldest first, each with the pages it sent since then; a page's ``held_sent`` are those of the people it held
        back by quiet hours that were sent later (``held_sent``: (person, first end) -> when sent)."""
        out = []
        for escalation in sorted(EscalationRepository().for_incident(incident_id), key=lambda r: r.started_at):
            pages = [
                {
                    "at": page["at"],
                    "targets": [t["id"] for t in page.get("targets") or []],
                    "held": list(page.get("held") or []),
                    "held_sent": [
                        {"person": person, "at": held_sent[(person, until)]}
                        for person, until in (page.get("held_until") or {}).items()
                        if (person, until) in held_sent
                    ],
                }
                for page in escalation.pages or []
                if datetime.fromisoformat(page["at"]) >= since
            ]
            if pages or escalation.started_at >= since:
                out.append({"policy": (escalation.policy or {}).get("name"), "pages": pages})
        return out

    @staticmethod
    def _covering_policy(workspace: str, record) -> str | None:
        """The name of the escalation policy that covers the incident now (its service and severity), if any."""
        from pagerless.oncall.service import OncallService

        policy = OncallService().select_policy(workspace, record.service, record.severity)
        return policy.name if policy else None

    @staticmethod
    def _owners(workspace: str, service: str | None) -> list[str]:
        from pagerless.knowledge.service import get_environment

        return next((list(s.owners) for s in get_environment(workspace).services if s.name == service), [])

    # ------------------------------------------------------------------ lifecycle
    def language(self, workspace: str) -> str:
        """The language a draft is written in when the caller names none: the workspace's report language."""
        from pagerless.reports.service import ReportService

        return ReportService().language(workspace)

    def zone(self, workspace: str) -> str:
        """The time zone a draft says its times in: the workspace's report settings' (UTC when they do not load)."""
        from pagerless.reports.service import ReportService

        try:
            return ReportService().settings(workspace).timezone
        except ValueError:  # stored settings naming a zone this version does not know
            return "UTC"

    def create(
        self,
        workspace: str,
        incident_id: str,
        author: str,
        *,
        regenerate: bool = False,
        language: str | None = None,
        polish_deadline: float | None = None,
    ) -> dict:
        """A new draft (version 1, or the next version when ``regenerate``) in ``language`` (en or zh; default the
        workspace's report language); 409 if one exists and not regenerating. Claude's polish is waited for until
        ``polish_deadline`` (``time.monotonic()``) at the latest (``polish.polish``)."""
        current = self.repository.latest(workspace, incident_id)
        if current is not None and not regenerate:
            raise ConflictError(f"incident {incident_id} has a postmortem already (regenerate=true makes a new draft)")
        if current is not None and current["status"] == "published":
            raise ConflictError("the postmortem is published; it is not regenerated")
        language = language or self.language(workspace)
        document = draft(self.facts(workspace, incident_id, language))
        document["sections"], engine = polish(
            document["sections"], workspace=workspace, language=language, deadline=polish_deadline
        )
        version = (current["version"] + 1) if current else 1
        return self.repository.save_version(
            workspace,
            incident_id,
            {
                **document,
                "status": "draft",
                "version": version,
                "author": author,
                "engine": engine,
                "updated_at": self.clock().isoformat(),
            },
        )

    def get(self, workspace: str, incident_id: str, version: int | None = None) -> dict:
        if version is not None:
            return self.repository.version(workspace, incident_id, version)
        current = self.repository.latest(workspace, incident_id)
        if current is None:
            raise NotFoundError(f"incident {incident_id} has no postmortem")
        return current

    def edit(self, workspace: str, incident_id: str, edit: PostmortemEdit, author: str) -> dict:
        current = self.get(workspace, incident_id)
        if current["status"] == "published":
            raise ConflictError("a published postmortem is not edited (its action items still are)")
        if edit.expected_version != current["version"]:
            raise ConflictError(
                f"the postmortem is at version {current['version']}, not {edit.expected_version}",
                details=[{"version": current["version"]}],
            )
        document = dict(current)
        if edit.title is not None:
            document["title"] = edit.title
        if edit.sections is not None:
            unknown = set(edit.sections) - set(current["sections"])
            if unknown:
                raise ValidationError("unknown postmortem sections", details=[{"section": s} for s in sorted(unknown)])
            wrong = [name for name, value in edit.sections.items() if not _section_shaped(name, value)]
            if wrong:
                raise ValidationError(
                    "a section keeps its shape: prose is text, lessons_learned maps went_well, went_wrong and "
                    "got_lucky to lists of text, timeline is a list of text",
                    details=[{"section": name} for name in wrong],
                )
            document["sections"] = {**current["sections"], **edit.sections}
        if edit.action_items is not None:
            ids = [i.id for i in edit.action_items]
            if len(set(ids)) != len(ids):
                raise ValidationError("action item ids must be unique")
            document["action_items"] = [i.model_dump() for i in edit.action_items]
        return self._next(workspace, incident_id, document, author)

    def publish(self, workspace: str, incident_id: str, author: str) -> dict:
        current = self.get(workspace, incident_id)
        if current["status"] == "published":
            return current
        return self._next(
            workspace, incident_id, {**current, "status": "published", "published_at": self.clock().isoformat()}, author
        )

    def update_item(
        self, workspace: str, incident_id: str, item_id: str, update: ActionItemUpdate, author: str
    ) -> dict:
        """Track one action item (a new version). Only the fields ``update`` sends change, so an update whose
        version another save took meanwhile is applied again to the version that save stored; a 409 when
        every try met another save (``retry_on_change``)."""
        changes = {k: v for k, v in update.model_dump().items() if v is not None}

        def apply() -> dict | None:
            current = self.repository.latest(workspace, incident_id, consistent=True)
            if current is None:
                raise NotFoundError(f"incident {incident_id} has no postmortem")
            items = [dict(i) for i in current["action_items"]]
            item = next((i for i in items if i["id"] == item_id), None)
            if item is None:
                raise NotFoundError(f"action item {item_id} not found")
            item.update(changes)
            document = self._stamped({**current, "action_items": items}, author)
            return self.repository.save_version_if_free(workspace, incident_id, document)

        return retry_on_change(apply, what=f"the postmortem of {incident_id}")

    def _next(self, workspace: str, incident_id: str, document: dict, author: str) -> dict:
        return self.repository.save_version(workspace, incident_id, self._stamped(document, author))

    def _stamped(self, document: dict, author: str) -> dict:
        """``document`` as the version after its own, by ``author``, now."""
        return {
            **document,
            "version": document["version"] + 1,
            "author": author,
            "updated_at": self.clock().isoformat(),
        }

    def action_items(self, workspace: str, status: str | None = None) -> list[dict]:
        """Every postmortem's action items in the workspace (filter by status), soonest due first."""
        rows = [
            {**item, "incident_id": incident_id, "postmortem_status": data["status"]}
            for incident_id, data in self.repository.index(workspace)
            for item in data["action_items"]
            if status in (None, item["status"])
        ]
        return sorted(rows, key=lambda r: (r.get("due_date") or "9999", r["incident_id"], r["id"]))


def _held_sent(entries) -> dict[tuple[str, str], str]:
    """When each page quiet hours held back was sent later, by (person, the end it was first held until)."""
    return {
        (t.data["person_id"], t.data["held_until"]): t.at.isoformat()
        for t in entries
        if t.type == "held_page_sent" and t.data and t.data.get("person_id") and t.data.get("held_until")
    }
