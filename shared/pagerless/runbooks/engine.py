"""The steps of the `runbook-run` state machine: plan → policy → (approval) → execute → verify.

Each function takes the job id, reads and writes the job's own record (index, results, what ran) and returns
``{"next": ..., "seconds": ..., "attempt": ..., "reason": ...}`` for the ASL's Choice states. Every step's result is
a job event and, for a run on an incident, a timeline entry. Nothing mutating runs without an allowing policy
decision, evaluated when the step is planned and again when it executes. Step Functions may invoke a step again (its
Retry, when Lambda lost the answer): an Execute or a passed Verify that already ran answers what it answered the
first time, and an action whose attempt was cut short before its outcome was recorded is never run a second time
(the run stops and names it as possibly applied). A stopped job's step may still be running in its Lambda: every
step writes its progress only while the job is not stopped, and an action is sent only after a conditional write
marks it executing on a job not stopped (an action the stop caught in flight is told by ``endings.after_stop``). How
a run ends — and the rollback of a run that stops early — is ``pagerless.runbooks.endings``; the job record they
share (load, note, advance, the actions a step builds) is ``pagerless.runbooks.job_state``.
"""

from __future__ import annotations

from pagerless import settings
from pagerless.clock import parse_time
from pagerless.domain import approvals as vocab
from pagerless.domain.phrases import Phrase
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.policy import dry_run_message, evaluate, evaluate_dry_run
from pagerless.remediation.reasons import reason, refused_step, render
from pagerless.remediation.restore import found
from pagerless.remediation.workspace_policy import get_policy, note_action, policy_context
from pagerless.runbooks.error_phrases import PARTS, part
from pagerless.runbooks.job_state import (
    ACTIVE,
    JobFinishedError,
    advance,
    advanced,
    current_step,
    load,
    note,
    plan_of,
    planned_reply,
    policy_scope,
    record_on_incident,
    runbook_of,
    save,
    save_step,
    step_reply,
    watching,
    with_watched,
)
from pagerless.runbooks.models import MissingContextError, Step, resolve
from pagerless.store.jobs import PENDING, RUNNING, JobRecord, JobRepository


def start(job_id: str) -> dict:
    """The job is running; fill what the context reads from the cluster (the replica count now)."""
    job = load(job_id)
    context = dict(job.input["context"])
    if "current_replicas" in runbook_of(job).context_fields() and context.get("deployment"):
        try:
            context["current_replicas"] = _replicas_now(context["namespace"], context["deployment"])
        except RunStartError as exc:  # kept for the job's error: its page says it in Chinese (`error_phrases`)
            save(job, state={**job.state, "start_error": exc.said})
            raise
    if not JobRepository().update(
        job, status=RUNNING, state={**job.state, "context": context}, expected_status=(PENDING, RUNNING)
    ):
        raise JobFinishedError(f"job {job_id} is {job.status}")  # stopped while it started
    note(
        job,
        "JobStarted",
        f"run started{' (dry run)' if job.input.get('dry_run') else ''} by {job.created_by}",
        dry_run=job.input.get("dry_run"),
    )
    return step_reply("plan")


class RunStartError(Exception):
    """The run cannot start on what the cluster says (the Deployment it scales does not exist); ``said``: why, as
    a phrase (`pagerless.runbooks.error_phrases`), its English the message."""

    def __init__(self, said: dict) -> None:
        super().__init__(PARTS.render(said, "en"))
        self.said = said


def _replicas_now(namespace: str, deployment: str) -> int:
    """The Deployment's replica count now; one the cluster cannot read ends the run saying which and why."""
    from kubernetes.client.exceptions import ApiException

    from pagerless.kube import cluster

    kube = cluster.connect()
    try:
        found = kube.call(kube.apps.read_namespaced_deployment, deployment, namespace)
    except ApiException as exc:
        facts = {"namespace": namespace, "deployment": deployment, "status": exc.status, "reason": exc.reason}
        raise RunStartError(part("run_not_started", **facts)) from None
    finally:
        kube.close()
    return int(found["spec"].get("replicas", 1))


