"""DynamoDB refusing a request, at the AWS boundary: botocore's ``before-call`` event on the DynamoDB client every
model of the process shares (`pagerless.store.session`) answers the next calls of an operation with an error, as
AWS would (raised before the request, so no retry of botocore's runs: the error is the one that outlasted them).
Nothing of Pagerless is replaced."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError


def cancelled(*reasons: str) -> dict:
    """A TransactWriteItems answer cancelled for ``reasons``, one per item in the order sent ("None": that item
    was fine)."""
    return {"CancellationReasons": [{"Code": reason} for reason in reasons]}


@contextmanager
def refusing(
    operation: str, code: str, *, times: int = 1, when: Callable[[], bool] = lambda: True, **response
) -> Iterator[list[str]]:
    """Answer the next ``times`` calls of ``operation`` (``TransactWriteItems``, ``UpdateItem``...) made while
    ``when()`` holds with the error ``code`` and ``response`` (its ``CancellationReasons``, its
    ``ResponseMetadata``'s ``HTTPStatusCode``); yields the list of the calls refused so far."""

    def error(operation_name: str) -> Exception:
        return ClientError({"Error": {"Code": code, "Message": f"{code} (injected)"}, **response}, operation_name)

    with failing(operation, error, times=times, when=when) as refused:
        yield refused


@contextmanager
def failing(
    operation: str,
    error: Callable[[str], Exception],
    *,
    times: int = 1,
    when: Callable[[], bool] = lambda: True,
) -> Iterator[list[str]]:
    """Fail the next ``times`` calls of ``operation`` made while ``when()`` holds with ``error(operation_name)``
    (a botocore ``EndpointConnectionError``, say: DynamoDB out of reach); yields the list of the calls failed."""
    from pagerless.store.session import dynamodb_events

    events = dynamodb_events()
    refused: list[str] = []

    def answer(model, **_):
        if len(refused) >= times or not when():
            return
        refused.append(model.name)
        raise error(model.name)

    events.register(f"before-call.dynamodb.{operation}", answer)
    try:
        yield refused
    finally:
        events.unregister(f"before-call.dynamodb.{operation}", answer)


def sqs_events():
    """The event hooks of the SQS client the code sends with (`pagerless.aws.shared_client`: the intake's AlertQueue
    and the outbox's NotifyQueue share it): a hook registered here reaches every call the code makes to SQS."""
    from pagerless import aws

    return aws.shared_client("sqs").meta.events


@contextmanager
def sqs_refusing(operation: str, code: str = "ServiceUnavailable", *, times: int = 1) -> Iterator[list[str]]:
    """Answer the next ``times`` calls of the SQS ``operation`` (``SendMessage``...) with the error ``code``, as AWS
    would when it cannot take them (botocore's ``before-call``: no request is made); yields the calls refused."""
    events, refused = sqs_events(), []

    def answer(model, **_):
        if len(refused) < times:
            refused.append(model.name)
            raise ClientError({"Error": {"Code": code, "Message": f"{code} (injected)"}}, model.name)

    events.register(f"before-call.sqs.{operation}", answer)
    try:
        yield refused
    finally:
        events.unregister(f"before-call.sqs.{operation}", answer)


@contextmanager
def refusing_writes_of(
    value: str | tuple[str, ...],
    code: str = "InternalServerError",
    *,
    times: int = 1000,
    operations: tuple[str, ...] = ("PutItem", "TransactWriteItems"),
) -> Iterator[list[str]]:
    """Answer the next ``times`` calls of ``operations`` (``PutItem`` or ``TransactWriteItems``) writing an item that
    holds the string ``value`` (its partition key, its type...; a tuple: each of them) with the error ``code``, as
    DynamoDB would if the process died before that write; yields the calls refused."""
    from pagerless.store.session import dynamodb_events

    events = dynamodb_events()
    refused: list[str] = []
    values = (value,) if isinstance(value, str) else value

    def answer(model, params, **_):
        body = str(params.get("body", ""))
        if len(refused) < times and all(f'"{v}"' in body for v in values):
            refused.append(model.name)
            raise ClientError({"Error": {"Code": code, "Message": f"{code} (injected)"}}, model.name)

    for operation in operations:
        events.register(f"before-call.dynamodb.{operation}", answer)
    try:
        yield refused
    finally:
        for operation in operations:
            events.unregister(f"before-call.dynamodb.{operation}", answer)
