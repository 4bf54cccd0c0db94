"""Approval requests in DynamoDB, each holding the Step Functions task token (see ``domain.approvals``).

The token lives only in this table, is never logged and never leaves through the API. The
repository speaks ``Approval`` domain objects; ``ApprovalRecord`` stays in here. A decision is one
conditional write (pending → approved / rejected / expired), so a token is returned to Step
Functions at most once.

An approved or rejected approval whose decision has not reached its token yet carries
``undelivered`` and ``undelivered_since``, the keys of the sparse, KEYS_ONLY ``undelivered`` index:
set in the write that records the decision (or hands it over to a new token), stamped anew when
the sweep takes its sending over (``claim``), removed once Step Functions took it (or refused it:
see ``approval_tokens``). The scheduled `approval-sweep` reads only that index, so its cost follows
the decisions undelivered now (docs/writes.md).
"""

from dataclasses import fields
from datetime import datetime, timedelta

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from pagerless.clock import utcnow
from pagerless.domain.approvals import APPROVED, EXPIRED, PENDING, REJECTED, Approval, Via
from pagerless.store.base import BaseModel, Region, TableName, decode_cursor, encode_cursor, written

_FIELDS = [f.name for f in fields(Approval)]
UNDELIVERED = "decision"  # the one value of ``undelivered``: the index's one partition


class ByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = IncludeProjection(
            [
                "incident_id",
                "approval_id",
                "workspace",
                "status",
                "requested_at",
                "expires_at",
                "timeout_seconds",
                "proposal",
                "decided_by",
                "decided_role",
                "decided_at",
                "comment",
                "note",
            ]
        )  # never the task token

    status_key = UnicodeAttribute(hash_key=True)  # "<workspace>#<status>"
    requested_key = UnicodeAttribute(range_key=True)  # "<requested_at iso>#<incident id>"


class Undelivered(GlobalSecondaryIndex):
    """Sparse: only a decision recorded and not yet taken by Step Functions carries these keys."""

    class Meta:
        index_name = "undelivered"
        projection = KeysOnlyProjection()  # never the task token

    undelivered = UnicodeAttribute(hash_key=True)  # UNDELIVERED
    undelivered_since = UTCDateTimeAttribute(range_key=True)  # when the decision was recorded (or handed over)


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
    decided_via = UnicodeAttribute(null=True)  # the channel of a person's decision (not in by_status)
    decided_via_details = JSONAttribute(null=True)  # what its decider's audit record says of the channel
    undelivered = UnicodeAttribute(null=True)  # UNDELIVERED while the decision has not reached its token
    undelivered_since = UTCDateTimeAttribute(null=True)

    by_status = ByStatus()
    by_undelivered = Undelivered()


def to_domain(record: ApprovalRecord) -> Approval:
    values = {name: getattr(record, name) for name in _FIELDS}
    return Approval(
        **{
            **values,
            "timeout_seconds": int(record.timeout_seconds),
            "proposal": record.proposal or {},
            "execution_arn": record.execution_arn or "",
            "task_token": record.task_token or "",
        }
    )


def _refresh(approval: Approval, record: ApprovalRecord) -> None:
    for name, value in vars(to_domain(record)).items():
        setattr(approval, name, value)


def _key(approval: Approval) -> ApprovalRecord:
    return ApprovalRecord(approval.incident_id, approval.approval_id, workspace=approval.workspace)


