"""Incident ids: INC-YYYYMMDD-NNNN, numbered per workspace and UTC day by an atomic counter
(other workspaces than the default one get their name as a suffix: INC-YYYYMMDD-NNNN-<workspace>)."""

from datetime import datetime

from pagerless import settings
from pagerless.clock import utcnow
from pagerless.domain.incidents import format_incident_id
from pagerless.store.system import increment


def allocate_incident_id(now: datetime | None = None, workspace: str | None = None) -> str:
    now = now or utcnow()
    if not workspace or workspace == settings.api().default_workspace:
        return format_incident_id(now, increment(f"incident#{now:%Y%m%d}"))
    return format_incident_id(now, increment(f"incident#{workspace}#{now:%Y%m%d}"), workspace)