def plan(job_id: str, entered: str | None = None) -> dict:
    """Judge the next step; read-only checks and dry runs happen here, mutations after approval.

    ``entered`` is when Step Functions entered the Plan state. An attempt it retries (Lambda lost
    the answer) answers what the first attempt answered: that attempt may have moved the run past
    its step (a wait, a check), and planning again would skip it.
    """
    job = load(job_id)
    done = job.state.get("planned") or {}
    if entered and done.get("entered") == entered:
        return done["reply"]
    step = current_step(job)
    if step is None:
        return step_reply("finish")
    index, dry = int(job.state["index"]), bool(job.input.get("dry_run"))
    save_step(job, current_node=step.name)
    JobRepository().add_event(job, "StepStarted", node=step.name, index=index, kind=step.kind)
    if step.kind == "wait":
        seconds = 0 if dry else int(step.seconds or 0)
        reply = step_reply("wait", seconds=seconds)
        result = {"step": step.name, "kind": "wait", "status": "skipped" if dry else "waited", "seconds": seconds}
        advance(job, result, planned_reply(entered, reply))
        note(
            job,
            "StepCompleted",
            f"{step.name}: {'skipped in a dry run' if dry else f'waiting {seconds}s'}",
            node=step.name,
        )
        return reply
    if step.kind == "check":
        return _check_step(job, step, entered)
    try:
        action_plan = plan_of(job, step.action, f"runbook {runbook_of(job).id} step {step.name}")
    except (MissingContextError, ValueError) as exc:
        unbuilt = reason("step_not_built", step=step.name, error=str(exc))
        return _stop(job, step, "failed", unbuilt, entered=entered)
    policy, context = get_policy(job.workspace), policy_context(job.workspace, scope=policy_scope(job))
    decision = evaluate(action_plan, policy, context)
    permit = evaluate_dry_run(action_plan, policy, context) if dry else decision  # a dry run is not rate-limited
    if not permit.allowed:
        return _stop(
            job, step, "denied", refused_step("step_denied", step.name, permit), rule=permit.rule, entered=entered
        )
    if dry:
        return _dry_run(job, step, action_plan, permit, decision, entered)
    confirm = runbook_of(job).risk_level.value == "confirm" or decision.requires_approval
    reply = step_reply("execute")
    if confirm and not job.input.get("auto_approve"):
        timing = settings.workflow_timing().approval_timeout_seconds
        reply = step_reply(
            "approve",
            seconds=timing or decision.approval_timeout_seconds or get_policy(job.workspace).approval_timeout_seconds,
        )
    state = {k: v for k, v in job.state.items() if k not in ("executed", "planned")}  # the previous step's
    planned = planned_reply(entered, reply)
    state = {**state, "pending": action_plan.model_dump(mode="json"), "rule": decision.rule}
    save_step(job, state={**state, "planned": planned} if planned else state)
    return reply


def _check_step(job: JobRecord, step: Step, entered: str | None) -> dict:
    """Run the check. A check gates: one that fails stops the run here, before any later step, and
    the steps before it that changed something are rolled back (a dry run stops too: it shows what
    a real run would do); one that says ``on_fail: continue`` only records what it saw."""
    result = run_check(job, step.check)
    status = "ok" if result["ok"] else "not_ok"
    gated = not result["ok"] and step.on_fail == "stop"
    message = f"{step.name}: {result['message']}"
    ending = part("check_failed", step=step.name, message=result["message"], said=result.get("said"))
    reply = step_reply("check_failed", reason=PARTS.render(ending, "en")) if gated else step_reply("plan")
    recorded = {"step": step.name, "kind": "check", "on_fail": step.on_fail, "status": status, **result}
    advance(job, recorded, planned_reply(entered, reply), ending=ending if gated else None)
    note(job, "StepFailed" if gated else "StepCompleted", message, node=step.name, ok=result["ok"])
    return reply


def run_check(job: JobRecord, check, since=None) -> dict:
    from pagerless.kube import cluster
    from pagerless.runbooks.checks import CHECKS

    try:
        params = with_watched(job, resolve(check.params, job.state.get("context") or job.input["context"]))
    except MissingContextError as exc:
        return {"ok": False, "message": str(exc), "details": {}}
    kube = cluster.connect()
    try:
        return CHECKS[check.check](kube, params, since or job.created_at)
    finally:
        kube.close()


