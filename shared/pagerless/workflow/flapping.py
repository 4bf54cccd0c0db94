"""A flap that became an outage: the settle check of a flapping reopen's execution.

A flap's reopen starts the incident's workflow like any reopen, but its execution first waits
`PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS` (the ASL's ``SettleFlapping``): an alert that resolves again
meanwhile resolves the incident, and one that flaps again hands it to a newer execution. If the
incident is still open, still this execution's, and its alert still fires, the flap has settled
into a real outage: `flapping` is cleared and the execution goes on to IncidentOpened, which pages.
"""

import math
from datetime import datetime

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import timeline
from pagerless.store.incident_updates import settle_flapping
from pagerless.workflow.incidents import ACTOR, IncidentClosedError, load


def settle_wait(incident, now: datetime) -> dict:
    """The execution input's settle wait (``settle_seconds``) of a flapping incident: what is left of
    `flap_settle_seconds` since its reopen (all of it for the reopen's own start; less for a start
    retried later, or a run resumed after a restart). Empty for an incident that is not flapping."""
    if not incident.flapping:
        return {}
    held = (now - incident.reopened_at).total_seconds() if incident.reopened_at else 0.0
    return {"settle_seconds": max(0, math.ceil(settings.intake().flap_settle_seconds - held))}


def settle(incident_id: str, workspace: str, execution_arn: str | None, now: datetime | None = None) -> dict:
    """Go on (``settled``) with a flap whose alert has held firing; `IncidentClosedError` (the
    execution ends quietly) when it resolved, flapped again or was moved on meanwhile. A retry finds
    `flapping` cleared already and goes on without a second timeline entry."""
    incident = load(incident_id, workspace)  # resolved, or held by a newer flap's execution: it stops
    if incident.status != IncidentStatus.OPEN.value or not incident.open_alerts:
        raise IncidentClosedError(f"incident {incident_id} is no longer an open flap; its settle run stops")
    settled = settle_flapping(incident.id, execution_arn) if incident.flapping and execution_arn else None
    if settled is not None:
        since = incident.reopened_at or incident.created_at
        minutes = max(0, round(((now or utcnow()) - since).total_seconds() / 60))
        timeline.record(
            settled,
            "flapping_stopped",
            f"the alert has fired for {minutes} minute{'' if minutes == 1 else 's'} without resolving;"
            " it is handled as a real reopen",
            actor=ACTOR,
            data={"flapping": False, "firing_since": since.isoformat()},
            stream_type="incident_updated",
        )
    return {"settled": True}
