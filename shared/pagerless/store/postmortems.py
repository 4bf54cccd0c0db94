"""Postmortems, versioned (reports table): every save is a new version, written only if that version
number is still free, so two concurrent edits of the same version cannot both win. A version and the
index entry naming it are one transaction: a save that fails leaves neither, so the index never names
a version older or newer than the stored latest.

- version: pk ``<workspace>#postmortem#<incident id>``, sk ``v00001``…: the whole document.
- index: pk ``<workspace>#postmortems``, sk ``<incident id>``: the latest version's number, status and
  action items (what the workspace-wide action-item list reads).
"""

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.store.base import Region, lost_race
from pagerless.store.reports import ReportRecord


def _versions(workspace: str, incident_id: str) -> str:
    return f"{workspace}#postmortem#{incident_id}"


def _index(workspace: str) -> str:
    return f"{workspace}#postmortems"


class PostmortemRepository:
    def save_version(self, workspace: str, incident_id: str, document: dict) -> dict:
        """Store ``document`` as its version; a ConflictError if another save took that version first."""
        saved = self.save_version_if_free(workspace, incident_id, document)
        if saved is None:
            version = int(document["version"])
            raise ConflictError(
                f"postmortem of {incident_id} changed meanwhile: version {version} exists",
                details=[{"version": version}],
            )
        return saved

    def save_version_if_free(self, workspace: str, incident_id: str, document: dict) -> dict | None:
        """Store ``document`` as its version; None, and nothing written, if another save took that version first."""
        version = int(document["version"])
        now = utcnow()
        record = ReportRecord(
            _versions(workspace, incident_id),
            f"v{version:05d}",
            report_type="postmortem",
            data=document,
            created_at=now,
        )
        index = ReportRecord(
            _index(workspace),
            incident_id,
            report_type="postmortem",
            data={
                "version": version,
                "status": document["status"],
                "title": document["title"],
                "action_items": document["action_items"],
            },
            created_at=now,
        )
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, ReportRecord))) as tx:
                tx.save(record, condition=ReportRecord.sk.does_not_exist())
                tx.save(index)
        except TransactWriteError as exc:
            # the version taken, or the index entry in another save's transaction at this moment (which
            # took this version, or will have when the caller reads again)
            if lost_race(exc):
                return None
            raise
        return document

    def latest(self, workspace: str, incident_id: str, *, consistent: bool = False) -> dict | None:
        """The newest version; ``consistent``: read after every save that succeeded (an edit applied again
        after losing to another save must read that save's version)."""
        rows = list(
            ReportRecord.query(
                _versions(workspace, incident_id), scan_index_forward=False, limit=1, consistent_read=consistent
            )
        )
        return rows[0].data if rows else None

    def version(self, workspace: str, incident_id: str, version: int) -> dict:
        rows = list(ReportRecord.query(_versions(workspace, incident_id), ReportRecord.sk == f"v{version:05d}"))
        if not rows:
            raise NotFoundError(f"postmortem of {incident_id} has no version {version}")
        return rows[0].data

    def versions(self, workspace: str, incident_id: str) -> list[dict]:
        return [
            {
                "version": r.data["version"],
                "status": r.data["status"],
                "author": r.data.get("author"),
                "created_at": r.created_at.isoformat(),
            }
            for r in ReportRecord.query(_versions(workspace, incident_id))
        ]

    def index(self, workspace: str) -> list[tuple[str, dict]]:
        return [(r.sk, r.data) for r in ReportRecord.query(_index(workspace))]
