"""On-call records on the system table: schedules, overrides, escalation policies, quiet hours (escalation
state: `store.escalations`; the handoff check's records: `store.handoffs`).

Documents are stored as validated JSON (the oncall service shapes them) with a ``version`` each write
raises; a replace is conditional on the request's If-Match (`store.versions.replace_if_match`). Writes given ``at``
(what the workspace's reference ledger was when their checks began) are made with the ledger's update, so a
reference checked cannot dangle (`store.references`); their reads are strongly consistent.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from pagerless.clock import stored_zone, utcnow
from pagerless.domain.preconditions import FIRST_VERSION, IfMatch
from pagerless.store.base import written
from pagerless.store.references import Seen, Write, commit
from pagerless.store.system import SystemRecord
from pagerless.store.versions import replace_if_match, replacement, retire, version_of

SCHEDULES, POLICIES = "oncall-schedule", "escalation-policy"


def _overrides_pk(workspace: str, schedule_id: str) -> str:
    return f"oncall-override#{workspace}#{schedule_id}"


def _read(data: dict) -> dict:
    """A stored schedule or quiet hours as read: a zone stored as `localtime` is UTC (`clock.stored_zone`)."""
    if "timezone" not in data:
        return data
    return {**data, "timezone": stored_zone(data["timezone"])}


class DocumentRepository:
    """Workspace-scoped JSON documents under one partition (schedules or policies)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def list(self, workspace: str) -> list[dict]:
        query = SystemRecord.query(self.kind, SystemRecord.sk.startswith(f"{workspace}#"), consistent_read=True)
        return [_read(r.data) for r in query]

    def list_all(self) -> list[tuple[str, dict]]:
        return [(r.sk.split("#", 1)[0], _read(r.data)) for r in SystemRecord.query(self.kind)]

    def get(self, workspace: str, doc_id: str) -> dict | None:
        found = self.get_versioned(workspace, doc_id)
        return found[0] if found is not None else None

    def get_versioned(self, workspace: str, doc_id: str) -> tuple[dict, int] | None:
        """The document and its stored version (0: stored before versions)."""
        try:
            record = SystemRecord.get(self.kind, f"{workspace}#{doc_id}", consistent_read=True)
        except DoesNotExist:
            return None
        return _read(record.data), version_of(record)

    def create(self, workspace: str, doc_id: str, data: dict, at: Seen | None = None) -> bool:
        """Write a new document as its first version, only if it does not exist (False if it does)."""
        record = SystemRecord(self.kind, f"{workspace}#{doc_id}", data=data, updated_at=utcnow(), version=FIRST_VERSION)
        if at is not None:
            return commit(at, Write("save", record, SystemRecord.pk.does_not_exist()))
        return written(record.save, condition=SystemRecord.pk.does_not_exist())

    def replace(
        self, workspace: str, doc_id: str, data: dict, if_match: IfMatch | None = None, at: Seen | None = None
    ) -> int | None:
        """Replace an existing document if the stored version is what ``if_match`` expects (always, without it):
        the version written, or None and nothing written (gone, or another write came first)."""
        record = SystemRecord(self.kind, f"{workspace}#{doc_id}", data=data)
        if at is None:
            return replace_if_match(record, if_match)
        current = self.get_versioned(workspace, doc_id)
        replacing = replacement(record, if_match)
        if current is None or replacing is None:
            return None
        actions, condition = replacing
        read = SystemRecord.version.does_not_exist() if current[1] == 0 else SystemRecord.version == current[1]
        # every write of it goes through the ledger, so the version read after ``at`` is the one replaced
        if not commit(at, Write("update", record, condition & read, tuple(actions))):
            return None
        return current[1] + 1

    def delete(self, workspace: str, doc_id: str, at: Seen | None = None) -> bool:
        record = SystemRecord(self.kind, f"{workspace}#{doc_id}")
        if at is not None:
            return commit(at, Write("delete", record, SystemRecord.pk.exists()))
        return written(record.delete, condition=SystemRecord.pk.exists())


