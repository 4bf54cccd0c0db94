"""Runbook versions and drafts on the system table.

Versions are immutable: ``runbook#<workspace>`` / ``<id>#<version:05d>``, written once with a
condition. Deleting a runbook writes a tombstone (``runbook-deleted#<workspace>`` / ``<id>``); its
versions stay as history. Drafts (generated, not yet approved) live under ``runbook-draft#<workspace>``;
approving one first claims it under ``runbook-draft-approval#<workspace>`` / ``<id>#<created_at>``,
written once with a condition, so of two approvals at the same time exactly one saves a version.
"""

from pagerless.domain.errors import ConflictError
from pagerless.store.base import written
from pagerless.store.system import SystemRecord, SystemRepository


class RunbookStore:
    def __init__(self, workspace: str) -> None:
        self.workspace = workspace
        self.repo = SystemRepository()

    def put_version(self, runbook: dict) -> None:
        record = SystemRecord(
            f"runbook#{self.workspace}", f"{runbook['id']}#{int(runbook['version']):05d}", data=runbook
        )
        if not written(record.save, condition=SystemRecord.sk.does_not_exist()):
            raise ConflictError(
                f"runbook {runbook['id']} version {runbook['version']} already exists; versions are immutable"
            )
        deleted = self.repo.get(f"runbook-deleted#{self.workspace}", runbook["id"])
        if deleted is not None:
            deleted.delete()

    def versions(self, runbook_id: str) -> list[dict]:
        return [
            r.data
            for r in SystemRecord.query(
                f"runbook#{self.workspace}", SystemRecord.sk.startswith(f"{runbook_id}#"), consistent_read=True
            )
        ]

    def all_latest(self) -> dict[str, dict]:
        latest: dict[str, dict] = {}
        for record in SystemRecord.query(f"runbook#{self.workspace}"):
            latest[record.data["id"]] = record.data  # sorted by sk: the last version wins
        deleted = {r.sk for r in SystemRecord.query(f"runbook-deleted#{self.workspace}")}
        return {k: v for k, v in latest.items() if k not in deleted}

    def is_deleted(self, runbook_id: str) -> bool:
        return self.repo.get(f"runbook-deleted#{self.workspace}", runbook_id) is not None

    def delete(self, runbook_id: str, actor: str) -> None:
        self.repo.put(f"runbook-deleted#{self.workspace}", runbook_id, {"deleted_by": actor})

    def put_draft(self, draft: dict) -> None:
        self.repo.put(f"runbook-draft#{self.workspace}", draft["draft_id"], draft)

    def get_draft(self, draft_id: str) -> dict | None:
        record = self.repo.get(f"runbook-draft#{self.workspace}", draft_id)
        return record.data if record else None

    def claim_draft(self, draft: dict, actor: str) -> str | None:
        """Claim the draft for ``actor``'s approval: None if this one won, else who holds it."""
        key = f"{draft['draft_id']}#{draft.get('created_at', '')}"
        if self.repo.put_if_absent(f"runbook-draft-approval#{self.workspace}", key, {"approved_by": actor}):
            return None
        held = self.repo.get(f"runbook-draft-approval#{self.workspace}", key)
        return (held.data if held else {}).get("approved_by") or "someone else"

    def release_draft(self, draft: dict) -> None:
        """The claimed approval saved nothing (its version was refused): the draft may be approved again."""
        record = self.repo.get(
            f"runbook-draft-approval#{self.workspace}", f"{draft['draft_id']}#{draft.get('created_at', '')}"
        )
        if record is not None:
            record.delete()

    def drafts(self) -> list[dict]:
        return [r.data for r in self.repo.list(f"runbook-draft#{self.workspace}")]
