"""Report settings, generation and the hourly due-check; a stored report goes out through
`pagerless.reports.delivery` (notification job + SES e-mail).

Periods are in the workspace's time zone: a daily report covers a local calendar day, a weekly one
Monday 00:00 to the next Monday. A report is of a finished period: the tick and `generate` without a period make
the last complete day and week (today is in neither: it is reported once its day and week have ended); a period
still running is reported when asked with its start and end, under an id naming them. The hourly tick makes, per workspace, the last complete day and
week if they are missing: the report id is the period (``daily-2026-12-01``), created with a
conditional write, so repeated or concurrent ticks store and deliver each report once. A local date
names one period per zone: when the id's report covers another period (made before the workspace's
time zone changed), this period's id adds its UTC start (``daily-2026-12-01-20261130T1600Z``), so the
day is still made and the other zone's report is kept.

A tick claims a report before delivering it, so two ticks never deliver it together, and retries
a delivery that failed. A report stored without delivery (an operator generated the period's
report before the tick) is delivered by the tick too; regenerating a report keeps what was
delivered of it.
"""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pagerless.clock import STORED, parse_time, utcnow, zone_field
from pagerless.domain.errors import NotFoundError, ValidationError
from pagerless.domain.preconditions import IfMatch, precondition_failed
from pagerless.domain.schema_docs import documented
from pagerless.observability import logger
from pagerless.reports import data as report_data
from pagerless.reports.delivery import ReportDelivery, delivered
from pagerless.reports.render import LANGUAGES
from pagerless.store.reports import (
    ReportRecord,
    ReportRepository,
    approvals_requested,
    incidents_opened,
    incidents_reopened,
)

TYPES = ("daily", "weekly")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # no report period starts before (nor ends more than a year ahead)
CLAIM_SECONDS = 900  # a delivery claim older than this (the function's timeout is 120 s) was abandoned
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_WORKSPACE_SETTINGS = {"timezone": "UTC", "language": "en", "daily": True, "weekly": True, "email_to": []}


