"""Scheduled jobs, registered explicitly by name."""

from collections.abc import Callable

from pagerless.domain.errors import ValidationError
from pagerless.system.status import record_heartbeat

JOBS: dict[str, Callable[[dict], dict]] = {
    "heartbeat": lambda event: record_heartbeat("scheduler", {"job": "heartbeat"}),
    "status-probe": lambda event: _status_probe(),
    "oncall_handoff": lambda event: _oncall_handoff(),
    "slo-evaluate": lambda event: _slo_evaluate(),
    "reports-due": lambda event: _reports_due(),
    "flap-sweep": lambda event: _flap_sweep(),
    "escalation-sweep": lambda event: _escalation_sweep(),
    "approval-sweep": lambda event: _approval_sweep(),
}


def _status_probe() -> dict:
    from pagerless.system.probes import probe_and_store

    return probe_and_store()


def _approval_sweep() -> dict:
    from pagerless.runbooks import lost_waits
    from pagerless.workflow.approval_delivery import sweep

    # the decisions recorded and never sent; then the runbook runs' waits nothing would end
    return {"delivered": sweep(), "lost_waits": lost_waits.sweep()}


def _flap_sweep() -> dict:
    from pagerless.workflow.flapping import sweep

    return {"started": sweep()}


def _escalation_sweep() -> dict:
    from pagerless.incidents import notice_sweep
    from pagerless.oncall.sweep import sweep

    # the escalations nobody started; then the reopen and resolve notices nobody queued (named when there are some)
    started, notices = sweep(), notice_sweep.sweep()
    return {"started": started, **({"notices": notices} if notices else {})}


def _oncall_handoff() -> dict:
    from pagerless.oncall.handoff import announce_handoffs

    return announce_handoffs()


def _slo_evaluate() -> dict:
    from pagerless.slo.service import SloService

    return SloService().evaluate_all()


def run_job(name: str, event: dict) -> dict:
    job = JOBS.get(name)
    if job is None:
        raise ValidationError(f"unknown scheduled job {name!r}")
    return {"job": name, "result": job(event)}


def _reports_due() -> dict:
    from pagerless.reports.service import ReportService

    return ReportService().run_due()
