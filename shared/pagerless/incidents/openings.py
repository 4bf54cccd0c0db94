"""Opening an incident, mixed into `IncidentLifecycle` (which owns its moves: reopen, resolve, `move`): a new
incident is stored under a free number, as a child of the open root incident of its service if there is one, else
as that service's root once it holds the service's correlation slot (a conditional write: of simultaneous alerts,
one is the root); then announced (its timeline entry and its parent's child count)."""

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from pagerless import settings
from pagerless.clock import until_stale
from pagerless.domain.alerts import Alert
from pagerless.domain.errors import NotFoundError, ServiceUnavailableError
from pagerless.domain.incidents import Incident, IncidentStatus, service_key
from pagerless.incidents import metrics
from pagerless.observability import logger

# Backoff jitter draws from its own generator: the global one is the application's (and a test's) to seed.
_JITTER = random.Random()

CREATE_ATTEMPTS = 40  # incident numbers are taken by a conditional put (incidents.ids)
CREATE_BACKOFF_CAP = 0.25  # seconds: a creator that lost a number waits up to this before the next


class IncidentOpenings:
    """Needs ``repository``, ``slots``, ``allocate_id``, ``record``, ``recorded``, ``clock`` and ``sleep``
    (`IncidentLifecycle`)."""

    def open(self, alert: Alert, workspace: str, now: datetime):
        """A new incident for ``alert`` (see `create` and `announce`)."""
        incident = self.create(alert, workspace, now)
        self.announce(incident, alert, now)
        return incident

    def create(self, alert: Alert, workspace: str, now: datetime, *, alongside: Callable[[str], object] | None = None):
        """Store a new incident: a child of an open incident of the same service, if any.

        ``alongside(incident_id)``: an item put with the incident in one transaction (intake's new
        alert item); `AlongsideTaken` when another writer put that item first."""
        for attempt in range(CREATE_ATTEMPTS):  # each lost attempt: another creator took the number
            incident_id = self.allocate_id(now, workspace)
            parent = self.claim_root_or_parent(alert, workspace, now, incident_id)
            incident = Incident(
                incident_id,
                workspace=workspace,
                title=alert.title,
                description=alert.description,
                severity=alert.severity.value,
                service=alert.service,
                namespace=alert.namespace,
                source=alert.source,
                fingerprint=alert.fingerprint,
                labels={**alert.labels, **({"pod": alert.pod} if alert.pod else {})},
                first_seen=now,
                last_seen=now,
                created_at=now,
                updated_at=now,
                parent_id=parent.id if parent else None,
                correlation_reason=_reason(alert) if parent else None,
            )
            try:
                stored = self.repository.add(incident, alongside(incident_id) if alongside else None)
            except Exception:
                self._release_slot(incident)
                raise
            if stored is not None:
                return stored
            self._release_slot(incident)
            logger().info("incident id already taken; allocating another", extra={"incident_id": incident_id})
            # Simultaneous creators all read the same first free number: jitter spreads them out.
            self.sleep(_JITTER.uniform(0, min(CREATE_BACKOFF_CAP, 0.005 * 2**attempt)))
        raise ServiceUnavailableError(f"incident {incident_id} is already taken; try again", retry_after=1.0)

    def _release_slot(self, incident) -> None:
        if incident.parent_id is None and incident.service:
            self.slots.release(incident.service_key, incident.id)

    def claim_root_or_parent(self, alert: Alert, workspace: str, now: datetime, incident_id: str):
        """The open root incident ``alert`` correlates with, or None once ``incident_id`` holds the
        service's correlation slot (a conditional write: of simultaneous alerts, one is the root).
        A slot whose root never appears is taken over after ``claim_stale_seconds``."""
        if not alert.service:
            return None
        key = service_key(workspace, alert.namespace, alert.service)
        config = settings.intake()
        window = timedelta(seconds=config.correlation_window_seconds)
        stale = timedelta(seconds=config.claim_stale_seconds)
        deadline = time.monotonic() + 2 * config.claim_wait_seconds
        parent = self.correlation_parent(alert, workspace, now)
        if parent is not None:
            return parent
        pause = 0.05
        while True:
            if self.slots.claim(key, incident_id, now, window):
                return None
            slot = self.slots.get(key)
            if slot is None:
                continue
            try:
                root = self.repository.get(slot.root_id)
            except NotFoundError:
                root = None
            if root is not None and root.parent_id is None and root.status != IncidentStatus.RESOLVED.value:
                return root
            if (root is not None or slot.claimed_at < self.clock() - stale) and self.slots.claim(
                key, incident_id, now, window, replacing=slot.root_id
            ):
                return None  # the root it named is closed or a child, or was never created
            if time.monotonic() >= deadline:
                raise ServiceUnavailableError(
                    f"the root incident of service {alert.service} is still being opened",
                    retry_after=until_stale(slot.claimed_at, stale, self.clock()),
                )
            self.sleep(pause * _JITTER.uniform(0.5, 1.5))
            pause = min(pause * 1.5, 0.5)

    def discard(self, incident) -> None:
        """Delete an incident created for a claim that could not be finalized (best effort: it has
        no timeline yet and no alert points to it)."""
        try:
            self.repository.delete(incident)
        except Exception:  # left as an orphan without alerts; logged so it can be found
            logger().warning("could not discard an unfinished incident", extra={"incident_id": incident.id})
        self._release_slot(incident)

    def announce(self, incident, alert: Alert, now: datetime):
        """The timeline and stream event of a new incident, and its parent's child count; returns
        the incident (a root now if its parent resolved as it was correlated: see `_promote`).

        One event: a child's correlation (parent and reason) rides on its ``incident_created``; the
        child's "correlated" entry and the parent's "child_correlated" entries are rendered from it
        and from the parent's children when the timeline is read (`incidents.timeline`,
        docs/writes.md round 3), not written."""
        data = {
            "source": alert.source,
            "fingerprint": alert.fingerprint,
            "severity": alert.severity.value,
            "service": alert.service,
            "namespace": alert.namespace,
            "parent_id": incident.parent_id,
        }
        if incident.parent_id:
            data["correlation_reason"] = incident.correlation_reason
        self.record(incident, "incident_created", alert.title, data=data)
        if incident.parent_id and self.repository.add_child(incident.parent_id, now) is None:
            incident = self._promote(incident)
        metrics.incident_created(alert.source, bool(incident.parent_id))
        return incident

    def _promote(self, incident):
        """The parent resolved between the child's correlation and now: a child starts no workflow,
        so under a resolved parent nobody would hear of it. It becomes a root of its own."""
        parent_id = incident.parent_id
        promoted = self.repository.promote_to_root(incident.id)
        if promoted is None:
            return incident
        self.record(
            promoted,
            "promoted_to_root",
            f"its parent {parent_id} was resolved as it was correlated: it is an incident of its own",
            data={"parent_id": parent_id},
            stream_type="incident_updated",
        )
        return promoted

    def ensure_announced(self, incident, alert: Alert) -> bool:
        """Announce an incident whose announcement was lost: the delivery that opened it stored it
        (with its alert item, in one transaction) and failed before `announce`; its redelivery or
        dead-letter replay finds the delivery applied and comes here. True if it was announced now."""
        if self.recorded(incident.id, "incident_created"):
            return False
        self.announce(incident, alert, incident.created_at)
        return True

    def correlation_parent(self, alert: Alert, workspace: str, now: datetime):
        """The newest open root incident of the same service and namespace seen within the window."""
        if not alert.service:
            return None
        window = timedelta(seconds=settings.intake().correlation_window_seconds)
        return self.repository.open_root_of_service(
            service_key(workspace, alert.namespace, alert.service), now - window
        )


def _reason(alert: Alert) -> str:
    where = f" in namespace {alert.namespace}" if alert.namespace else ""
    minutes = settings.intake().correlation_window_seconds // 60
    return f"same service {alert.service}{where} within {minutes} min"
