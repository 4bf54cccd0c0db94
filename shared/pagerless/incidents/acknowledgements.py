"""An acknowledgement made in the monitoring tool: an Opsgenie or PagerDuty acknowledge (or a New
Relic or Sentry one) arrives with its alert, and acknowledges the incident the alert fires in, as a
person's click in Pagerless would (`IncidentService.acknowledge`): the escalation stops at its next
tick and the time to acknowledge is recorded. An un-acknowledge there changes nothing here."""

from datetime import datetime

from pagerless.domain.errors import NotFoundError
from pagerless.domain.incidents import ACKNOWLEDGED_EVENT, IncidentStatus, waiting_for_acknowledgement_since
from pagerless.incidents import metrics
from pagerless.incidents.timeline import record
from pagerless.store.incidents import IncidentRepository


def acknowledge_at_source(incident_id: str, source: str, now: datetime, repository: IncidentRepository) -> bool:
    """Acknowledge the incident for ``source``; False if it is gone, resolved or acknowledged already
    (a redelivery, or someone was first: nothing is written)."""
    try:
        incident = repository.get(incident_id)
    except NotFoundError:
        return False
    if incident.acknowledged or incident.status == IncidentStatus.RESOLVED.value:
        return False
    seconds = round(max(0.0, (now - waiting_for_acknowledgement_since(incident)).total_seconds()), 3)
    if not repository.acknowledge(incident, source, now, seconds):
        return False
    record(
        incident,
        ACKNOWLEDGED_EVENT,
        f"acknowledged in {source}",
        actor=source,
        data={"time_to_acknowledge_seconds": seconds, "source": source},
        stream_type="incident_updated",
    )
    metrics.acknowledged(seconds)
    from pagerless.incidents.notices import incident_acknowledged

    incident_acknowledged(incident, by=source, at=now)
    return True
