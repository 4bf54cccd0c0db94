"""Keep the embedded AWS's data across restarts of `pagerless dev`.

Saved: every DynamoDB item, every message waiting in a queue, every SSM parameter (the channels'
and chat apps' secrets, SecureStrings; its latest version: name, type, value, description, key,
tier) and every SES identity of every region (the verified senders of the email channels: name and tags), to `<state-dir>/state.json` (owner-only: it holds the secrets decrypted), every 30 seconds
and on a clean stop (Ctrl-C / SIGTERM), written atomically. Between snapshots every write is in
the journal (`pagerless.local.journal`), fsync'd before it is acknowledged, so a crash (kill -9,
power loss) loses nothing that was answered; a deleted parameter or identity stays deleted. Restored on start,
before anything runs: the snapshot, then the journal. Not saved: running Step Functions executions
(a restart ends them; the reconciler restarts each open incident's workflow), SQS receive counts,
a parameter's earlier versions, labels and tags, and an identity's DKIM settings, configuration set and policies.
"""

import json
import os
from pathlib import Path

from pagerless.local.journal import Journal, identity_record, message_attributes, parameter_key, parameter_record
from pagerless.local.provision import Provisioned

STATE_FILE = "state.json"


def save(state_dir: Path, provisioned: Provisioned, dynamodb, region: str, journal: Journal | None = None) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    # Rotate first: every write before this point is in the scan below; later ones are in the new
    # segment, and replaying an outcome that the scan already saw is harmless.
    journal_from = journal.rotate() if journal is not None else None
    data = {
        "version": 1,
        "tables": {},
        "queues": {},
        "parameters": _parameters(region),
        "identities": _identities(),
        "journal_from": journal_from,
    }
    for table in provisioned.tables.values():
        data["tables"][table] = _table_items(table, region)
    for logical_id, url in provisioned.queues.items():
        data["queues"][logical_id] = _queue_messages(url, region)
    target = state_dir / STATE_FILE
    temporary = target.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)  # created afresh, owner-only: the snapshot holds the secrets
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    if journal is not None:
        journal.drop_before(journal_from)
    return target


def restore(
    state_dir: Path, provisioned: Provisioned, dynamodb, sqs, ssm, journal: Journal | None = None
) -> dict[str, int]:
    """Load the snapshot and replay the journal into freshly provisioned resources; returns counts."""
    path = state_dir / STATE_FILE
    data = json.loads(path.read_text("utf-8")) if path.exists() else {}
    known_tables = set(provisioned.tables.values())
    names = {url.rstrip("/").rsplit("/", 1)[-1]: logical_id for logical_id, url in provisioned.queues.items()}
    queued: dict[str, dict[str, dict]] = {}
    for logical_id, queue_messages in data.get("queues", {}).items():
        queued[logical_id] = {m.get("id") or f"snapshot-{n}": m for n, m in enumerate(queue_messages)}
    parameters = {parameter_key(p["Name"]): p for p in data.get("parameters", [])}
    identities = {(i["Region"], i["EmailIdentity"]): i for i in data.get("identities", [])}
    items = messages = replayed = 0
    for table, table_items in data.get("tables", {}).items():
        if table not in known_tables:
            continue
        for start in range(0, len(table_items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in table_items[start : start + 25]]
            dynamodb.batch_write_item(RequestItems={table: batch})
            items += len(batch)
    entries = journal.read(data.get("journal_from") or 0) if journal is not None else []
    for entry in entries:
        replayed += 1
        op = entry.get("op")
        if op == "ddb-put" and entry["t"] in known_tables:
            dynamodb.put_item(TableName=entry["t"], Item=entry["i"])
        elif op == "ddb-del" and entry["t"] in known_tables:
            dynamodb.delete_item(TableName=entry["t"], Key=entry["k"])
        elif op == "sqs-send" and entry["q"] in names:
            queued.setdefault(names[entry["q"]], {})[entry["id"]] = entry
        elif op == "sqs-del" and entry["q"] in names:
            queued.get(names[entry["q"]], {}).pop(entry["id"], None)
        elif op == "sqs-purge" and entry["q"] in names:
            queued[names[entry["q"]]] = {}
        elif op == "ssm-put":
            parameters[parameter_key(entry["p"]["Name"])] = entry["p"]
        elif op == "ssm-del":
            parameters.pop(parameter_key(entry["n"]), None)
        elif op == "ses-identity":
            identities[(entry["r"], entry["i"]["EmailIdentity"])] = {"Region": entry["r"], **entry["i"]}
        elif op == "ses-identity-del":
            identities.pop((entry["r"], entry["n"]), None)
    for logical_id, by_id in queued.items():
        url = provisioned.queues.get(logical_id)
        for message in by_id.values() if url else []:
            sqs.send_message(
                QueueUrl=url, MessageBody=message["body"], MessageAttributes=message.get("attributes") or {}
            )
            messages += 1
    for parameter in parameters.values():
        ssm.put_parameter(Overwrite=True, **parameter)
    _restore_identities(identities.values())
    return {
        "items": items,
        "messages": messages,
        "parameters": len(parameters),
        "identities": len(identities),
        "journal": replayed,
    }


def _table_items(table: str, region: str) -> list[dict]:
    """Every item of a table, read off moto's backend (a Scan through the API would serialize each
    page as a response: most of a snapshot's CPU). Writes are serialized on the fidelity lock, so
    holding it gives a consistent copy."""
    from moto.dynamodb.models import dynamodb_backends

    from pagerless.local.fidelity import dynamodb_write_lock
    from pagerless.local.template import ACCOUNT_ID

    backend = dynamodb_backends[ACCOUNT_ID][region]
    with dynamodb_write_lock():
        return [item.to_json()["Attributes"] for item in backend.get_table(table).all_items()]


def _parameters(region: str) -> list[dict]:
    """Every SSM parameter's latest version, read off moto's backend (``Value`` decrypted: `parameter_record`).
    The public ones moto serves under ``/aws/`` (AMI ids, regions) are its own data, not ours."""
    from moto.ssm.models import ssm_backends

    from pagerless.local.template import ACCOUNT_ID

    stored = ssm_backends[ACCOUNT_ID][region]._parameters
    return [
        parameter_record(versions[-1])
        for name, versions in list(stored.items())
        if versions and not name.startswith("/aws/")
    ]


def _identities() -> list[dict]:
    """Every SES identity (verified address or domain) of every region, read off moto's backends."""
    from moto.ses.models import ses_backends

    from pagerless.local.template import ACCOUNT_ID

    return [
        {"Region": region, **identity_record(identity)}
        for region, backend in list(ses_backends[ACCOUNT_ID].items())
        for identity in list(backend.email_identities.values())
    ]


def _restore_identities(identities) -> None:
    """Create ``identities`` again in moto's SES of their regions (as SESv2 CreateEmailIdentity does: verified)."""
    from moto.ses.models import ses_backends

    from pagerless.local.template import ACCOUNT_ID

    for identity in identities:
        backend = ses_backends[ACCOUNT_ID][identity["Region"]]
        backend.create_email_identity_v2(identity["EmailIdentity"], identity.get("Tags"), None, None)


def _queue_messages(url: str, region: str) -> list[dict]:
    # The embedded AWS runs in this process: read the queue without receiving (which would
    # change receive counts and visibility).
    from moto.sqs.models import sqs_backends

    account, name = url.rstrip("/").split("/")[-2:]
    queue = sqs_backends[account][region].queues.get(name)
    if queue is None:
        return []
    return [{"id": m.id, "body": m.body, "attributes": message_attributes(m)} for m in list(queue._messages)]
