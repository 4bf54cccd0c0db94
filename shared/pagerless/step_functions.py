"""The one Step Functions client: every module that starts, describes, stops, redrives or answers an
execution asks ``client()`` here (one client per process, created on first use so a function that
never touches Step Functions never loads its model). Tests replace ``client`` to inject faults."""

import hashlib
from functools import cache

MAX_NAME = 80  # an execution's name: 1 to 80 characters


@cache
def client():
    from pagerless import aws

    return aws.client("stepfunctions")


def execution_arn(machine: str, name: str) -> str:
    """The ARN the execution ``name`` of state machine ``machine`` has (known before it starts)."""
    return machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def fitting_name(name: str) -> str:
    """``name`` as an execution can be named: itself when it fits, else its first characters and 32 hex digits
    of its SHA-256 (80 in all), so two names that differ only past the cut stay two names. Cutting at 80 made
    two escalation generations of an incident of a long workspace one name, and Step Functions refuses a
    start under a name it has run (the second escalation never paged)."""
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    return f"{name[: MAX_NAME - len(digest) - 1]}-{digest}"
