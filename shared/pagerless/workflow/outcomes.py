"""How a workflow run ends: resolved, rolled back, escalated, handed to humans (diagnosed) or failed."""

from pagerless.clock import parse_time, utcnow
from pagerless.domain.incidents import IncidentStatus, seconds_to_resolve
from pagerless.incidents import timeline
from pagerless.incidents.notice_phrases import data, english, phrase
from pagerless.incidents.notices import generation_of, publish, resolved_episode
from pagerless.remediation import reasons
from pagerless.remediation.actions import ActionPlan
from pagerless.remediation.policy import evaluate
from pagerless.remediation.restore import found_in_record, restoring
from pagerless.remediation.workspace_policy import get_policy, policy_context
from pagerless.workflow.approvals import ApprovalService
from pagerless.workflow.escalated_entries import said_before
from pagerless.workflow.execute_plan import execute_and_record
from pagerless.workflow.incidents import ACTOR, IncidentClosedError, advance, can_move, load, update, with_metric
from pagerless.workflow.verify import fix_approver, fix_record, last_plan, rollback_plan


def resolve(incident_id: str, workspace: str) -> dict:
    """Resolve after a verification that passed. Alerts still firing (the grace period ended) are
    closed with the incident, so the next firing delivery reopens it instead of counting as a
    duplicate of a resolved incident; so are the correlated children still open of a root, with
    theirs (left open under it, nobody would see them: `IncidentLifecycle.resolve_children`). A step run
    again after it resolved the incident (AWS failed a later write) closes what is left, at the same time."""
    from pagerless.incidents.lifecycle import IncidentLifecycle
    from pagerless.store.alerts import AlertRepository

    incident = load(incident_id, workspace, closed_ok=True)
    action = (incident.proposal or {}).get("action", "the action")
    verification = incident.verification or {}
    why = verification.get("reason") or "the workload is healthy"
    said = phrase("resolved_verified", action=action, **_cause(why, verification))
    if incident.status == IncidentStatus.RESOLVED.value:
        if incident.resolved_by != ACTOR or incident.resolved_at is None:
            raise IncidentClosedError(f"incident {incident_id} was resolved meanwhile; the workflow stops")
        now = incident.resolved_at  # this step's earlier attempt resolved it (load: this run holds it)
    else:
        now = utcnow()
        advance(
            incident,
            IncidentStatus.RESOLVED,
            f"resolved: {action} worked; {why}"[:1000],
            changes={
                "resolved_at": now,
                "resolved_by": ACTOR,
                "open_alerts": 0,
                "resolution": f"{action} applied and verified by the workflow",
                **with_metric(incident, "time_to_resolve_seconds", seconds_to_resolve(incident, now)),
            },
        )
    AlertRepository().resolve_for_incident(incident_id, now)
    for child in IncidentLifecycle().resolve_children(incident, by=ACTOR, who="the workflow (fix verified)", now=now):
        AlertRepository().resolve_for_incident(child.id, now)
    publish(
        "incident.resolved",
        incident,
        generation=generation_of(incident.execution_arn),
        data={"message": english(said)[:500], "message_phrase": data(said), **resolved_episode(incident)},
    )
    return {"status": IncidentStatus.RESOLVED.value}


def _cause(text: str, outcome: dict | None) -> dict:
    """A phrase's ``cause``: ``text`` (a reason) and, where ``outcome`` (the result or record that gave it) says it
    as a phrase, that phrase."""
    said = (outcome or {}).get("reason_phrase")
    same = said and (outcome or {}).get("reason") == text
    return {"cause_text": text, "cause": said if same else None}


