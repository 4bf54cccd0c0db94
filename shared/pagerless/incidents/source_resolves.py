"""An incident's side of its alerts' resolves, mixed into `IncidentLifecycle` (which owns the
move itself, `resolve`): the last alert resolves the incident by its source, in one transaction
with the alert's own resolve; while a fix runs that is only noted (verification decides); and a root
incident answers for its correlated children (which start no workflow of their own): it stays open
while one still fires, and the last of them to resolve resolves it; resolved by hand, it resolves
them with it (`resolve_children`)."""

from datetime import datetime

from pagerless.domain.alerts import Alert
from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import metrics
from pagerless.incidents.timeline import Entry
from pagerless.observability import logger
from pagerless.store.incidents import AlongsideUpdate

# While a fix runs, a source resolve is only noted: verification decides.
REMEDIATION_STATUSES = frozenset({IncidentStatus.REMEDIATING, IncidentStatus.VERIFYING})
SOURCE_RESOLUTION = "every alert resolved at the source"
SOURCE_ANNOUNCED_BY = "its source (every alert resolved)"
RESOLVE_ATTEMPTS = 3  # each lost attempt: the incident changed after it was read


class SourceResolves:
    """Needs ``repository``, ``record_all``, ``resolve`` and ``notify_resolved`` (`IncidentLifecycle`)."""

    def alert_resolved(
        self, incident_id: str, alert: Alert, now: datetime, *, alongside: AlongsideUpdate | None = None
    ):
        """One alert of the incident resolved; the last one resolves the incident (by source).

        All it changes is one transaction: the incident's count (for the last alert, its resolve), the
        timeline entries that say so and ``alongside``, the alert item's resolve
        (`AlertRepository.resolving`; `AlongsideTaken` when the alert changed first). A failure leaves
        nothing done, so the retry of the delivery does it all (a resolve that stopped halfway left
        an open incident counting no alert, which nothing resolved). None if the incident is gone."""
        for _ in range(RESOLVE_ATTEMPTS):
            try:
                incident = self.repository.get(incident_id)
            except NotFoundError:
                return None
            counted = self._count_resolved(incident, alert, now, alongside)
            if counted is not None:
                return counted
        raise ConflictError(f"incident {incident_id} kept changing: the resolve of an alert was not applied")

    def _count_resolved(self, incident, alert: Alert, now: datetime, alongside: AlongsideUpdate | None):
        """One attempt of `alert_resolved` on ``incident`` as read; None if it changed meanwhile."""
        status = IncidentStatus(incident.status)
        counted = int(incident.open_alerts or 0)
        last = counted <= 1 and status != IncidentStatus.RESOLVED
        entry = Entry("alert_resolved", alert.title, {"fingerprint": alert.fingerprint, "open_alerts": counted - 1})
        firing = self.children_firing(incident) if last and status not in REMEDIATION_STATUSES else []
        if last and status not in REMEDIATION_STATUSES and not firing:
            resolved, moved = self.resolve(
                incident,
                by="source",
                resolution=SOURCE_RESOLUTION,
                announced_by=SOURCE_ANNOUNCED_BY,
                now=now,
                close_alerts=True,  # this alert was the last (the transaction checks that it still fires)
                stop=lambda fresh: (
                    IncidentStatus(fresh.status) in REMEDIATION_STATUSES or int(fresh.open_alerts or 0) != counted
                ),
                before=[entry],
                updating=alongside,
            )
            if moved:
                metrics.resolved_by_source(alert.source)
            return resolved if moved else None
        entries = [entry]
        if firing:  # a root answers for its correlated children, which start no workflow of their own
            entries.append(
                Entry(
                    "children_still_firing",
                    f"every alert of its own resolved at the source; {len(firing)} correlated incident(s) "
                    "still fire, so it stays open until they resolve",
                    {"children": firing},
                )
            )
        elif last:  # while a fix runs, a source resolve is only noted: verification decides
            entries.append(
                Entry(
                    "source_resolved_during_remediation",
                    "every alert resolved at the source while a fix runs; verification decides",
                    {"status": status.value},
                )
            )
        changed = [None]

        def count_with(items) -> bool:
            changed[0] = self.repository.count_resolved_alert(
                incident, entries=items, alongside=alongside, same_status=last
            )
            return changed[0] is not None

        if self.record_all(incident, entries, write=count_with) is None:
            return None
        if firing:  # the last child may have resolved meanwhile, before this count was written
            self.resolve_waiting_parent(incident.id, now)
        return changed[0]

    def children_firing(self, incident) -> list[str]:
        """The ids of ``incident``'s correlated children that are not resolved."""
        if incident.parent_id or not int(getattr(incident, "child_count", 0) or 0):
            return []
        return [c.id for c in self.repository.children_of(incident) if c.status != IncidentStatus.RESOLVED.value]

    def resolve_waiting_parent(self, parent_id: str, now: datetime) -> None:
        """Resolve by its source a root whose own alerts all resolved while children still fired,
        once none fires any more (a child resolved; see `_count_resolved`)."""
        try:
            parent = self.repository.get(parent_id)
        except NotFoundError:
            return
        status = IncidentStatus(parent.status)

        def waits_for_nothing(fresh) -> bool:
            return (
                IncidentStatus(fresh.status) not in REMEDIATION_STATUSES
                and int(fresh.open_alerts or 0) == 0
                and not self.children_firing(fresh)
            )

        if status == IncidentStatus.RESOLVED or not waits_for_nothing(parent):
            return
        try:
            self.resolve(
                parent,
                by="source",
                resolution=SOURCE_RESOLUTION,
                announced_by=SOURCE_ANNOUNCED_BY,
                now=now,
                stop=lambda fresh: not waits_for_nothing(fresh),
            )
        except ConflictError:  # its workflow kept moving it: the child's change stands, people see the root
            logger().warning("could not resolve the root of a resolved group", extra={"incident_id": parent_id})

    def resolve_children(self, root, *, by: str, who: str, now: datetime) -> list:
        """A person resolved ``root`` by hand: its correlated children still open are resolved with
        it, by that person, each with an entry naming the root. Children start no workflow and are
        watched through their root, so left open under it nobody would see them again; their
        resolves are not announced (`notices.incident_resolved`), so nobody hears once per child.
        Returns the children resolved now."""
        if root.parent_id or not int(getattr(root, "child_count", 0) or 0):
            return []
        resolved = []
        for child in self.repository.children_of(root):
            if child.status == IncidentStatus.RESOLVED.value:
                continue
            try:
                child, moved = self.resolve(
                    child,
                    by=by,
                    resolution=f"resolved with its root {root.id} by {who}",
                    now=now,
                    actor=by,
                    close_alerts=True,
                    detail={"root_id": root.id},
                )
            except ConflictError:  # it kept changing: left as it is, in the group view of its root
                logger().warning("could not resolve a child with its root", extra={"incident_id": child.id})
                continue
            if moved:
                resolved.append(child)
        return resolved

    def announce_source_resolve(self, incident) -> None:
        """Tell again that ``incident`` resolved by its source: the delivery whose alert resolved it
        made the transaction and failed before the notification was queued (the stream's table
        down, the Lambda stopped); its redelivery comes here. The job's generation is the resolve's,
        so the notify function sends what it had not sent and drops what it had. The status it
        resolved from is not known any more: a pending approval's cards are closed either way. Queued, it clears the
        resolve's notice marker if it is still there (the sweep would queue the job once more): a consistent read
        first, so the usual redelivery, whose first attempt deleted it, writes nothing."""
        if self.notify_resolved(incident, by=SOURCE_ANNOUNCED_BY, previous_status=None) is not False:
            self._clear_owed_resolve(incident)

    def _clear_owed_resolve(self, incident) -> None:
        from pagerless.incidents.lifecycle import RESOLVED_NOTICE

        at = incident.resolved_at
        if incident.parent_id or at is None:  # a correlated child's resolve owes no notice
            return
        try:
            owed = self.repository.notice_owed(incident.id, RESOLVED_NOTICE, at)
        except Exception:  # noqa: BLE001 — the job is queued; the marker only makes the sweep queue it again
            logger().warning("could not read a notice's marker", extra={"incident_id": incident.id})
            return
        if owed:
            self.notice_sent(incident, RESOLVED_NOTICE, at)
