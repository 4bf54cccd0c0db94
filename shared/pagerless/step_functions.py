"""The one Step Functions client: every module that starts, describes, stops, redrives or answers an
execution asks ``client()`` here (one client per process, created on first use so a function that
never touches Step Functions never loads its model). Tests replace ``client`` to inject faults."""

from functools import cache


@cache
def client():
    from pagerless import aws

    return aws.client("stepfunctions")


def execution_arn(machine: str, name: str) -> str:
    """The ARN the execution ``name`` of state machine ``machine`` has (known before it starts)."""
    return machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"
