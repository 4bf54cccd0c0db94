"""moto's DynamoDB answers the same with and without pagerless.local.moto_speedups.

One script of DynamoDB calls (nested updates, list_append, if_not_exists, ADD on numbers and
sets, DELETE, REMOVE, every ReturnValues, condition failures with and without the old item,
validation errors, binary values, queries, scans and transactions) runs on moto as shipped and
again with the speedups installed; every answer and every error (code, message, item) must be
equal. Each call runs twice, so the second answer comes from the remembered expression trees.
"""

import hashlib
import heapq
import json
import pickle
import types
from decimal import Decimal

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pagerless.local import moto_speedups

TABLE = "speedups"


def _call(client, operation: str, **params):
    try:
        answer = getattr(client, operation)(**params)
    except ClientError as exc:
        error = exc.response["Error"]
        return ("error", error.get("Code"), error.get("Message"), exc.response.get("Item"))
    except (KeyError, ValueError) as exc:  # moto's own bare errors (a missing value, an unlexable string)
        return ("raised", type(exc).__name__, str(exc))
    answer.pop("ResponseMetadata", None)
    return ("ok", answer)


def _update(expression: str, values: dict | None = None, names: dict | None = None, **extra) -> dict:
    params = {"TableName": TABLE, "Key": {"pk": {"S": extra.pop("pk", "a")}}, "UpdateExpression": expression}
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    return {**params, **extra}


