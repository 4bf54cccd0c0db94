"""How a runbook run ends: completed, or stopped early with the steps before it rolled back.

A run that stops early — a failed step, verify or check, a step the policy denies, a person rejects or
nobody approves in time, an unexpected error — rolls back the steps before it that changed
something, last first, each through the policy on the approval its step had, each putting back
what its step found (``pagerless.remediation.restore``). A rollback that cannot be built is noted
(``RollbackFailed``), one that runs and does not succeed (the cluster refuses it, the connection
drops) is noted with its status (``RollbackStep``); both leave their step applied, are named in
``result.not_rolled_back`` and the job's reason, and the others still run. A run that would end
``rolled_back`` with a step still applied ends ``rollback_incomplete``. The rollback's progress
is kept on the job: a retried rollback skips the steps already rolled back, and the failure path
never starts a second rollback, so an error inside the rollback ends the run naming the steps
still applied.
"""

from __future__ import annotations

from pagerless.domain import approvals as vocab
from pagerless.observability import logger
from pagerless.remediation.policy import evaluate
from pagerless.remediation.restore import restoring
from pagerless.remediation.workspace_policy import get_policy, policy_context
from pagerless.runbooks.error_phrases import PARTS, followed, job_error, part
from pagerless.runbooks.job_state import (
    JobFinishedError,
    action_of,
    current_step,
    load,
    note,
    plan_of,
    record_on_incident,
    runbook_of,
    save,
    step_reply,
)
from pagerless.runbooks.models import MissingContextError
from pagerless.store.jobs import CANCELLED, COMPLETED, FAILED, FINAL, PARKED, RUNNING, JobRecord, JobRepository

# a rollback with one of these statuses put its step back (a dry run changed nothing to put back)
_UNDONE = {"succeeded", "no_change", "would_change"}


def rollback(job_id: str, reason: str, ending: str | None = None, said: dict | None = None) -> dict:
    """Undo what ran, last step first; each rollback is a catalog action and goes through the policy.

    ``ending`` is the outcome the run ends with (``denied``, ``rejected``, ``timed_out``,
    ``check_failed``, ``error``); without one it stops because a step or its verify failed, and ends ``rolled_back``,
    or ``rollback_incomplete`` when a step could not be rolled back. ``said``: the phrase of ``reason`` (`finish`);
    without one, why the step that ends the run said it ends (its ``state.ending``)."""
    from pagerless.kube import cluster
    from pagerless.remediation.executor import execute as run

    job = load(job_id)
    if ending == "timed_out":
        from pagerless.runbooks.approvals import expire

        expire(job)  # the step can no longer be approved while the steps before it are undone
        if not reason:
            step = current_step(job)
            ended = part("timed_out", step=step.name if step else "the step")
            reason, said = PARTS.render(ended, "en"), {"said": ended}
    said = said or ({"said": job.state["ending"]} if job.state.get("ending") else None)
    progress = {"missed": [], **(job.state.get("rollback") or {"done": [], "undone": [], "missed": _interrupted(job)})}
    save(job, state={**job.state, "rollback": progress})
    steps = runbook_of(job).steps
    kube = cluster.connect()
    try:
        for entry in reversed(job.state.get("completed", [])):
            if entry["index"] in progress["done"]:
                continue
            step = steps[entry["index"]]
            missed = []
            try:
                undone, missed = _roll_back(job, step, entry, reason, kube, run)
            except (MissingContextError, ValueError) as exc:  # one unbuildable rollback stops no other
                unbuilt = part("rollback_not_built", error=" ".join(str(exc).split()))
                why = PARTS.render(unbuilt, "en")[:300]
                note(job, "RollbackFailed", f"{step.name}: {why}; still applied", node=step.name, reason=why)
                undone, missed = [], [{"step": step.name, "reason": why, "said": unbuilt}]
            progress = {
                **progress,
                "done": [*progress["done"], entry["index"]],
                "undone": progress["undone"] + undone,
                "missed": progress["missed"] + missed,
            }
            save(job, state={**job.state, "rollback": progress})
    finally:
        kube.close()
    outcome = ending or ("rollback_incomplete" if progress["missed"] else "rolled_back")
    finish(job_id, outcome, reason, said=said, **_rollback_result(progress))
    return step_reply("end", reason=reason)


def _interrupted(job: JobRecord) -> list[dict]:
    """The step whose action was cut short before its outcome was recorded: it may be applied, and
    what its rollback would put back is unknown, so it is named, never rolled back blindly."""
    executing = job.state.get("executing")
    if not executing:
        return []
    said = part("interrupted")
    return [{"step": executing["step"], "reason": PARTS.render(said, "en"), "said": said}]


def _rollback_result(progress: dict) -> dict:
    """What the job's result says of its rollback: each rollback that ran, and each that could not."""
    missed = progress.get("missed") or []
    return {"rolled_back": progress["undone"], **({"not_rolled_back": missed} if missed else {})}


