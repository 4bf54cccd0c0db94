"""Runbook versions and drafts on the system table.

Versions are immutable: ``runbook#<workspace>`` / ``<id>#<version:05d>``, written once with a
condition. Deleting a runbook writes a tombstone (``runbook-deleted#<workspace>`` / ``<id>``); its
versions stay as history. Drafts (generated, not yet approved) live under ``runbook-draft#<workspace>``.
"""

from pynamodb.exceptions import PutError

from pagerless.domain.errors import ConflictError
from pagerless.store.system import SystemRecord, SystemRepository


class RunbookStore:
    def __init__(self, workspace: str) -> None:
        self.workspace = workspace
        self.repo = SystemRepository()

    def put_version(self, runbook: dict) -> None:
        record = SystemRecord(
            f"runbook#{self.workspace}", f"{runbook['id']}#{int(runbook['version']):05d}", data=runbook
        )
        try:
            record.save(condition=SystemRecord.sk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ConflictError(
                    f"runbook {runbook['id']} version {runbook['version']} already exists; versions are immutable"
                ) from exc
            raise
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

    def drafts(self) -> list[dict]:
        return [r.data for r in self.repo.list(f"runbook-draft#{self.workspace}")]
