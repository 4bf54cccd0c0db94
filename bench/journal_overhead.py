"""The write-ahead journal's overhead: DynamoDB writes and SQS sends on the embedded AWS, with and without it.

Runs moto in-process (no HTTP), so the figure is the journal's own share: the item read-back,
the JSON line and the fsync (shared by concurrent writers: group commit). Printed: writes/s
without and with the journal, the ratio, and fsyncs per write under concurrency.

    python bench/journal_overhead.py [--writes 400] [--workers 4]
"""

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))


def run(writes: int, workers: int, journal) -> float:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="bench")["QueueUrl"]

    def one(n: int) -> None:
        dynamodb.put_item(TableName="bench", Item={"pk": {"S": f"k{n}"}, "payload": {"S": "x" * 300}})
        dynamodb.update_item(
            TableName="bench",
            Key={"pk": {"S": f"k{n}"}},
            UpdateExpression="SET c = :c",
            ExpressionAttributeValues={":c": {"N": str(n)}},
        )
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(writes)))
    return 3 * writes / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import boto3
    from moto import mock_aws

    from pagerless.local import journal as wal
    from pagerless.local.fidelity import serialize_dynamodb_writes

    with mock_aws(), tempfile.TemporaryDirectory() as state:
        serialize_dynamodb_writes()
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="bench",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="bench")
        journal = wal.Journal(Path(state))
        wal.install(journal)
        run(50, args.workers, journal)  # warm-up: botocore models, moto backends
        without = run(args.writes, args.workers, journal)
        journal.enabled = True
        syncs = _count_fsyncs()
        with_journal = run(args.writes, args.workers, journal)
        fsyncs = syncs()
        journal.close()
        size = sum(p.stat().st_size for p in journal.directory.glob("*.log"))
    print(f"writes (put + update + SQS send), {args.workers} workers, moto in-process; machine shared and loaded")
    print(f"  without journal  {without:8.0f} writes/s")
    print(
        f"  with journal     {with_journal:8.0f} writes/s   ratio {with_journal / without:.2f}x "
        f"(overhead {100 * (1 - with_journal / without):.0f} %)"
    )
    print(
        f"  fsyncs per write {fsyncs / (3 * args.writes):.2f} (group commit)   journal {size / (3 * args.writes):.0f} B/write"
    )
    return 0


def _count_fsyncs():
    original, counter = os.fsync, [0]

    def counting(fd):
        counter[0] += 1
        return original(fd)

    os.fsync = counting

    def done() -> int:
        os.fsync = original
        return counter[0]

    return done


if __name__ == "__main__":
    sys.exit(main())
