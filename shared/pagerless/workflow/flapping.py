"""A flap that became an outage: the settle check of a flapping reopen's execution.

A flap's reopen starts the incident's workflow like any reopen, but its execution first waits
`PAGERLESS_INTAKE_FLAP_SETTLE_SECONDS` (the ASL's ``SettleFlapping``): an alert that resolves again
meanwhile resolves the incident, and one that flaps again hands it to a newer execution. If the
incident is still open, still this execution's, and its alert still fires, the flap has settled
into a real outage: `flapping` is cleared and the execution goes on to IncidentOpened, which pages.
"""

import hashlib
import json
import math
import re
from datetime import datetime

from pagerless import settings, step_functions
from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import timeline
from pagerless.observability import logger
from pagerless.store import incident_reads
from pagerless.store.incident_updates import hand_flap_to, settle_flapping
from pagerless.workflow.incidents import ACTOR, IncidentClosedError, load

SETTLE_ATTEMPTS = 5  # reads of an incident whose clearing was refused, before the step fails


def settle_wait(incident, now: datetime) -> dict:
    """The execution input's settle wait (``settle_seconds``) of a flapping incident: what is left of
    `flap_settle_seconds` since its alert last began firing, at its reopen or its latest re-fire (all
    of it for that start; less for a start retried later, or a run resumed after a restart). Empty
    for an incident that is not flapping."""
    if not incident.flapping:
        return {}
    since = _firing_since(incident)
    held = (now - since).total_seconds() if since else 0.0
    return {"settle_seconds": max(0, math.ceil(settings.intake().flap_settle_seconds - held))}


def _firing_since(incident) -> datetime | None:
    """When the flap's alert last began firing: its latest re-fire, else its reopen (one reopened by
    a version that did not record it has only the reopen)."""
    return incident.flap_fired_at or incident.reopened_at


def settle(incident_id: str, workspace: str, execution_arn: str | None, now: datetime | None = None) -> dict:
    """Go on (``settled``) with a flap whose alert has held firing; `IncidentClosedError` (the
    execution ends quietly) when it resolved, flapped again or was moved on meanwhile. A retry finds
    `flapping` cleared already and goes on without a second timeline entry. A clearing refused
    because the incident changed under it (or another write met it at that moment) reads it again."""
    for _ in range(SETTLE_ATTEMPTS):
        incident = load(incident_id, workspace)  # resolved, or held by a newer flap's execution: it stops
        if incident.status != IncidentStatus.OPEN.value or not incident.open_alerts:
            raise IncidentClosedError(f"incident {incident_id} is no longer an open flap; its settle run stops")
        if not (incident.flapping and execution_arn):
            return {"settled": True}
        since = _firing_since(incident) or incident.created_at
        minutes = max(0, round(((now or utcnow()) - since).total_seconds() / 60))
        recorded = timeline.record(
            incident,
            "flapping_stopped",
            f"the alert has fired for {minutes} minute{'' if minutes == 1 else 's'} without resolving;"
            " it is handled as a real reopen",
            actor=ACTOR,
            data={"flapping": False, "firing_since": since.isoformat()},
            stream_type="incident_updated",
            # the mark's clearing and its entry are one transaction: a retry finds both or neither
            write=lambda item: settle_flapping(incident_id, execution_arn, [item]) is not None,
        )
        if recorded is not None:
            return {"settled": True}
    raise ConflictError(f"incident {incident_id} kept changing; its flap was not settled")


def sweep(sfn=None, now: datetime | None = None) -> list[dict]:
    """The scheduled safety net (`flap-sweep`) for flaps nothing would settle: every open root
    incident marked flapping whose alert still fires and that no running execution holds (reopened
    by a version that started no workflow for a flap, or left by a run that ended) gets a settle
    run, once: it takes the incident over before it starts, under a name that the execution it
    replaces determines, and pages under a generation of its own once it has settled."""
    machine = settings.workflow().incident_state_machine_arn
    if not machine:
        return []
    sfn = sfn or step_functions.client()
    now = now or utcnow()
    done = []
    for incident in incident_reads.open_flaps():
        try:
            if not incident.open_alerts or _running(sfn, incident.execution_arn):
                continue
            done.append(_start_settle_run(incident, machine, sfn, now))
        except Exception as exc:  # one incident must not stop the others
            logger().exception("could not start a flap's settle run", extra={"incident_id": incident.id})
            done.append({"incident_id": incident.id, "settle": "failed", "error": type(exc).__name__})
    return done


def _running(sfn, execution_arn: str | None) -> bool:
    if not execution_arn:
        return False
    try:
        return sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
    except sfn.exceptions.ExecutionDoesNotExist:  # a start that failed (or never came)
        return False


def _start_settle_run(incident, machine: str, sfn, now: datetime) -> dict:
    name = _settle_run_name(incident)
    arn = step_functions.execution_arn(machine, name)
    if hand_flap_to(incident.id, arn) is None:  # settled, resolved or moved on meanwhile
        return {"incident_id": incident.id, "settle": "skipped"}
    payload = {"incident_id": incident.id, "workspace": incident.workspace, **settle_wait(incident, now)}
    try:
        sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))
    except sfn.exceptions.ExecutionAlreadyExists:  # another sweep started it
        pass
    logger().info("flap settle run started", extra={"incident_id": incident.id, "execution": name})
    return {"incident_id": incident.id, "settle": name, **payload}


def reopen_run(incident) -> str:
    """The reopen run (``<id>-r<n>``) a flapping incident's new settle run continues, so that it pages
    under that reopen's escalation generation once it settles: the one its execution names or, when
    it names none (reopened by a version that started no workflow for a flap), one of its own from
    when it reopened (its opening's generation has paged already)."""
    current = (incident.execution_arn or "").rsplit(":", 1)[-1]
    match = re.match(rf"{re.escape(incident.id)}-r(\d+)", current)
    if match:
        return f"{incident.id}-r{match.group(1)}"
    since = incident.reopened_at or incident.created_at
    return f"{incident.id}-r{int(since.timestamp())}"


def _settle_run_name(incident) -> str:
    """``<reopen run>-resume-<hex>``, <hex> from the execution it replaces (so a sweep starts it once)."""
    digest = hashlib.sha256((incident.execution_arn or "none").encode()).hexdigest()[:8]
    return f"{reopen_run(incident)}-resume-{digest}"[:80]
