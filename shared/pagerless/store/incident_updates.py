"""Atomic, version-neutral updates of an incident's counters and markers.

Alert storms bump `alert_count`/`open_alerts`/`child_count` and `last_seen` many times a second.
These are single UpdateItems with ADD/SET that leave the incident's `version` alone, so they
never conflict with a status change (`IncidentRepository.set_status` is version-checked) and a
status change never makes them fail.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.constants import ALL_NEW, ATTRIBUTES, KEY
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from pagerless.domain.errors import ConflictError
from pagerless.domain.incidents import IncidentStatus
from pagerless.store import sweeps
from pagerless.store.base import Region, cancellation_codes, lost_race
from pagerless.store.incident_records import end_key_of
from pagerless.store.incidents import AlongsideTaken, AlongsideUpdate, IncidentRecord
from pagerless.store.system import SystemRepository

APPEND_ATTEMPTS = 25
# the system item that says the incidents marked flapping by a version without flap markers have theirs
FLAPS_MARKED = ("migration", "system.sweeps.flap")
# the system item that says the incidents stored before the `by_end` index have their key
ENDS_INDEXED = ("migration", "incidents.by_end")


def update_incident(incident_id: str, actions: list[Action], condition=None) -> IncidentRecord | None:
    """Apply ``actions`` without touching `version`; None if the incident does not exist (or
    ``condition`` does not hold)."""
    exists = IncidentRecord.id.exists()
    try:
        data = IncidentRecord._get_connection().update_item(
            incident_id,
            actions=actions,
            condition=exists if condition is None else exists & condition,
            return_values=ALL_NEW,
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return IncidentRecord.from_raw_data(data[ATTRIBUTES])


def count_duplicate(incident_id: str, now: datetime) -> IncidentRecord | None:
    return update_incident(incident_id, [IncidentRecord.alert_count.add(1), IncidentRecord.last_seen.set(now)])


def count_open_duplicate(incident_id: str, now: datetime) -> IncidentRecord | None:
    """`count_duplicate` unless the incident is resolved; None then (or when it does not exist)."""
    return update_incident(
        incident_id,
        [IncidentRecord.alert_count.add(1), IncidentRecord.last_seen.set(now)],
        condition=IncidentRecord.status != "resolved",
    )


def count_refire(incident_id: str, now: datetime) -> IncidentRecord | None:
    return update_incident(
        incident_id,
        [IncidentRecord.alert_count.add(1), IncidentRecord.open_alerts.add(1), IncidentRecord.last_seen.set(now)],
    )


def count_resolved_alert(
    record: IncidentRecord,
    *,
    entries: Sequence[Model] = (),
    alongside: AlongsideUpdate | None = None,
    same_status: bool = False,
) -> IncidentRecord | None:
    """One alert of the incident resolved: ``open_alerts - 1``, on the condition that the count is
    still the one read in ``record`` (with ``same_status``, the status too), in one transaction with
    the timeline ``entries`` that say so and ``alongside`` (the alert item's resolve). The fresh
    incident; None when it changed meanwhile or is gone (read it again); `AlongsideTaken` when the
    alert's condition was refused."""
    condition = IncidentRecord.id.exists() & (IncidentRecord.open_alerts == record.open_alerts)
    if same_status:
        condition &= IncidentRecord.status == record.status
    # Built by hand: the counter is version-neutral (see the module docstring).
    updates = [
        IncidentRecord._get_connection().get_operation_kwargs(
            record.id, key=KEY, actions=[IncidentRecord.open_alerts.add(-1)], condition=condition
        )
    ]
    if alongside is not None:
        updates.append(
            alongside.item.get_update_kwargs_from_instance(
                actions=alongside.actions, condition=alongside.condition, add_version_condition=False
            )
        )
    puts = [entry.get_save_kwargs_from_instance() for entry in entries]
    try:
        Connection(region=Region().__get__(None, IncidentRecord)).transact_write_items(
            condition_check_items=[], delete_items=[], put_items=puts, update_items=updates
        )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)  # puts first, then the incident, then the alert
        if alongside is not None and codes[len(puts) + 1 : len(puts) + 2] == ["ConditionalCheckFailed"]:
            raise AlongsideTaken("the item changed with the incident was changed first") from exc
        if lost_race(exc):
            return None
        raise
    try:
        return IncidentRecord.get(record.id, consistent_read=True)  # a transaction returns no attributes
    except DoesNotExist:
        return None


