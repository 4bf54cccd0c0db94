"""Scheduled jobs, registered explicitly by name."""

from collections.abc import Callable

from pagerless.domain.errors import ValidationError
from pagerless.system.status import record_heartbeat

JOBS: dict[str, Callable[[dict], dict]] = {
    "heartbeat": lambda event: record_heartbeat("scheduler", {"job": "heartbeat"}),
    "oncall_handoff": lambda event: _oncall_handoff(),
}


def _oncall_handoff() -> dict:
    from pagerless.oncall.handoff import announce_handoffs

    return announce_handoffs()


def run_job(name: str, event: dict) -> dict:
    job = JOBS.get(name)
    if job is None:
        raise ValidationError(f"unknown scheduled job {name!r}")
    return {"job": name, "result": job(event)}