SCRIPT: list[tuple[str, dict]] = [
    (
        "put_item",
        {
            "TableName": TABLE,
            "Item": {
                "pk": {"S": "a"},
                "count": {"N": "1"},
                "tags": {"SS": ["x", "y"]},
                "scores": {"NS": ["1", "2"]},
                "doc": {
                    "M": {"inner": {"M": {"deep": {"S": "v"}}}, "flag": {"BOOL": False}, "nothing": {"NULL": True}}
                },
                "items": {"L": [{"S": "one"}, {"N": "2"}, {"M": {"k": {"S": "v"}}}, {"L": []}]},
                "blob": {"B": b"\x00\x01binary"},
                "blobs": {"BS": [b"\x01", b"\x02"]},
                "empty": {"S": ""},
            },
        },
    ),
    (
        "update_item",
        _update(
            "SET doc.inner.deep = :v, doc.#n = :n",
            {":v": {"S": "w"}, ":n": {"N": "5"}},
            {"#n": "num"},
            ReturnValues="ALL_NEW",
        ),
    ),
    (
        "update_item",
        _update(
            "SET #l = list_append(#l, :more)",
            {":more": {"L": [{"S": "three"}]}},
            {"#l": "items"},
            ReturnValues="UPDATED_NEW",
        ),
    ),
    (
        "update_item",
        _update(
            "SET #l = list_append(:first, #l)",
            {":first": {"L": [{"NULL": True}]}},
            {"#l": "items"},
            ReturnValues="UPDATED_OLD",
        ),
    ),
    (
        "update_item",
        _update(
            "SET created = if_not_exists(created, :now), seen = if_not_exists(seen, :now)",
            {":now": {"S": "t1"}},
            ReturnValues="ALL_NEW",
        ),
    ),
    (
        "update_item",
        _update(
            "ADD #c :one, tags :t, scores :s",
            {":one": {"N": "1"}, ":t": {"SS": ["z"]}, ":s": {"NS": ["3.5"]}},
            {"#c": "count"},
            ReturnValues="UPDATED_NEW",
        ),
    ),
    ("update_item", _update("DELETE tags :t", {":t": {"SS": ["x"]}}, ReturnValues="ALL_OLD")),
    (
        "update_item",
        _update("REMOVE doc.#f, #l[0], empty", names={"#f": "flag", "#l": "items"}, ReturnValues="ALL_NEW"),
    ),
    ("update_item", _update("SET #c = #c + :one", {":one": {"N": "1"}}, {"#c": "count"}, ReturnValues="NONE")),
    ("update_item", _update("SET #c = #c - :one", {":one": {"N": "1"}}, {"#c": "count"})),
    # Condition failures: with and without the old item in the error.
    (
        "update_item",
        _update(
            "SET #c = :z", {":z": {"N": "0"}, ":big": {"N": "100"}}, {"#c": "count"}, ConditionExpression="#c > :big"
        ),
    ),
    (
        "update_item",
        _update(
            "SET #c = :z",
            {":z": {"N": "0"}, ":big": {"N": "100"}},
            {"#c": "count"},
            ConditionExpression="#c > :big",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        ),
    ),
    (
        "update_item",
        _update("SET #c = :z", {":z": {"N": "0"}}, {"#c": "count"}, ConditionExpression="attribute_not_exists(pk)"),
    ),
    # A new item through an update, guarded like AlertRepository.claim.
    (
        "update_item",
        _update(
            "SET #s = :s ADD gen :one",
            {":s": {"S": "claiming"}, ":one": {"N": "1"}},
            {"#s": "state"},
            pk="b",
            ConditionExpression="attribute_not_exists(pk) OR #s = :s",
            ReturnValues="ALL_NEW",
        ),
    ),
    # A condition with every kind of token (moto raises a bare ValueError on one it cannot lex).
    (
        "update_item",
        _update(
            "SET #c = :z",
            {":z": {"N": "0"}, ":a": {"S": "x"}},
            {"#c": "count", "#t": "tags"},
            ConditionExpression="(#c >= :z AND NOT contains(#t, :a)) OR size(#t) BETWEEN :z AND :z",
        ),
    ),
    # A parsed condition again with other values (it now holds), then with one of them missing.
    (
        "update_item",
        _update(
            "SET #c = :z", {":z": {"N": "0"}, ":big": {"N": "-5"}}, {"#c": "count"}, ConditionExpression="#c > :big"
        ),
    ),
    (
        "update_item",
        _update("SET #c = :z", {":z": {"N": "0"}}, {"#c": "count"}, ConditionExpression="#c > :big"),
    ),
    # The same strings with the name standing for another attribute, one the item lacks (fails).
    (
        "update_item",
        _update(
            "SET #c = :z", {":z": {"N": "0"}, ":big": {"N": "-5"}}, {"#c": "absent"}, ConditionExpression="#c > :big"
        ),
    ),
    # Validation errors; the same expression string once valid, once updating the key through a name.
    ("update_item", _update("SET #k = :v", {":v": {"S": "x"}}, {"#k": "other"}, ReturnValues="ALL_NEW")),
    ("update_item", _update("SET #k = :v", {":v": {"S": "x"}}, {"#k": "pk"})),
    ("update_item", _update("SET a = :v, a = :w", {":v": {"S": "x"}, ":w": {"S": "y"}})),
    ("update_item", _update("SET a = :v REMOVE a", {":v": {"S": "x"}})),
    ("update_item", _update("SET a = :missing", {":v": {"S": "x"}})),
    ("update_item", _update("ADD #c :s", {":s": {"S": "not a number"}}, {"#c": "count"})),
    ("update_item", _update("SET nope.deeper = :v", {":v": {"S": "x"}})),
    ("update_item", _update("SET a = :v SET b = :v", {":v": {"S": "x"}})),
    ("update_item", _update("SET = :v", {":v": {"S": "x"}})),
    ("update_item", _update("SET #u = :v", {":v": {"S": "x"}}, {"#u": "unused", "#x": "extra"})),
    (
        "update_item",
        _update("SET bin = :b, bins = :bs", {":b": {"B": b"\xff"}, ":bs": {"BS": [b"\x03"]}}, ReturnValues="ALL_NEW"),
    ),
    ("get_item", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}}),
    (
        "get_item",
        {
            "TableName": TABLE,
            "Key": {"pk": {"S": "a"}},
            "ProjectionExpression": "doc.inner, #l[1]",
            "ExpressionAttributeNames": {"#l": "items"},
        },
    ),
    ("get_item", {"TableName": TABLE, "Key": {"pk": {"S": "missing"}}}),
    (
        "query",
        {"TableName": TABLE, "KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": {":a": {"S": "a"}}},
    ),
    ("scan", {"TableName": TABLE}),
    (
        "transact_write_items",
        {
            "TransactItems": [
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "b"}},
                        "UpdateExpression": "ADD gen :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "a"}},
                        "UpdateExpression": "SET #c = :z",
                        "ExpressionAttributeNames": {"#c": "count"},
                        "ExpressionAttributeValues": {":z": {"N": "0"}, ":n": {"N": "-1"}},
                        "ConditionExpression": "#c < :n",
                    }
                },
            ]
        },
    ),
    ("delete_item", {"TableName": TABLE, "Key": {"pk": {"S": "b"}}, "ReturnValues": "ALL_OLD"}),
    ("describe_table", {"TableName": TABLE}),
]


def _run_script() -> list:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        answers = []
        for operation, params in SCRIPT:
            for _ in range(2):
                answers.append((operation, _call(client, operation, **params)))
        return answers


