"""Schedules, overrides and escalation policies: CRUD, which policy an incident escalates through, and what still
names a person or a channel (quiet hours: `oncall.quiet_hours`; who a step reaches at a moment: `oncall.resolution`).

The service turns validated documents into stored JSON and stored JSON into the pure types of
`schedules` and `policies`; the store is the only code that speaks DynamoDB. A write that names people or
schedules, and a delete of one, checks and writes as one turn of the workspace's reference ledger
(`store.references.in_turn`): what it checked still holds when it is written."""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pagerless.clock import parse_time, utcnow
from pagerless.domain.errors import ConflictError, NotFoundError, ValidationError
from pagerless.domain.preconditions import IfMatch, precondition_failed
from pagerless.oncall import channel_targets, handoff_changes, models, policies, schedules
from pagerless.store import references
from pagerless.store.handoffs import deleted_note
from pagerless.store.oncall import (
    POLICIES,
    SCHEDULES,
    DocumentRepository,
    OverrideRepository,
    person_deleted_note,
)

T = TypeVar("T")


def check_people(workspace: str, person_ids: list[str]) -> None:
    """Every person id must name a person of the workspace (pagerless.people)."""
    from pagerless.people.service import PeopleService

    people = PeopleService()
    missing = sorted({p for p in person_ids if people.find(workspace, p) is None})
    if missing:
        details = [{"person_id": p} for p in missing]
        raise ValidationError("unknown person ids: add them under /api/people first", details=details)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class OncallService:
    def __init__(self) -> None:
        self.schedules = DocumentRepository(SCHEDULES)
        self.policies = DocumentRepository(POLICIES)
        self.overrides = OverrideRepository()

    # ------------------------------------------------------------------ schedules
    def list_schedules(self, workspace: str) -> list[dict]:
        return sorted(self.schedules.list(workspace), key=lambda d: (d["name"], d["id"]))

    def get_schedule(self, workspace: str, schedule_id: str) -> dict:
        return self.read_schedule(workspace, schedule_id)[0]

    def read_schedule(self, workspace: str, schedule_id: str) -> tuple[dict, int]:
        """The schedule and its stored version (its ETag's)."""
        found = self.schedules.get_versioned(workspace, schedule_id)
        if found is None:
            raise NotFoundError(f"schedule {schedule_id} not found")
        return found

    def create_schedule(self, workspace: str, body: models.ScheduleIn, actor: str) -> dict:
        now = utcnow().isoformat()
        doc = {
            "id": _new_id("sch"),
            "workspace": workspace,
            **body.model_dump(mode="json"),
            "created_at": now,
            "updated_at": now,
            "updated_by": actor,
        }

        def create(at: references.Seen) -> dict:
            check_people(workspace, [p for layer in body.layers for p in layer.participants])
            self._check_services(workspace, body.services)
            self.schedules.create(workspace, doc["id"], doc, at)
            return doc

        return references.in_turn(workspace, create, what="the schedule")

    def update_schedule(
        self, workspace: str, schedule_id: str, body: models.ScheduleIn, actor: str, if_match: IfMatch | None = None
    ) -> tuple[dict, int]:
        """Replace the schedule's definition, only if it is still the version ``if_match`` names (412 if not);
        without ``if_match``, whatever is stored. The document and the version written."""

        def update(at: references.Seen) -> tuple[dict, int]:
            current = self.get_schedule(workspace, schedule_id)
            check_people(workspace, [p for layer in body.layers for p in layer.participants])
            added = [s for s in body.services if s not in (current.get("services") or [])]
            self._check_services(workspace, added, schedule_id)
            now = utcnow()
            doc = {**current, **body.model_dump(mode="json"), "updated_at": now.isoformat(), "updated_by": actor}
            doc |= handoff_changes.edit_mark(current, self.overrides.list(workspace, schedule_id), now)
            what = f"schedule {schedule_id}"
            return doc, self._replaced(self.schedules, workspace, schedule_id, doc, if_match, what=what, at=at)

        return references.in_turn(workspace, update, what=f"schedule {schedule_id}")

    def delete_schedule(self, workspace: str, schedule_id: str) -> None:
        def delete(at: references.Seen) -> None:
            users = [
                p["id"]
                for p in self.policies.list(workspace)
                if any(t["kind"] == "schedule" and t["id"] == schedule_id for s in p["steps"] for t in s["targets"])
            ]
            if users:
                raise ConflictError(
                    f"schedule {schedule_id} is a target of escalation policies",
                    details=[{"policy_id": p} for p in users],
                )
            if not self.schedules.delete(workspace, schedule_id, at):
                raise NotFoundError(f"schedule {schedule_id} not found")

        references.in_turn(workspace, delete, what=f"the deletion of schedule {schedule_id}")
        self.overrides.delete_all(workspace, schedule_id)  # none can be added now: adding one checks the schedule

    def _check_services(self, workspace: str, services: list[str], schedule_id: str | None = None) -> None:
        """One schedule answers who is on call for a service: a service another schedule lists is refused (409,
        naming it). A second rotation for the service is a layer of that schedule, or a schedule that lists no
        service, which a policy's later step pages."""
        taken = [
            {"service": name, "schedule_id": doc["id"], "schedule_name": doc["name"]}
            for doc in self.list_schedules(workspace)
            if doc["id"] != schedule_id
            for name in dict.fromkeys(services)
            if name in (doc.get("services") or [])
        ]
        if taken:
            said = ", ".join(f"{t['service']!r} by {t['schedule_name']!r} ({t['schedule_id']})" for t in taken)
            raise ConflictError(
                f"services are covered by another schedule already: {said}; one schedule answers who is on call "
                "for a service (add a layer to it, or leave the service out of this one)",
                details=taken,
            )

    def schedule(self, workspace: str, schedule_id: str) -> schedules.Schedule:
        """The schedule with its overrides, ready to resolve."""
        return models.to_schedule(
            self.get_schedule(workspace, schedule_id), self.overrides.list(workspace, schedule_id)
        )

    # ------------------------------------------------------------------ overrides
    def list_overrides(self, workspace: str, schedule_id: str) -> list[dict]:
        self.get_schedule(workspace, schedule_id)
        # By the moment: the stored text keeps the offset it was given in, so it does not sort by time.
        return sorted(self.overrides.list(workspace, schedule_id), key=lambda o: (parse_time(o["start"]), o["id"]))

    def create_override(self, workspace: str, schedule_id: str, body: models.OverrideIn, actor: str) -> dict:
        doc = {
            "id": _new_id("ovr"),
            "schedule_id": schedule_id,
            "person_id": body.person_id,
            "start": body.start.isoformat(),
            "end": body.end.isoformat(),
            "created_by": actor,
            "created_at": utcnow().isoformat(),
        }

        def create(at: references.Seen) -> dict:
            self.get_schedule(workspace, schedule_id)
            check_people(workspace, [body.person_id])
            self.overrides.put(workspace, schedule_id, doc, at)
            return doc

        return references.in_turn(workspace, create, what="the override")

    def delete_override(self, workspace: str, schedule_id: str, override_id: str, now: datetime | None = None) -> None:
        """Delete the override; one in force is noted in its transaction: the handoff check tells who is off call."""
        now = now or utcnow()

        def delete(at: references.Seen) -> None:
            override = self.overrides.get(workspace, schedule_id, override_id)
            if override is not None and parse_time(override["start"]) <= now < parse_time(override["end"]):
                at = at.joined(deleted_note(workspace, schedule_id, override, now))
            if override is None or not self.overrides.delete(workspace, schedule_id, override_id, at):
                raise NotFoundError(f"override {override_id} not found")

        references.in_turn(workspace, delete, what=f"the deletion of override {override_id}")

    # ------------------------------------------------------------------ policies
    def list_policies(self, workspace: str) -> list[dict]:
        return sorted(self.policies.list(workspace), key=lambda d: (d["created_at"], d["id"]))

    def get_policy(self, workspace: str, policy_id: str) -> dict:
        return self.read_policy(workspace, policy_id)[0]

    def read_policy(self, workspace: str, policy_id: str) -> tuple[dict, int]:
        """The policy and its stored version (its ETag's)."""
        found = self.policies.get_versioned(workspace, policy_id)
        if found is None:
            raise NotFoundError(f"escalation policy {policy_id} not found")
        return found

    def create_policy(self, workspace: str, body: models.PolicyIn, actor: str) -> dict:
        now = utcnow().isoformat()
        doc = {
            "id": _new_id("pol"),
            "workspace": workspace,
            **body.model_dump(mode="json"),
            "created_at": now,
            "updated_at": now,
            "updated_by": actor,
        }

        def create(at: references.Seen) -> dict:
            self._check_targets(workspace, body)
            self.policies.create(workspace, doc["id"], doc, at)
            return doc

        return references.in_turn(workspace, create, what="the escalation policy")

    def update_policy(
        self, workspace: str, policy_id: str, body: models.PolicyIn, actor: str, if_match: IfMatch | None = None
    ) -> tuple[dict, int]:
        """Replace the policy, only if it is still the version ``if_match`` names (412 if not); without
        ``if_match``, whatever is stored. The document and the version written."""

        def update(at: references.Seen) -> tuple[dict, int]:
            current = self.get_policy(workspace, policy_id)
            self._check_targets(workspace, body)
            doc = {**current, **body.model_dump(mode="json"), "updated_at": utcnow().isoformat(), "updated_by": actor}
            what = f"escalation policy {policy_id}"
            return doc, self._replaced(self.policies, workspace, policy_id, doc, if_match, what=what, at=at)

        return references.in_turn(workspace, update, what=f"escalation policy {policy_id}")

    @staticmethod
    def _replaced(
        documents: DocumentRepository,
        workspace: str,
        doc_id: str,
        doc: dict,
        if_match: IfMatch | None,
        *,
        what: str,
        at: references.Seen,
    ) -> int:
        """Write ``doc`` over the stored one (conditional on ``if_match``): the version written. A refused write
        is a 404 when the document is gone, else a 412 (or, without ``if_match``, another turn)."""
        version = documents.replace(workspace, doc_id, doc, if_match, at)
        if version is not None:
            return version
        stored = documents.get_versioned(workspace, doc_id)
        if stored is None:
            raise NotFoundError(f"{what} not found")
        if if_match is None:
            raise references.ReferencesMoved  # written meanwhile by something outside the ledger: read it again
        raise precondition_failed(what, stored[1], if_match=if_match)

    def delete_policy(self, workspace: str, policy_id: str) -> None:
        if not self.policies.delete(workspace, policy_id):
            raise NotFoundError(f"escalation policy {policy_id} not found")

    def release_person(self, workspace: str, person_id: str, delete: Callable[[references.Seen], T]) -> T:
        """``delete(at)`` the person unless something still pages them (409, naming the uses): the check and the
        delete as one turn of the reference ledger, so no schedule or policy can name them in between."""

        def release(at: references.Seen) -> T:
            uses = self.uses_of_person(workspace, person_id)
            if uses:
                raise ConflictError(
                    f"person {person_id} is on call or an escalation target: replace them there first", details=uses
                )
            # with the delete, a note that a page held back for them now reaches nobody (`oncall.held`)
            return delete(at.joined(person_deleted_note(workspace, person_id)))

        return references.in_turn(workspace, release, what=f"the deletion of person {person_id}")

    def uses_of_person(self, workspace: str, person_id: str, now: datetime | None = None) -> list[dict]:
        """What would still page the person: schedule layers, overrides not yet ended, policy steps."""
        now = now or utcnow()
        uses = []
        for doc in self.schedules.list(workspace):
            if any(person_id in (layer.get("participants") or []) for layer in doc.get("layers") or []):
                uses.append({"schedule_id": doc["id"]})
            uses += [
                {"schedule_id": doc["id"], "override_id": o["id"]}
                for o in self.overrides.list(workspace, doc["id"])
                if o["person_id"] == person_id and parse_time(o["end"]) > now
            ]
        uses += [
            {"policy_id": doc["id"]}
            for doc in self.policies.list(workspace)
            if any(t["kind"] == "person" and t["id"] == person_id for s in doc["steps"] for t in s["targets"])
        ]
        return uses

    def uses_of_channel(self, workspace: str, channel_id: str, renamed_to: str | None = None) -> list[dict]:
        """The policy steps that would page nobody without the channel (or, ``renamed_to``, under its old name)."""
        return channel_targets.uses_of_channel(
            self.list_policies(workspace), channel_targets.workspace_channels(workspace), channel_id, renamed_to
        )

    def keep_channel(self, workspace: str, channel_id: str, renamed_to: str | None = None) -> None:
        """Refuse (409, naming them) to let the channel go, or its name change to ``renamed_to``, while escalation
        policies page it (by that name) and no other channel: a step would page a channel that does not exist."""
        uses = self.uses_of_channel(workspace, channel_id, renamed_to)
        if uses:
            change = "deleted" if renamed_to is None else f"renamed to {renamed_to!r}"
            raise ConflictError(
                f"channel {channel_id} is a target of escalation policies: {change}, their steps would page nobody; "
                "change their steps first",
                details=uses,
            )

    def _check_targets(self, workspace: str, body: models.PolicyIn) -> None:
        check_people(workspace, [t.id for s in body.steps for t in s.targets if t.kind == "person"])
        missing = [
            {"step": i, "schedule_id": t.id}
            for i, s in enumerate(body.steps)
            for t in s.targets
            if t.kind == "schedule" and self.schedules.get(workspace, t.id) is None
        ]
        if missing:
            raise ValidationError("escalation policy names schedules that do not exist", details=missing)
        channel_targets.check_channel_targets(workspace, body)

    def select_policy(self, workspace: str, service: str | None, severity: str) -> policies.Policy | None:
        """The one place that decides which policy an incident escalates through (see policies.select_policy)."""
        return policies.select_policy([models.to_policy(d) for d in self.policies.list(workspace)], service, severity)

    def schedules_for_service(self, workspace: str, service: str) -> list[dict]:
        """The schedules that list ``service``, the one that answers for it first: the oldest (by creation, then
        id). One at most, unless stored before a second was refused (`_check_services`); never empty (404)."""
        found = sorted(
            (doc for doc in self.schedules.list(workspace) if service in (doc.get("services") or [])),
            key=lambda d: (d.get("created_at") or "", d["id"]),
        )
        if not found:
            hint = {"field": "service", "hint": "list the service in a schedule's services"}
            raise NotFoundError(f"no schedule covers service {service!r}", details=[hint])
        return found
