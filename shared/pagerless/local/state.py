"""Keep the embedded AWS's data across restarts of `pagerless dev`.

Saved: every DynamoDB item and every message waiting in a queue, to `<state-dir>/state.json`,
every 30 seconds and on a clean stop (Ctrl-C / SIGTERM), written atomically. Restored on start,
before anything runs. Not saved: running Step Functions executions (a restart ends them; the
incident records stay, and their status tells what was under way), SQS receive counts, and
anything written in the last 30 seconds before a crash (kill -9, power loss).
"""

import json
import os
from pathlib import Path

from pagerless.local.provision import Provisioned

STATE_FILE = "state.json"


def save(state_dir: Path, provisioned: Provisioned, dynamodb, region: str) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    data = {"version": 1, "tables": {}, "queues": {}}
    for table in provisioned.tables.values():
        items = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            items.extend(page["Items"])
        data["tables"][table] = items
    for logical_id, url in provisioned.queues.items():
        data["queues"][logical_id] = _queue_messages(url, region)
    target = state_dir / STATE_FILE
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(data), "utf-8")
    os.replace(temporary, target)
    return target


def restore(state_dir: Path, provisioned: Provisioned, dynamodb, sqs) -> dict[str, int]:
    """Load a saved state into freshly provisioned resources; returns counts restored."""
    path = state_dir / STATE_FILE
    if not path.exists():
        return {"items": 0, "messages": 0}
    data = json.loads(path.read_text("utf-8"))
    known_tables = set(provisioned.tables.values())
    items = messages = 0
    for table, table_items in data.get("tables", {}).items():
        if table not in known_tables:
            continue
        for start in range(0, len(table_items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in table_items[start:start + 25]]
            dynamodb.batch_write_item(RequestItems={table: batch})
            items += len(batch)
    for logical_id, queue_messages in data.get("queues", {}).items():
        url = provisioned.queues.get(logical_id)
        for message in queue_messages if url else []:
            sqs.send_message(QueueUrl=url, MessageBody=message["body"],
                             MessageAttributes=message.get("attributes") or {})
            messages += 1
    return {"items": items, "messages": messages}


def _queue_messages(url: str, region: str) -> list[dict]:
    # The embedded AWS runs in this process: read the queue without receiving (which would
    # change receive counts and visibility).
    from moto.sqs.models import sqs_backends

    account, name = url.rstrip("/").split("/")[-2:]
    queue = sqs_backends[account][region].queues.get(name)
    if queue is None:
        return []
    return [{"body": m.body, "attributes": {
        k: {key: v for key, v in attr.items() if key in ("DataType", "StringValue")}
        for k, attr in (m.message_attributes or {}).items()}}
        for m in list(queue._messages)]
