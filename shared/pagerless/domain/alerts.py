"""The normalized alert every source is turned into."""

import hashlib
import json
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from pagerless.domain.severity import Severity


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertState(StrEnum):
    """Where one (workspace, source, fingerprint) stands: a delivery holds the claim to open or
    reopen its incident, it fires with an incident, or it is resolved."""

    CLAIMING = "claiming"
    FIRING = "firing"
    RESOLVED = "resolved"


class Alert(BaseModel):
    """One alert from one source, in Pagerless's words.

    The field names are the public contract of `pagerless normalize` and the API.
    """

    model_config = ConfigDict(frozen=True)

    source: str
    fingerprint: str
    status: AlertStatus = AlertStatus.FIRING
    severity: Severity = Severity.WARNING
    title: str
    description: str = ""
    service: str | None = None
    namespace: str | None = None
    pod: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    url: str | None = None
    acknowledged: bool = False
    # A vendor's update of an alert it reported before (an Opsgenie note, tag or acknowledgement):
    # it joins the incident its alert fires with, and never opens or reopens one.
    update_only: bool = False
    # The source has no data for the alert any more (a CloudWatch alarm gone from ALARM to
    # INSUFFICIENT_DATA: its metric stopped reporting). Sent as an update: the problem is not known
    # to be over, so its incident stays open, and its timeline says so (`alert_no_data`).
    no_data: bool = False
    # Fields the payload did not carry and the normalizer filled with a placeholder (a bare
    # resolve or close has no title, severity or service): the alert it resolves supplies them.
    defaulted: tuple[str, ...] = ()

    def inherit(self, earlier: "Alert") -> "Alert":
        """This alert with its `defaulted` fields (and a missing start) taken from ``earlier``."""
        update = {name: getattr(earlier, name) for name in self.defaulted if getattr(earlier, name) is not None}
        if self.starts_at is None and earlier.starts_at is not None:
            update["starts_at"] = earlier.starts_at
        return self.model_copy(update={**update, "defaulted": ()}) if update else self


def make_fingerprint(source: str, *parts: object) -> str:
    """A stable dedup key from a source and the parts that identify the problem.

    Dicts are key-sorted and strings stripped, so label order and whitespace do not change it.
    """
    canonical = json.dumps([source, *[_canonical(p) for p in parts]], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _canonical(value: object) -> object:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {str(k).strip(): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value
