"""An alert whose source has no data any more (`Alert.no_data`: a CloudWatch alarm gone from ALARM to
INSUFFICIENT_DATA, its metric stopped reporting). The problem is not known to be over, so its
incident stays open; the people looking at it learn from its timeline that the source went quiet
(the service stopped emitting, the resource is gone, the agent died) rather than that it recovered."""

from pagerless.domain.alerts import Alert
from pagerless.domain.errors import NotFoundError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents.timeline import record
from pagerless.store.incidents import IncidentRepository


def note_no_data(incident_id: str, alert: Alert, repository: IncidentRepository) -> bool:
    """Put on the timeline of the incident ``alert`` fires in that its source has no data any more;
    False if the incident is gone or resolved."""
    try:
        incident = repository.get(incident_id)
    except NotFoundError:
        return False
    if incident.status == IncidentStatus.RESOLVED.value:
        return False
    reason = f": {alert.description}" if alert.description else ""
    record(
        incident,
        "alert_no_data",
        f"{alert.title} has no data any more{reason}; not known to be resolved, so the incident stays open"[:1000],
        actor=alert.source,
        data={"fingerprint": alert.fingerprint, "source": alert.source},
        stream_type="incident_updated",
    )
    return True
