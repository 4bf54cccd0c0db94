"""Force a read–modify–write race deterministically, at the AWS boundary.

`before_writing` runs another request (``then``) just before the test's request writes (or deletes) an item:
after that request read the item and merged its change, before its write reaches DynamoDB. It is
botocore's ``before-call`` event on the DynamoDB client every model of the process shares
(`pagerless.store.session`); nothing of Pagerless is replaced. Writes made while ``then`` runs
(the other request's own) pass untouched.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")


def _written(model_name: str, body: dict) -> list[tuple[str, dict]]:
    """(table, key or item) of each item a write request writes (or deletes)."""
    if model_name == "TransactWriteItems":
        return [
            (op["TableName"], op.get("Key") or op.get("Item") or {})
            for entry in body.get("TransactItems", [])
            for kind, op in entry.items()
            if kind in ("Put", "Update", "Delete")
        ]
    return [(body.get("TableName", ""), body.get("Key") or body.get("Item") or {})]


@contextmanager
def before_writing(
    model, table: str, matches: Callable[[dict], bool], then: Callable[[], object], *, times: int = 1
) -> Iterator[list]:
    """Run ``then`` before each of the next ``times`` writes of an item of ``table`` whose key (or item, as
    DynamoDB's typed JSON) ``matches``; yields the list of what each ``then`` returned."""
    from pagerless.store.session import dynamodb_events

    events = dynamodb_events(model)
    results: list = []
    busy = [False]

    def before(model, params, **_):
        if busy[0] or len(results) >= times or model.name not in WRITES:
            return
        body = json.loads(params.get("body") or b"{}")
        if not any(name == table and matches(item) for name, item in _written(model.name, body)):
            return
        busy[0] = True
        try:
            results.append(then())
        finally:
            busy[0] = False

    events.register("before-call.dynamodb", before)
    try:
        yield results
    finally:
        events.unregister("before-call.dynamodb", before)
