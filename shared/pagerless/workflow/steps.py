"""The explicit registry of workflow steps: event["step"] -> function(event) -> dict.

Each step is a one-line adapter; the logic lives in the modules it calls. An exception's class
name becomes the ASL error name (Retry/Catch match on it).
"""

from collections.abc import Callable

from pagerless.workflow import selfcheck

Step = Callable[[dict], dict]


def _selfcheck_start(event: dict) -> dict:
    return selfcheck.record_start(event["check_id"])


def _selfcheck_wait(event: dict) -> dict:
    selfcheck.store_token(event["check_id"], event["task_token"])
    return {"waiting": True}


def _incident_opened(event: dict) -> dict:
    from pagerless.incidents.workflow_events import record_workflow_started
    from pagerless.oncall.starts import start_for_opened

    result = record_workflow_started(event["incident_id"], event.get("execution_arn"), event.get("entered_at"))
    if not result["recorded"]:
        from pagerless.workflow.incidents import IncidentClosedError

        raise IncidentClosedError(f"incident {event['incident_id']} was reopened and a newer workflow works on it")
    escalation = start_for_opened(event["incident_id"], execution=event.get("execution"))["escalation"]
    return {**result, "escalation": escalation} if escalation else result


def _settle_flapping(event: dict) -> dict:
    from pagerless.workflow.flapping import settle

    return settle(event["incident_id"], event["workspace"], event.get("execution_arn"))


def _escalation_tick(event: dict) -> dict:
    from pagerless.oncall.engine import tick

    return tick(
        event["incident_id"], event["workspace"], event["generation"], event["cursor"], execution=event.get("execution")
    )


def _escalation_release(event: dict) -> dict:
    from pagerless.oncall.held import release

    held = event["release"]
    return release(
        event["incident_id"],
        event["workspace"],
        event["generation"],
        held["person"],
        held["until"],
        held["page"],
        held.get("moved"),
    )


def _gather_context(event: dict) -> dict:
    from pagerless.workflow.context import gather_context

    return gather_context(event["incident_id"], event["workspace"], execution_arn=event.get("execution_arn"))


def _rediagnose(event: dict) -> dict:
    from pagerless.workflow.rediagnose import rediagnose

    return rediagnose(event["incident_id"], event["workspace"], event.get("actor", "api"), event.get("request"))


def _diagnose(event: dict) -> dict:
    from pagerless.workflow.diagnose import diagnose_incident

    return diagnose_incident(
        event["incident_id"],
        event["workspace"],
        execution_arn=event.get("execution_arn"),
        retried=int(event.get("retry_count") or 0) > 0,
    )


def _propose(event: dict) -> dict:
    from pagerless.workflow.propose import propose

    return propose(
        event["incident_id"],
        event["workspace"],
        _options(event),
        execution_arn=event.get("execution_arn"),
        entered_at=event.get("entered_at"),
    )


def _request_approval(event: dict) -> dict:
    from pagerless.workflow.approvals import ApprovalService

    return ApprovalService().request(
        event["incident_id"],
        event["workspace"],
        task_token=event["task_token"],
        execution_arn=event.get("execution_arn", ""),
        timeout_seconds=int(event["timeout_seconds"]),
        resume_approval=(event.get("input") or {}).get("resume_approval"),
        retried=int(event.get("retry_count") or 0) > 0,
    )


def _remediate(event: dict) -> dict:
    from pagerless.workflow.remediate import remediate

    return remediate(event["incident_id"], event["workspace"], _options(event), event.get("defaults"))


def _verify(event: dict) -> dict:
    from pagerless.workflow.verify import verify

    return verify(
        event["incident_id"],
        event["workspace"],
        int(event.get("attempt", 0)),
        int(event["max_checks"]),
        retried=int(event.get("retry_count") or 0) > 0,
        execution_arn=event.get("execution_arn"),
    )


def _outcome(name: str, *fields: str) -> Step:
    def run(event: dict) -> dict:
        from pagerless.workflow import outcomes

        return getattr(outcomes, name)(event["incident_id"], event["workspace"], *(event.get(f) for f in fields))

    return run


def _runbook(name: str, *fields: str) -> Step:
    def run(event: dict) -> dict:
        from pagerless.runbooks import engine

        return getattr(engine, name)(event["job_id"], *(event.get(f) for f in fields))

    return run