class OverrideRepository:
    def list(self, workspace: str, schedule_id: str) -> list[dict]:
        return [r.data for r in SystemRecord.query(_overrides_pk(workspace, schedule_id), consistent_read=True)]

    def get(self, workspace: str, schedule_id: str, override_id: str) -> dict | None:
        try:
            return SystemRecord.get(_overrides_pk(workspace, schedule_id), override_id, consistent_read=True).data
        except DoesNotExist:
            return None

    def put(self, workspace: str, schedule_id: str, override: dict, at: Seen | None = None) -> None:
        record = SystemRecord(_overrides_pk(workspace, schedule_id), override["id"], data=override, updated_at=utcnow())
        if at is not None:
            commit(at, Write("save", record))
        else:
            record.save()

    def delete(self, workspace: str, schedule_id: str, override_id: str, at: Seen | None = None) -> bool:
        """Delete the override (with ``at.also``, given ``at``); False if it was not there."""
        record = SystemRecord(_overrides_pk(workspace, schedule_id), override_id)
        if at is not None:
            return commit(at, Write("delete", record, SystemRecord.pk.exists()))
        return written(record.delete, condition=SystemRecord.pk.exists())

    def delete_all(self, workspace: str, schedule_id: str) -> None:
        for record in SystemRecord.query(_overrides_pk(workspace, schedule_id)):
            record.delete()


class QuietHoursRepository:
    def get(self, workspace: str, person_id: str) -> dict | None:
        found = self.get_versioned(workspace, person_id)
        return found[0] if found is not None else None

    def get_versioned(self, workspace: str, person_id: str) -> tuple[dict, int] | None:
        """The quiet hours and their stored version (0: stored before versions); None if none (or deleted)."""
        try:
            record = SystemRecord.get(f"oncall-quiet#{workspace}", person_id, consistent_read=True)
        except DoesNotExist:
            return None
        if not record.data:  # deleted (`delete`): the item keeps only its version (its data reads as the default, {})
            return None
        return _read(record.data), version_of(record)

    def put(self, workspace: str, person_id: str, data: dict, if_match: IfMatch | None = None) -> int | None:
        """Set the quiet hours (created without ``if_match``): the version written, or None and nothing
        written when ``if_match`` does not hold."""
        record = SystemRecord(f"oncall-quiet#{workspace}", person_id, data=data)
        return replace_if_match(record, if_match, upsert=True)

    def delete(self, workspace: str, person_id: str) -> bool:
        """Delete the quiet hours, keeping their version (`store.versions.retire`): quiet hours set again go on
        from it, so an ETag read before the delete does not match them. False if there were none."""
        return retire(SystemRecord(f"oncall-quiet#{workspace}", person_id))


def person_deleted_note(workspace: str, person_id: str) -> Write:
    """The note that the person was deleted, where the functions that release held pages read (they may not read
    the people table): a page held back for them reaches nobody (`oncall.held`). Person ids are never reused. It is
    written in the transaction that deletes the person (`references.Seen.joined`): a crash between two writes
    would leave the person gone and their held page sent to nobody as if it reached them."""
    return Write("save", SystemRecord("person-deleted", f"{workspace}#{person_id}", data={}, updated_at=utcnow()))


def person_deleted(workspace: str, person_id: str) -> bool:
    """Whether the person's deletion wrote its `person_deleted_note`."""
    try:
        SystemRecord.get("person-deleted", f"{workspace}#{person_id}", consistent_read=True)
    except DoesNotExist:
        return False
    return True


def claim_release(key: str, data: dict) -> bool:
    """Record what became of a page held back by quiet hours once they ended (``key``: incident, escalation, person
    and end); False if that was recorded already (a retried release)."""
    record = SystemRecord("escalation-held-release", key, data=data, updated_at=utcnow())
    return written(record.save, condition=SystemRecord.pk.does_not_exist())


def release_claimed(key: str) -> dict | None:
    """What `claim_release` recorded for ``key``, or None."""
    try:
        return SystemRecord.get("escalation-held-release", key, consistent_read=True).data
    except DoesNotExist:
        return None
