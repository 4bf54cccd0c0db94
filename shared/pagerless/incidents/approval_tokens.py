"""The Step Functions task token an approval holds, for incident approvals and runbook steps alike.

A decision answers the token stored with the approval, read in the same conditional write that
records the decision. A RequestApproval step that Step Functions invoked again (Lambda lost its
answer, or a restart's new execution) waits on a new token: ``wait_again`` moves a pending
approval onto it, or, when a person decided in between (their answer went to the old token, which
nobody waits on any more), hands their decision to the new token. Either the decision or the move
is written first, by a condition on the approval's status, so exactly one of them answers the
token that waits.

Step Functions refuses a token whose task attempt is over, whatever ended it, with the same error
for a token a decision used as for a wait that timed out. Only a refusal near the approval's
deadline may mean the wait timed out; one well before it means the attempt ended early (Step
Functions is retrying the request, or the execution stopped for a restart), so the decision
stands: the next attempt, or the restart's reconciler, takes it from the record. Near the deadline,
a sender whose own mark is still in place (``ApprovalRepository.mark_expired``) knows nobody else
sent to the token since it marked or claimed it; the approval sweep, which sends after a decider
that may have died after its own send, asks the execution's history (``took_a_decision``).

A hand-over writes the decision's audit record as the sweep does (``decision_audit``: once, whoever
writes first), ``delivered_by`` saying the retried request sent it.

The write that records a decision (or hands it over) also marks it undelivered; ``deliver`` clears
the mark once Step Functions took it, and a refusal well before the deadline clears it too (whoever
takes the decision over marks it again). A process that dies between the write and the send leaves
the mark: the scheduled `approval-sweep` (``workflow.approval_delivery``) sends the decision then.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pagerless import step_functions
from pagerless.domain import approvals as vocab
from pagerless.domain.approvals import Approval
from pagerless.domain.errors import ServiceUnavailableError
from pagerless.incidents import decision_audit
from pagerless.observability import logger
from pagerless.store.approvals import ApprovalRepository

REJECTED_ERROR = "ApprovalRejected"  # the ASLs' Catch matches this error name
# How much earlier than ``expires_at`` Step Functions' own timer may end the wait: it starts when
# the task does, before the request's Lambda (cold start, writes) sets ``expires_at``.
TIMER_LEAD = timedelta(seconds=30)


def refusal_is_timeout(record: Approval, now: datetime) -> bool:
    """Whether Step Functions refusing ``record``'s token at ``now`` means its wait timed out."""
    return now >= record.expires_at - TIMER_LEAD


def answer(record: Approval, *, approve: bool, actor: str, comment: str = "", sfn=None) -> None:
    """Send the decision to the token ``record`` holds (botocore's ClientError if refused)."""
    sfn = sfn or step_functions.client()
    if approve:
        sfn.send_task_success(
            taskToken=record.task_token,
            output=json.dumps({"approval_id": record.approval_id, "approved_by": actor}),
        )
    else:
        sfn.send_task_failure(
            taskToken=record.task_token,
            error=REJECTED_ERROR,
            cause=f"rejected by {actor}" + (f": {comment[:200]}" if comment else ""),
        )


def took_a_decision(record: Approval, sfn=None) -> bool:
    """Whether the execution's history says the task that held ``record``'s token ended with a
    decision (it succeeded, or failed with the rejection) rather than by its timeout. Step Functions
    refuses a token a decision used as it refuses one whose wait timed out (``TaskTimedOut``), and a
    decider that died between its send and the write that clears its mark left no other trace of its
    send. False when the history says otherwise or cannot be read (the execution is gone)."""
    from botocore.exceptions import BotoCoreError, ClientError

    sfn = sfn or step_functions.client()
    chain: set[int] = set()  # the task's events: scheduled, started, submitted, ...
    try:
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=record.execution_arn):
            for event in page["events"]:
                if event["type"] == "TaskScheduled" and _holds(event, record.task_token):
                    chain = {event["id"]}
                elif event.get("previousEventId") in chain:
                    if event["type"] == "TaskSucceeded":
                        return True
                    if event["type"] in ("TaskFailed", "TaskTimedOut"):
                        return (event.get("taskFailedEventDetails") or {}).get("error") == REJECTED_ERROR
                    chain.add(event["id"])
    except (BotoCoreError, ClientError):
        return False
    return False