def _roll_back(job: JobRecord, step, entry: dict, reason: str, kube, run) -> tuple[list[dict], list[dict]]:
    """Roll back one step: what it undid, as ``[{"step", "status"}]``, and what it left applied, as
    ``[{"step", "reason"}]`` (a rollback the policy denied, or that ran and did not succeed); both
    empty when there was nothing to roll back.
    A rollback whose action cannot be built raises MissingContextError or a ValueError, before
    anything runs."""
    if step.rollback is None:
        note(job, "RollbackSkipped", f"{step.name}: nothing to roll back", node=step.name)
        return [], []
    action_plan = plan_of(job, step.rollback, f"roll back {step.name}: {reason}", kube)
    action, why = restoring(action_plan.action, action_of(job, step.action), entry.get("found"))
    if action is None:
        note(job, "RollbackSkipped", f"{step.name}: {why}", node=step.name)
        return [], []
    action_plan = action_plan.model_copy(update={"action": action})
    decision = evaluate(action_plan, get_policy(job.workspace), policy_context(job.workspace))
    if not decision.allowed:
        note(
            job,
            "RollbackDenied",
            f"{step.name}: rollback denied by rule {decision.rule}; left as is",
            node=step.name,
            rule=decision.rule,
        )
        said = part("rollback_denied", rule=decision.rule)
        return [], [{"step": step.name, "reason": PARTS.render(said, "en"), "said": said}]
    # the step's approver (auto_approve: the run's operator) approved its rollback; nobody else did
    outcome = run(action_plan, kube, decision, approved_by=entry.get("approved_by"))
    record_on_incident(job, action_plan, outcome, outcome.status, step=step.name, rollback=True)
    undone = outcome.status in _UNDONE
    why = f"its rollback {outcome.status}: {' '.join(outcome.message.split())}"[:300]
    note(
        job,
        "RollbackStep",
        f"rolled back {step.name}: {outcome.status}. {outcome.message}"
        if undone
        else f"{step.name}: {why}; still applied",  # it ran and did not take: the step is as it left it
        node=step.name,
        action=action_plan.action.action,
        status=outcome.status,
    )
    if undone:
        return [{"step": step.name, "status": outcome.status}], []
    said = part("rollback_ended", status=outcome.status, message=" ".join(outcome.message.split()))
    return [], [{"step": step.name, "reason": why, "said": said}]


def finish(job_id: str, outcome: str, reason: str = "", *, said: dict | None = None, **extra) -> dict:
    """Record how the run ended: completed, or failed with the outcome (denied, rejected, timed_out, ...). The
    error (``reason`` and the steps left applied) is kept as a phrase too (``result.error_phrase``; ``said``: the
    phrase of ``reason``, ``{"error", "said"}`` when it opens with an error's name)."""
    job = JobRepository().get(job_id)
    if job.status in FINAL:
        return step_reply("end")
    if outcome == "timed_out":
        from pagerless.runbooks.approvals import expire

        expire(job)
    if outcome == "rejected" and (rejected := _rejection(job)) is not None:
        by = part("rejected", step=rejected.proposal["step"], by=rejected.decided_by, comment=rejected.comment or "")
        reason, said = PARTS.render(by, "en"), {"said": by}
    status = COMPLETED if outcome == "completed" else FAILED
    results = job.state.get("results", [])
    missed = extra.get("not_rolled_back") or []  # steps whose rollback did not run or failed: still applied
    if missed:  # each as the API has always said it; their phrases go in the error's (``error_phrase``)
        extra = {**extra, "not_rolled_back": [{"step": m["step"], "reason": m["reason"]} for m in missed]}
    not_rolled_back = "; ".join(f"not rolled back: {m['step']} ({m['reason']})" for m in missed)
    summary = {
        "outcome": outcome,
        "reason": "; ".join(part for part in (reason, not_rolled_back) if part),
        "steps": len(results),
        "dry_run": bool(job.input.get("dry_run")),
        **extra,
    }
    if status != COMPLETED and summary["reason"]:  # said in Chinese on the job page (`error_phrases.shown`)
        summary["error_phrase"] = job_error(reason, missed, **(said or {}))
    if not JobRepository().update(
        job,
        status=status,
        result=summary,
        error=None if status == COMPLETED else summary["reason"] or outcome,
        current_node=None,
        correlation_key=None,
        sweep=None,
        sweep_since=None,
        expected_status=(RUNNING, PARKED, "pending"),
    ):
        return step_reply("end")  # stopped meanwhile: the stop is what happened
    text = "run completed" if status == COMPLETED else f"run ended: {outcome}" + (f" ({reason})" if reason else "")
    if job.input.get("dry_run"):  # read on an incident's timeline, "run completed" says it was applied
        text = f"dry {text}: nothing changed"
    tail = ""  # what became of the steps: kept whole when a long reason is cut
    undone = None  # the steps a run that stopped early undid: a phrase, said in Chinese on the timeline too
    if extra.get("rolled_back") and outcome != "rolled_back":
        undone = part(
            "earlier_rolled_back", undone=[{"step": u["step"], "status": u["status"]} for u in extra["rolled_back"]]
        )
        tail += f"; {PARTS.render(undone, 'en')}"
    if not_rolled_back:
        tail += f"; {not_rolled_back}"
    tail = tail[:300]
    event = "JobCompleted" if status == COMPLETED else "JobFailed"
    # its error's phrase: the timeline's Chinese says why it ended, as the job page does
    note(
        job,
        event,
        text[: 500 - len(tail)] + tail,
        outcome=outcome,
        error_phrase=summary.get("error_phrase"),
        rolled_back_phrase=undone,
    )
    return step_reply("end")


