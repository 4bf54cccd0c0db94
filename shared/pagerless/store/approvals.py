"""Approval requests of the incident workflow, each holding the Step Functions task token.

The token is a credential: it lives only in this table, is never logged and never leaves
through the API (``ApprovalRecord.to_public`` omits it). A decision is one conditional write
(pending → approved / rejected / expired), so a token is returned to Step Functions at most once.
"""

from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

from pagerless.domain.actors import label
from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor, utcnow

PENDING, APPROVED, REJECTED, EXPIRED = "pending", "approved", "rejected", "expired"
STATUSES = (PENDING, APPROVED, REJECTED, EXPIRED)


class ByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = IncludeProjection(["incident_id", "approval_id", "workspace", "status", "requested_at", "expires_at",
                                        "timeout_seconds", "proposal", "decided_by", "decided_role", "decided_at",
                                        "comment", "note"])  # never the task token

    status_key = UnicodeAttribute(hash_key=True)  # "<workspace>#<status>"
    requested_key = UnicodeAttribute(range_key=True)  # "<requested_at iso>#<incident id>"


class ApprovalRecord(BaseModel):
    class Meta:
        table_name = TableName("approvals")
        region = Region()

    incident_id = UnicodeAttribute(hash_key=True)
    approval_id = UnicodeAttribute(range_key=True)  # "<requested_at iso>#<short uuid>": newest last
    workspace = UnicodeAttribute()
    status = UnicodeAttribute(default=PENDING)
    status_key = UnicodeAttribute()
    requested_key = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute(default=utcnow)
    expires_at = UTCDateTimeAttribute()
    timeout_seconds = NumberAttribute()
    execution_arn = UnicodeAttribute(default="")
    task_token = UnicodeAttribute()  # never returned, never logged
    proposal = JSONAttribute(default=dict)  # action, dry-run diff, policy decision
    decided_by = UnicodeAttribute(null=True)
    decided_by_name = UnicodeAttribute(null=True)  # the decider's name when they decided (not in by_status)
    decided_role = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)  # e.g. why an approval ended up expired

    by_status = ByStatus()

    def to_public(self) -> dict:
        """Everything but the task token."""
        return {"incident_id": self.incident_id, "approval_id": self.approval_id, "workspace": self.workspace,
                "status": self.status, "requested_at": self.requested_at.isoformat(),
                "expires_at": self.expires_at.isoformat(), "timeout_seconds": int(self.timeout_seconds),
                "proposal": self.proposal or {}, "decided_by": self.decided_by,
                "decided_by_name": self.decided_by_name or "",
                "decided_by_label": label(self.decided_by, self.decided_by_name) if self.decided_by else None,
                "decided_role": self.decided_role,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None, "comment": self.comment,
                "note": self.note}


class ApprovalRepository:
    def create(self, record: ApprovalRecord) -> ApprovalRecord:
        record.status_key = f"{record.workspace}#{record.status}"
        record.requested_key = f"{record.requested_at.isoformat()}#{record.incident_id}"
        record.save(condition=ApprovalRecord.approval_id.does_not_exist())
        return record

    def latest(self, incident_id: str) -> ApprovalRecord | None:
        """The incident's own latest approval (a runbook step's approval on the incident is not one)."""
        for record in ApprovalRecord.query(incident_id, scan_index_forward=False, consistent_read=True):
            if (record.proposal or {}).get("kind") != "runbook_step":
                return record
        return None

    def get(self, incident_id: str, approval_id: str) -> ApprovalRecord | None:
        try:
            return ApprovalRecord.get(incident_id, approval_id, consistent_read=True)
        except DoesNotExist:
            return None

    def decide(self, record: ApprovalRecord, status: str, *, actor: str, role: str = "", comment: str = "",
               note: str | None = None, expected: str = PENDING, actor_name: str = "") -> bool:
        """Move ``record`` from ``expected`` to ``status``; False if someone else decided first."""
        now = utcnow()
        actions = [ApprovalRecord.status.set(status), ApprovalRecord.status_key.set(f"{record.workspace}#{status}"),
                   ApprovalRecord.decided_by.set(actor), ApprovalRecord.decided_role.set(role),
                   ApprovalRecord.decided_at.set(now), ApprovalRecord.comment.set(comment)]
        if actor_name:
            actions.append(ApprovalRecord.decided_by_name.set(actor_name))
        if note is not None:
            actions.append(ApprovalRecord.note.set(note))
        try:
            record.update(actions=actions, condition=ApprovalRecord.status == expected)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                record.refresh(consistent_read=True)
                return False
            raise
        return True

    def rearm(self, record: ApprovalRecord, *, task_token: str, execution_arn: str, expires_at: datetime) -> None:
        """A pending approval waits again on a new execution's token (after a restart)."""
        record.update(actions=[ApprovalRecord.task_token.set(task_token),
                               ApprovalRecord.execution_arn.set(execution_arn),
                               ApprovalRecord.expires_at.set(expires_at)],
                      condition=ApprovalRecord.status == PENDING)

    def mark_expired(self, record: ApprovalRecord, note: str) -> None:
        """After Step Functions refused a decided token (it timed out first): say so, keep who tried."""
        record.update(actions=[ApprovalRecord.status.set(EXPIRED),
                               ApprovalRecord.status_key.set(f"{record.workspace}#{EXPIRED}"),
                               ApprovalRecord.note.set(note)])

    def list(self, workspace: str, status: str, *, limit: int = 50,
             cursor: str | None = None) -> tuple[list[ApprovalRecord], str | None]:
        results = ApprovalRecord.by_status.query(f"{workspace}#{status}", scan_index_forward=False, limit=limit,
                                                 last_evaluated_key=decode_cursor(cursor, ApprovalRecord, ApprovalRecord.by_status,
                                                                                   f"{workspace}#{status}"),
                                                 page_size=limit)
        items = list(results)
        return _with_names(items), encode_cursor(results.last_evaluated_key)


def _with_names(items: list[ApprovalRecord]) -> list[ApprovalRecord]:
    """The index does not project ``decided_by_name`` (changing a GSI's projection would replace it):
    decided items are read whole, in one batch, so lists show who decided by name too."""
    decided = [(i.incident_id, i.approval_id) for i in items if i.decided_by]
    if not decided:
        return items
    full = {(r.incident_id, r.approval_id): r for r in ApprovalRecord.batch_get(decided)}
    return [full.get((i.incident_id, i.approval_id), i) for i in items]


def approval_key(at: datetime, suffix: str) -> str:
    return f"{at.isoformat()}#{suffix}"