def _dry_run(job: JobRecord, step: Step, action_plan: ActionPlan, permit, decision, entered: str | None) -> dict:
    """The step's server-side dry run (under ``permit``), saying what a real run would be told (``decision``)."""
    from pagerless.kube import cluster
    from pagerless.remediation.executor import dry_run

    kube = cluster.connect()
    try:
        checked = dry_run(action_plan, kube, permit)
    finally:
        kube.close()
    message = dry_run_message(checked.message, decision)
    advance(
        job,
        {
            "step": step.name,
            "kind": "action",
            "status": checked.status,
            "dry_run": True,
            "action": action_plan.action.model_dump(mode="json"),
            "diff": checked.diff,
            "rule": decision.rule,
            "allowed": decision.allowed,
            "message": message,
        },
        planned_reply(entered, step_reply("plan")),
    )
    note(
        job,
        "StepCompleted",
        f"{step.name} (dry run): {message}",
        node=step.name,
        diff=checked.diff,
        rule=decision.rule,
        status=checked.status,
    )
    return step_reply("plan")


def _stop(job: JobRecord, step: Step, status: str, message, entered: str | None = None, **data) -> dict:
    """The step ran nothing: ``message`` (English, or a phrase of `remediation.reasons` kept beside its English as
    the step's ``message_phrase``, for a Chinese page) is its reason."""
    said = message.model_dump(mode="json") if isinstance(message, Phrase) else None
    message = render(message, "en") if isinstance(message, Phrase) else message
    reply = step_reply("denied", reason=message)
    recorded = {"step": step.name, "kind": step.kind, "status": status, "message": message, **data}
    ending = part("step_refused", message=message, said=said) if said else None  # why the run ends, for its error
    advance(job, {**recorded, "message_phrase": said} if said else recorded, planned_reply(entered, reply), ending)
    # a denial's timeline line says the policy's reason beside its rule (``why``: its phrase, for a Chinese page)
    policy = {k: said["params"].get(k) for k in ("reason", "why")} if said and status == "denied" else {}
    note(job, "StepDenied" if status == "denied" else "StepFailed", message, node=step.name, **data, **policy)
    return reply


def execute(job_id: str) -> dict:
    """Ask the policy again and run the planned action; verify it, or go on, or roll back."""
    from pagerless.kube import cluster
    from pagerless.remediation.executor import execute as run

    job = load(job_id)
    if job.state.get("executed") is not None:
        # Step Functions invoked the step again (Lambda lost its answer): it ran once, that stands
        return job.state["executed"]["reply"]
    step = current_step(job)
    if job.state.get("executing") is not None:
        return _interrupted(job, step)
    action_plan = ActionPlan.model_validate(job.state["pending"])
    context = policy_context(job.workspace, scope=policy_scope(job))
    decision = evaluate(action_plan, get_policy(job.workspace), context)
    if not decision.allowed:
        return _stop(
            job, step, "denied", refused_step("step_no_longer_allowed", step.name, decision), rule=decision.rule
        )
    approver = _approver(job)
    kube = cluster.connect()
    kube.before_first_change = lambda: _claim(job, step)
    try:
        outcome = run(action_plan, kube, decision, approved_by=approver)
    finally:
        kube.close()
    unclaimed = {k: v for k, v in job.state.items() if k != "executing"}
    if not JobRepository().update(job, status=RUNNING, state=unclaimed, expected_status=ACTIVE):
        # stopped while the step ran: what it sent before the stop is told, the job stays stopped
        from pagerless.runbooks.endings import after_stop

        after_stop(job, step, action_plan, outcome, decision.rule, approver)
    diff = "\n".join(str(c) for c in outcome.changes)
    # a step that changed nothing has nothing to undo: its rollback would undo what someone else did
    status = "no_change" if outcome.status == "succeeded" and not outcome.changes else outcome.status
    record_on_incident(job, action_plan, outcome, status, step=step.name)
    note(
        job,
        "ToolCompleted",
        f"{step.name}: {status}. {outcome.message}",
        node=step.name,
        action=action_plan.action.action,
        status=status,
        rule=decision.rule,
        approved_by=approver,
        diff=diff,
    )
    state = watching(dict(job.state), action_plan)  # a check of its pod after this judges the pod's owner
    result = {
        "step": step.name,
        "kind": "action",
        "status": status,
        "action": action_plan.action.action,
        "message": outcome.message,
        "approved_by": approver,
        "diff": diff,
        # a message Pagerless wrote (a refusal) as its phrase: the job page says it in Chinese (``step_message``)
        **({"message_phrase": outcome.message_phrase} if outcome.message_phrase else {}),
    }
    if status not in ("succeeded", "no_change"):
        said = outcome.message_phrase
        ending = part("step_failed", step=step.name, status=status, message=outcome.message, said=said)
        reply = step_reply("rollback", reason=PARTS.render(ending, "en"))
        # the job's steps list it: the step that failed is the one an operator looks for first
        save_step(job, state={**state, "failed": result, "executed": {"reply": reply}, "ending": ending})
        return reply
    if status == "succeeded":
        note_action(job.workspace, action_plan.workload, outcome.started_at)
        state["completed"] = [
            *state.get("completed", []),
            {
                "index": state["index"],
                "step": step.name,
                "approved_by": approver,
                "found": found(action_plan.action, outcome.changes),  # what its rollback sets back
            },
        ]
    if step.verify is not None:
        reply = step_reply("verify", seconds=_interval(job, step.verify))
        state["verify"] = {"since": outcome.started_at.isoformat(), "result": result}
    else:  # the step is done: recorded and advanced in one write, so a retry finds both or neither
        reply = step_reply("plan")
        state = advanced(state, result)
    save_step(job, state={**state, "executed": {"reply": reply}})
    return reply


