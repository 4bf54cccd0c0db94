"""Incident ids: INC-YYYYMMDD-NNNN, numbered per UTC day by an atomic counter."""

from datetime import datetime

from pagerless.domain.incidents import format_incident_id
from pagerless.store.base import utcnow
from pagerless.store.system import increment


def allocate_incident_id(now: datetime | None = None) -> str:
    now = now or utcnow()
    return format_incident_id(now, increment(f"incident#{now:%Y%m%d}"))
