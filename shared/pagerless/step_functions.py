"""The one Step Functions client: every module that starts, describes, stops, redrives or answers an
execution asks ``client()`` here (one boto3 client per process, created on first use so a function
that never touches Step Functions never imports boto3 for it). Tests replace ``client`` to inject faults."""

from functools import cache


@cache
def client():
    import boto3

    return boto3.client("stepfunctions")


def execution_arn(machine: str, name: str) -> str:
    """The ARN the execution ``name`` of state machine ``machine`` has (known before it starts)."""
    return machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"
