"""Incident ids: INC-YYYYMMDD-NNNN, numbered per workspace and UTC day (other workspaces than the
default one get their name as a suffix: INC-YYYYMMDD-NNNN-<workspace>).

No counter item (docs/writes.md): the number is the first one of the day not taken yet, found
from the workspace's newest incident (the by_workspace index: it may lag) and consistent reads
of the ids after it; the incident's conditional put (`IncidentRepository.add`) is what makes it
unique — a creator that lost the race allocates again. Reads cost no write; a number is only
used by the incident that stores it, so losers of the dedup claim burn none.
"""

from datetime import datetime

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.domain.incidents import format_incident_id
from pagerless.store.incidents import IncidentRepository


def allocate_incident_id(
    now: datetime | None = None, workspace: str | None = None, repository: IncidentRepository | None = None
) -> str:
    """The first free incident id of ``now``'s day in ``workspace`` (free when read: see above)."""
    now = now or utcnow()
    repository = repository or IncidentRepository()
    suffix = None if not workspace or workspace == settings.api().default_workspace else workspace

    def taken(number: int) -> bool:
        return repository.exists(format_incident_id(now, number, suffix))

    low = _number_of(repository.newest_id(workspace or settings.api().default_workspace), now, suffix)
    # Gallop past numbers taken since the index was written, then bisect to the first free one.
    step, high = 1, low + 1
    while taken(high):
        low, step = high, step * 2
        high = low + step
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if taken(middle) else (low, middle)
    return format_incident_id(now, high, suffix)


def _number_of(incident_id: str | None, now: datetime, suffix: str | None) -> int:
    """The day number of ``incident_id`` if it is an id of ``now``'s day in this workspace, else 0."""
    prefix = f"INC-{now:%Y%m%d}-"
    if not incident_id or not incident_id.startswith(prefix):
        return 0
    number, _, rest = incident_id[len(prefix) :].partition("-")
    if not number.isdigit() or (rest or None) != suffix:
        return 0
    return int(number)
