"""The scheduled safety net (`escalation-sweep`) for escalations nobody started: a start that
failed past its step's retries (the workflow goes on without it) or whose process died leaves the
escalation's record running without an execution, and nobody paged. Every such record older than
the start grace (`PAGERLESS_WORKFLOW_ESCALATION_START_GRACE_SECONDS`) is started here, by the same
path as a retried step (`engine.start` finds the record and starts it under its own name and input),
unless its incident was resolved or acknowledged meanwhile: then it is ended or stopped instead.

It reads only the records still waiting for an execution (the system table's sparse `sweeps` index,
kind ``escalation``); the first sweep on a table looks once through the whole table for those an older
version left without their index keys (`EscalationRepository.key_unstarted`).

It also resumes an escalation whose execution ended while its record still runs (the tick failed 10 times in a
row, ``TickFailed``, or refused its input, ``TickInvalid``): nobody would be paged again until a restart. Only an
escalation whose next step is overdue by more than the start grace is asked about (one DescribeExecution each: a
healthy execution pages a step when it falls due); one whose execution ended is handed over to a new execution, as
the restart reconciler does (`engine.resume`: the step after the last one paged, nothing paged twice; the last one
again if its page was claimed and never queued), once (the hand-over is conditional on the ended execution still
holding it), and its timeline says so. An escalation whose executions keep failing is resumed at most
`PAGERLESS_WORKFLOW_ESCALATION_RESUME_LIMIT` times (3): when the execution of its last resume ended too, it is
stopped, the timeline says so once (``escalation_gave_up``, with the last error, written in one transaction with the
stop: a sweep that dies writes neither, and the next gives up again; no sweep looks for a stop not said) and
/api/status lists it until a person acknowledges or resolves its incident. The entry's live event is owed by a notice
marker put in the same transaction: deleted once the event is on the stream, else the notice sweep sends it
(`pagerless.incidents.notice_sweep`), once. Those a version before the status page's own list gave up on (kept in
the `sweeps` index, read by nothing) are moved onto that list, or off the index if their incident was taken, a
bounded batch a run (`EscalationRepository.release_old_given_up`, docs/writes.md)."""

from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from pagerless import settings, step_functions
from pagerless.clock import utcnow
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import timeline
from pagerless.incidents.escalations import finish
from pagerless.observability import logger
from pagerless.oncall import engine
from pagerless.oncall.policies import Cursor
from pagerless.store import sweeps
from pagerless.store.escalations import EscalationRecord, EscalationRepository
from pagerless.store.sweeps import GAVE_UP_LIVE


def sweep(sfn=None, now: datetime | None = None) -> list[dict]:
    """Start every escalation left without an execution, resume every one whose execution ended; what was done."""
    if not settings.workflow().escalation_state_machine_arn:
        return []
    grace = timedelta(seconds=settings.workflow_timing().escalation_start_grace_seconds)
    sfn, now = sfn or step_functions.client(), now or utcnow()
    _release_old_given_up()
    return _start_unstarted(sfn, now - grace) + _resume_ended(sfn, now, grace)


def _release_old_given_up() -> None:
    """The escalations a version before this one gave up on, still in the `sweeps` index: listed on the status page
    while their incident is untaken, a bounded batch a run (`EscalationRepository.release_old_given_up`)."""
    try:
        EscalationRepository().release_old_given_up()
    except Exception:  # the next run tries again; starting and resuming escalations goes on
        logger().exception("could not release the escalations given up on before")


def _start_unstarted(sfn, before: datetime) -> list[dict]:
    done = []
    for record in EscalationRepository().awaiting_start(before=before):
        try:
            done.append({"incident_id": record.incident_id, "escalation": record.sk, "start": _start(record, sfn)})
        except Exception as exc:  # one escalation must not stop the others; the next sweep tries again
            logger().exception("could not start the escalation", extra={"incident_id": record.incident_id})
            done.append(
                {
                    "incident_id": record.incident_id,
                    "escalation": record.sk,
                    "start": "failed",
                    "error": type(exc).__name__,
                }
            )
    return done


def _start(record: EscalationRecord, sfn) -> str:
    from pagerless.store.incidents import IncidentRepository

    if record.status != "running" or record.execution_arn:
        return "started"  # by a retry, between the index and the read
    incident = IncidentRepository().get(record.incident_id)
    if incident.status == IncidentStatus.RESOLVED.value:
        finish(record, "ended", "the incident was resolved before its escalation started", stop_execution=False)
        return "ended"
    if incident.acknowledged:
        reason = f"acknowledged by {incident.acknowledged_by} before its escalation started"
        finish(record, "stopped", reason, stop_execution=False)
        return "stopped"
    cursor = Cursor(**(record.cursor or {"step": 0, "repeat": 0}))
    started = engine.start(
        incident, generation=record.sk, kind=record.kind, cursor=cursor, reason=record.reason, sfn=sfn
    )
    if started is not None:
        return started.execution_name
    current = EscalationRepository().get(record.incident_id, record.sk)
    if current is not None and current.status == "running" and not current.execution_arn:
        # start() starts a record only while a policy covers its incident (the policy was deleted, the
        # incident moved to another service): otherwise every sweep would find it again
        finish(current, "ended", "no escalation policy covers the incident any more", stop_execution=False)
        return "ended"
    return "started"


