"""A firing of an episode its source has resolved already: the same episode arriving late, not a re-fire.

An HA Alertmanager pair sends every notification from each peer (their dedup is eventually
consistent), and a sender retries a notification it thinks failed: the first firing can arrive
after its own resolve. It carries the episode's start (Alertmanager's and Grafana's ``startsAt``,
a CloudWatch alarm's state change, an Opsgenie alert's or a PagerDuty incident's creation...),
and a re-fire carries a later one. So a firing whose start is not later than the resolve its
alert's source sent last is late: it reopens nothing, pages nobody and starts no workflow.

Only for a while after the resolve came (``PAGERLESS_INTAKE_LATE_FIRING_WINDOW_SECONDS``, 5 minutes: HA
copies and retries come within seconds to Alertmanager's group interval). A firing with the same start
later than that is the alert firing again: when Alertmanager stops hearing from Prometheus it sends a
resolve it cannot know is false, and once Prometheus is back (having restored the alert's state) the
still-firing alert comes with its old start. Ignoring it would leave an outage unpaged; paging it again
at worst pages twice.

Both times are the source's own (its clock, as it wrote them), compared as aware datetimes. The
resolve is on the alert item already (``AlertRecord.alert``, written by the resolve itself): the
check reads what the firing path reads anyway and writes nothing. A firing without a start, an
alert closed here rather than by its source (a person or the workflow resolved its incident while
it still fired: a firing says it still does), and a resolve that named no time, keep the rule
that a firing after a resolve reopens.
"""

from datetime import datetime, timedelta

from pagerless import settings
from pagerless.clock import parse_time
from pagerless.domain.alerts import Alert, AlertState, AlertStatus
from pagerless.intake import metrics
from pagerless.intake.results import IngestResult
from pagerless.observability import logger
from pagerless.store.alerts import AlertRecord
from pagerless.store.incidents import IncidentRecord

LATE_FIRING = "late_firing"  # the answer's reason


def resolved_episode_end(record: AlertRecord) -> datetime | None:
    """When the episode the alert's source resolved last ended, by the source's clock: the
    resolve's end (``endsAt``), or without one the start of the episode it resolved. None unless
    the alert stands resolved by its source."""
    resolve = record.alert or {}
    if record.state != AlertState.RESOLVED or resolve.get("status") != AlertStatus.RESOLVED.value:
        return None
    return parse_time(resolve.get("ends_at")) or parse_time(resolve.get("starts_at"))


def started(alert: Alert) -> datetime | None:
    """When the alert's episode started, by its source (an aware datetime; None: not said)."""
    return parse_time(alert.starts_at)


def is_late(alert: Alert, record: AlertRecord, now: datetime) -> bool:
    """Whether a firing ``alert``, come at ``now``, belongs to an episode its source resolved a moment ago."""
    start, end = started(alert), resolved_episode_end(record)
    if start is None or end is None or start > end or record.resolved_at is None:
        return False
    return now - record.resolved_at <= timedelta(seconds=settings.intake().late_firing_window_seconds)


def late_firing(alert: Alert, record: AlertRecord, incident: IncidentRecord | None) -> IngestResult:
    """The answer to a late firing (nothing changed; ``incident``: the one its alert resolved in)."""
    metrics.late_firing(alert.source)
    logger().info(
        "late firing ignored: its episode was resolved already",
        extra={
            "source": alert.source,
            "fingerprint": alert.fingerprint,
            "incident_id": record.incident_id,
            "starts_at": alert.starts_at.isoformat() if alert.starts_at else None,
        },
    )
    status = incident.status if incident is not None else "ignored" if record.incident_id is None else "unknown"
    return IngestResult(alert.fingerprint, record.incident_id, True, status, "ignored", reason=LATE_FIRING)
