"""moto's Step Functions interpreter runs without moto's EC2 data in the process."""

import subprocess
import sys
import textwrap
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared"


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(SHARED), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_step_functions_interpreter_does_not_import_ec2():
    out = _run(
        """
        import sys
        from pagerless.local import footprint
        assert footprint.skip_ec2_data()
        import moto.stepfunctions.parser.models
        from moto.batch.utils import JobStatus
        print("moto.ec2.models" in sys.modules, "moto.batch.models" in sys.modules, JobStatus.SUCCEEDED.value)
        """
    )
    assert out == "False False SUCCEEDED"


def test_batch_still_imports_when_it_is_used():
    out = _run(
        """
        from pagerless.local import footprint
        footprint.skip_ec2_data()
        import moto.stepfunctions.parser.models
        import moto.batch
        from moto.batch.models import batch_backends
        print(type(batch_backends).__name__)
        """
    )
    assert out == "BackendDict"


_ITEM_COPIES = """
    import gc
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models.dynamo_type import Item
    from pagerless.local import footprint

    if UNTRACKED:
        footprint.stop_instance_tracking()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for n in range(20):
            ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": f"{n:03d}"}, "v": {"N": "0"}})
        for n in range(50):  # each reads and copies the 20 items; each update copies one
            ddb.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
            ddb.update_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "000"}}, UpdateExpression="SET v = v + :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})
        gc.collect()
        print(len(Item.instances_tracked), sum(isinstance(o, Item) for o in gc.get_objects()))
"""


def test_moto_keeps_no_copy_of_the_items_it_answered_with():
    tracked, live = map(int, _run("UNTRACKED = True\n" + textwrap.dedent(_ITEM_COPIES)).split())
    assert tracked == 0
    assert live <= 25  # the 20 stored items (and at most a few in flight), not one per read


def test_without_the_change_moto_keeps_every_copy():
    """What the change removes: moto's own tracking keeps >1,000 copies after the same calls."""
    tracked, live = map(int, _run("UNTRACKED = False\n" + textwrap.dedent(_ITEM_COPIES)).split())
    assert tracked > 1000 and live > 1000