def _resume_ended(sfn, now: datetime, grace: timedelta) -> list[dict]:
    """Every running escalation whose next step is overdue and whose execution ended, resumed."""
    done = []
    for record in EscalationRepository().with_executions():
        if not record.execution_arn or engine.next_step(record)[1] + grace > now:
            continue  # waiting for its start (above), or for its next step
        try:
            ended = _ended(record.execution_arn, sfn)
            if ended is not None and (record.resumes or 0) >= settings.workflow_timing().escalation_resume_limit:
                done.append({"incident_id": record.incident_id, **_give_up(record, ended)})
            elif ended is not None:
                done.append({"incident_id": record.incident_id, **_resume(record, ended[0], sfn, now)})
        except Exception as exc:  # one escalation must not stop the others; the next sweep tries again
            logger().exception("could not resume the escalation", extra={"incident_id": record.incident_id})
            done.append(
                {
                    "incident_id": record.incident_id,
                    "escalation": record.sk,
                    "resume": "failed",
                    "error": type(exc).__name__,
                }
            )
    return done


def _ended(arn: str, sfn) -> tuple[str, str] | None:
    """How the execution ended (``FAILED: EscalationTickFailed``) and its last error (its cause, else that), or
    None while it runs."""
    try:
        described = sfn.describe_execution(executionArn=arn)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        # past Step Functions' retention, or a runtime restarted without the reconciler
        return "gone", "its execution is gone"
    if described["status"] == "RUNNING":
        return None
    how = ": ".join(part for part in (described["status"], described.get("error")) if part)
    return how, described.get("cause") or how


def _give_up(record: EscalationRecord, ended: tuple[str, str]) -> dict:
    """The escalation failed again after its last resume: stopped and said, once (`EscalationRepository.give_up`:
    the stop and its timeline entry in one conditional transaction)."""
    from pagerless.store.incidents import IncidentRepository

    how, error = ended
    message = f"escalation stopped after {int(record.resumes)} failed resumes: {error}"[:500]
    said = {"generation": record.sk, "ended": how, "resumes": int(record.resumes), "error": error[:500]}
    at = utcnow()

    def stop(entry) -> bool:
        return EscalationRepository().give_up(record, message, at, entry)

    incident = IncidentRepository().get(record.incident_id)
    entry = timeline.record(
        incident, GAVE_UP_LIVE, message, actor=engine.ACTOR, data=said, write=stop, at=at, live=False
    )
    if entry is None:
        return {"escalation": record.sk, "resume": "stopped", "ended": how}  # stopped or handed over meanwhile
    logger().error(message, extra={"incident_id": record.incident_id, "escalation": record.sk})
    try:  # the live event, owed by the marker the stop put: once it is on the stream, nothing is owed
        timeline.announce(incident, GAVE_UP_LIVE, message, actor=engine.ACTOR, data=said, entry=entry.sk)
        sweeps.notice_sent(record.incident_id, GAVE_UP_LIVE, at)
    except Exception:  # noqa: BLE001 — the stop is made and said on the timeline; the notice sweep sends the event
        logger().exception("could not send the give-up's live event", extra={"incident_id": record.incident_id})
    return {"escalation": record.sk, "resume": "gave up", "ended": how}


def _resume(record: EscalationRecord, ended: str, sfn, now: datetime) -> dict:
    from pagerless.store.incidents import IncidentRepository

    resumed = engine.resume(record, sfn=sfn, now=now, why="sweep", from_arn=record.execution_arn)
    said = {"ended": ended}
    if not resumed["resume"].startswith("step"):
        return resumed | said  # ended (out of steps), or stopped, paged or handed over meanwhile
    when = f"in {resumed['wait_seconds']} s" if resumed["wait_seconds"] else "at once"
    message = f"the escalation's execution ended ({ended}); the sweep resumed it: {resumed['resume']} is paged {when}"
    logger().warning(message, extra={"incident_id": record.incident_id, "escalation": record.sk})
    timeline.record(
        IncidentRepository().get(record.incident_id),
        "escalation_resumed",
        message,
        actor=engine.ACTOR,
        data={"generation": record.sk, "ended": ended, "step": int(resumed["resume"].split()[1])},
    )
    return resumed | said
