"""The intake service's claimed firings, mixed into `IntakeService`: the delivery that won the alert's claim
(`AlertRepository.claim`) opens a new incident, or takes the alert back to the incident it fired in before —
reopening it if it resolved within the reopen window, marked flapping if the alert keeps resolving and firing
again (`pagerless.incidents.flapping`) — and restarts that incident's workflow.

A reopen shows the alert as it fires now: its description (the summary and description of this episode) is the
incident's again, while the incident keeps its id, title and history (`IncidentLifecycle.refire`).
"""

from datetime import datetime

from pagerless import settings
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import NotFoundError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents.flapping import is_flapping, recent_resolves
from pagerless.incidents.lifecycle import is_within
from pagerless.intake.results import IngestResult
from pagerless.store.alerts import AlertRecord, DeliveryMark
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow.executions import execution_arn


class AlertReopens:
    """Needs ``alerts``, ``incidents``, ``lifecycle``, ``_incident`` and ``_opened`` (`IntakeService`)."""

    def _claimed(
        self, claim: AlertRecord, alert: Alert, workspace: str, now: datetime, mark: DeliveryMark | None = None
    ) -> IngestResult:
        """The claim's winner: the alert goes back to its previous incident (`_previous_incident`: reopened,
        or re-fired into it while it is open) or opens a new one; the claim is finalized (or given back on a
        failure, with a new incident nobody saw discarded), then the workflow starts (`_opened`)."""
        config = settings.intake()
        flaps = recent_resolves(claim.flap_history, now)
        created: IncidentRecord | None = None
        try:
            if claim.pending:  # duplicates of its last firing the previous incident has not heard of
                # moved before a new incident takes the alert; a fold that fails gives the claim back for the retry
                self.alerts.fold(claim, now)
            previous = self._previous_incident(claim, now)
            if previous is not None:
                was_resolved = previous.status == IncidentStatus.RESOLVED.value
                # judged at a reopen, within the flap window: an incident marked flapping whose alert
                # has held still since is a real re-fire again (the reopen clears the mark and pages).
                # A flap's reopen restarts the workflow too, held back until the alert has held firing
                # for the settle period (`pagerless.workflow.flapping`): a flap that became an outage
                # pages. An incident that never resolved is not marked: nothing would settle it.
                flapping = was_resolved and is_flapping(flaps, now, alert, claim.alert)
                # An open flap whose alert resolved without resolving it (a correlated child held it
                # open) and fires again gets a settle run of its own, as a reopen would: the one that
                # held it may have ended quietly when its check found the alert resolved.
                restart = previous.parent_id is None and (was_resolved or _open_flap(previous))
                # the reopen (or the flap's re-fire) hands the incident to the execution started below
                execution = execution_arn(restart_name(previous.id, int(claim.generation or 1))) if restart else None
                incident = self.lifecycle.refire(previous, alert, now, flapping=flapping, execution_arn=execution)
                action = "reopened" if was_resolved else "refired"
                restart = restart and (was_resolved or incident.execution_arn == execution)
            else:
                incident = created = self.lifecycle.create(alert, workspace, now)
                action = "correlated" if incident.parent_id else "created"
                restart = incident.parent_id is None
            self.alerts.finalize(claim, incident.id, alert.model_dump(mode="json"), flaps)
        except Exception:
            if created is not None:  # nobody can see it yet: a retry must not find a second incident
                self.lifecycle.discard(created)
            self.alerts.release(claim, mark)
            raise
        # From here the alert belongs to the incident (see `_opened`).
        generation = int(claim.generation or 1) if restart and action != "created" else None
        # a flap's re-fire waits the whole settle period: its alert has fired only since now
        settle = {"settle_seconds": config.flap_settle_seconds} if generation and action == "refired" else None
        return self._opened(incident, alert, now, action, generation, settle)

    def _previous_incident(self, claim: AlertRecord, now: datetime) -> IncidentRecord | None:
        """The incident a re-firing alert goes back to: still active, or resolved within the window
        (a correlated child only while its root is open: reopened under a resolved root, which is
        what people watch, nobody would see it; the alert opens a new incident, correlated anew)."""
        if not claim.incident_id:
            return None
        try:
            incident = self.incidents.get(claim.incident_id)
        except NotFoundError:
            return None
        if incident.status != IncidentStatus.RESOLVED.value:
            return incident
        if not is_within(incident.resolved_at, now, settings.intake().reopen_window_seconds):
            return None
        if incident.parent_id is not None:
            root = self._incident(incident.parent_id)
            if root is None or root.status == IncidentStatus.RESOLVED.value:
                return None
        return incident


def _open_flap(incident: IncidentRecord) -> bool:
    return bool(incident.flapping) and incident.status == IncidentStatus.OPEN.value


def restart_name(incident_id: str, generation: int) -> str:
    """The name of the execution that restarts a reopened incident (``generation``: the claim's)."""
    return f"{incident_id}-r{generation}"
