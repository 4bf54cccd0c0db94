"""Stored reports and per-workspace report settings (one table, pk/sk), and the facts reports read.

- report: pk ``<workspace>#report``, sk the report id (``daily-2026-12-01``, ``weekly-2026-11-23``);
  created with a conditional write, so an hourly tick that runs twice stores (and delivers) it once.
  ``delivery_claimed_at``: a tick is delivering it (the creating tick, or one that retries a delivery
  that failed); a claim older than the function's timeout is taken over.
- settings: pk ``settings``, sk ``<workspace>``: time zone, language, which reports, e-mail recipients; a
  document a PUT replaces whole, with a ``version`` each write raises, written on the condition the request's
  If-Match puts on it (`store.versions.replace_if_match`).
"""

from datetime import UTC, datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.domain.approvals import APPROVED, EXPIRED, PENDING, REJECTED, Approval
from pagerless.domain.errors import NotFoundError
from pagerless.domain.incidents import ACTIVE_STATUSES
from pagerless.domain.preconditions import IfMatch
from pagerless.store.approvals import ApprovalRecord, to_domain
from pagerless.store.base import BaseModel, Region, TableName, written
from pagerless.store.incident_records import ACTIVE_END
from pagerless.store.incident_updates import index_ends
from pagerless.store.incidents import IncidentRecord
from pagerless.store.versions import replace_if_match, version_of


class ReportRecord(BaseModel):
    class Meta:
        table_name = TableName("reports")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    report_type = UnicodeAttribute(null=True)
    period_start = UnicodeAttribute(null=True)
    period_end = UnicodeAttribute(null=True)
    data = JSONAttribute(default=dict)
    delivery = JSONAttribute(default=dict)
    delivery_claimed_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(null=True)  # settings: their last write
    version = NumberAttribute(null=True)  # settings: raised by each write


def _reports(workspace: str) -> str:
    return f"{workspace}#report"