class ReportSettings(BaseModel):
    model_config = ConfigDict(
        **documented(
            {
                "timezone": "Asia/Shanghai",
                "language": "zh",
                "daily": True,
                "weekly": True,
                "email_to": ["sre@example.com"],
            },
            timezone="IANA time zone the reports' days and weeks are in.",
            language="en or zh: the language reports are delivered in, and read in when GET names no lang.",
            daily="Send the daily report.",
            weekly="Send the weekly report.",
            email_to="Addresses the reports are emailed to.",
        )
    )
    timezone: str = "UTC"
    language: str = "en"
    daily: bool = True
    weekly: bool = True
    email_to: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("email_to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not EMAIL.match(a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(bad)}")
        return value

    _zone = field_validator("timezone")(classmethod(lambda cls, value, info: zone_field(value, info)))

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language is one of {', '.join(LANGUAGES)}")
        return value


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def standard_period(report_type: str, now: datetime, zone: str) -> tuple[str, datetime, datetime]:
    """The last complete day or week (Monday-based) before ``now`` in ``zone``: (id, start, end)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    if report_type == "daily":
        day = today - timedelta(days=1)
        return f"daily-{day.isoformat()}", local_midnight(day, zone), local_midnight(today, zone)
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(days=7)
    return f"weekly-{first.isoformat()}", local_midnight(first, zone), local_midnight(monday, zone)


def period_id(record: ReportRecord | None, report_id: str, start: datetime, end: datetime) -> str:
    """``report_id`` when it is free or names this very period; else the id with the period's UTC start (the
    same date in another time zone is another period)."""
    if record is None or record.period_start is None:  # free, or stored without its period: as before
        return report_id
    if (parse_time(record.period_start), parse_time(record.period_end)) == (start, end):
        return report_id
    return f"{report_id}-{start.astimezone(UTC):%Y%m%dT%H%MZ}"


def _facts(record, reopens: list[datetime] | None = None) -> report_data.IncidentFacts:
    diagnosis = record.diagnosis or {}
    return report_data.IncidentFacts(
        id=record.id,
        title=record.title,
        severity=record.severity,
        service=record.service,
        source=record.source or "",
        first_seen=record.first_seen or record.created_at,
        acknowledged_at=record.acknowledged_at,
        reopened_at=record.reopened_at,
        reopens=tuple(reopens or ()),
        resolved_at=record.resolved_at,
        resolved_by=record.resolved_by,
        alert_count=int(record.alert_count or 1),
        category=diagnosis.get("category") if isinstance(diagnosis, dict) else None,
        parent_id=record.parent_id,
    )


class ReportService:
    def __init__(
        self,
        repository: ReportRepository | None = None,
        clock: Callable[[], datetime] = utcnow,
        slos=None,
        enqueue: Callable | None = None,
        mailer: Callable | None = None,
    ) -> None:
        self.repository = repository or ReportRepository()
        self.clock = clock
        self._slos = slos
        self.delivery = ReportDelivery(self.repository, enqueue=enqueue, mailer=mailer)

    @property
    def slos(self):
        if self._slos is None:
            from pagerless.slo.service import SloService

            self._slos = SloService(clock=self.clock)
        return self._slos

    # ------------------------------------------------------------------ settings
    def settings(self, workspace: str) -> ReportSettings:
        return self.versioned_settings(workspace)[0]

    def versioned_settings(self, workspace: str) -> tuple[ReportSettings, int | None]:
        """The settings and their stored version (None: never stored, the defaults: no ETag)."""
        stored = self.repository.settings_versioned(workspace)
        if stored is None:
            return ReportSettings(**DEFAULT_WORKSPACE_SETTINGS), None
        return ReportSettings.model_validate(stored[0], context=STORED), stored[1]

    def language(self, workspace: str) -> str:
        """The language the workspace's reports are in: its settings' ``language`` (English when none are stored,
        or the stored one is not a language reports have). Read on its own, so a report still reads when other
        stored settings no longer load (a zone this version does not know)."""
        stored = self.repository.settings_versioned(workspace)
        language = (stored[0] or {}).get("language") if stored else None
        return language if language in LANGUAGES else DEFAULT_WORKSPACE_SETTINGS["language"]

    def put_settings(
        self, workspace: str, settings: ReportSettings, if_match: IfMatch | None = None
    ) -> tuple[ReportSettings, int]:
        """Replace the settings; with ``if_match``, only over that stored version (412 if not, or if none are
        stored). The settings and the version written."""
        version = self.repository.put_settings(workspace, settings.model_dump(mode="json"), if_match)
        if version is None:
            stored = self.repository.settings_versioned(workspace)
            what = "the report settings"
            raise precondition_failed(what, stored[1] if stored else None, exists=stored is not None, if_match=if_match)
        return settings, version

    # ------------------------------------------------------------------ reading
    def read(self, workspace: str, report_id: str) -> ReportRecord:
        """A stored report as it is shown. One stored before burn-down points had ``even_percent`` (before 7
        December 2026) has it computed now from the SLO's definition (`SloService.even_line`), so its chart shows the
        even-spend line; an SLO deleted since shows none. Nothing is written back."""
        return self._as_shown(workspace, self.repository.get(workspace, report_id))

    def _as_shown(self, workspace: str, record: ReportRecord) -> ReportRecord:
        """``record`` with what a report stored before 7 December 2026 lacks computed (`read`): what is read and
        what is delivered (a retried delivery of such a report) show the same."""
        for status in (record.data or {}).get("slo_status") or []:
            points = status.get("burn_down") or []
            if not points or all("even_percent" in point for point in points):
                continue
            try:
                slo = self.slos.get(workspace, status["slo_name"])
            except NotFoundError:
                continue
            even = self.slos.even_line(workspace, slo, [parse_time(point["at"]) for point in points])
            status["burn_down"] = [{**point, "even_percent": e} for point, e in zip(points, even, strict=True)]
        return record

    # ------------------------------------------------------------------ generation
    def build(self, workspace: str, report_type: str, start: datetime, end: datetime, zone: str) -> dict:
        # The period's incidents: those opened in it (their first alert may precede their creation a
        # little: hence the lookback) and those reopened in it, however long ago they opened.
        lookback = start - timedelta(days=30)
        records = {r.id: (r, []) for r in incidents_opened(workspace, lookback, end)}
        records.update(incidents_reopened(workspace, start, end))
        incidents = [_facts(record, reopens) for record, reopens in records.values()]
        # one reopened after the period holds a later firing than the period's: its timeline tells the period's
        later = [i for i in incidents if i.reopened_at and i.reopened_at >= end and report_data.began_in(i, start, end)]
        if later:
            from pagerless.store.timeline import episode_entries

            seen = {i.id: report_data.episode_in(i, episode_entries(i.id), start, end) for i in later}
            incidents = [seen.get(i.id, i) for i in incidents]
        approvals = [
            report_data.ApprovalFacts(a.requested_at, a.decided_at, a.status)
            for a in approvals_requested(workspace, start, end)
        ]
        return report_data.build(
            workspace=workspace,
            report_type=report_type,
            start=start,
            end=end,
            zone=zone,
            incidents=incidents,
            approvals=approvals,
            slos=self._slo_status(workspace, start, end, zone),
        )

    def _slo_status(self, workspace: str, start: datetime, end: datetime, zone: str) -> list[dict]:
        status = []
        days = report_data.days_of(start, end, zone)
        at = min(end, self.clock()).astimezone(UTC)  # the budget as the period ended (or as it stands, while it runs)
        # each local day's point is the budget as that day ended (or as the period did, or as it stands now: the
        # stored buckets say nothing of the future), labelled with the day; the last point is the budget above
        moments = [min(local_midnight(day + timedelta(days=1), zone), at) for day in days]
        for slo in self.slos.all(workspace):
            budget = self.slos.budget(workspace, slo.name, slo, at=at)
            status.append(
                {
                    "slo_name": slo.name,
                    "service": slo.service,
                    "target": slo.target,
                    "budget_remaining_percent": budget["budget_remaining_percent"],
                    "alert_level": budget["alert_level"],
                    "burn_down": [
                        {**point, "date": day.isoformat()}
                        for point, day in zip(self.slos.burn_down(workspace, slo, moments), days, strict=True)
                    ],
                }
            )
        return status

    def generate(
        self,
        workspace: str,
        report_type: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        deliver: bool = False,
    ) -> ReportRecord:
        """Generate (or regenerate) a report; default period: the tick's, the last complete day (yesterday) or week
        (the Monday-to-Monday week before this one), under the tick's id (`standard_period`)."""
        if report_type not in TYPES:
            raise ValidationError("report_type is daily or weekly", details=[{"field": "report_type"}])
        zone = self.settings(workspace).timezone
        now = self.clock()
        if start is None and end is None:
            report_id, start, end = standard_period(report_type, now, zone)
        elif start is None or end is None:
            missing = "period_start" if start is None else "period_end"
            raise ValidationError(
                "give both period_start and period_end, or neither", details=[{"field": missing, "message": "missing"}]
            )
        else:
            naive = [name for name, moment in (("period_start", start), ("period_end", end)) if moment.tzinfo is None]
            if naive:  # a local time of which zone: the report's days are the settings' zone's, said with an offset
                example = datetime(2026, 12, 5, tzinfo=ZoneInfo(zone)).isoformat()
                raise ValidationError(
                    f"period_start and period_end need a UTC offset, e.g. {example} (midnight in the report zone"
                    f" {zone})",
                    details=[
                        {"field": name, "message": f"a time with its UTC offset, e.g. {example}"} for name in naive
                    ],
                )
            if not start < end or end - start > timedelta(days=31):
                raise ValidationError(
                    "the period must be positive and at most 31 days long",
                    details=[{"field": "period_start"}, {"field": "period_end"}],
                )
            if start < EARLIEST or end > now + timedelta(days=366):
                # also keeps the period's lookback and local days inside the calendar (year 1 to 9999)
                raise ValidationError(
                    "the period must start after 1970 and end within a year from now",
                    details=[{"field": "period_start"}, {"field": "period_end"}],
                )
            report_id = f"{report_type}-{start.astimezone(ZoneInfo(zone)).strftime('%Y-%m-%dT%H%M')}-{int((end - start).total_seconds() // 60)}m"
        report_id = period_id(self.repository.find(workspace, report_id), report_id, start, end)
        existing = self.repository.find(workspace, report_id)
        record = self.repository.create(
            workspace,
            report_id,
            report_type,
            self.build(workspace, report_type, start, end, zone),
            replace=True,
            # regenerated: what was delivered stays delivered (the tick does not send it again), unless asked to
            delivery=existing.delivery if existing is not None and not deliver else None,
        )
        if deliver:
            self.deliver(workspace, record)
        return record

    def run_due(self) -> dict:
        """The hourly tick: every workspace's missing last day and week, stored and delivered once; a
        delivery that failed before (or never ran) is retried. One report's failure stops no other,
        nor does a workspace whose reports cannot be made (its settings no longer load, a build fails):
        it is named in ``failed`` and tried again by the next tick."""
        done = {"generated": [], "retried": [], "failed": [], "already_done": 0}
        workspaces = self.repository.workspaces_with_settings()
        workspaces.setdefault("default", DEFAULT_WORKSPACE_SETTINGS)
        for workspace, raw in sorted(workspaces.items()):
            try:
                self._run_workspace(workspace, ReportSettings.model_validate(raw, context=STORED), done)
            except Exception:  # noqa: BLE001 - logged and named; the other workspaces still get theirs
                logger().exception("reports could not be made", extra={"workspace": workspace})
                done["failed"].append(workspace)
        return done

    def _run_workspace(self, workspace: str, settings: ReportSettings, done: dict) -> None:
        for report_type in TYPES:
            if not getattr(settings, report_type):
                continue
            now = self.clock()
            report_id, start, end = standard_period(report_type, now, settings.timezone)
            report_id = period_id(self.repository.find(workspace, report_id), report_id, start, end)
            record, new = self.repository.find(workspace, report_id), False
            if record is None:
                data = self.build(workspace, report_type, start, end, settings.timezone)
                record = self.repository.create(
                    workspace, report_id, report_type, data, replace=False, claimed_at=utcnow()
                )
                new = record is not None  # None: another tick won the conditional write
            elif not delivered(record) and self.repository.claim_delivery(
                record, utcnow(), utcnow() - timedelta(seconds=CLAIM_SECONDS)
            ):
                record = self.repository.find(workspace, report_id)  # what the last attempt delivered
                record = record and self._as_shown(workspace, record)
            else:
                record = None
            if record is None:
                done["already_done"] += 1
                continue
            name = f"{workspace}/{report_id}"
            try:
                self.deliver(workspace, record, settings)
            except Exception:  # noqa: BLE001 - recorded on the report; the next tick retries it
                logger().exception("report delivery failed", extra={"workspace": workspace, "report_id": report_id})
                done["failed"].append(name)
                continue
            done["generated" if new else "retried"].append(name)

    # ------------------------------------------------------------------ delivery
    def deliver(self, workspace: str, record: ReportRecord, settings: ReportSettings | None = None) -> dict:
        """Deliver a stored report (pagerless.reports.delivery) with the workspace's settings."""
        return self.delivery.deliver(workspace, record, settings or self.settings(workspace))
