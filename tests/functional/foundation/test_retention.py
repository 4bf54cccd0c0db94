"""The embedded AWS forgets what AWS forgets: expired TTL items, old finished executions."""

import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pagerless.local import retention
from pagerless.local.fidelity import serialize_dynamodb_writes
from pagerless.local.runtime import MOCK_CONFIG

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/sfn"


@pytest.fixture
def aws():
    with mock_aws(config=MOCK_CONFIG):
        serialize_dynamodb_writes()
        yield


def _table(ttl: bool = True) -> str:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    name = "things" if ttl else "plain"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gpk", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    if ttl:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": "expires_at", "Enabled": True}
        )
    return name


def _put(table: str, sk: str, expires=None) -> None:
    item = {"pk": {"S": "p"}, "sk": {"S": sk}, "gpk": {"S": "g"}}
    if expires is not None:
        item["expires_at"] = expires
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=table, Item=item)


def _keys(table: str) -> set[str]:
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"]
    return {item["sk"]["S"] for item in items}


def test_expired_ttl_items_disappear_and_the_rest_stay(aws):
    table, plain = _table(), _table(ttl=False)
    now = time.time()
    _put(table, "expired", {"N": str(int(now - 60))})
    _put(table, "fresh", {"N": str(int(now + 3600))})
    _put(table, "no-ttl")
    _put(table, "not-a-number", {"S": str(int(now - 60))})
    _put(table, "ancient", {"N": str(int(now - 6 * 365 * 24 * 3600))})  # DynamoDB ignores > 5 years old
    _put(plain, "expired", {"N": str(int(now - 60))})  # TTL not enabled on this table

    assert retention.sweep_expired_items(REGION, now=now) == 1

    assert _keys(table) == {"fresh", "no-ttl", "not-a-number", "ancient"}
    assert _keys(plain) == {"expired"}
    index = boto3.client("dynamodb", region_name=REGION).query(
        TableName=table,
        IndexName="by-g",
        KeyConditionExpression="gpk = :g",
        ExpressionAttributeValues={":g": {"S": "g"}},
    )["Items"]
    assert "expired" not in {item["sk"]["S"] for item in index}


def test_an_item_expires_once_its_time_passes(aws):
    table = _table()
    now = time.time()
    _put(table, "soon", {"N": str(now + 30)})
    assert retention.sweep_expired_items(REGION, now=now) == 0
    assert retention.sweep_expired_items(REGION, now=now + 31) == 1
    assert _keys(table) == set()


def _machine(name: str, definition: dict) -> str:
    return boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]


def _wait_finished(arn: str) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    for _ in range(300):
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            return
        time.sleep(0.05)
    raise AssertionError("the execution did not finish")


def test_finished_executions_past_retention_are_pruned_running_ones_stay(aws):
    sfn = boto3.client("stepfunctions", region_name=REGION)
    quick = _machine("quick", {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    slow = _machine("slow", {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    finished = sfn.start_execution(stateMachineArn=quick, name="inc-1", input="{}")["executionArn"]
    running = sfn.start_execution(stateMachineArn=slow, name="inc-2", input="{}")["executionArn"]
    _wait_finished(finished)

    assert retention.prune_executions(REGION, retention_seconds=3600) == 0  # within the retention
    assert sfn.describe_execution(executionArn=finished)["status"] == "SUCCEEDED"

    assert retention.prune_executions(REGION, retention_seconds=3600, now=time.time() + 3601) == 1

    with pytest.raises(ClientError) as gone:
        sfn.describe_execution(executionArn=finished)
    assert gone.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    assert sfn.describe_execution(executionArn=running)["status"] == "RUNNING"
    assert [e["name"] for e in sfn.list_executions(stateMachineArn=slow)["executions"]] == ["inc-2"]
    sfn.stop_execution(executionArn=running)


def test_a_pruned_executions_name_cannot_start_a_second_run(aws):
    sfn = boto3.client("stepfunctions", region_name=REGION)
    quick = _machine("quick", {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    _wait_finished(sfn.start_execution(stateMachineArn=quick, name="inc-1", input="{}")["executionArn"])
    assert retention.prune_executions(REGION, retention_seconds=0, now=time.time() + 1) == 1

    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=quick, name="inc-1", input="{}")
    assert refused.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    other = sfn.start_execution(stateMachineArn=quick, name="inc-2", input="{}")["executionArn"]
    _wait_finished(other)


def test_finished_workflow_threads_are_forgotten(aws):
    from moto.stepfunctions.parser.utils import TMP_THREADS

    sfn = boto3.client("stepfunctions", region_name=REGION)
    quick = _machine("quick", {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    _wait_finished(sfn.start_execution(stateMachineArn=quick, name="inc-1", input="{}")["executionArn"])
    for _ in range(200):
        finished = [thread for thread in TMP_THREADS if not thread.is_alive()]
        if len(finished) >= 2:  # the execution's worker and its program's
            break
        time.sleep(0.05)
    assert retention.forget_finished_threads() >= 2
    assert all(thread.is_alive() for thread in TMP_THREADS)


def test_the_runtime_sweeps_its_template_tables_and_reuses_one_session(runtime):
    table = runtime.provisioned.tables["IdempotencyTable"]
    dynamodb = runtime.client("dynamodb")
    assert dynamodb is runtime.client("dynamodb")  # one client per service, one session
    now = time.time()
    for key, expiration in (("spent", now - 5), ("live", now + 3600)):
        dynamodb.put_item(TableName=table, Item={"id": {"S": key}, "expiration": {"N": str(int(expiration))}})

    runtime.sweeper.sweep()

    assert runtime.sweeper.expired_items == 1
    items = dynamodb.scan(TableName=table)["Items"]
    assert [item["id"]["S"] for item in items] == ["live"]


def test_the_runtime_keeps_no_copies_of_items_it_read(runtime):
    """moto listed every model instance it made (each item copied by a read): the runtime stops that."""
    from moto.dynamodb.models.dynamo_type import Item

    table = runtime.provisioned.tables["IdempotencyTable"]
    dynamodb = runtime.client("dynamodb")
    for n in range(10):
        dynamodb.put_item(TableName=table, Item={"id": {"S": f"k{n}"}})
    for _ in range(20):
        assert len(dynamodb.scan(TableName=table)["Items"]) == 10

    assert Item.instances_tracked == []
