"""The store's one conditional-write idiom (`store.base.written`, `store.base.lost_race`), on the embedded AWS:
a write refused for its condition is an answer (False, nothing written); every other DynamoDB error (throttling,
a validation error) still raises, as it did before the idiom was shared."""

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def refusing(runtime):
    """Make DynamoDB answer the next calls of an operation with an error code, as AWS would (no retry)."""
    from pagerless.store.session import dynamodb_events
    from pagerless.store.system import SystemRecord

    events = dynamodb_events(SystemRecord)
    registered = []

    def refuse(operation: str, code: str, **response) -> None:
        def answer(**_):
            raise ClientError({"Error": {"Code": code, "Message": f"{code} (injected)"}, **response}, operation)

        events.register(f"before-call.dynamodb.{operation}", answer)
        registered.append((f"before-call.dynamodb.{operation}", answer))

    yield refuse
    for event, handler in registered:
        events.unregister(event, handler)


def _stored(pk: str, sk: str):
    from pagerless.store.system import SystemRepository

    record = SystemRepository().get(pk, sk)
    return None if record is None else record.data


def test_an_update_whose_condition_holds_is_written(runtime):
    from pagerless.store.base import written
    from pagerless.store.system import SystemRecord, SystemRepository

    # Given a stored record
    SystemRepository().put("cond", "a", {"n": 1})
    record = SystemRecord("cond", "a")
    # When it is updated on a condition that holds
    done = written(record.update, actions=[SystemRecord.data.set({"n": 2})], condition=SystemRecord.pk.exists())
    # Then the write is made
    assert done is True
    assert _stored("cond", "a") == {"n": 2}


def test_an_update_whose_condition_fails_is_false_and_writes_nothing(runtime):
    from pagerless.store.base import written
    from pagerless.store.system import SystemRecord, SystemRepository

    # Given a stored record
    SystemRepository().put("cond", "a", {"n": 1})
    # When an update is conditional on what it is not
    done = written(
        SystemRecord("cond", "a").update,
        actions=[SystemRecord.data.set({"n": 2})],
        condition=SystemRecord.data == {"n": 5},
    )
    # Then it is refused, not raised, and the record is as it was
    assert done is False
    assert _stored("cond", "a") == {"n": 1}


def test_a_put_and_a_delete_refused_by_their_condition_are_false(runtime):
    from pagerless.store.base import written
    from pagerless.store.system import SystemRecord, SystemRepository

    # Given a stored record
    SystemRepository().put("cond", "taken", {"first": True})
    # When a second put is conditional on the key being free, and a delete on a missing item existing
    put = written(SystemRecord("cond", "taken", data={"first": False}).save, condition=SystemRecord.pk.does_not_exist())
    delete = written(SystemRecord("cond", "missing").delete, condition=SystemRecord.pk.exists())
    # Then both are refused and the first record stays
    assert (put, delete) == (False, False)
    assert _stored("cond", "taken") == {"first": True}
    # And the same writes where their conditions hold are made
    assert written(SystemRecord("cond", "new", data={"x": 1}).save, condition=SystemRecord.pk.does_not_exist())
    assert written(SystemRecord("cond", "taken").delete, condition=SystemRecord.pk.exists())
    assert (_stored("cond", "new"), _stored("cond", "taken")) == ({"x": 1}, None)


@pytest.mark.parametrize("operation", ["UpdateItem", "PutItem", "DeleteItem"])
@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "ValidationException"]
)
def test_any_other_error_of_a_conditional_write_raises(refusing, operation, code):
    from pynamodb.exceptions import PynamoDBException

    from pagerless.store.base import written
    from pagerless.store.system import SystemRecord, SystemRepository

    # Given a stored record, and DynamoDB answering the write with an error other than a failed condition
    SystemRepository().put("cond", "a", {"n": 1})
    refusing(operation, code)
    record = SystemRecord("cond", "a", data={"n": 2})
    write = {
        "UpdateItem": lambda: written(
            record.update, actions=[SystemRecord.data.set({"n": 2})], condition=SystemRecord.pk.exists()
        ),
        "PutItem": lambda: written(record.save, condition=SystemRecord.pk.exists()),
        "DeleteItem": lambda: written(record.delete, condition=SystemRecord.pk.exists()),
    }[operation]
    # When the conditional write is made, then the error reaches the caller, with its code
    with pytest.raises(PynamoDBException) as raised:
        write()
    assert raised.value.cause_response_code == code
    assert _stored("cond", "a") == {"n": 1}


def test_a_validation_error_dynamodb_answers_itself_raises(runtime):
    from pynamodb.exceptions import UpdateError

    from pagerless.store.base import written
    from pagerless.store.system import SystemRecord, SystemRepository

    # Given a stored record
    SystemRepository().put("cond", "a", {"n": 1})
    # When a conditional update is one DynamoDB rejects (it changes a key attribute)
    with pytest.raises(UpdateError) as raised:
        written(
            SystemRecord("cond", "a").update, actions=[SystemRecord.sk.set("b")], condition=SystemRecord.pk.exists()
        )
    # Then it raises as a validation error, not a refused condition
    assert raised.value.cause_response_code == "ValidationException"


def _transaction(first_free: bool):
    """A transaction of two puts, each on the condition its key is free; the first key is taken unless ``first_free``."""
    from pynamodb.connection import Connection
    from pynamodb.transactions import TransactWrite

    from pagerless.store.system import SystemRecord, SystemRepository

    if not first_free:
        SystemRepository().put("tx", "one", {})
    with TransactWrite(connection=Connection(region=SystemRecord.Meta.region)) as tx:
        tx.save(SystemRecord("tx", "one"), condition=SystemRecord.pk.does_not_exist())
        tx.save(SystemRecord("tx", "two"), condition=SystemRecord.pk.does_not_exist())


def test_a_transaction_refused_by_a_condition_is_a_race_lost(runtime):
    from pynamodb.exceptions import TransactWriteError

    from pagerless.store.base import lost_race

    # Given one of a transaction's keys is taken, when it is written
    with pytest.raises(TransactWriteError) as raised:
        _transaction(first_free=False)
    # Then that is a race lost
    assert lost_race(raised.value) is True


@pytest.mark.parametrize(
    ("reasons", "lost"),
    [
        (["TransactionConflict", "None"], True),  # another transaction on the item at that moment
        (["None", "ConditionalCheckFailed"], True),
        (["ThrottlingError", "None"], False),
        (["None", "ValidationError"], False),
    ],
)
def test_a_transaction_cancelled_for_another_reason_is_not_a_race_lost(refusing, reasons, lost):
    from pynamodb.exceptions import TransactWriteError

    from pagerless.store.base import lost_race

    # Given DynamoDB cancels the transaction with these reasons
    refusing("TransactWriteItems", "TransactionCanceledException", CancellationReasons=[{"Code": c} for c in reasons])
    # When it is written, then only a failed condition or a conflict is a race lost
    with pytest.raises(TransactWriteError) as raised:
        _transaction(first_free=True)
    assert lost_race(raised.value) is lost