def _comparable(answers: list) -> list:
    """Describe-table carries its creation time; everything else must be byte for byte the same."""
    out = []
    for operation, answer in answers:
        if operation == "describe_table" and answer[0] == "ok":
            answer = (
                "ok",
                {**answer[1], "Table": {k: v for k, v in answer[1]["Table"].items() if k != "CreationDateTime"}},
            )
        out.append((operation, answer))
    return out


@pytest.fixture
def speedups_state():
    was_installed = moto_speedups.installed()
    yield
    moto_speedups.uninstall()
    if was_installed:
        moto_speedups.install()


def _without_and_with(run, monkeypatch) -> tuple:
    """``run()``'s outcome on moto as shipped, then with the speedups installed."""
    monkeypatch.delenv("PAGERLESS_MOTO_SPEEDUPS", raising=False)
    moto_speedups.uninstall()
    plain = run()
    moto_speedups.install()
    assert moto_speedups.installed()
    return plain, run()


def test_every_answer_and_error_is_the_same_with_the_speedups(speedups_state, monkeypatch):
    plain, fast = _without_and_with(lambda: _comparable(_run_script()), monkeypatch)

    assert len(plain) == len(fast) == 2 * len(SCRIPT)
    for (operation, expected), (_, actual), step in zip(plain, fast, range(len(plain)), strict=True):
        assert actual == expected, f"step {step // 2} ({operation}) differs"
    # The script exercises what it claims: both outcomes, condition items and validation errors.
    outcomes = [answer for _, answer in plain]
    assert any(a[0] == "error" and a[1] == "ConditionalCheckFailedException" and a[3] for a in outcomes)
    assert any(a[0] == "error" and a[1] == "ConditionalCheckFailedException" and not a[3] for a in outcomes)
    assert any(a[0] == "error" and a[1] == "ValidationException" for a in outcomes)
    assert any(a[0] == "error" and a[1] == "TransactionCanceledException" for a in outcomes)
    new_item = plain[2 * 13][1][1]["Attributes"]
    assert new_item == {"pk": {"S": "b"}, "state": {"S": "claiming"}, "gen": {"N": "1"}}
    assert plain[2 * 5][1][1]["Attributes"]["count"] == {"N": "2"}
    # A parsed condition with new values, a missing value, and its name standing for another attribute.
    assert plain[2 * 15][1][0] == "ok"
    assert plain[2 * 16][1][:2] == ("raised", "KeyError")
    assert plain[2 * 17][1][:2] == ("error", "ConditionalCheckFailedException")


def test_the_remembered_tree_is_never_changed_by_an_update(speedups_state, monkeypatch):
    monkeypatch.delenv("PAGERLESS_MOTO_SPEEDUPS", raising=False)
    moto_speedups.install()
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    expression = "SET a = :v ADD n :one REMOVE gone"
    tree = UpdateExpressionParser.make(expression)
    before = pickle.dumps(tree)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for n in range(3):
            client.update_item(
                TableName=TABLE,
                Key={"pk": {"S": "a"}},
                UpdateExpression=expression,
                ExpressionAttributeValues={":v": {"S": f"v{n}"}, ":one": {"N": "1"}},
            )
        item = client.get_item(TableName=TABLE, Key={"pk": {"S": "a"}})["Item"]
    assert UpdateExpressionParser.make(expression) is tree
    assert pickle.dumps(tree) == before
    assert item == {"pk": {"S": "a"}, "a": {"S": "v2"}, "n": {"N": str(Decimal(3))}}


DEFINITION = """{
  "StartAt": "Shape",
  "States": {
    "Shape": {"Type": "Pass", "Parameters": {"items.$": "$.items", "first.$": "$.items[0]", "every.$": "$.items[*]", "name.$": "States.Format('inc-{}', $.n)"}, "Next": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.doubled",
             "Iterator": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"}, "End": true}}},
             "Next": "Choose"},
    "Choose": {"Type": "Choice", "Choices": [{"Variable": "$.name", "StringEquals": "inc-1", "Next": "One"}], "Default": "Other"},
    "One": {"Type": "Pass", "Result": "one", "ResultPath": "$.branch", "End": true},
    "Other": {"Type": "Fail", "Error": "NotOne", "Cause": "n was not 1"}
  }
}"""


