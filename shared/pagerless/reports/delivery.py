"""Delivery of a stored report: a ``report.ready`` notification job and an SES e-mail (none while
the workspace switched the ``email`` channel plugin off).

A delivery that failed (SES refused the e-mail, the queue was down, the function timed out) is
recorded on the report and retried by the next tick, which sends only what is missing (the
``report.ready`` job once, the e-mail once); a tick claims a report before delivering it
(``ReportService``), so two ticks never deliver it together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pagerless.observability import logger
from pagerless.reports.render import TEXT, first_day, headline, render, render_text
from pagerless.store.reports import ReportRecord, ReportRepository

if TYPE_CHECKING:
    from pagerless.reports.service import ReportSettings


def delivered(record: ReportRecord) -> bool:
    """Whether the report went out: a delivery recorded without an error (an empty one: never delivered)."""
    return bool(record.delivery) and "error" not in record.delivery


def _summary(record: ReportRecord, settings: ReportSettings) -> tuple[str, str]:
    """The report's title (its type and local first day) and the title with its headline."""
    t = TEXT[settings.language]
    title = f"{t[record.report_type]} {first_day(record.data)}"
    return title, f"{title}{t['colon']}{headline(record.data, t)}"


def _why(exc: Exception) -> str:
    from pagerless.domain.errors import PagerlessError

    return str(exc) if isinstance(exc, PagerlessError) else f"delivery failed ({type(exc).__name__})"


NO_SENDER = "PAGERLESS_REPORTS_EMAIL_FROM is not set: reports cannot be e-mailed"


def _sender() -> str | None:
    """The SES mailer's sender (a mailer given to ReportDelivery brings its own)."""
    from pagerless.reports.mail import MailSettings

    return MailSettings().email_from


def _email_switched_off(workspace: str) -> bool:
    from pagerless.plugin_switches import disabled

    return "email" in disabled(workspace, "channel")


class ReportDelivery:
    def __init__(
        self, repository: ReportRepository, enqueue: Callable | None = None, mailer: Callable | None = None
    ) -> None:
        self.repository = repository
        self._enqueue = enqueue
        self._mailer = mailer

    def deliver(self, workspace: str, record: ReportRecord, settings: ReportSettings) -> dict:
        """Announce the report (a ``report.ready`` job) and e-mail it, each unless an earlier attempt did;
        what was done, and the error that stopped it, are recorded on the report (then the error is raised)."""
        previous = record.delivery or {}
        delivery = {"notify": bool(previous.get("notify")), "email": list(previous.get("email") or [])}
        try:
            if not delivery["notify"]:
                self._announce(workspace, record, settings)
                delivery["notify"] = True
            if settings.email_to and _email_switched_off(workspace):
                # the notify deliveries skip email channels the same way (ChannelService.usable)
                delivery["email_skipped"] = "the email channel plugin is switched off (/api/plugins/email)"
            elif settings.email_to and not delivery["email"] and self._mailer is None and not _sender():
                # a setting to make, not an outage: retrying cannot help, so the report counts as delivered
                delivery["email_skipped"] = NO_SENDER
                logger().warning("report not e-mailed", extra={"workspace": workspace, "reason": NO_SENDER})
            elif settings.email_to and not delivery["email"]:
                delivery["email"] = self._email(record, settings, _summary(record, settings)[1])
        except Exception as exc:
            self.repository.set_delivery(record, {**delivery, "error": _why(exc)})
            raise
        self.repository.set_delivery(record, delivery)
        logger().info("report delivered", extra={"workspace": workspace, "report_id": record.sk})
        return delivery

    def _announce(self, workspace: str, record: ReportRecord, settings: ReportSettings) -> None:
        t = TEXT[settings.language]
        title, summary = _summary(record, settings)
        # the console's page of the report: a reader who taps it in chat signs in (if need be) and reads it, where the
        # API's URL answered 401 JSON to anyone without an API key
        link = f"/console/reports/{record.sk}"
        from pagerless.outbox.jobs import NotifyJob, enqueue

        job = NotifyJob(
            workspace=workspace,
            event="report.ready",
            generation=record.sk,
            data={
                "report_id": record.sk,
                "report_type": record.report_type,
                "summary": summary,
                "title": title,
                "message": headline(record.data, t),
                "link": link,
                "period_start": record.period_start,
                "period_end": record.period_end,
                "no_incidents": record.data.get("no_incidents", False),
                "markdown": render(record.data, "markdown", settings.language),
                "language": settings.language,  # what a channel that chose no language says it in
            },
        )
        (self._enqueue or enqueue)(job)

    def _email(self, record: ReportRecord, settings: ReportSettings, subject: str) -> list[str]:
        from pagerless.reports.mail import send_report

        mailer = self._mailer or send_report
        mailer(
            list(settings.email_to),
            subject,
            render(record.data, "html", settings.language),
            render_text(record.data, settings.language),
        )
        return list(settings.email_to)