class ApprovalRepository:
    def create(self, approval: Approval) -> Approval:
        record = ApprovalRecord(
            **{name: getattr(approval, name) for name in _FIELDS},
            status_key=f"{approval.workspace}#{approval.status}",
            requested_key=f"{approval.requested_at.isoformat()}#{approval.incident_id}",
        )
        record.save(condition=ApprovalRecord.approval_id.does_not_exist())
        return to_domain(record)

    def latest(self, incident_id: str) -> Approval | None:
        """The incident's own latest approval (a runbook step's approval on the incident is not one)."""
        for record in ApprovalRecord.query(incident_id, scan_index_forward=False, consistent_read=True):
            approval = to_domain(record)
            if not approval.is_runbook_step:
                return approval
        return None

    def for_incident(self, incident_id: str, *, consistent: bool = False) -> list[Approval]:
        """Every approval of the incident (its runbook steps' too), oldest first."""
        return [to_domain(r) for r in ApprovalRecord.query(incident_id, consistent_read=consistent)]

    def get(self, incident_id: str, approval_id: str) -> Approval | None:
        try:
            return to_domain(ApprovalRecord.get(incident_id, approval_id, consistent_read=True))
        except DoesNotExist:
            return None

    def decide(
        self,
        approval: Approval,
        status: str,
        *,
        actor: str,
        role: str = "",
        comment: str = "",
        note: str | None = None,
        expected: str = PENDING,
        actor_name: str = "",
        via: Via | None = None,
    ) -> bool:
        """Move ``approval`` from ``expected`` to ``status``; False if someone else decided first. Either
        way ``approval`` is updated to what is stored. An approval or a rejection is marked undelivered in
        the same write: its decider sends it next (``approval_tokens.deliver``), or the sweep does, and
        writes the audit record of the channel (``via``) the same write keeps."""
        now = utcnow()
        actions = [
            *_status_is(approval.workspace, status),
            ApprovalRecord.decided_by.set(actor),
            ApprovalRecord.decided_role.set(role),
            ApprovalRecord.decided_at.set(now),
            ApprovalRecord.comment.set(comment),
        ]
        if status in (APPROVED, REJECTED):
            actions += _undelivered_since(now)
        if actor_name:
            actions.append(ApprovalRecord.decided_by_name.set(actor_name))
        if note is not None:
            actions.append(ApprovalRecord.note.set(note))
        if via is not None:
            actions.append(ApprovalRecord.decided_via.set(via.channel))
            if via.details:
                actions.append(ApprovalRecord.decided_via_details.set(via.details))
        return _update(approval, actions, ApprovalRecord.status == expected)

    def undo(self, approval: Approval) -> bool:
        """Back to pending: the decision just written never reached Step Functions, so it can be made
        again. False (``approval`` updated to what is stored) if the decision changed meanwhile or a
        retried request already handed it on to its own token."""
        return _update(
            approval,
            [
                *_status_is(approval.workspace, PENDING),
                ApprovalRecord.decided_by.remove(),
                ApprovalRecord.decided_by_name.remove(),
                ApprovalRecord.decided_role.remove(),
                ApprovalRecord.decided_at.remove(),
                ApprovalRecord.comment.remove(),
                ApprovalRecord.decided_via.remove(),
                ApprovalRecord.decided_via_details.remove(),
                *_delivered(),
            ],
            _unchanged(approval) & (ApprovalRecord.decided_at == approval.decided_at),
        )

    def rearm(self, approval: Approval, *, task_token: str, execution_arn: str, expires_at: datetime) -> bool:
        """A pending approval waits again on a new task token (a retried attempt, a restart's execution).

        False (``approval`` updated to what is stored) if it was decided first: whoever decided sent
        the decision to the old token, so the caller hands it on (``hand_over``). A decision written
        after this reads the new token in the same write, so exactly one of the two answers it."""
        return _update(
            approval,
            [
                ApprovalRecord.task_token.set(task_token),
                ApprovalRecord.execution_arn.set(execution_arn),
                ApprovalRecord.expires_at.set(expires_at),
            ],
            ApprovalRecord.status == PENDING,
        )

    def hand_over(self, approval: Approval, *, task_token: str, execution_arn: str) -> bool:
        """A decided approval's decision goes to ``task_token`` (the attempt that waits now) instead of
        the token it was sent to. False (``approval`` updated) if its status or token changed meanwhile
        (a refused decision marked it expired; another attempt took it over). The decision is marked
        undelivered again, from now: the caller sends it next, or the sweep does."""
        return _update(
            approval,
            [
                ApprovalRecord.task_token.set(task_token),
                ApprovalRecord.execution_arn.set(execution_arn),
                *_undelivered_since(utcnow()),
            ],
            _unchanged(approval),
        )

    def delivered(self, approval: Approval) -> bool:
        """The decision needs no more sending to the token ``approval`` holds: Step Functions took it, or
        refused it well before the deadline (the attempt that waits now takes it over from the record,
        and marks it again). False, nothing changed, if the status or the token changed meanwhile (a
        hand-over to a newer token owns the mark). ``approval`` is not refreshed."""
        if not written(_key(approval).update, actions=_delivered(), condition=_unchanged(approval)):
            return False
        approval.undelivered_since = None
        return True

    def claim(self, approval: Approval) -> bool:
        """The approval sweep takes the sending of ``approval``'s decision over from whoever marked it,
        before it sends: the mark is stamped anew, so a sender refused after this one's send finds its
        own stamp gone (see ``mark_expired``). False (``approval`` updated) if the status, the token or
        the mark changed since ``approval`` was read: delivered, expired, handed over or claimed meanwhile."""
        stamp = max(utcnow(), approval.undelivered_since + timedelta(microseconds=1))  # never the one it replaces
        return _update(
            approval,
            [ApprovalRecord.undelivered_since.set(stamp)],
            _unchanged(approval) & (ApprovalRecord.undelivered_since == approval.undelivered_since),
        )

    def undelivered(self, before: datetime) -> list[Approval]:
        """The approvals whose decision was recorded (or handed over) before ``before`` and has not
        reached its token: a query of the sparse ``undelivered`` index, which holds only those, then a
        consistent read of each (the index may lag; it never holds the token)."""
        keys = [
            (entry.incident_id, entry.approval_id)
            for entry in ApprovalRecord.by_undelivered.query(UNDELIVERED, ApprovalRecord.undelivered_since < before)
        ]
        if not keys:
            return []
        records = [to_domain(r) for r in ApprovalRecord.batch_get(keys, consistent_read=True)]
        return sorted(
            (r for r in records if r.undelivered_since is not None and r.undelivered_since < before),
            key=lambda r: r.undelivered_since,
        )

    def mark_expired(self, approval: Approval, note: str) -> bool:
        """After Step Functions refused a decided token (it timed out first): say so, keep who tried.

        Only while the mark is the one this sender wrote or claimed (``approval.undelivered_since``):
        Step Functions refuses a token that another sender's decision used as it refuses one whose wait
        timed out, and every other sender marks (a hand-over) or claims (the sweep) before it sends.
        False (``approval`` updated) if a retried request took the decision over to its own token
        meanwhile, or another sender delivered it or took its sending over: the decision stands."""
        return _update(
            approval,
            [*_status_is(approval.workspace, EXPIRED), ApprovalRecord.note.set(note), *_delivered()],
            _unchanged(approval) & (ApprovalRecord.undelivered_since == approval.undelivered_since),
        )

    def list(
        self, workspace: str, status: str, *, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[Approval], str | None]:
        results = ApprovalRecord.by_status.query(
            f"{workspace}#{status}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, ApprovalRecord, ApprovalRecord.by_status, f"{workspace}#{status}"),
            page_size=limit,
        )
        return _with_names([to_domain(r) for r in results]), encode_cursor(results.last_evaluated_key)

    def count(self, workspace: str, status: str) -> int:
        """How many approvals of the workspace have ``status``: a count query of its `by_status` partition
        (DynamoDB pages it; no item is returned)."""
        return ApprovalRecord.by_status.count(f"{workspace}#{status}")