def escalate(
    incident_id: str,
    workspace: str,
    reason: str,
    outcome: dict | None = None,
    *,
    page: bool = True,
    notice: str | None = None,
) -> dict:
    """Hand the incident to humans with the reason (a no-op move if it is already closed), and page
    them again through its escalation policy unless someone acknowledged it (``page`` False: the
    caller pages, as an approval's timeout does). A page that did not start raises
    EscalationNotStartedError after the move: the retried step finds the incident escalated and
    starts only the page. ``outcome``: what gave the reason (a step's result, ``{"reason", "reason_phrase"}``),
    whose phrase a Chinese card says it from (`pagerless.incidents.notice_phrases`).

    The escalation is said (`_say_escalated`) under an idempotency key: ``notice`` (a step whose retry may give
    another reason: the rollback's), else the execution and the reason. A call that finds the incident escalated
    already says it too (a retry whose earlier attempt died between the move and the notification, or a second,
    different escalation of the run: HandleFailure after an escalation step failed): the `escalated` entry if that
    key's is missing, and the notification under the same key, which the notify function's delivery ids deliver
    once. Said once per key, however often the step runs; never swallowed."""
    incident = load(incident_id, workspace, closed_ok=True)
    key = notice or generation_of(incident.execution_arn, reason)
    if incident.status == IncidentStatus.ESCALATED.value:
        _say_escalated(incident, reason, outcome, key, again=True)
        if not page:
            return {"status": incident.status}
        # a retried step whose escalation did not start (EscalationNotStartedError): start it now
        from pagerless.oncall.starts import start_for_workflow_escalation

        return {"status": incident.status, **start_for_workflow_escalation(incident_id, reason)}
    if not can_move(incident, IncidentStatus.ESCALATED):
        timeline.record(incident, "workflow_ended", f"not escalated ({incident.status}): {reason}", actor=ACTOR)
        return {"status": incident.status}
    advance(incident, IncidentStatus.ESCALATED, f"escalated: {reason}")
    _say_escalated(incident, reason, outcome, key)
    result = {"status": IncidentStatus.ESCALATED.value}
    if page:
        from pagerless.oncall.starts import start_for_workflow_escalation

        result["escalation"] = start_for_workflow_escalation(incident_id, reason)["escalation"]
    return result


def _say_escalated(incident, reason: str, outcome: dict | None, notice: str, *, again: bool = False) -> None:
    """The `escalated` entry and the `incident.escalated` notification, idempotent under the ``notice`` key
    (`escalate`): the entry is written once for that key, the notification is queued under it (delivered once).
    ``again``: the incident was escalated before this call (a retry may have written the entry: it is looked up);
    otherwise this call just moved it, and no entry has that key yet. An entry written before the key existed counts
    when the stored data tells it is this escalation's (`pagerless.workflow.escalated_entries`)."""
    if not again or not said_before(incident, reason, notice):
        timeline.record(incident, "escalated", reason[:1000], actor=ACTOR, data={"notice": notice})
    said = _cause(reason, outcome)["cause"]
    publish(
        "incident.escalated",
        incident,
        generation=notice,
        data={"message": reason[:1000], "reason": reason[:1000], "message_phrase": said},
    )


def notify(incident_id: str, workspace: str) -> dict:
    """Nothing Pagerless may run: status diagnosed, the proposal says why; humans decide, and the incident's thread
    hears why (``incident.no_fix``: once per run, its deliveries claimed by generation)."""
    incident = load(incident_id, workspace)
    proposal = incident.proposal or {}
    message = proposal.get("message", "nothing to run")
    if can_move(incident, IncidentStatus.DIAGNOSED):
        advance(incident, IncidentStatus.DIAGNOSED, f"diagnosed; no automated action: {message}")
    timeline.record(
        incident,
        "handed_to_humans",
        message,
        actor=ACTOR,
        data={"proposal_status": proposal.get("status")},
    )
    publish(
        "incident.no_fix", incident, generation=generation_of(incident.execution_arn, "no_fix"), data=_no_fix(proposal)
    )
    return {"status": incident.status}


def _no_fix(proposal: dict) -> dict:
    """Why no fix was proposed, as ``incident.no_fix`` says it: the planner's reason and its phrase (said in a Chinese
    channel's words), else the proposal's message, with a phrase of its status where it has one (no cluster, a policy
    block, a dry run that would change nothing or failed; the dry run's and the policy's own words quoted)."""
    if proposal.get("status") == "no_action" and proposal.get("reason"):
        reason = {"reason": proposal["reason"][:1000], "reason_phrase": proposal.get("reason_phrase")}
    else:
        message = str(proposal.get("message") or "nothing to run")
        why = _status_phrase(proposal)
        # the phrase is said only while its English is the stored message (`reasons.said`)
        said = why is not None and reasons.render(why, "en") == message
        reason = {"reason": message[:1000], "reason_phrase": why.model_dump(mode="json") if said else None}
    return {**reason, "message": reason["reason"]}


def _status_phrase(proposal: dict):
    checked, decision = proposal.get("dry_run") or {}, proposal.get("decision") or {}
    try:
        match proposal.get("status"):
            case "no_cluster":
                return reasons.reason("no_cluster")
            case "no_change":
                return reasons.reason("no_change", action=proposal["action"])
            case "dry_run_failed":
                return reasons.reason("dry_run_failed", status=checked.get("status"), message=checked.get("message"))
            case "blocked":
                said = {"rule": decision.get("rule"), "reason": decision.get("reason")}
                return reasons.reason("blocked_by_policy", **said, why=decision.get("reason_phrase"))
    except (KeyError, TypeError, ValueError):
        return None
    return None


