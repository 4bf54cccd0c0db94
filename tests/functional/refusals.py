"""DynamoDB refusing a request, at the AWS boundary: botocore's ``before-call`` event on the DynamoDB client every
model of the process shares (`pagerless.store.session`) answers the next calls of an operation with an error, as
AWS would (raised before the request, so no retry of botocore's runs). Nothing of Pagerless is replaced."""

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
    ``when()`` holds with the error ``code`` and ``response`` (its ``CancellationReasons``); yields the list of the
    calls refused so far."""
    from pagerless.store.system import SystemRecord

    events = SystemRecord._get_connection().connection.client.meta.events
    refused: list[str] = []

    def answer(model, **_):
        if len(refused) >= times or not when():
            return
        refused.append(model.name)
        raise ClientError({"Error": {"Code": code, "Message": f"{code} (injected)"}, **response}, model.name)

    events.register(f"before-call.dynamodb.{operation}", answer)
    try:
        yield refused
    finally:
        events.unregister(f"before-call.dynamodb.{operation}", answer)