def _run_executions() -> list:
    import time

    from pagerless.local.runtime import MOCK_CONFIG

    with mock_aws(config=MOCK_CONFIG):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="speedups", definition=DEFINITION, roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        outcomes = []
        inputs = (
            '{"n": 1, "items": [1, 2, 3]}',
            '{"n": 2, "items": [1, 2, 3]}',
            '{"n": 1, "items": [1, 2, 3]}',
            '{"n": 1}',
        )
        for run, execution_input in enumerate(inputs):
            execution = sfn.start_execution(stateMachineArn=arn, name=f"run-{run}", input=execution_input)
            for _ in range(400):
                described = sfn.describe_execution(executionArn=execution["executionArn"])
                if described["status"] != "RUNNING":
                    break
                time.sleep(0.05)
            # Map iterations run on threads: their events interleave differently from run to run.
            history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
            outcomes.append(
                (
                    described["status"],
                    described.get("output"),
                    described.get("error"),
                    sorted(e["type"] for e in history),
                )
            )
        return outcomes


def test_step_functions_executions_are_the_same_with_the_speedups(speedups_state, monkeypatch):
    plain, fast = _without_and_with(_run_executions, monkeypatch)

    assert fast == plain
    assert [status for status, *_ in plain] == ["SUCCEEDED", "FAILED", "SUCCEEDED", "FAILED"]
    assert '"doubled":[{"v":2},{"v":4},{"v":6}]' in plain[0][1].replace(" ", "")
    assert '"first":1' in plain[0][1].replace(" ", "") and '"every":[1,2,3]' in plain[0][1].replace(" ", "")
    assert plain[3][2] == "States.Runtime"  # a path that finds nothing fails the same way, every time
    from moto.stepfunctions.parser.asl.utils import json_path

    assert json_path.parse.cache_info().hits > 0  # the fast run did reuse parsed paths


def _run_queue() -> list:
    """Receives from a queue holding visible, delayed, in-flight and expired messages."""
    from moto.sqs.models import sqs_backends

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="speedups", Attributes={"MessageRetentionPeriod": "120"})["QueueUrl"]
        for n in range(8):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
        sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=900)
        queue = sqs_backends["123456789012"]["us-east-1"].get_queue("speedups")
        expired = next(m for m in queue._messages if m.body == "m6")
        expired.sent_timestamp -= 3_600_000  # sent an hour ago: past the 120 s retention
        seen = []
        first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=600).get("Messages", [])
        seen.append([m["Body"] for m in first])
        seen.append([m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])])
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        seen.append({k: attributes[k] for k in attributes if k.startswith("ApproximateNumber")})
        return seen


def test_sqs_receives_the_same_with_the_speedups(speedups_state, monkeypatch):
    plain, fast = _without_and_with(_run_queue, monkeypatch)

    assert fast == plain
    # in-flight messages are skipped, the delayed one is not visible, and moto stops a receive at
    # a message past its retention period
    assert plain[0] == ["m0", "m1", "m2"] and plain[1] == ["m3", "m4", "m5"]
    assert plain[2]["ApproximateNumberOfMessagesDelayed"] == "1"
    assert plain[2]["ApproximateNumberOfMessagesNotVisible"] == "7"  # moto marks the expired one received too


