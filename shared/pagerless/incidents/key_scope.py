"""A services-scoped API key or agent token acts on, and reads, its services' incidents only.

Every route that names an incident in its path is held here before its handler runs (`pagerless.api.security`),
so a refusal writes nothing; the other ways to an incident (a runbook run, an action, a job's signal, the bot,
the MCP tools) call `hold` with the incident they were given. A key without a services scope (no scope, or
sources only) is not read for: it costs nothing. docs/intake.md, "Who may send what", has the rules.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from pagerless.domain.errors import NotFoundError
from pagerless.domain.key_scopes import KeyScope, hold_to_incident, hold_to_services

if TYPE_CHECKING:
    from pagerless.store.timeline import StreamEventRecord


def binds(scope: KeyScope | None) -> bool:
    """Whether ``scope`` limits which incidents its key may touch."""
    return scope is not None and scope.services is not None


def hold(scope: KeyScope | None, *, key: str, workspace: str, incident_id: str, reading: bool = False) -> None:
    """403 (ForbiddenError) when the incident's service is outside the key's services. An incident the workspace
    does not have is let through: the caller's own read answers its 404."""
    if not binds(scope):
        return
    from pagerless.store.incidents import IncidentRepository

    try:
        incident = IncidentRepository().get(incident_id, workspace)
    except NotFoundError:
        return
    hold_to_incident(scope, incident.id, incident.service, key=key, reading=reading)


def hold_record(scope: KeyScope | None, incident, *, key: str, reading: bool = False) -> None:
    """`hold` for an incident already read."""
    if binds(scope):
        hold_to_incident(scope, incident.id, incident.service, key=key, reading=reading)


def hold_unbound(scope: KeyScope | None, *, key: str, what: str) -> None:
    """403 for a services-scoped key doing ``what`` on no incident (a runbook run or an action on the workspace):
    without an incident it speaks for every service."""
    hold_to_services(scope, None, key=key, what=what)


def visible(
    scope: KeyScope | None, service: str | None, *, key: str = "", what: str = "list incidents"
) -> frozenset[str] | None:
    """The services whose incidents a list (or a draft from history: ``what``) reads for this key (None: every
    service): a services-scoped key's own, or the one it names when that is one of them; naming another is a 403
    rather than an empty answer."""
    if not binds(scope):
        return None
    if service:
        hold_to_services(scope, service, key=key, what=what)
        return frozenset({service})
    return scope.services


def stream_filter(scope: KeyScope | None, workspace: str) -> "Callable[[StreamEventRecord], bool] | None":
    """Which events of the workspace stream a key is sent (None: all): a services-scoped key's, those of its
    services' incidents. Each incident's service is read once per connection (one GetItem per incident the stream
    names, however many of its events follow); an event of no incident, or of one the workspace no longer has,
    is not sent."""
    if not binds(scope):
        return None
    from pagerless.store.incidents import IncidentRepository

    services: dict[str, str | None] = {}

    def keep(event: "StreamEventRecord") -> bool:
        incident_id = event.incident_id
        if not incident_id:
            return False
        if incident_id not in services:
            try:
                services[incident_id] = IncidentRepository().get(incident_id, workspace).service
            except NotFoundError:
                services[incident_id] = None
        return services[incident_id] in scope.services

    return keep


def visible_items(scope: KeyScope | None, workspace: str, items: list[dict]) -> list[dict]:
    """The items of a page (approvals, jobs: each a dict with its ``incident_id``) a key reads: a services-scoped
    key's, those of its services' incidents (their services read in one BatchGet of the page's incidents); an item
    of no incident, or of one the workspace no longer has, is left out. A page may so hold fewer items than its
    limit: its cursor goes on where the read stopped."""
    if not binds(scope):
        return items
    from pagerless.store.incidents import IncidentRepository

    services = IncidentRepository().services_of({i["incident_id"] for i in items if i.get("incident_id")}, workspace)
    return [i for i in items if i.get("incident_id") in services and services[i["incident_id"]] in scope.services]