def add_child(parent_id: str, now: datetime) -> IncidentRecord | None:
    """Count a child on its parent; None if the parent is resolved (or gone): it takes no child."""
    return update_incident(
        parent_id,
        [IncidentRecord.child_count.add(1), IncidentRecord.last_seen.set(now)],
        condition=IncidentRecord.status != "resolved",
    )


def promote_to_root(incident_id: str) -> IncidentRecord | None:
    """A child whose parent resolved as it was correlated becomes a root incident of its own."""
    return update_incident(incident_id, [IncidentRecord.parent_id.remove(), IncidentRecord.correlation_reason.remove()])


def set_execution(incident_id: str, execution_arn: str) -> IncidentRecord | None:
    return update_incident(incident_id, [IncidentRecord.execution_arn.set(execution_arn)])


def claim_execution(incident_id: str, execution_arn: str) -> IncidentRecord | None:
    """Record ``execution_arn`` as the incident's workflow unless another execution holds the
    incident (a reopen handed it to a newer one); None then."""
    return update_incident(
        incident_id,
        [IncidentRecord.execution_arn.set(execution_arn)],
        condition=IncidentRecord.execution_arn.does_not_exist() | (IncidentRecord.execution_arn == execution_arn),
    )


def update_incident_with(
    incident_id: str, actions: list[Action], condition, entries: Sequence[Model], deletes: Sequence[Model] = ()
) -> IncidentRecord | None:
    """`update_incident` in one transaction with ``entries`` (the timeline items that say so) and the
    deletion of ``deletes`` (unconditional: one already gone fails nothing): none is stored without
    the others. The fresh incident; None if it does not exist or ``condition`` does not hold, or another
    write changed one of the items at that moment (nothing is stored then: read it again)."""
    updates = [
        IncidentRecord._get_connection().get_operation_kwargs(
            incident_id, key=KEY, actions=actions, condition=IncidentRecord.id.exists() & condition
        )
    ]
    puts = [entry.get_save_kwargs_from_instance() for entry in entries]
    removed = [item.get_delete_kwargs_from_instance() for item in deletes]
    try:
        Connection(region=Region().__get__(None, IncidentRecord)).transact_write_items(
            condition_check_items=[], delete_items=removed, put_items=puts, update_items=updates
        )
    except TransactWriteError as exc:
        if lost_race(exc):
            return None
        raise
    try:
        return IncidentRecord.get(incident_id, consistent_read=True)  # a transaction returns no attributes
    except DoesNotExist:
        return None


def hand_flap_to(incident_id: str, execution_arn: str, fired_at: datetime | None = None) -> IncidentRecord | None:
    """Hand an open, flapping root incident to the settle run ``execution_arn`` (the one holding it
    stops at its check), for its alert's re-fire at ``fired_at`` if one started the run (its settle
    wait counts from then); None if it is not one any more (settled, moved on or resolved meanwhile)."""
    return update_incident(
        incident_id,
        [
            IncidentRecord.execution_arn.set(execution_arn),
            *([IncidentRecord.flap_fired_at.set(fired_at)] if fired_at else []),
        ],
        condition=(IncidentRecord.flapping == True)  # noqa: E712
        & (IncidentRecord.status == "open")
        & IncidentRecord.parent_id.does_not_exist(),
    )


def settle_flapping(incident_id: str, execution_arn: str, entries: Sequence[Model] = ()) -> IncidentRecord | None:
    """Clear `flapping` of an open incident that execution ``execution_arn`` holds, with ``entries``
    (its `flapping_stopped`) in the same transaction; None if it is not flapping (any more), or is
    resolved or held by another execution (so the timeline event is written once, by the execution
    of the flap that settled). Its flap marker (the flap sweep's entry) is deleted in that transaction."""
    return update_incident_with(
        incident_id,
        [IncidentRecord.flapping.set(False)],
        (IncidentRecord.flapping == True)  # noqa: E712
        & (IncidentRecord.status == "open")
        & (IncidentRecord.execution_arn == execution_arn),
        entries,
        deletes=[sweeps.unmark(incident_id).marker],
    )