def _run_deletes() -> list:
    """Deletes by the handle a receive gave, by an older handle of a message received again, twice,
    with a handle never given, in a batch, after a move to the DLQ and after a purge; then what
    each queue still holds."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="speedups-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
        url = sqs.create_queue(QueueName="speedups", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
        for n in range(8):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
        given: dict[str, str] = {}  # receipt handle -> a stable name for comparing error messages

        def receive(queue: str, visibility: int, count: int = 10) -> list[dict]:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=count, VisibilityTimeout=visibility).get(
                "Messages", []
            )
            for m in messages:
                given[m["ReceiptHandle"]] = f"<{m['Body']}#{len(given)}>"
            return messages

        def named(outcome):
            text = repr(outcome)
            for handle, name in given.items():
                text = text.replace(handle, name)
            return text

        def delete(queue: str, handle: str):
            return named(_call(sqs, "delete_message", QueueUrl=queue, ReceiptHandle=handle))

        outcomes = []
        first = receive(url, 0, 2)  # visible again at once
        again = receive(url, 600, 2)  # the same two, with new handles
        outcomes.append([m["Body"] for m in first + again])
        outcomes.append(delete(url, first[0]["ReceiptHandle"]))  # an older handle of m0
        outcomes.append(delete(url, again[0]["ReceiptHandle"]))  # m0 again: already deleted
        outcomes.append(delete(url, "never-given"))
        rest = receive(url, 0)
        entries = [
            {"Id": "a", "ReceiptHandle": rest[0]["ReceiptHandle"]},
            {"Id": "b", "ReceiptHandle": "never-given"},
            {"Id": "c", "ReceiptHandle": rest[1]["ReceiptHandle"]},
        ]
        answer = _call(sqs, "delete_message_batch", QueueUrl=url, Entries=entries)
        outcomes.append(named(sorted(answer[1].get("Successful", []), key=str) if answer[0] == "ok" else answer))
        outcomes.append(named(sorted(answer[1].get("Failed", []), key=str) if answer[0] == "ok" else answer))
        second = receive(url, 0)  # the rest a second time: next receive moves them to the DLQ
        outcomes.append(sorted(m["Body"] for m in receive(url, 0)))  # nothing: all moved
        outcomes.append(delete(url, second[0]["ReceiptHandle"]))  # no longer in this queue
        outcomes.append(delete(dlq, second[0]["ReceiptHandle"]))  # in the DLQ, with that handle
        sqs.send_message(QueueUrl=url, MessageBody="purged")
        purged = receive(url, 600)
        sqs.purge_queue(QueueUrl=url)
        outcomes.append(delete(url, purged[-1]["ReceiptHandle"]))
        outcomes.append(sorted(m["Body"] for m in receive(url, 600) + receive(dlq, 600)))
        return outcomes


def test_sqs_deletes_the_same_with_the_speedups(speedups_state, monkeypatch):
    plain, fast = _without_and_with(_run_deletes, monkeypatch)

    assert fast == plain
    assert plain[0] == ["m0", "m1", "m0", "m1"]
    assert plain[1] == plain[2] == plain[8] == "('ok', {})"  # an older handle; already deleted; in the DLQ
    assert all("ReceiptHandleIsInvalid" in plain[i] for i in (3, 5, 7, 9))  # never given; moved; purged
    assert plain[4] == "[{'Id': 'a'}, {'Id': 'c'}]" and plain[6] == []
    assert plain[-1] == ["m5", "m6", "m7"]  # what the DLQ kept (m4 was deleted there; the purge took m1)


def test_a_delete_finds_the_message_by_the_handle_its_receive_gave(speedups_state, monkeypatch):
    from pagerless.local import moto_sqs

    monkeypatch.delenv("PAGERLESS_MOTO_SPEEDUPS", raising=False)
    moto_speedups.install()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="holders")["QueueUrl"]
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"m{n}"} for n in range(5)])
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600)["Messages"]
        handles = [m["ReceiptHandle"] for m in received]
        assert [moto_sqs.holder(h).body for h in handles] == ["m0", "m1"]

        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]
        )

        assert [moto_sqs.holder(h) for h in handles] == [None, None]  # forgotten with their message
        left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in left) == ["m2", "m3", "m4"]


def _run_transactions() -> list:
    """Transactions over two tables that succeed, fail a condition, or name one item twice; after
    each, both tables are scanned (a rollback must leave every item as it was)."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for name, keys in (("one", [("pk", "HASH")]), ("two", [("pk", "HASH"), ("sk", "RANGE")])):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
                BillingMode="PAY_PER_REQUEST",
            )
        client.put_item(TableName="one", Item={"pk": {"S": "kept"}, "n": {"N": "1"}})
        client.put_item(TableName="two", Item={"pk": {"S": "p"}, "sk": {"S": "1"}, "v": {"S": "old"}})
        put_new = {"Put": {"TableName": "one", "Item": {"pk": {"S": "new"}}}}
        update_kept = {
            "Update": {
                "TableName": "one",
                "Key": {"pk": {"S": "kept"}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
        delete_two = {"Delete": {"TableName": "two", "Key": {"pk": {"S": "p"}, "sk": {"S": "1"}}}}
        failing = {
            "ConditionCheck": {
                "TableName": "two",
                "Key": {"pk": {"S": "p"}, "sk": {"S": "2"}},
                "ConditionExpression": "attribute_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        outcomes = []
        for items in (
            [put_new, update_kept, delete_two, failing],  # cancelled: everything rolled back
            [put_new, update_kept, put_new],  # one item twice: rolled back
            [update_kept, delete_two],  # succeeds
            [{"Put": {"TableName": "one", "Item": {"nokey": {"S": "x"}}}}],  # moto's own error
        ):
            outcomes.append(_call(client, "transact_write_items", TransactItems=items))
            outcomes.append([sorted(map(str, client.scan(TableName=t)["Items"])) for t in ("one", "two")])
        return outcomes


def test_transactions_roll_back_the_same_with_the_speedups(speedups_state, monkeypatch):
    plain, fast = _without_and_with(_run_transactions, monkeypatch)

    assert fast == plain
    assert plain[0][:2] == ("error", "TransactionCanceledException")
    assert plain[1] == plain[5 - 2] and "'new'" not in str(plain[1])  # nothing of a cancelled one stays
    assert plain[4][0] == "ok" and "'2'" in str(plain[5][0]) and plain[5][1] == []  # the third one applied


def _run_queries() -> list:
    """Queries on a table's key and on indexes (ties on the index keys, both directions, pages,
    filters, counts), on a table with a range key and one without; and on a numbered partition
    (an event stream's shape) with a limit and nothing else, the newest first and the oldest first."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for name, keys in (("plain", [("pk", "HASH")]), ("ranged", [("pk", "HASH"), ("sk", "RANGE")])):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
                AttributeDefinitions=[
                    {"AttributeName": a, "AttributeType": "S"} for a in [k for k, _ in keys] + ["grp", "at"]
                ],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": "by_grp",
                        "KeySchema": [
                            {"AttributeName": "grp", "KeyType": "HASH"},
                            {"AttributeName": "at", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        for n in range(40):
            common = {"grp": {"S": f"g{n % 3}"}, "at": {"S": f"t{n % 4}"}, "n": {"N": str(n)}}
            client.put_item(TableName="plain", Item={"pk": {"S": f"p{(n * 7) % 40:02d}"}, **common})
            client.put_item(
                TableName="ranged", Item={"pk": {"S": f"h{n % 5}"}, "sk": {"S": f"s{(n * 3) % 40:02d}"}, **common}
            )
        client.put_item(TableName="ranged", Item={"pk": {"S": "lonely"}, "sk": {"S": "x"}})  # in no index
        outcomes = []
        for table in ("plain", "ranged"):
            queries = [
                {
                    "KeyConditionExpression": "pk = :k",
                    "ExpressionAttributeValues": {":k": {"S": "p07" if table == "plain" else "h2"}},
                },
                {"KeyConditionExpression": "pk = :k", "ExpressionAttributeValues": {":k": {"S": "missing"}}},
                {
                    "IndexName": "by_grp",
                    "KeyConditionExpression": "grp = :g",
                    "ExpressionAttributeValues": {":g": {"S": "g1"}},
                },
                {
                    "IndexName": "by_grp",
                    "KeyConditionExpression": "grp = :g AND #a >= :a",
                    "ExpressionAttributeNames": {"#a": "at"},
                    "ExpressionAttributeValues": {":g": {"S": "g0"}, ":a": {"S": "t2"}},
                    "ScanIndexForward": False,
                },
                {
                    "IndexName": "by_grp",
                    "KeyConditionExpression": "grp = :g",
                    "ExpressionAttributeValues": {":g": {"S": "g2"}, ":m": {"N": "10"}},
                    "FilterExpression": "n > :m",
                    "Select": "COUNT",
                },
                {  # as many items meet the condition as the limit: the one after them decides the key
                    "IndexName": "by_grp",
                    "KeyConditionExpression": "grp = :g AND #a <= :a",
                    "ExpressionAttributeNames": {"#a": "at"},
                    "ExpressionAttributeValues": {":g": {"S": "g0"}, ":a": {"S": "t0"}},
                },
            ]
            if table == "ranged":
                queries.append(
                    {
                        "KeyConditionExpression": "pk = :k AND sk BETWEEN :a AND :b",
                        "ExpressionAttributeValues": {":k": {"S": "h1"}, ":a": {"S": "s05"}, ":b": {"S": "s30"}},
                        "ScanIndexForward": False,
                    }
                )
            for params in queries:
                pages, start = [], None
                while True:
                    answer = _call(
                        client,
                        "query",
                        TableName=table,
                        Limit=4,
                        **params,
                        **({"ExclusiveStartKey": start} if start else {}),
                    )
                    pages.append(answer)
                    start = answer[1].get("LastEvaluatedKey") if answer[0] == "ok" else None
                    if not start:
                        break
                outcomes.append(pages)
        outcomes.append(_run_numbered(client))
        return outcomes


def _run_numbered(client) -> list:
    """A numeric range key (numbers sort as numbers, not as text: 9 < 10), queried with limits."""
    client.create_table(
        TableName="numbered",
        KeySchema=[{"AttributeName": "ws", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "ws", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in (7, 12, 1, 30, 9, 10, 25, 3, 11, 2, 100, 8):
        client.put_item(TableName="numbered", Item={"ws": {"S": "w"}, "seq": {"N": str(n)}, "n": {"N": str(n % 4)}})
    client.put_item(TableName="numbered", Item={"ws": {"S": "other"}, "seq": {"N": "1000"}})
    key = {"KeyConditionExpression": "ws = :w", "ExpressionAttributeValues": {":w": {"S": "w"}}}

    def after(condition: str, **values: str) -> dict:
        return {
            "KeyConditionExpression": f"ws = :w AND {condition}",
            "ExpressionAttributeValues": {":w": {"S": "w"}, **{f":{k}": {"N": v} for k, v in values.items()}},
        }

    answers = []
    for extra in (
        {"Limit": 1, "ScanIndexForward": False},  # the newest
        {"Limit": 3},
        {"Limit": 12, "ScanIndexForward": False},  # exactly all of them
        {"Limit": 20},
        {"Limit": 2, "ExclusiveStartKey": {"ws": {"S": "w"}, "seq": {"N": "9"}}},
        {
            "Limit": 2,
            "ScanIndexForward": False,
            "FilterExpression": "n = :z",
            "ExpressionAttributeValues": {":w": {"S": "w"}, ":z": {"N": "0"}},
        },
        {"Limit": 2, "ConsistentRead": True, "ProjectionExpression": "seq"},
        {"Limit": 3, **after("seq > :s", s="9")},  # an event stream's poll: more meet it than the limit
        {"Limit": 5, **after("seq > :s", s="25")},  # fewer meet it, nothing past them
        {"Limit": 200, **after("seq > :s", s="1000")},  # none
        {"Limit": 2, **after("seq < :s", s="8")},
        {"Limit": 4, **after("seq <= :s", s="7")},  # exactly the limit meet it: the next item decides
        {"Limit": 3, "ScanIndexForward": False, **after("seq >= :s", s="25")},
        {"Limit": 2, "ScanIndexForward": False, **after("seq BETWEEN :a AND :b", a="9", b="12")},
        {"Limit": 2, **after("seq = :s", s="11")},
    ):
        answers.append(_call(client, "query", TableName="numbered", **{**key, **extra}))
    return answers


def test_queries_answer_the_same_with_the_speedups(speedups_state, monkeypatch):
    from pagerless.local import moto_queries

    chosen = []
    heap = types.SimpleNamespace(
        nsmallest=lambda n, items, key: chosen.append(n) or heapq.nsmallest(n, items, key=key),
        nlargest=lambda n, items, key: chosen.append(n) or heapq.nlargest(n, items, key=key),
    )
    monkeypatch.setattr(moto_queries, "heapq", heap)
    plain, fast = _without_and_with(_run_queries, monkeypatch)

    assert fast == plain
    items = [i for pages in plain for _, answer in pages for i in answer.get("Items", [])]
    assert len(items) > 40 and len(plain[2]) > 1  # pages were walked
    assert plain[1] == [("ok", {"Items": [], "Count": 0, "ScannedCount": 0})]
    numbered = plain[-1]
    assert numbered[0][1]["Items"] == [{"ws": {"S": "w"}, "seq": {"N": "100"}, "n": {"N": "0"}}]
    assert numbered[0][1]["LastEvaluatedKey"] == {"ws": {"S": "w"}, "seq": {"N": "100"}}
    assert [i["seq"]["N"] for i in numbered[1][1]["Items"]] == ["1", "2", "3"]
    assert "LastEvaluatedKey" not in numbered[3][1] and numbered[3][1]["Count"] == 12
    assert [i["seq"]["N"] for i in numbered[7][1]["Items"]] == ["10", "11", "12"]
    assert [i["seq"]["N"] for i in numbered[8][1]["Items"]] == ["30", "100"] and "LastEvaluatedKey" not in numbered[8][
        1
    ]
    assert numbered[9][1]["Items"] == []
    assert numbered[11][1]["Count"] == 4 and numbered[11][1]["LastEvaluatedKey"]["seq"] == {"N": "7"}
    # A heap chose limit + 1 items for every first page (no start key) of a limited query on a
    # table's key or an index, filtered or not: the index queries and "ranged"'s key queries
    # (limit 4), then the numbered ones. Where fewer items than that meet the range condition,
    # they and every item past them are kept, without one.
    assert chosen == [5, 5, 5, 5, 5, 5, 5, 5, 2, 4, 13, 21, 3, 3, 4, 201, 3, 3]
    at_limit = plain[5]  # "plain"'s index query that exactly Limit items meet
    assert at_limit[0][1]["Count"] == 4 and "LastEvaluatedKey" in at_limit[0][1] and at_limit[1][1]["Count"] == 0


def test_a_number_compares_by_the_text_it_holds_now(speedups_state, monkeypatch):
    """Patch 12 keeps a number's Decimal beside its text: a value given a new text (as an update
    does) compares by the new one, and a condition on a counter sees each ADD."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    monkeypatch.delenv("PAGERLESS_MOTO_SPEEDUPS", raising=False)
    moto_speedups.install()
    value = DynamoType({"N": "9"})
    assert value.cast_value == Decimal(9) and value < DynamoType({"N": "10"})
    value.value = "11"
    assert value.cast_value == Decimal(11) and value > DynamoType({"N": "10"})
    assert DynamoType({"S": "b"}).cast_value == "b" and DynamoType({"SS": ["x"]}).cast_value == {"x"}
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="counters",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="counters", Item={"pk": {"S": "c"}, "n": {"N": "9"}})
        for expected in ("9", "10"):
            client.update_item(
                TableName="counters",
                Key={"pk": {"S": "c"}},
                UpdateExpression="ADD n :one",
                ConditionExpression="n = :n",
                ExpressionAttributeValues={":one": {"N": "1"}, ":n": {"N": expected}},
            )
        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            client.update_item(
                TableName="counters",
                Key={"pk": {"S": "c"}},
                UpdateExpression="ADD n :one",
                ConditionExpression="n = :n",
                ExpressionAttributeValues={":one": {"N": "1"}, ":n": {"N": "10"}},
            )


def _run_sends() -> list:
    """Sends to a standard queue and to FIFO queues with and without content deduplication,
    including refused sends; then what each queue holds and counts."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        standard = sqs.create_queue(QueueName="sends")["QueueUrl"]
        by_content = sqs.create_queue(
            QueueName="sends.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        )["QueueUrl"]
        by_id = sqs.create_queue(QueueName="ids.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        attribute = {"kind": {"DataType": "String", "StringValue": "alert"}}
        outcomes = [
            _call(sqs, "send_message", QueueUrl=standard, MessageBody="same"),
            _call(sqs, "send_message", QueueUrl=standard, MessageBody="same", MessageAttributes=attribute),
            _call(sqs, "send_message", QueueUrl=standard, MessageBody="late", DelaySeconds=901),
            _call(sqs, "send_message", QueueUrl=by_content, MessageBody="same", MessageGroupId="g"),
            _call(sqs, "send_message", QueueUrl=by_content, MessageBody="same", MessageGroupId="g"),  # deduplicated
            _call(
                sqs,
                "send_message",
                QueueUrl=by_content,
                MessageBody="same",
                MessageGroupId="g",
                MessageDeduplicationId="x",
            ),
            _call(
                sqs, "send_message", QueueUrl=by_id, MessageBody="same", MessageGroupId="g"
            ),  # no id, no content dedup
            _call(
                sqs, "send_message", QueueUrl=by_id, MessageBody="one", MessageGroupId="g", MessageDeduplicationId="d"
            ),
            _call(
                sqs, "send_message", QueueUrl=by_id, MessageBody="two", MessageGroupId="g", MessageDeduplicationId="d"
            ),
        ]
        for outcome in outcomes:  # ids differ run to run; their presence does not
            if outcome[0] == "ok":
                outcome[1]["MessageId"] = "<id>"
                if "SequenceNumber" in outcome[1]:
                    outcome[1]["SequenceNumber"] = "<sequence>"
        for url in (standard, by_content, by_id):
            received = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
            ).get("Messages", [])
            outcomes.append(
                [
                    (m["Body"], m.get("MessageAttributes"), m["Attributes"].get("MessageDeduplicationId"))
                    for m in received
                ]
            )
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            outcomes.append({k: v for k, v in attributes.items() if "Timestamp" not in k})
        return outcomes


def test_sqs_sends_the_same_with_the_speedups(speedups_state, monkeypatch):
    plain, fast = _without_and_with(_run_sends, monkeypatch)

    assert fast == plain
    assert plain[2][:2] == ("error", "InvalidParameterValue")  # a delay over 900 s
    assert plain[6][:2] == ("error", "InvalidParameterValue")  # FIFO without content dedup needs an id
    assert plain[9] == [("same", None, None), ("same", {"kind": {"DataType": "String", "StringValue": "alert"}}, None)]
    content_hash = hashlib.sha256(b"same").hexdigest()
    assert plain[11] == [("same", None, content_hash), ("same", None, "x")]  # the content duplicate was dropped
    assert plain[13] == [("one", None, "d")]  # so was the second message with id "d"
    assert plain[12]["ContentBasedDeduplication"] == "true" and "ContentBasedDeduplication" not in plain[10]