def _rejection(job: JobRecord):
    """The current step's rejected approval (the record names the rejecter even when the decider
    ended before it told the job)."""
    from pagerless.runbooks.approvals import step_decision

    decided = step_decision(job)
    return decided if decided is not None and decided.status == vocab.REJECTED else None


def after_stop(job: JobRecord, step, action_plan, outcome, rule: str, approver: str | None) -> None:
    """The job was stopped while ``step`` ran its action. An action whose change was not yet sent
    when the stop came was withheld: nothing ran, nothing is told. One already sent (in flight) ran
    to its end: the job stays cancelled and says what it did after the stop — its event, its
    result's ``applied_after_stop``, the incident's actions — and that it was neither verified nor
    rolled back. Raises JobFinishedError: the execution ends as the stop asked."""
    from pagerless.remediation.workspace_policy import note_action

    if not (job.state or {}).get("executing"):
        raise JobFinishedError(f"job {job.job_id} is {job.status}; its step {step.name} sent nothing")
    diff = "\n".join(str(c) for c in outcome.changes)
    status = "no_change" if outcome.status == "succeeded" and not outcome.changes else outcome.status
    told = f"{step.name}: {status} after the job was stopped, not verified and not rolled back"
    applied = [*((job.result or {}).get("applied_after_stop") or [])]
    if outcome.changes:
        applied.append({"step": step.name, "action": action_plan.action.action, "status": status})
    said = followed((job.result or {}).get("error_phrase"), part("after_stop", step=step.name, status=status))
    JobRepository().update(
        job,
        state={k: v for k, v in job.state.items() if k != "executing"},
        result={**(job.result or {}), "outcome": CANCELLED, "applied_after_stop": applied, "error_phrase": said},
        error=f"{job.error or 'stopped'}; {told}"[:1000],
        expected_status=(CANCELLED,),
    )
    if status == "succeeded":
        note_action(job.workspace, action_plan.workload, outcome.started_at)
    record_on_incident(job, action_plan, outcome, status, step=step.name, after_stop=True)
    note(
        job,
        "ToolCompleted",
        f"{told}. {outcome.message}",
        node=step.name,
        action=action_plan.action.action,
        status=status,
        rule=rule,
        approved_by=approver,
        diff=diff,
        after_stop=True,
    )
    raise JobFinishedError(f"job {job.job_id} is {job.status}; its step {step.name} ended after the stop")


def _cause(cause) -> str:
    """What went wrong, in words: a Lambda's error comes as JSON whose ``errorMessage`` says it."""
    import json

    try:
        told = json.loads(cause) if isinstance(cause, str) else cause
    except ValueError:
        return str(cause or "")
    if isinstance(told, dict) and told.get("errorMessage"):
        return " ".join(str(told["errorMessage"]).split())
    return str(cause or "")


def failure(job_id: str, error: dict | None) -> dict:
    """An unexpected error ended the run: roll back the steps before it, unless the error came from
    a rollback (it is not started twice); the job ends ``error`` naming any step still applied."""
    error = error or {}
    reason = f"{error.get('Error', 'error')}: {_cause(error.get('Cause'))[:300]}"
    job = JobRepository().get(job_id)
    if job.status in FINAL:
        return step_reply("end")
    # a run that could not start kept why as a phrase (`engine.start`)
    said = {"error": error.get("Error", "error"), "said": job.state.get("start_error"), "tails": []}
    if "rollback" not in job.state and job.state.get("completed"):
        try:
            return rollback(job_id, reason, ending="error", said=said)
        except JobFinishedError:
            return step_reply("end")  # stopped meanwhile
        except Exception as exc:  # the failure path must still end the job; what broke the rollback is told
            logger().exception("runbook rollback failed", extra={"job_id": job_id})
            too = part("rollback_failed_too", error=type(exc).__name__)
            reason, said["tails"] = f"{reason}; {PARTS.render(too, 'en')}", [too]
            job = JobRepository().get(job_id)
    progress = job.state.get("rollback") or {"done": [], "undone": [], "missed": _interrupted(job)}
    steps = runbook_of(job).steps
    left = [
        steps[e["index"]].name
        for e in job.state.get("completed", [])
        if e["index"] not in progress["done"] and steps[e["index"]].rollback is not None
    ]
    if left:
        unfinished = part("rollback_unfinished", steps=left)
        reason, said["tails"] = f"{reason}; {PARTS.render(unfinished, 'en')}", [*said["tails"], unfinished]
    return finish(job_id, "error", reason, said=said, **_rollback_result(progress))
