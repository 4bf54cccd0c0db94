"""What an approval says, and in which order: its timeline entry (written once), its cards' notice
(``approval.requested``, ``approval.decided``: the notify function's delivery ids make a repeat of the same
generation a no-op) and, last, the entry's live (stream) event.

Whoever says it may be tried again after AWS failed it part way (the state machine retries a RequestApproval step; a
decision is said again by the retried request that hands it over, or by the approval sweep): the retry finds the
entry the first attempt wrote and does not write it twice, and sends the notice and the live event the first
attempt may not have reached, as the Verify and Propose steps do. A decision's cards and live event are sent by
whoever wrote its entry (the decider, the hand-over, the sweep: the first of them), the live event last."""

from pagerless.domain import approvals as vocab
from pagerless.domain.approvals import Approval
from pagerless.incidents import timeline
from pagerless.incidents.notices import publish
from pagerless.observability import logger
from pagerless.store.approvals import ApprovalRepository
from pagerless.store.incidents import IncidentRecord
from pagerless.workflow.incidents import ACTOR

SUPERSEDED = "superseded"  # what the cards of an approval replaced by a newer one say (stored as expired)


def say_requested(incident: IncidentRecord, record: Approval, repository: ApprovalRepository) -> None:
    """The `approval_requested` entry of ``record`` (once per approval), the approval it replaces superseded (its
    cards lose their buttons), its cards, then the entry's live event: by the request that asked it and again by a
    retry of that request (the first attempt may have ended anywhere after it stored the approval)."""
    proposal = record.proposal or {}
    message = f"approval requested for {proposal.get('action')}; expires in {int(record.timeout_seconds)}s"
    said = {
        "approval_id": record.approval_id,
        "action": proposal.get("action"),
        "diff": (proposal.get("dry_run") or {}).get("diff"),
        "rule": (proposal.get("decision") or {}).get("rule"),
        "expires_at": record.expires_at.isoformat(),
    }
    found = timeline.entry_with(incident.id, "approval_requested", approval_id=record.approval_id)
    entry = found or timeline.record(incident, "approval_requested", message, actor=ACTOR, data=said, live=False)
    _supersede(incident, record, repository)
    _publish_requested(incident, record, generation=record.approval_id)
    timeline.announce(incident, "approval_requested", message, actor=ACTOR, data=said, entry=entry.sk)


def say_resumed(incident: IncidentRecord, pending: Approval, execution_arn: str, timeout: int) -> None:
    """The `approval_resumed` entry of a wait a restart resumed (once per resuming execution), its cards again
    (a generation of that execution's), then the entry's live event."""
    message = f"approval wait resumed after a restart; expires in {timeout}s"
    said = {"approval_id": pending.approval_id, "expires_at": pending.expires_at.isoformat()}
    execution = execution_arn.rsplit(":", 1)[-1]
    said = {**said, "execution": execution}
    found = timeline.entry_with(incident.id, "approval_resumed", approval_id=pending.approval_id, execution=execution)
    entry = found or timeline.record(incident, "approval_resumed", message, actor=ACTOR, data=said, live=False)
    _publish_requested(incident, pending, generation=f"{pending.approval_id}#{execution}")
    timeline.announce(incident, "approval_resumed", message, actor=ACTOR, data=said, entry=entry.sk)


def _publish_requested(incident: IncidentRecord, record: Approval, *, generation: str) -> None:
    data = {"approval_id": record.approval_id, "expires_at": record.expires_at.isoformat()}
    publish("approval.requested", incident, generation=generation, data=data)


def _supersede(incident: IncidentRecord, record: Approval, repository: ApprovalRepository) -> None:
    """The incident's approval before ``record``, still pending, is expired as superseded (by a conditional write:
    once) and its cards told."""
    own = [a for a in repository.for_incident(incident.id, consistent=True) if not a.is_runbook_step]
    earlier = [a for a in own if a.approval_id < record.approval_id]
    previous = earlier[-1] if earlier else None
    if (
        previous is not None
        and previous.status == vocab.PENDING
        and repository.decide(
            previous, vocab.EXPIRED, actor="system", note=f"superseded by a newer approval ({record.approval_id})"
        )
    ):
        publish_decided(incident, previous, decision=SUPERSEDED)  # its cards lose their buttons


def tell_decided(incident: IncidentRecord, record: Approval) -> None:
    """The timeline's entry and the cards' update for ``record``'s decision, read from the record and written once
    (keyed by the approval and its decision's time): by the decider, by the retried request that handed the decision
    over, or by the approval sweep that delivered it, when the decider's process ended before it. Whoever writes the
    entry updates the cards, then sends the entry's live event, last: a live event AWS failed no longer leaves the
    cards with their buttons. That live event is best-effort: the decision is stored and handed over, its entry and
    its cards' notice are written, so a failure here must not answer the person's click with an error (a retry would
    only hear "already approved"); it is logged, and the console shows the entry once it reads the timeline."""
    verb = "approved" if record.status == vocab.APPROVED else "rejected"
    comment = record.comment or ""
    message = f"{record.decider_label()} {verb} {record.proposal.get('action')}" + (f": {comment}" if comment else "")
    said = {
        "approval_id": record.approval_id,
        "action": record.proposal.get("action"),
        "role": record.decided_role or "",
        "comment": comment,
        "decided_at": record.decided_at.isoformat(),
    }
    name = record.decided_by_name or ""
    told = timeline.record(
        incident,
        verb,
        message,
        actor=record.decided_by,
        actor_name=name,
        data=said,
        once=record.approval_id,
        at=record.decided_at,
        live=False,
    )
    if told is not None:
        publish_decided(incident, record)
        live = {**said, "actor_name": name} if name else said
        _announce(incident, verb, message, actor=record.decided_by, data=live)


def _announce(incident: IncidentRecord, verb: str, message: str, *, actor: str, data: dict) -> None:
    """The decision entry's live event; a failure is logged, not raised (see `tell_decided`)."""
    try:
        timeline.announce(incident, verb, message, actor=actor, data=data)
    except Exception:  # noqa: BLE001 — the decision stands; only its live event is lost
        logger().warning(
            "the live event of a decision was not sent",
            exc_info=True,
            extra={"incident_id": incident.id, "approval_id": data.get("approval_id"), "decision": verb},
        )


def publish_decided(incident: IncidentRecord, record: Approval, decision: str | None = None) -> None:
    """Every card of this approval is updated to show who decided what and when (see pagerless.notify)."""
    publish("approval.decided", incident, generation=record.approval_id, data=record.decided_notice(decision))
