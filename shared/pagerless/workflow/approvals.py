"""Human approval of a proposal: one service for the API and, later, chat buttons.

The workflow's RequestApproval step stores the task token here; ``decide`` records the decision
with a conditional write (pending → approved / rejected) BEFORE it calls Step Functions, so a
token goes back exactly once: a second click gets the first decision, unchanged; approving after
a reject, or after the approval timed out, is a ConflictError. A decision Step Functions answers
with an error is undone (the approval is pending again): a ServiceUnavailableError, try again.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from pagerless import step_functions
from pagerless.clock import utcnow
from pagerless.domain import approvals as vocab
from pagerless.domain.approvals import Approval, Via
from pagerless.domain.errors import ConflictError, NotFoundError
from pagerless.domain.incidents import IncidentStatus
from pagerless.incidents import approval_tokens, timeline
from pagerless.observability import logger
from pagerless.store.approvals import ApprovalRepository
from pagerless.workflow.approval_notices import publish_decided, say_requested, say_resumed, tell_decided
from pagerless.workflow.incidents import advance, load


@dataclass(frozen=True)
class Decided:
    approval: dict
    changed: bool  # False: an earlier identical decision stands (a double click)


@dataclass(frozen=True)
class Expiry:
    approval: Approval | None  # the incident's latest approval; None: it has none
    changed: bool  # True: this call expired it; False: it was decided or expired before (a retried step)


class ApprovalService:
    def __init__(self, repository: ApprovalRepository | None = None, sfn=None) -> None:
        self.repository = repository or ApprovalRepository()
        self._sfn = sfn

    @property
    def sfn(self):
        return self._sfn or step_functions.client()

    def request(
        self,
        incident_id: str,
        workspace: str,
        *,
        task_token: str,
        execution_arn: str,
        timeout_seconds: int,
        resume_approval: str | None = None,
        retried: bool = False,
    ) -> dict:
        """Store the token with the proposal and move the incident to awaiting_approval.

        ``resume_approval`` (from the reconciler after a restart): that approval, if still pending,
        gets the new token and a fresh wait instead of a new approval, so its cards stay valid.
        ``retried`` (Step Functions invoked the step again: Lambda lost its answer): the approval the
        earlier attempt asked does the same. Either one, decided before it got the new token, has its
        decision sent to the new token (``approval_tokens.wait_again``)."""
        incident = load(incident_id, workspace)
        now = utcnow()
        earlier = self._asked_before(incident_id, execution_arn, resume_approval, retried)
        if earlier is not None:
            status = approval_tokens.wait_again(
                earlier,
                task_token=task_token,
                execution_arn=execution_arn,
                expires_at=now + timedelta(seconds=int(timeout_seconds)),
                repository=self.repository,
                sfn=self._sfn,
            )
            if status == vocab.PENDING and resume_approval:
                return self._resume(incident, earlier, execution_arn, int(timeout_seconds))
            if status == vocab.PENDING:
                return self._retried(incident, earlier)
            if status != vocab.EXPIRED:  # decided while the token moved: the decision went to this attempt
                logger().info(
                    "approval decision handed to a retried request",
                    extra={"incident_id": incident_id, "approval_id": earlier.approval_id, "status": status},
                )
                # the decider's process may have ended before it said so: then this does
                tell_decided(incident, earlier)
                return {"approval_id": earlier.approval_id, "handed_over": status}
        proposal = incident.proposal or {}
        record = self.repository.create(
            Approval(
                incident_id,
                vocab.approval_key(now, uuid.uuid4().hex[:8]),
                workspace=workspace,
                requested_at=now,
                expires_at=now + timedelta(seconds=int(timeout_seconds)),
                timeout_seconds=int(timeout_seconds),
                execution_arn=execution_arn,
                task_token=task_token,
                proposal=_approver_view(proposal),
            )
        )
        advance(
            incident,
            IncidentStatus.AWAITING_APPROVAL,
            "waiting for a human to approve the proposal",
            changes={"approval": {**record.to_public(), "proposal": None}},
        )
        logger().info("approval requested", extra={"incident_id": incident_id, "approval_id": record.approval_id})
        say_requested(incident, record, self.repository)
        return {"approval_id": record.approval_id}

    def _asked_before(
        self, incident_id: str, execution_arn: str, resume_approval: str | None, retried: bool
    ) -> Approval | None:
        """The approval this RequestApproval asked before on another token: the one a restart resumes,
        or the one an earlier attempt of this execution's step asked (the incident's latest, if it is
        this execution's: the first attempt may have ended before it asked)."""
        if resume_approval:
            return self.repository.get(incident_id, resume_approval)
        if not retried:
            return None
        latest = self.repository.latest(incident_id)
        return latest if latest is not None and execution_arn and latest.execution_arn == execution_arn else None

    def _retried(self, incident, pending: Approval) -> dict:
        """Step Functions invoked the step again (AWS failed the first attempt part way, or Lambda lost its answer):
        the pending approval, on the new token, stays the one that decides; what the first attempt may not have said
        is said (`approval_notices.say_requested`: its entry once, its cards not twice)."""
        advance(
            incident,
            IncidentStatus.AWAITING_APPROVAL,
            "waiting for a human to approve the proposal",
            changes={"approval": {**pending.to_public(), "proposal": None}},
        )
        say_requested(incident, pending, self.repository)
        return {"approval_id": pending.approval_id, "retried": True}

    def _resume(self, incident, pending: Approval, execution_arn: str, timeout: int) -> dict:
        advance(
            incident,
            IncidentStatus.AWAITING_APPROVAL,
            "waiting for a human to approve the proposal",
            changes={"approval": {**pending.to_public(), "proposal": None}},
        )
        logger().info("approval resumed", extra={"incident_id": incident.id, "approval_id": pending.approval_id})
        say_resumed(incident, pending, execution_arn, timeout)
        return {"approval_id": pending.approval_id, "resumed": True}

    def decide(
        self,
        incident_id: str,
        workspace: str,
        *,
        approve: bool,
        actor: str,
        role: str = "",
        comment: str = "",
        approval_id: str | None = None,
        via: Via | None = None,
    ) -> Decided:
        """Approve or reject the incident's pending approval (see the module docstring).

        With ``approval_id`` (a chat card's own approval), a card whose approval is no longer the
        incident's latest (superseded by a re-diagnosis) is refused and changes nothing. ``via``, the
        channel the decision came through, is kept with it (``decision_audit`` reads it).
        """
        from pagerless.workflow import runbook_steps

        step = self.repository.get(incident_id, approval_id) if approval_id else None
        if runbook_steps.is_step(step) and step.workspace == workspace:  # a runbook run's step, named by its card
            return runbook_steps.decide(self, step, approve=approve, actor=actor, role=role, comment=comment, via=via)
        incident = load(incident_id, workspace, closed_ok=True)
        record = self.repository.latest(incident_id)
        if record is None or record.workspace != workspace:
            raise NotFoundError(f"incident {incident_id} has no approval request")
        if approval_id is not None and approval_id != record.approval_id:
            self._refuse_superseded(incident_id, approval_id, record)
        wanted = vocab.APPROVED if approve else vocab.REJECTED
        if record.status == vocab.PENDING and incident.status != IncidentStatus.AWAITING_APPROVAL.value:
            raise ConflictError(
                f"incident {incident_id} is {incident.status}: there is nothing to decide any more",
                details=[{"status": incident.status}],
            )
        if record.timed_out(utcnow()) and self.repository.decide(
            record, vocab.EXPIRED, actor="system", note="the approval timed out"
        ):
            publish_decided(incident, record)  # its cards lose their buttons (the workflow's timeout finds it expired)
        from pagerless.auth.actors import name_of
        from pagerless.domain.actors import label

        name = name_of(workspace, actor)
        who = label(actor, name)
        won = record.status == vocab.PENDING and self.repository.decide(
            record, wanted, actor=actor, role=role, comment=comment, actor_name=name, via=via
        )
        if not won:
            return self._already_decided(record, wanted, incident)
        try:
            approval_tokens.deliver(
                record, approve=approve, actor=actor, comment=comment, sfn=self.sfn, repository=self.repository
            )
        except approval_tokens.TokenRefused as refused:
            # a timeout, unless the attempt holding the token ended early, a retried request already took
            # the decision over to its own token, or the sweep delivered it: then it stands (see approval_tokens)
            if not approval_tokens.refusal_is_timeout(record, utcnow()):
                approval_tokens.refused_early(record, self.repository)
                return self._stands(record, wanted, incident)
            if not self.repository.mark_expired(record, f"Step Functions refused the decision: {refused}"):
                return self._stands(record, wanted, incident)
            publish_decided(incident, record)
            timeline.record(
                incident,
                "approval_expired",
                f"{who} tried to {'approve' if approve else 'reject'} after the approval had timed out",
                actor=actor,
                actor_name=name,
                data={"approval_id": record.approval_id},
            )
            raise ConflictError(
                f"the approval of {incident_id} timed out before the decision; nothing ran",
                details=[{"status": vocab.EXPIRED}],
            ) from refused
        except approval_tokens.NotSent as failed:  # the workflow still waits: the approval waits again, a retry decides
            if self.repository.undo(record):
                raise approval_tokens.not_taken(record, failed) from failed
            # a retried request took the decision over to its own token meanwhile: it stands
        return self._stands(record, wanted, incident)

    def _stands(self, record: Approval, wanted: str, incident):
        """The decision stands: it reached the workflow, or a retried request hands it on (see approval_tokens)."""
        if record.status != wanted:
            return self._already_decided(record, wanted)
        tell_decided(incident, record)
        # The incident is not written here: the workflow moves on at once and owns it from now on.
        return Decided(record.to_public(), True)

    def expire(self, incident_id: str, reason: str) -> Expiry:
        """The workflow's timeout fired: a pending approval becomes expired (no token is sent), by a
        conditional write; ``changed`` says whether this call expired it."""
        record = self.repository.latest(incident_id)
        changed = (
            record is not None
            and record.status == vocab.PENDING
            and self.repository.decide(record, vocab.EXPIRED, actor="system", note=reason)
        )
        if changed:
            publish_decided(load(incident_id, record.workspace, closed_ok=True), record)
        return Expiry(record, changed)

    def list(self, workspace: str, status: str, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        records, next_cursor = self.repository.list(workspace, status, limit=limit, cursor=cursor)
        return [r.to_public() for r in records], next_cursor

    def _refuse_superseded(self, incident_id: str, approval_id: str, latest: Approval) -> None:
        card = self.repository.get(incident_id, approval_id)
        if card is None:
            raise NotFoundError(f"incident {incident_id} has no approval {approval_id}")
        earlier = (
            f"; it was {card.status} by {card.decider_label()}"
            if card.decided_by and card.status != vocab.PENDING
            else ""
        )
        raise ConflictError(
            f"this approval of {incident_id} was superseded by a newer one ({latest.status}){earlier}; nothing changed",
            details=[
                {
                    "status": "superseded",
                    "approval_id": approval_id,
                    "current_approval_id": latest.approval_id,
                    "current_status": latest.status,
                    "decided_by": latest.decided_by,
                }
            ],
        )

    def _already_decided(self, record: Approval, wanted: str, incident=None) -> Decided:
        """A repeated click: the decision stands, unchanged. One that reached the workflow is said if its entry is
        missing (the click that made it failed to write it: `tell_decided` writes it once, whoever is first); one
        still on its way is the sweep's to say once it delivered it."""
        if record.status == wanted:
            if incident is not None and record.undelivered_since is None:
                tell_decided(incident, record)
            return Decided(record.to_public(), False)
        if record.status == vocab.EXPIRED:
            raise ConflictError(
                f"the approval of {record.incident_id} timed out; nothing ran",
                details=[{"status": vocab.EXPIRED, "note": record.note}],
            )
        raise ConflictError(
            f"the proposal for {record.incident_id} was already {record.status} by "
            f"{record.decider_label()}; that decision stands",
            details=[
                {
                    "status": record.status,
                    "decided_by": record.decided_by,
                    "decided_by_label": record.decider_label(),  # name (id), as the pages and cards show it
                    "decided_at": record.decided_at.isoformat() if record.decided_at else None,
                }
            ],
        )


def _approver_view(proposal: dict) -> dict:
    """What the approver needs: the action, why, the dry-run diff and the policy decision."""
    keys = (
        "action",
        "description",
        "reason",
        "reason_phrase",
        "risk",
        "blast_radius",
        "reversible",
        "plan",
        "decision",
        "message",
    )
    dry_run = proposal.get("dry_run") or {}
    return {
        **{k: proposal.get(k) for k in keys},
        "dry_run": {
            "status": dry_run.get("status"),
            "message": dry_run.get("message"),
            "diff": dry_run.get("diff"),
            "changes": dry_run.get("changes", []),
        },
    }