def mark_flaps() -> int:
    """Once per table: give a flap marker to the incidents a version without markers marked flapping
    (flapping, not resolved, no marker), so that the sweep finds them in the `sweeps` index; one full
    scan of the incidents, then a system item says it is done. The number of incidents it marked."""
    if SystemRepository().get(*FLAPS_MARKED) is not None:
        return 0
    flapping = (IncidentRecord.flapping == True) & (  # noqa: E712
        IncidentRecord.status != IncidentStatus.RESOLVED.value
    )
    # conditional: one settled, resolved or marked since the scan read it is left as it is
    marked = sum(sweeps.mark_unless_settled(record) for record in IncidentRecord.scan(flapping))
    SystemRepository().put(*FLAPS_MARKED, {"marked": marked})
    return marked


def index_ends() -> int:
    """Once per table: give `end_key` to the incidents a version without the `by_end` index stored (its
    resolve's time if resolved, "~" if not), so that the SLO and digest reads find them there; one full
    scan, then a marker on the system table says it is done. The number of incidents it keyed."""
    if SystemRepository().get(*ENDS_INDEXED) is not None:
        return 0
    keyed = 0
    for record in IncidentRecord.scan(IncidentRecord.end_key.does_not_exist()):
        # conditional: a resolve or reopen since the scan read it wrote the key itself
        unchanged = IncidentRecord.end_key.does_not_exist() & (IncidentRecord.status == record.status)
        resolved_at = record.resolved_at or record.updated_at or record.created_at
        key = end_key_of(record.status, resolved_at)
        keyed += update_incident(record.id, [IncidentRecord.end_key.set(key)], unchanged) is not None
    SystemRepository().put(*ENDS_INDEXED, {"keyed": keyed})
    return keyed


def raise_severity(incident_id: str, old: str, new: str, now: datetime) -> IncidentRecord | None:
    """Set `severity` to ``new`` while it is still ``old`` and the incident is not resolved, and
    `raise_page_due` with it (the page the raise owes, in the same update); None otherwise (another
    delivery raised it first: its timeline entry is written once)."""
    return update_incident(
        incident_id,
        [
            IncidentRecord.severity.set(new),
            IncidentRecord.raise_page_due.set(new),
            IncidentRecord.updated_at.set(now),
        ],
        condition=(IncidentRecord.severity == old) & (IncidentRecord.status != "resolved"),
    )


def raise_paged(incident_id: str, severity: str) -> IncidentRecord | None:
    """Clear `raise_page_due` while it is still ``severity``; None if it changed or was cleared meanwhile."""
    return update_incident(
        incident_id,
        [IncidentRecord.raise_page_due.remove()],
        condition=IncidentRecord.raise_page_due == severity,
    )


def field_changes(**fields: Any) -> list[Action]:
    """SET actions for incident fields named by keyword (``diagnosis=...``), e.g. for
    ``IncidentRepository.set_status(..., actions=field_changes(...))``; an unknown name is an error."""
    attributes = IncidentRecord.get_attributes()
    unknown = sorted(set(fields) - set(attributes))
    if unknown:
        raise AttributeError(f"incidents have no field {', '.join(unknown)}")
    return [attributes[name].set(value) for name, value in fields.items()]


def set_fields(incident_id: str, **fields: Any) -> IncidentRecord | None:
    """Set the named fields, version-neutral; the fresh record, or None if the incident does not exist."""
    return update_incident(incident_id, field_changes(**fields)) if fields else None


def append_action(incident_id: str, entry: dict) -> IncidentRecord | None:
    """Append ``entry`` to the incident's ``actions`` without losing a concurrent append.

    ``actions`` is a JSON attribute (one string in DynamoDB), so ``list_append`` cannot apply; the
    append is a compare-and-set instead: written only if the list is still the one read, re-read and
    retried otherwise. Returns the fresh record; None if the incident does not exist."""
    for _ in range(APPEND_ATTEMPTS):
        try:
            current = IncidentRecord.get(incident_id, consistent_read=True, attributes_to_get=["id", "actions"])
        except DoesNotExist:
            return None
        before = list(current.attribute_values.get("actions") or [])
        unchanged = IncidentRecord.actions == before
        if not before:
            unchanged = IncidentRecord.actions.does_not_exist() | unchanged
        fresh = update_incident(incident_id, [IncidentRecord.actions.set([*before, entry])], condition=unchanged)
        if fresh is not None:
            return fresh
    raise ConflictError(f"incident {incident_id}: its actions kept changing; the action was not recorded")