def _approver(job: JobRecord) -> str | None:
    """Who approved the current step: its approval's decider, read from the approval record (the
    decider may have ended before it told the job), else, with auto_approve, the run's operator."""
    from pagerless.runbooks.approvals import step_decision

    decided = step_decision(job)
    if decided is not None and decided.status == vocab.APPROVED:
        return decided.decided_by
    if job.input.get("auto_approve"):
        return job.created_by  # the operator who asked for auto_approve approved every step
    return None


def _claim(job: JobRecord, step: Step) -> None:
    """Just before the step's first change is sent: mark it executing, only while the job is not
    stopped (one conditional write, so a stop either sees it in flight or withholds it). From here
    an attempt that does not record its outcome is never run again (its ending names the step as
    possibly applied)."""
    from pagerless.kube.clients import ChangeWithheldError

    executing = {"index": job.state["index"], "step": step.name}
    if not JobRepository().update(job, state={**job.state, "executing": executing}, expected_status=ACTIVE):
        raise ChangeWithheldError(f"job {job.job_id} is {job.status}")


def _interrupted(job: JobRecord, step: Step) -> dict:
    """An earlier attempt of the step started its action and recorded no outcome (its Lambda was cut
    short): the step is not run twice; the run stops, naming the step as possibly applied."""
    ending = part("step_interrupted", step=step.name)
    message = PARTS.render(ending, "en")
    reply = step_reply("rollback", reason=message)
    save_step(job, state={**job.state, "executed": {"reply": reply}, "ending": ending})
    note(job, "StepFailed", message, node=step.name)
    return reply


def _interval(job: JobRecord, check) -> int:
    override = (job.input.get("options") or {}).get("verify_interval_seconds")
    return int(override if override is not None else check.interval_seconds)


def verify(job_id: str, attempt: int) -> dict:
    """One check of the step's verify: passed → next step; else recheck until max_attempts, then roll back."""

    job = load(job_id)
    if "verify" not in job.state and job.state.get("verified") is not None:
        # Step Functions invoked it again after it passed (Lambda lost its answer): the step is done
        return job.state["verified"]
    step = current_step(job)
    since = parse_time(job.state["verify"]["since"])
    result = run_check(job, step.verify, since)
    attempt = int(attempt or 0) + 1
    if result["ok"]:
        reply = step_reply("plan", attempt=attempt)
        verified = {**job.state["verify"]["result"], "verified": True, "verify_attempts": attempt}
        save_step(job, state={**advanced(job.state, verified), "verified": reply})
        note(job, "StepVerified", f"{step.name}: verified ({result['message']})"[:500], node=step.name, attempt=attempt)
        return reply
    save_step(job)  # a check answered after the stop is not told
    if attempt < step.verify.max_attempts:
        JobRepository().add_event(job, "VerifyPending", node=step.name, attempt=attempt, message=result["message"])
        return step_reply("recheck", seconds=_interval(job, step.verify), attempt=attempt)
    note(
        job,
        "VerifyFailed",
        f"{step.name}: not verified after {attempt} checks: {result['message']}",
        node=step.name,
        attempt=attempt,
    )
    ending = part("verify_failed", step=step.name, message=result["message"], said=result.get("said"))
    save_step(job, state={**job.state, "ending": ending})  # why the run ends, for its error in Chinese
    return step_reply("rollback", attempt=attempt, reason=PARTS.render(ending, "en")[:500])