def approval_rejected(incident_id: str, workspace: str) -> dict:
    incident = load(incident_id, workspace)
    advance(
        incident,
        IncidentStatus.DIAGNOSED,
        "the proposal was rejected: nothing ran",
        changes=_approval_view(incident_id),
    )
    return {"status": IncidentStatus.DIAGNOSED.value}


def _approval_view(incident_id: str) -> dict:
    """The change that copies the decided approval (never its token) onto the incident."""
    from pagerless.store.approvals import ApprovalRepository

    record = ApprovalRepository().latest(incident_id)
    return {"approval": {**record.to_public(), "proposal": None}} if record else {}


def approval_timed_out(incident_id: str, workspace: str) -> dict:
    """The approval's timeout fired: expire it, escalate, page the policy's next level. A retried
    step (its page did not start: EscalationNotStartedError) finds the approval expired and the
    incident escalated, and starts only the page; one whose first attempt died after expiring the
    approval escalates without saying again that it expired. Either retry says the escalation once
    (`escalate`: its entry and notification, if the attempt that moved the incident died before them)."""
    from pagerless.domain.approvals import EXPIRED
    from pagerless.store.approvals import ApprovalRepository

    incident = load(incident_id, workspace, closed_ok=True)
    latest = ApprovalRepository().latest(incident_id)
    said = phrase("approval_timed_out", timeout=(incident.proposal or {}).get("approval_timeout_seconds"))
    reason = english(said)
    if latest is not None and latest.status == EXPIRED and incident.status == IncidentStatus.ESCALATED.value:
        from pagerless.oncall.starts import start_for_approval_timeout

        escalate(incident_id, workspace, reason, _outcome(said), page=False)
        return {"status": incident.status, **start_for_approval_timeout(incident_id, latest.approval_id)}
    expiry = ApprovalService().expire(incident_id, reason)
    update(incident, **(_approval_view(incident_id) or {"approval": None}))
    if expiry.changed or expiry.approval is None:
        # a retry whose first attempt expired the approval (and died before escalating) wrote this already
        timeline.record(incident, "approval_expired", reason, actor=ACTOR)
    expired = expiry.approval
    result = escalate(incident_id, workspace, reason, _outcome(said), page=expired is None)
    if expired is not None:  # an approval nobody decides pages the next level of the escalation policy
        from pagerless.oncall.starts import start_for_approval_timeout

        result["escalation"] = start_for_approval_timeout(incident_id, expired.approval_id)["escalation"]
    return result


def _outcome(said) -> dict:
    """A reason as `escalate` takes it: its English and its phrase."""
    return {"reason": english(said), "reason_phrase": data(said)}


def rollback(incident_id: str, workspace: str, reason: str, outcome: dict | None = None) -> dict:
    """Run the inverse of the failed fix (the policy decides again), then escalate with the reason.

    The inverse puts back what the fix found (``pagerless.remediation.restore``): the uncordon of a
    cordon or a drain runs only when the fix cordoned the node; a node a person had cordoned before
    stays cordoned, and the timeline says why nothing was rolled back.

    The step is safe to run again (Step Functions retries it when AWS failed one of its writes): the
    inverse is marked on the incident's verification as the last write before it is sent, so a step
    run again after that point never sends it again (`_rolled_back_before`); before it, nothing was
    sent and the step runs as the first time. Its escalation's reason is the same either way, so its
    page (keyed by the reason) is made once. ``outcome``: the verification's result that gave the reason."""
    incident = load(incident_id, workspace)
    cause = _cause(reason, outcome or incident.verification)
    if sent := (incident.verification or {}).get("rollback"):
        return _rolled_back_before(incident, sent, cause)
    plan = last_plan(incident)
    inverse = rollback_plan(plan)
    action, why = restoring(inverse.action, plan.action, _found_by_fix(incident, plan))
    if action is None:
        if incident.status != IncidentStatus.ESCALATED.value:  # not said again by a retry after it escalated
            timeline.record(
                incident,
                "rollback_skipped",
                f"{inverse.action.action} not run: {why}"[:500],
                actor=ACTOR,
                data={"action": inverse.action.action},
            )
        said = phrase("not_rolled_back", why=why, fix=plan.action.action, **cause)
        return escalate(incident_id, workspace, english(said), _outcome(said))
    inverse = inverse.model_copy(update={"action": action})
    decision = evaluate(inverse, get_policy(workspace), policy_context(workspace))
    # A human approved the action together with its stated inverse; rollback runs on that approval.
    approved_by = fix_approver(incident, plan)
    incident = advance(incident, IncidentStatus.REMEDIATING, f"rolling back: {inverse.action.action}")
    sending = {"plan": inverse.model_dump(mode="json"), "at": utcnow().isoformat()}
    incident = update(incident, verification={**(incident.verification or {}), "rollback": sending})
    _, result = execute_and_record(
        inverse,
        decision,
        workspace=workspace,
        approved_by=approved_by,
        incident=incident,
        entry={"source": "workflow", "rollback": True, "plan": sending["plan"]},
    )
    _say_rolled_back(incident, inverse, result)
    said = _rolled_back_reason(cause, result)
    return escalate(incident_id, workspace, english(said), _outcome(said), notice=_rollback_notice(incident, sending))