def _holds(scheduled: dict, task_token: str) -> bool:
    """Whether a TaskScheduled event is the task that was given ``task_token``."""
    try:
        parameters = json.loads(scheduled["taskScheduledEventDetails"]["parameters"])
    except (KeyError, TypeError, ValueError):
        return False
    return (parameters.get("Payload") or {}).get("task_token") == task_token


class TokenRefused(Exception):
    """Step Functions refused the token: the task attempt that held it is over (see ``refusal_is_timeout``)."""


class NotSent(Exception):
    """Step Functions answered with an error (or was not reached): the decision did not arrive."""


def send(record: Approval, *, approve: bool, actor: str, comment: str = "", sfn=None) -> None:
    """``answer``, with Step Functions' refusal of the token (``TokenRefused``) told apart from a
    decision that did not arrive and can be sent again (``NotSent``)."""
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionError as NoConnection

    try:
        answer(record, approve=approve, actor=actor, comment=comment, sfn=sfn)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            raise TokenRefused(code) from exc
        raise NotSent(code or "an error") from exc
    except NoConnection as exc:
        raise NotSent("no connection") from exc


def deliver(
    record: Approval,
    *,
    approve: bool,
    actor: str,
    comment: str = "",
    sfn=None,
    repository: ApprovalRepository | None = None,
) -> None:
    """``send``, then the record's decision is no longer undelivered (raises as ``send`` does, the
    mark left in place)."""
    send(record, approve=approve, actor=actor, comment=comment, sfn=sfn)
    (repository or ApprovalRepository()).delivered(record)


def refused_early(record: Approval, repository: ApprovalRepository | None = None) -> None:
    """Step Functions refused ``record``'s token well before its deadline: the attempt that waits now
    takes the decision from the record (and marks it undelivered again), so this token needs no more
    sending."""
    (repository or ApprovalRepository()).delivered(record)


def not_taken(record: Approval, failed: NotSent) -> ServiceUnavailableError:
    """The decision did not reach Step Functions and the approval is pending again: the error to raise."""
    return ServiceUnavailableError(
        f"Step Functions did not take the decision on {record.incident_id} ({failed}); "
        "nothing changed, the approval still waits: try again",
        retry_after=1,
    )


def wait_again(
    record: Approval,
    *,
    task_token: str,
    execution_arn: str,
    expires_at: datetime,
    repository: ApprovalRepository | None = None,
    sfn=None,
) -> str:
    """The approval an earlier attempt of the step asked now answers ``task_token``: a pending one
    waits on it, a decided one's decision is sent to it. Returns the status it ends with (expired:
    nothing was handed on, the caller asks again). ``record`` is updated to what is stored."""
    repository = repository or ApprovalRepository()
    while True:
        if record.status == vocab.PENDING:
            if repository.rearm(record, task_token=task_token, execution_arn=execution_arn, expires_at=expires_at):
                return vocab.PENDING
        elif record.status in (vocab.APPROVED, vocab.REJECTED):
            if repository.hand_over(record, task_token=task_token, execution_arn=execution_arn):
                answer(
                    record,
                    approve=record.status == vocab.APPROVED,
                    actor=record.decided_by or "",
                    comment=record.comment or "",
                    sfn=sfn,
                )
                repository.delivered(record)
                _audit_handed_over(record)
                return record.status
        else:
            return record.status
        # a conditional write lost to a decision, an undo or a refused decision: ``record`` is fresh


def _audit_handed_over(record: Approval) -> None:
    """The decision's audit record, as its decider writes it, once whoever writes first: a decider whose
    process ended before it did leaves the hand-over to write it."""
    try:
        decision_audit.record_delivered(record, delivered_by=decision_audit.HAND_OVER)
    except Exception:  # the decision reached the workflow; a lost audit record must not fail the step
        logger().exception("audit write failed", extra={"approval_id": record.approval_id})
