"""A workspace's on-call references, kept from dangling while they are written concurrently.

A schedule names people (its layers), an override names a person and its schedule, and an escalation policy
names people and schedules. Each write that names them checks that they exist, and deleting a person or a
schedule checks that nothing names it; but a check and the write after it are two requests, and a create
naming a person could land between a delete's check and the delete itself (a schedule paging a person who is
gone).

So these writes, and those deletes, are optimistic transactions over one item per workspace, its ledger
(``oncall-refs / <workspace>`` on the system table, its ``version`` a number each of them raises): the writer
reads the ledger's version, makes its checks with strongly consistent reads, and then writes in one
TransactWriteItems with the ledger's update, on the condition that the version is still the one read. Of two
such writers, the one that commits second finds the version moved (`ReferencesMoved`) and checks again: it
then sees the other's write (a delete: the schedule now naming the person; a create: the person gone).
Concurrent writers of one workspace's on-call configuration take turns this way; the service retries them a
few times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError
from pagerless.store.base import Region, cancellation_codes, lost_race
from pagerless.store.system import SystemRecord
from pagerless.store.versions import EDIT_ATTEMPTS

LEDGER = "oncall-refs"
T = TypeVar("T")


class ReferencesMoved(Exception):
    """Another write naming, or deleting, what this one names or deletes committed since its checks: check again."""


@dataclass(frozen=True)
class Seen:
    """The ledger's version a writer read before its checks; ``also``: writes to make in the same transaction as
    the writer's own (a deleted person's note, `store.oncall.person_deleted_note`), all or none of them."""

    workspace: str
    version: int
    also: tuple[Write, ...] = ()

    def joined(self, *writes: Write) -> Seen:
        return replace(self, also=(*self.also, *writes))


@dataclass(frozen=True)
class Write:
    """One item's write, in the transaction with the ledger: a ``save``, an ``update`` (with ``actions``) or a
    ``delete`` of ``record``, on its own ``condition``."""

    kind: str  # save | update | delete
    record: Model
    condition: Condition | None = None
    actions: tuple[Action, ...] = ()


def seen(workspace: str) -> Seen:
    """The ledger's version now (0: nothing was written through it yet)."""
    try:
        record = SystemRecord.get(LEDGER, workspace, consistent_read=True)
    except DoesNotExist:
        return Seen(workspace, 0)
    return Seen(workspace, int(record.version or 0))


def commit(at: Seen, write: Write) -> bool:
    """Make ``write`` (and ``at.also``) with the ledger's version raised, if it is still ``at``'s: True when
    written; False, and nothing written, when the write's own condition failed; `ReferencesMoved` when the ledger
    moved (or another transaction held one of the items at that moment)."""
    ledger = SystemRecord(LEDGER, at.workspace)
    unchanged = SystemRecord.version.does_not_exist() if at.version == 0 else SystemRecord.version == at.version
    try:
        with TransactWrite(connection=Connection(region=Region().__get__(None, SystemRecord))) as tx:
            for each in (write, *at.also):
                _add(tx, each)
            tx.update(
                ledger,
                actions=[SystemRecord.version.add(1), SystemRecord.updated_at.set(utcnow())],
                condition=unchanged,
            )
    except TransactWriteError as exc:
        if not lost_race(exc):
            raise
        # the order sent: deletes, puts, updates; so the ledger's update is always last
        codes = cancellation_codes(exc)
        if codes[-1:] == ["ConditionalCheckFailed"] or "TransactionConflict" in codes:
            raise ReferencesMoved from exc
        return False
    return True


def _add(tx: TransactWrite, write: Write) -> None:
    if write.kind == "save":
        tx.save(write.record, condition=write.condition)
    elif write.kind == "update":
        tx.update(write.record, actions=list(write.actions), condition=write.condition)
    else:
        tx.delete(write.record, condition=write.condition)


def in_turn(workspace: str, act: Callable[[Seen], T], *, what: str) -> T:
    """``act(at)``: its checks and its write as one turn of the workspace's reference ledger, run again while other
    writes of references come between them (`ReferencesMoved`); a 409 if they keep coming."""
    for _ in range(EDIT_ATTEMPTS):
        try:
            return act(seen(workspace))
        except ReferencesMoved:
            continue
    raise ConflictError(
        f"{what} was not saved: other changes to on-call schedules, policies or people kept coming while it was "
        f"checked ({EDIT_ATTEMPTS} tries); nothing was changed: send it again",
        details=[{"reason": "concurrent_update", "attempts": EDIT_ATTEMPTS}],
    )
