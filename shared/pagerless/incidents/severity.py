"""An incident's severity follows its source upwards: an alert that fires again at a higher severity
(a Datadog monitor gone from Warn to Alert, a PagerDuty priority raised to P1) raises its incident's,
so the routes and people for that severity hear of it; so does an alert correlated into it (its child)
at a higher severity (intake). A lower one later does not lower it: someone may be acting on the
higher one, and a person lowers it by hand."""

from datetime import datetime

from pagerless.domain.alerts import Alert
from pagerless.domain.severity import Severity
from pagerless.incidents.notice_phrases import data, english, phrase
from pagerless.incidents.notices import publish
from pagerless.incidents.timeline import record
from pagerless.store import incident_updates


def is_higher(alert: Alert, incident) -> bool:
    """Whether ``alert`` is more severe than ``incident`` is now."""
    try:
        return alert.severity.rank < Severity(incident.severity).rank
    except ValueError:  # a severity stored by an older version: left as it is
        return False


def raise_severity(incident, alert: Alert, now: datetime, *, child_id: str | None = None):
    """Raise the incident to the alert's severity, say so on its timeline and to the notification
    routes (`incident.escalated`); the raised incident, or None if another delivery was first.
    The raise marks the page it owes (`raise_page_due`, in the same update): the caller pages, then
    calls `raise_paged`; a delivery that stopped in between leaves the page to its retry.
    ``child_id``: the correlated child whose alert is that severe (a root raised by its child)."""
    old, new = incident.severity, alert.severity.value
    raised = incident_updates.raise_severity(incident.id, old, new, now)
    if raised is None:
        return None
    said = phrase("severity_raised", **{"from": old, "to": new, "source": alert.source, "child": child_id})
    message = english(said)
    record(
        raised,
        "severity_raised",
        message,
        actor=alert.source,
        data={"from": old, "to": new, "fingerprint": alert.fingerprint, **({"child_id": child_id} if child_id else {})},
        stream_type="incident_updated",
    )
    publish(
        "incident.escalated",
        raised,
        generation=f"severity-{new}",
        data={"message": message, "message_phrase": data(said)},
    )
    return raised


def raise_paged(incident):
    """The page of the incident's raise was started (or is not needed): nothing is left for a later
    delivery to page. The incident as it is now."""
    if not incident.raise_page_due:
        return incident
    return incident_updates.raise_paged(incident.id, incident.raise_page_due) or incident