class ReportRepository:
    def create(
        self,
        workspace: str,
        report_id: str,
        report_type: str,
        data: dict,
        *,
        replace: bool,
        delivery: dict | None = None,
        claimed_at: datetime | None = None,
    ) -> ReportRecord | None:
        """Store a report; without ``replace`` an existing id wins and None is returned. ``delivery``: what
        was delivered of it already (a regenerated report keeps it); ``claimed_at``: the caller delivers it."""
        record = ReportRecord(
            _reports(workspace),
            report_id,
            report_type=report_type,
            period_start=data["period_start"],
            period_end=data["period_end"],
            data=data,
            delivery=delivery or {},
            delivery_claimed_at=claimed_at,
            created_at=utcnow(),
        )
        if not written(record.save, condition=None if replace else ReportRecord.sk.does_not_exist()):
            return None
        return record

    def find(self, workspace: str, report_id: str) -> ReportRecord | None:
        try:
            return ReportRecord.get(_reports(workspace), report_id, consistent_read=True)
        except DoesNotExist:
            return None

    def get(self, workspace: str, report_id: str) -> ReportRecord:
        try:
            return ReportRecord.get(_reports(workspace), report_id, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFoundError(f"report {report_id} not found") from exc

    def all(self, workspace: str) -> list[ReportRecord]:
        return list(ReportRecord.query(_reports(workspace)))

    def delete(self, workspace: str, report_id: str) -> None:
        self.get(workspace, report_id).delete()

    def claim_delivery(self, record: ReportRecord, now: datetime, stale_before: datetime) -> bool:
        """Take the report's delivery unless another caller is delivering it (a claim since ``stale_before``)."""
        return written(
            record.update,
            actions=[ReportRecord.delivery_claimed_at.set(now)],
            condition=ReportRecord.sk.exists()
            & (ReportRecord.delivery_claimed_at.does_not_exist() | (ReportRecord.delivery_claimed_at < stale_before)),
        )

    def set_delivery(self, record: ReportRecord, delivery: dict) -> None:
        """Record what was delivered, and end the caller's claim."""
        record.update(actions=[ReportRecord.delivery.set(delivery), ReportRecord.delivery_claimed_at.remove()])

    # ------------------------------------------------------------------ settings
    def settings(self, workspace: str) -> dict | None:
        found = self.settings_versioned(workspace)
        return found[0] if found is not None else None

    def settings_versioned(self, workspace: str) -> tuple[dict, int] | None:
        """The workspace's settings and their stored version (0: stored before versions); None if never stored."""
        try:
            record = ReportRecord.get("settings", workspace, consistent_read=True)
        except DoesNotExist:
            return None
        return record.data, version_of(record)

    def put_settings(self, workspace: str, settings: dict, if_match: IfMatch | None = None) -> int | None:
        """Replace the settings (created without ``if_match``): the version written, or None and nothing written
        when ``if_match`` does not hold for what is stored."""
        return replace_if_match(ReportRecord("settings", workspace, data=settings), if_match, upsert=True)

    def workspaces_with_settings(self) -> dict[str, dict]:
        return {r.sk: r.data for r in ReportRecord.query("settings")}


def incidents_opened(workspace: str, start: datetime, end: datetime) -> list[IncidentRecord]:
    """Incidents of the workspace created in [start, end) (created_key is the creation time, UTC)."""
    lo, hi = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
    return list(IncidentRecord.by_workspace.query(workspace, IncidentRecord.created_key.between(lo, f"{hi}")))


def open_incidents(workspace: str) -> int:
    """How many incidents of the workspace are active (not resolved), however long ago they opened, a storm's
    correlated children not counted apart from their root: a count query of the active entries of the
    workspace's `by_end` index (the active incidents only, not the workspace's history)."""
    index_ends()
    return IncidentRecord.by_end.count(
        workspace, IncidentRecord.end_key == ACTIVE_END, filter_condition=IncidentRecord.parent_id.does_not_exist()
    )


def active_roots(workspace: str) -> list[IncidentRecord]:
    """The workspace's active incidents that are not correlated children, however long ago they opened, newest
    first: the active entries of the `by_end` index (those `open_incidents` counts), then their items in one
    BatchGetItem (the index holds what the SLO reads need, not what the digest lists)."""
    index_ends()
    ids = [
        entry.id
        for entry in IncidentRecord.by_end.query(
            workspace, IncidentRecord.end_key == ACTIVE_END, filter_condition=IncidentRecord.parent_id.does_not_exist()
        )
    ]
    found = IncidentRecord.batch_get(ids) if ids else []
    active = {s.value for s in ACTIVE_STATUSES}
    # the index is eventually consistent: an item resolved or correlated meanwhile is left out
    roots = [r for r in found if r.workspace == workspace and r.status in active and r.parent_id is None]
    return sorted(roots, key=lambda r: r.created_key, reverse=True)


def incidents_reopened(
    workspace: str, start: datetime, end: datetime
) -> dict[str, tuple[IncidentRecord, list[datetime]]]:
    """Incidents of the workspace reopened in [start, end), with the times of those reopens: a query of
    the timeline's sparse `reopens` index, then one BatchGetItem of the incidents."""
    from pagerless.store.timeline import reopens_between

    reopens = reopens_between(workspace, start, end)
    records = IncidentRecord.batch_get(list(reopens)) if reopens else []
    return {r.id: (r, reopens[r.id]) for r in records if r.workspace == workspace}


def approvals_requested(workspace: str, start: datetime, end: datetime) -> list[Approval]:
    lo, hi = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
    rows = []
    for status in (APPROVED, REJECTED, PENDING, EXPIRED):
        rows += [
            to_domain(r)
            for r in ApprovalRecord.by_status.query(
                f"{workspace}#{status}", ApprovalRecord.requested_key.between(lo, hi)
            )
        ]
    return rows