def _update(approval: Approval, actions: list, condition) -> bool:
    """One conditional update of ``approval``'s item. False if another writer won (the condition
    failed); either way ``approval`` becomes what is stored. Other errors raise."""
    record = _key(approval)
    if not written(record.update, actions=actions, condition=condition):
        record.refresh(consistent_read=True)
        _refresh(approval, record)
        return False
    _refresh(approval, record)
    return True


def _status_is(workspace: str, status: str) -> list:
    """The status and the key of the by_status index that goes with it."""
    return [ApprovalRecord.status.set(status), ApprovalRecord.status_key.set(f"{workspace}#{status}")]


def _undelivered_since(at: datetime) -> list:
    """The keys that put an approval in the ``undelivered`` index."""
    return [ApprovalRecord.undelivered.set(UNDELIVERED), ApprovalRecord.undelivered_since.set(at)]


def _delivered() -> list:
    return [ApprovalRecord.undelivered.remove(), ApprovalRecord.undelivered_since.remove()]


def _unchanged(approval: Approval):
    """The stored status and token are still the ones ``approval`` holds (nobody wrote in between)."""
    return (ApprovalRecord.status == approval.status) & (ApprovalRecord.task_token == approval.task_token)


def _with_names(items: list[Approval]) -> list[Approval]:
    """The index does not project ``decided_by_name`` (changing a GSI's projection would replace it):
    decided items are read whole, in one batch, so lists show who decided by name too."""
    decided = [(i.incident_id, i.approval_id) for i in items if i.decided_by]
    if not decided:
        return items
    full = {(r.incident_id, r.approval_id): to_domain(r) for r in ApprovalRecord.batch_get(decided)}
    return [full.get((i.incident_id, i.approval_id), i) for i in items]