def _runbook_ending(name: str, *fields: str) -> Step:
    def run(event: dict) -> dict:
        from pagerless.runbooks import endings

        return getattr(endings, name)(event["job_id"], *(event.get(f) for f in fields))

    return run


def _runbook_approval(event: dict) -> dict:
    from pagerless.runbooks.approvals import request

    return request(
        event["job_id"],
        task_token=event["task_token"],
        execution_arn=event.get("execution_arn", ""),
        timeout_seconds=int(event["timeout_seconds"]),
    )


def _options(event: dict) -> dict:
    return (event.get("input") or {}).get("options") or {}


STEPS: dict[str, Step] = {
    "incident_opened": _incident_opened,
    "settle_flapping": _settle_flapping,
    "selfcheck_start": _selfcheck_start,
    "selfcheck_wait": _selfcheck_wait,
    "gather_context": _gather_context,
    "diagnose": _diagnose,
    "rediagnose": _rediagnose,
    "propose": _propose,
    "notify": _outcome("notify"),
    "request_approval": _request_approval,
    "approval_rejected": _outcome("approval_rejected"),
    "approval_timed_out": _outcome("approval_timed_out"),
    "remediate": _remediate,
    "verify": _verify,
    "resolve": _outcome("resolve"),
    # ``outcome``: the reason and its phrase, as the step that gave them (remediate, verify) handed them back
    "rollback": _outcome("rollback", "reason", "outcome"),
    "escalate": _outcome("escalate", "reason", "outcome"),
    "handle_failure": _outcome("handle_failure", "error"),
    "escalation_tick": _escalation_tick,
    "escalation_release": _escalation_release,
    "runbook_start": _runbook("start"),
    "runbook_plan": _runbook("plan", "entered"),
    "runbook_request_approval": _runbook_approval,
    "runbook_execute": _runbook("execute"),
    "runbook_verify": _runbook("verify", "attempt"),
    "runbook_rollback": _runbook_ending("rollback", "reason", "outcome"),
    "runbook_finish": _runbook_ending("finish", "outcome", "reason"),
    "runbook_failure": _runbook_ending("failure", "error"),
}


class UnknownStepError(Exception):
    """The state machine named a step this code does not have (a deploy mismatch)."""


class AwsUnavailableError(Exception):
    """AWS failed the step for a moment, past botocore's own retries: throttled, a server error, no connection
    (`pagerless.store.throttling.unavailable`). Every Task state retries it with backoff (README, "When AWS fails a
    step for a moment")."""


# The incident-response state machine's steps: they work on an incident only while it holds
# their execution (pagerless.workflow.incidents.running_for).
INCIDENT_STEPS = frozenset(
    {
        "incident_opened",
        "settle_flapping",
        "gather_context",
        "diagnose",
        "rediagnose",
        "propose",
        "notify",
        "request_approval",
        "approval_rejected",
        "approval_timed_out",
        "remediate",
        "verify",
        "resolve",
        "rollback",
        "escalate",
        "handle_failure",
    }
)


def run_step(event: dict) -> dict:
    """Run the step ``event`` names. AWS unavailable for a moment is raised as AwsUnavailableError, whatever the
    step and the SDK call (the ASL's Retry matches that one name); every other error keeps its class name. What it
    hands Step Functions is bounded (`pagerless.workflow.state_size`): the state stays under its 256 KiB."""
    from pagerless.workflow.state_size import bounded_error, bounded_result

    try:
        return bounded_result(_run(event))
    except Exception as exc:
        from pagerless.store.throttling import sdk_unavailable

        found = sdk_unavailable(exc)
        if found is None:
            cut = bounded_error(exc)
            if cut is exc:
                raise
            raise cut from exc
        raise AwsUnavailableError(f"{event.get('step')}: AWS {found.kind} ({found.code}); try again") from exc


def _run(event: dict) -> dict:
    step = STEPS.get(event.get("step", ""))
    if step is None:
        raise UnknownStepError(f"unknown workflow step {event.get('step')!r}")
    if event["step"] not in INCIDENT_STEPS:
        return step(event)
    from pagerless.workflow.incidents import running_for

    with running_for(event.get("execution_arn")):
        return step(event)
