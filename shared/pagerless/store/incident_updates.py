"""Atomic, version-neutral updates of an incident's counters and markers.

Alert storms bump `alert_count`/`open_alerts`/`child_count` and `last_seen` many times a second.
These are single UpdateItems with ADD/SET that leave the incident's `version` alone, so they
never conflict with a status change (`IncidentRepository.set_status` is version-checked) and a
status change never makes them fail.
"""

from datetime import datetime

from pynamodb.constants import ALL_NEW, ATTRIBUTES
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from pagerless.store.incidents import IncidentRecord


def update_incident(incident_id: str, actions: list[Action], condition=None) -> IncidentRecord | None:
    """Apply ``actions`` without touching `version`; None if the incident does not exist (or
    ``condition`` does not hold)."""
    exists = IncidentRecord.id.exists()
    try:
        data = IncidentRecord._get_connection().update_item(
            incident_id, actions=actions, condition=exists if condition is None else exists & condition,
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
    return update_incident(incident_id, [IncidentRecord.alert_count.add(1), IncidentRecord.last_seen.set(now)],
                           condition=IncidentRecord.status != "resolved")


def count_refire(incident_id: str, now: datetime) -> IncidentRecord | None:
    return update_incident(incident_id, [IncidentRecord.alert_count.add(1), IncidentRecord.open_alerts.add(1),
                                         IncidentRecord.last_seen.set(now)])


def count_resolved_alert(incident_id: str) -> IncidentRecord | None:
    return update_incident(incident_id, [IncidentRecord.open_alerts.add(-1)])


def add_child(parent_id: str, now: datetime) -> IncidentRecord | None:
    return update_incident(parent_id, [IncidentRecord.child_count.add(1), IncidentRecord.last_seen.set(now)])


def set_execution(incident_id: str, execution_arn: str) -> IncidentRecord | None:
    return update_incident(incident_id, [IncidentRecord.execution_arn.set(execution_arn)])


def mark_flapping(incident_id: str) -> IncidentRecord | None:
    """Set `flapping`; None if it was already set (so the timeline event is written once)."""
    return update_incident(incident_id, [IncidentRecord.flapping.set(True)],
                           condition=IncidentRecord.flapping.does_not_exist() | (IncidentRecord.flapping == False))  # noqa: E712