def _rolled_back_before(incident, sent: dict, cause: dict) -> dict:
    """The step runs again after an earlier attempt marked the inverse as sent: it is not sent again. Its
    recorded outcome is said (once) and escalated with; without one (the write that records it failed, or the
    attempt ended between the mark and the send) the escalation says the inverse may have been sent."""
    inverse = ActionPlan.model_validate(sent["plan"])
    name = inverse.action.action
    result = _sent_record(incident, inverse, parse_time(sent["at"]))
    unknown = phrase("rollback_unrecorded", action=name)
    if result is None:
        why = english(unknown)
    else:
        _say_rolled_back(incident, inverse, result)
        why = f"{name} was sent by an earlier attempt of this step ({result.get('status')}); it is not sent again"
    timeline.record(
        incident,
        "rollback_not_repeated",
        f"the rollback step ran again; {why}"[:500],
        actor=ACTOR,
        data={"action": name, "status": result.get("status") if result else None},
    )
    said = _rolled_back_reason(cause, result, unknown)
    return escalate(
        incident.id, incident.workspace, english(said), _outcome(said), notice=_rollback_notice(incident, sent)
    )


def _rollback_notice(incident, sent: dict) -> str:
    """The idempotency key of the escalation a rollback ends with: its execution's and its mark's (the same for every
    attempt after the mark, whatever reason the attempt gives), so people hear of it once."""
    return generation_of(incident.execution_arn, "rolled_back", sent["at"])


def _sent_record(incident, inverse: ActionPlan, since) -> dict | None:
    """The outcome of ``inverse`` sent by this rollback (not by an earlier run's), as recorded on the incident."""
    for entry in reversed(incident.actions or []):
        started = parse_time(entry.get("started_at"))
        if entry.get("rollback") and entry.get("plan_id") == inverse.id and started and since and started >= since:
            return entry
    return None


def _say_rolled_back(incident, inverse: ActionPlan, result: dict) -> None:
    """Put the rollback's outcome on the timeline, once however often the step runs (keyed by its end)."""
    timeline.record(
        incident,
        "rolled_back",
        result["message"][:500],
        actor=ACTOR,
        data={"action": inverse.action.action, "status": result["status"], "rule": result.get("decision_rule")},
        once=f"rolled_back#{incident.id}#{result['plan_id']}#{result['started_at']}",
        at=parse_time(result["finished_at"]),
    )


def _rolled_back_reason(cause: dict, result: dict | None, unknown=None):
    """Why the workflow escalates after its rollback (a phrase): the same for the step run again (its page is keyed
    by its English). ``unknown``: what is said when the rollback's outcome was not recorded."""
    if result is None:
        return phrase("rolled_back", status=None, unknown=english(unknown), unknown_phrase=data(unknown), **cause)
    return phrase("rolled_back", status=result["status"], **cause)


def _found_by_fix(incident, plan: ActionPlan) -> dict | None:
    """What the fix found in the fields its inverse sets back, from the changes it recorded; None
    when the fix's record is not on the incident (the inverse then runs as written)."""
    fix = fix_record(incident, plan)
    return found_in_record(plan.action, fix.get("changes") or []) if fix else None


def handle_failure(incident_id: str, workspace: str, error: dict | None) -> dict:
    error = error or {}
    said = phrase(
        "step_failed", error=str(error.get("Error", "unknown error")), cause_text=str(error.get("Cause", ""))[:500]
    )
    return escalate(incident_id, workspace, english(said), _outcome(said))
