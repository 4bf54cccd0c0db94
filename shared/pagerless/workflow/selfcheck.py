"""The self-check workflow: a Lambda task, a task-token wait, and the confirmation.

`pagerless dev` runs it at start to prove the workflow engine works end to end. The task token
is a credential: it is stored, never logged and never returned by the API.
"""

import json
import uuid
from datetime import UTC, datetime

from pagerless import settings, step_functions
from pagerless.domain.errors import NotFoundError
from pagerless.store.system import SystemRepository

_PK = "selfcheck"


def start(timeout_seconds: int = 300) -> dict:
    """Start a self-check execution; returns its check id and execution ARN."""
    check_id = uuid.uuid4().hex[:12]
    response = step_functions.client().start_execution(
        stateMachineArn=settings.workflow().selfcheck_state_machine_arn,
        name=f"selfcheck-{check_id}",
        input=json.dumps({"check_id": check_id, "timeout_seconds": timeout_seconds}),
    )
    return {"check_id": check_id, "execution_arn": response["executionArn"]}


def record_start(check_id: str) -> dict:
    started_at = datetime.now(UTC).isoformat()
    SystemRepository().put(_PK, check_id, {"started_at": started_at})
    return {"started_at": started_at}


def store_token(check_id: str, task_token: str) -> None:
    record = SystemRepository().get(_PK, check_id)
    data = dict(record.data) if record else {}
    SystemRepository().put(_PK, check_id, {**data, "task_token": task_token})


def has_token(check_id: str) -> bool:
    record = SystemRepository().get(_PK, check_id)
    return bool(record and record.data.get("task_token"))


def confirm(check_id: str) -> None:
    """Return the stored task token to Step Functions, letting the execution finish."""
    record = SystemRepository().get(_PK, check_id)
    if record is None or not record.data.get("task_token"):
        raise NotFoundError(f"self-check {check_id} is not waiting")
    step_functions.client().send_task_success(
        taskToken=record.data["task_token"], output=json.dumps({"confirmed": True})
    )
