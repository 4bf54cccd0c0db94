"""The embedded AWS refuses what AWS refuses and moto took (`pagerless.local.moto_limits`). DynamoDB, with its
ValidationException: the
numbers it cannot keep (more than 38 significant digits, a magnitude past 1E+126 or under 1E-130, Infinity and
NaN) wherever they are in a request; a read naming a key longer than a key can be (2,048 bytes for a partition
key, 1,024 for a sort key); a write giving an index's key attribute a value longer than that index's key can be.
Step Functions: an execution name past 80 characters (tests/functional/foundation/test_long_workspace_names.py).
SSM: a Standard-tier value past 4,096 characters. SQS: a message body with a character it does not keep. So code
that passes an unbounded number, id or text from a request fails here as it would deployed."""

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.functional

KEPT = [
    "0",
    "-0.0",
    "1" * 38,
    "9.9999999999999999999999999999999999999E+125",
    "1E-130",
    "-1E-130",
    "12300000000000000000000000000000000000000000",
]
REFUSED = {
    "1" * 39: "38 significant digits",
    "1E+126": "Number overflow",
    "-1E+126": "Number overflow",
    "1E-131": "Number underflow",
    "Infinity": "cannot be converted to a numeric value",
    "NaN": "cannot be converted to a numeric value",
    "12x": "cannot be converted to a numeric value",
}


@pytest.fixture
def table(runtime):
    from pagerless.store.system import SystemRecord

    return SystemRecord.Meta.table_name


def _put(runtime, table: str, value: dict):
    runtime.client("dynamodb").put_item(
        TableName=table, Item={"pk": {"S": "numbers"}, "sk": {"S": "n"}, "value": value}
    )


@pytest.mark.parametrize("number", KEPT)
def test_a_number_dynamodb_keeps_is_kept(runtime, table, number):
    _put(runtime, table, {"N": number})


@pytest.mark.parametrize("number", sorted(REFUSED))
def test_a_number_dynamodb_refuses_is_refused_wherever_it_is(runtime, table, number):
    dynamodb = runtime.client("dynamodb")
    for value in ({"N": number}, {"NS": ["1", number]}, {"M": {"deep": {"L": [{"S": "x"}, {"N": number}]}}}):
        with pytest.raises(ClientError) as refused:
            _put(runtime, table, value)
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert REFUSED[number] in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match=REFUSED[number]):  # an expression value too
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="#v > :n",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":pk": {"S": "numbers"}, ":n": {"N": number}},
        )
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "numbers"}, "sk": {"S": "n"}})


@pytest.fixture
def incidents_table(runtime):
    from pagerless.store.incident_records import IncidentRecord

    return IncidentRecord.Meta.table_name


LONG = "x" * 2049


def test_a_read_naming_a_key_longer_than_a_key_can_be_is_refused(runtime, table, incidents_table):
    dynamodb = runtime.client("dynamodb")
    too_long = {
        "Size of hashkey has exceeded": [
            lambda: dynamodb.get_item(TableName=incidents_table, Key={"id": {"S": LONG}}),
            lambda: dynamodb.get_item(TableName=table, Key={"pk": {"S": LONG}, "sk": {"S": "n"}}),
            lambda: dynamodb.delete_item(TableName=table, Key={"pk": {"S": LONG}, "sk": {"S": "n"}}),
            lambda: dynamodb.batch_get_item(RequestItems={incidents_table: {"Keys": [{"id": {"S": LONG}}]}}),
            lambda: dynamodb.query(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": LONG}},
            ),
        ],
        "Aggregated size of all range keys has exceeded": [
            lambda: dynamodb.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "汉" * 342}}),  # 1,026 bytes
            lambda: dynamodb.update_item(
                TableName=table,
                Key={"pk": {"S": "p"}, "sk": {"S": "s" * 1025}},
                UpdateExpression="SET v = :v",
                ExpressionAttributeValues={":v": {"S": "x"}},
            ),
        ],
    }
    for message, calls in too_long.items():
        for call in calls:
            with pytest.raises(ClientError, match=message) as refused:
                call()
            assert refused.value.response["Error"]["Code"] == "ValidationException"
    # and a key at the limit is read as any other (no such item)
    assert "Item" not in dynamodb.get_item(TableName=incidents_table, Key={"id": {"S": "x" * 2048}})
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "s" * 1024}})


def test_a_write_giving_an_index_key_a_value_longer_than_the_index_key_can_be_is_refused(runtime, incidents_table):
    dynamodb = runtime.client("dynamodb")
    item = {"id": {"S": "INC-1"}, "workspace": {"S": "default"}, "service_key": {"S": LONG}}
    with pytest.raises(ClientError, match="Size limit exceeded for Index Key service_key .* IndexName: by_service"):
        dynamodb.put_item(TableName=incidents_table, Item=item)
    with pytest.raises(ClientError, match="Index Key service_key"):
        dynamodb.update_item(
            TableName=incidents_table,
            Key={"id": {"S": "INC-1"}},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "service_key"},
            ExpressionAttributeValues={":s": {"S": LONG}},
        )
    with pytest.raises(ClientError, match="Index Key service_key"):
        dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": incidents_table, "Item": item}}])
    assert "Item" not in dynamodb.get_item(TableName=incidents_table, Key={"id": {"S": "INC-1"}})


def test_a_standard_ssm_parameter_keeps_at_most_4096_characters(runtime):
    ssm = runtime.client("ssm")
    ssm.put_parameter(Name="/limits/fits", Value="v" * 4096, Type="SecureString")
    with pytest.raises(ClientError, match="maximum parameter value of 4096 characters") as refused:
        ssm.put_parameter(Name="/limits/long", Value="v" * 4097, Type="SecureString")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    ssm.put_parameter(Name="/limits/advanced", Value="v" * 4097, Type="SecureString", Tier="Advanced")


@pytest.mark.parametrize("character", ["\uffff", "\ufffe", "\x00", "\x1b"])
def test_sqs_refuses_a_message_with_a_character_it_does_not_keep(runtime, character):
    sqs = runtime.client("sqs")
    url = runtime.provisioned.queues["AlertDLQ"]
    with pytest.raises(ClientError, match="Invalid characters found") as refused:
        sqs.send_message(QueueUrl=url, MessageBody=f"disk {character} full")
    assert refused.value.response["Error"]["Code"] == "InvalidMessageContents"
    with pytest.raises(ClientError, match="Invalid characters found"):  # a batch: the whole call, as moto checks it
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": f"x{character}"}])
    sqs.send_message(QueueUrl=url, MessageBody="磁盘满了 \t\n\r \x85 🙂")  # what SQS keeps
