"""The wait of a runbook run that nothing will end: its step's approval timed out, and its execution,
whose own timeout (``ApprovalTimedOut``) ends the wait, no longer runs (a restart of `pagerless dev`
ends every execution; on AWS someone stopped it in the console). The job would stay ``parked`` for
good; the scheduled approval sweep ends it ``timed_out`` instead, as the timeout would have: its
approval expires (its cards lose their buttons), the job fails, and its event and the incident's
timeline say so.

The steps before it that changed something are not rolled back here: a rollback is a change to the
cluster, made by the run's own execution, each through the policy; a sweep that no execution runs
does not make one. They are named as still applied (``result.not_rolled_back``, the job's error),
so a person decides; a replay starts the run again.

The jobs are read from the system table's sparse `sweeps` index, where a job is only while it waits
on an approval (``store.jobs``), so the sweep's cost follows the waits past their deadline now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pagerless import settings, step_functions
from pagerless.clock import utcnow
from pagerless.domain import approvals as vocab
from pagerless.observability import logger
from pagerless.runbooks.error_phrases import LOST_WAIT, PARTS, part
from pagerless.store.approvals import ApprovalRepository
from pagerless.store.jobs import PARKED, JobRecord, JobRepository

WHY = LOST_WAIT


def sweep(sfn=None, now: datetime | None = None) -> list[dict]:
    """End every lost run's wait whose approval timed out past the grace; what was done for each."""
    now = now or utcnow()
    grace = timedelta(seconds=settings.workflow_timing().approval_delivery_grace_seconds)
    done = []
    for job in JobRepository().waits_past(now - grace):
        try:
            done.append({"job_id": job.job_id, "wait": _end(job, sfn, now)})
        except Exception as exc:  # one job must not stop the others; the next sweep tries again
            logger().exception("could not end a lost run's wait", extra={"job_id": job.job_id})
            done.append({"job_id": job.job_id, "wait": "failed", "error": type(exc).__name__})
    return done


def _end(job: JobRecord, sfn, now: datetime) -> str:
    """``ended``; ``waiting`` (its deadline moved later: a retried request asked again),
    ``running`` (its execution's own timeout ends it), ``decided`` (a decision ends it), or
    ``dropped`` (the job no longer waits: its keys are removed)."""
    record = (
        ApprovalRepository().get(job.incident_id or job.job_id, job.correlation_key) if job.correlation_key else None
    )
    if job.status != PARKED or record is None:
        JobRepository().update(job, sweep=None, sweep_since=None)
        return "dropped"
    if record.status != vocab.PENDING:
        return "decided"  # its decider, the delivery sweep or a retried request tells the job
    if not record.timed_out(now):
        JobRepository().update(job, sweep_since=record.expires_at, expected_status=(PARKED,))
        return "waiting"
    if _still_running(record.execution_arn, sfn):
        return "running"
    from pagerless.runbooks.endings import finish
    from pagerless.runbooks.job_state import current_step, runbook_of

    step = current_step(job)
    applied = [runbook_of(job).steps[e["index"]].name for e in (job.state or {}).get("completed", [])]
    ended, left = part("timed_out", step=step.name if step else "the step", lost=True), part("lost_wait")
    finish(
        job.job_id,
        "timed_out",
        PARTS.render(ended, "en"),
        said={"said": ended},  # its error in Chinese too (`error_phrases`)
        rolled_back=[],
        **(
            {"not_rolled_back": [{"step": n, "reason": PARTS.render(left, "en"), "said": left} for n in applied]}
            if applied
            else {}
        ),
    )
    return "ended"


def _still_running(arn: str | None, sfn) -> bool:
    """Whether the run's execution still runs (then its own timeout ends the wait). One Step
    Functions cannot describe (not reached) counts as running: the next sweep asks again."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not arn:
        return False
    try:
        return (sfn or step_functions.client()).describe_execution(executionArn=arn)["status"] == "RUNNING"
    except ClientError as exc:
        return exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist"
    except BotoCoreError:
        return True
