"""The embedded DynamoDB refuses the numbers DynamoDB refuses (more than 38 significant digits, a magnitude
past 1E+126 or under 1E-130, Infinity and NaN), with DynamoDB's ValidationException, wherever the number is in
the request; so code that stores an unbounded number from a request fails here as it would deployed."""

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
