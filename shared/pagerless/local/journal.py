"""A write-ahead journal of the embedded AWS, so a 2xx survives `kill -9` of `pagerless dev`.

Every state-changing call that reaches moto's DynamoDB, SQS or SSM Parameter Store backend appends
one JSON line to `<state-dir>/journal/<segment>.log` and is fsync'd before moto answers the caller,
so a request that Pagerless acknowledged with a 2xx has its writes on disk. What is logged is the
outcome, not the request: the whole item after a DynamoDB write (or its key after a delete), the
message after an SQS send (with its id), the ids removed by an SQS delete, the parameter after a
PutParameter (as PutParameter takes it back: a SecureString's value decrypted), the names a
DeleteParameter(s) removed, and an SES identity created or deleted (a verified sender: without it every email is
refused, "Email address not verified"). Replaying is therefore idempotent and needs no condition evaluation.

Concurrent writers share one fsync (group commit): each appends under the lock, then waits until
a sync covers its line. A snapshot rotates to a new segment first; after `state.json` is written
atomically, older segments are deleted (compaction). On start: snapshot, then every segment from
the snapshot's `journal_from` on, in order. A torn last line (a write that was never fsync'd,
hence never acknowledged) is ignored.

Writes made while handling an SQS batch (``deferred_sync``) are journaled but not waited for:
the batch's message deletes, which come after them in the same file, are (``sync``), so one fsync
covers the batch. A crash before it redelivers the messages, as a Lambda crash would (consumers are
idempotent), and nothing that was answered with a 2xx depends on those writes. Likewise a
DynamoDB ``BatchWriteItem`` journals its items as they are written and fsyncs once, before it
answers.

Not journaled: Step Functions executions (the reconciler restarts incidents' workflows),
moto's own redrive of a message to its DLQ (after a crash such a message is retried again), a
parameter's labels and tags (Pagerless sets none), and of an SES identity anything but its name, region and tags
(its DKIM settings, configuration set and policies: moto verifies an identity at once, whatever they say).
"""

import contextlib
import functools
import json
import os
import threading
from pathlib import Path

from pagerless.local.moto_sqs import holder

DIRECTORY = "journal"


class Journal:
    def __init__(self, state_dir: Path) -> None:
        self.directory = state_dir / DIRECTORY
        self.directory.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()  # held around a backend mutation and its append
        self._sync_lock = threading.Lock()
        self._fd: int | None = None
        self.segment = max(self.segments(), default=0) + 1
        self._written = self._synced = 0
        self.enabled = False
        self.records = 0

    # ------------------------------------------------------------------ segments
    def segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.directory.glob("*.log") if p.stem.isdigit())

    def path(self, segment: int) -> Path:
        return self.directory / f"{segment:08d}.log"

    def rotate(self) -> int:
        """Start a new segment; returns its number (a snapshot taken now covers everything before it)."""
        with self.lock, self._sync_lock:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
            self.segment = max(self.segments() + [self.segment], default=0) + 1
            self._open()
            return self.segment

    def drop_before(self, segment: int) -> None:
        for number in self.segments():
            if number < segment:
                self.path(number).unlink(missing_ok=True)

    def _open(self) -> None:
        self._fd = os.open(self.path(self.segment), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._written = self._synced = 0

    def close(self) -> None:
        with self.lock, self._sync_lock:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None

    # ------------------------------------------------------------------ writing
    def append(self, entries: list[dict]) -> int:
        """Write entries (caller holds ``lock``); returns the position to pass to ``wait``."""
        if not self.enabled or not entries:
            return 0
        if self._fd is None:
            self._open()
        os.write(self._fd, "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries).encode())
        self._written += 1
        self.records += len(entries)
        return self._written

    def wait(self, position: int) -> None:
        """Return once everything up to ``position`` is on disk (one fsync serves every waiter)."""
        if not position:
            return
        with self._sync_lock:
            if self._synced >= position or self._fd is None:
                return
            target = self._written
            os.fsync(self._fd)
            self._synced = target

    # ------------------------------------------------------------------ reading
    def read(self, from_segment: int) -> list[dict]:
        entries = []
        for number in self.segments():
            if number < from_segment:
                continue
            for line in self.path(number).read_bytes().splitlines():
                try:
                    entries.append(json.loads(line))
                except ValueError:  # a torn write at the end: never fsync'd, never acknowledged
                    break
        return entries


_journal: Journal | None = None
_deferred = threading.local()


@contextlib.contextmanager
def deferred_sync():
    """Journal this thread's writes without waiting for their fsync (see the module docstring)."""
    previous = getattr(_deferred, "on", False)
    _deferred.on = True
    try:
        yield
    finally:
        _deferred.on = previous


def sync() -> None:
    """Return once everything journaled so far is on disk (one fsync, shared with other waiters)."""
    journal = _journal
    if journal is not None and journal.enabled:
        journal.wait(journal._written)


def install(journal: Journal) -> None:
    """Route moto's DynamoDB, SQS, SSM parameter and SES identity writes through ``journal`` (patches once per
    process)."""
    global _journal
    _journal = journal
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler
    from moto.ses.models import SESBackend
    from moto.sqs.models import SQSBackend
    from moto.ssm.models import SimpleSystemManagerBackend as SSMBackend

    if getattr(DynamoDBBackend, "_pagerless_journaled", False):
        return
    for name, keys in (
        ("put_item", _put_keys),
        ("update_item", _key_arg),
        ("delete_item", _key_arg),
        ("transact_write_items", _transact_keys),
    ):
        setattr(DynamoDBBackend, name, _journaled(getattr(DynamoDBBackend, name), _dynamodb_outcome(keys)))
    SQSBackend.send_message = _journaled(SQSBackend.send_message, _sqs_sent)
    SQSBackend.delete_message = _journaled(SQSBackend.delete_message, _sqs_deleted, before=_sqs_ids)
    SQSBackend.purge_queue = _journaled(SQSBackend.purge_queue, _sqs_purged)
    SSMBackend.put_parameter = _journaled(SSMBackend.put_parameter, _ssm_put)
    SSMBackend.delete_parameter = _journaled(SSMBackend.delete_parameter, _ssm_deleted_one)
    SSMBackend.delete_parameters = _journaled(SSMBackend.delete_parameters, _ssm_deleted)
    # every way of verifying an identity (SES VerifyEmailIdentity, VerifyDomainIdentity, SESv2 CreateEmailIdentity)
    # goes through create_email_identity_v2, and every deletion through delete_identity
    SESBackend.create_email_identity_v2 = _journaled(SESBackend.create_email_identity_v2, _ses_identity_created)
    SESBackend.delete_identity = _journaled(SESBackend.delete_identity, _ses_identity_deleted)
    DynamoHandler.batch_write_item = _synced_once(DynamoHandler.batch_write_item)
    DynamoDBBackend._pagerless_journaled = True


def _synced_once(handle):
    """A request that writes several items (each journaled by the backend) waits for one fsync."""

    @functools.wraps(handle)
    def wrapper(*args, **kwargs):
        if getattr(_deferred, "on", False):  # within an SQS batch: its deletes' fsync covers these too
            return handle(*args, **kwargs)
        try:
            with deferred_sync():
                return handle(*args, **kwargs)
        finally:
            sync()

    return wrapper


def _journaled(original, outcome, before=None):
    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        journal = _journal
        if journal is None or not journal.enabled:
            return original(self, *args, **kwargs)
        with journal.lock:
            seen = before(self, *args, **kwargs) if before else None
            result = original(self, *args, **kwargs)  # a failed write changed nothing: nothing to log
            position = journal.append(outcome(self, result, seen, *args, **kwargs))
        if not getattr(_deferred, "on", False):
            journal.wait(position)
        return result

    return wrapper


# ---------------------------------------------------------------------- DynamoDB outcomes
def _put_keys(backend, table_name, item_attrs, *args, **kwargs):
    table = backend.get_table(table_name)
    names = [n for n in (table.hash_key_attr, table.range_key_attr) if n]
    return [(table.name, {n: item_attrs[n] for n in names if n in item_attrs})]


def _key_arg(backend, table_name, key, *args, **kwargs):
    return [(backend.get_table(table_name).name, key)]


def _transact_keys(backend, transact_items, *args, **kwargs):
    pairs = []
    for entry in transact_items:
        kind, op = next(iter(entry.items()))
        if kind == "ConditionCheck":
            continue
        if kind == "Put":
            pairs += _put_keys(backend, op["TableName"], op["Item"])
        else:
            pairs.append((backend.get_table(op["TableName"]).name, op["Key"]))
    return pairs


def _dynamodb_outcome(keys):
    def outcome(backend, result, seen, *args, **kwargs):
        from moto.dynamodb.models.dynamo_type import DynamoType

        entries = []
        for table_name, key in keys(backend, *args, **kwargs):
            table = backend.get_table(table_name)
            hash_value = key.get(table.hash_key_attr)
            range_value = key.get(table.range_key_attr) if table.range_key_attr else None
            if hash_value is None:
                continue
            item = table.get_item(DynamoType(hash_value), DynamoType(range_value) if range_value else None)
            if item is None:
                entries.append({"op": "ddb-del", "t": table_name, "k": key})
            else:
                entries.append({"op": "ddb-put", "t": table_name, "i": item.to_json()["Attributes"]})
        return entries

    return outcome


# ---------------------------------------------------------------------- SQS outcomes
def _sqs_sent(backend, message, seen, queue_name, *args, **kwargs):
    return [
        {
            "op": "sqs-send",
            "q": queue_name,
            "id": message.id,
            "body": message.body,
            "attributes": message_attributes(message),
        }
    ]


def _sqs_ids(backend, queue_name, receipt_handle, *args, **kwargs):
    """The ids a delete will take out (a message remembered by its handle: `moto_sqs.holder`)."""
    queue = backend.queues.get(queue_name)
    if queue is None or receipt_handle in queue.deleted_messages:
        return []
    message = holder(receipt_handle)
    if message is not None:
        return [message.id]  # if it is no longer in the queue, the delete fails and nothing is logged
    return [m.id for m in list(queue._messages) if m.had_receipt_handle(receipt_handle)]


def _sqs_deleted(backend, result, seen, queue_name, *args, **kwargs):
    return [{"op": "sqs-del", "q": queue_name, "id": message_id} for message_id in seen or []]


def _sqs_purged(backend, result, seen, queue_name, *args, **kwargs):
    return [{"op": "sqs-purge", "q": queue_name}]


# ---------------------------------------------------------------------- SSM outcomes
def _ssm_put(backend, parameter, seen, *args, **kwargs):
    return [{"op": "ssm-put", "p": parameter_record(parameter)}]


def _ssm_deleted_one(backend, result, seen, name, *args, **kwargs):
    return [{"op": "ssm-del", "n": name}]  # moto raised ParameterNotFound (nothing logged) if there was none


def _ssm_deleted(backend, deleted, seen, *args, **kwargs):
    return [{"op": "ssm-del", "n": name} for name in deleted or []]


def parameter_record(parameter) -> dict:
    """A parameter's latest version as PutParameter takes it back (its field names): a SecureString's value
    decrypted, so it is put again as a SecureString that reads back the same ``WithDecryption``. Not kept:
    its earlier versions (a restored one starts again at version 1), labels and tags."""
    record = {"Name": parameter.name, "Type": parameter.parameter_type, "Value": parameter.decrypt(parameter.value)}
    optional = {
        "Description": parameter.description,
        "KeyId": parameter.keyid,
        "Tier": parameter.tier,
        "DataType": parameter.data_type,
        "AllowedPattern": parameter.allowed_pattern,
        "Policies": parameter.policies,
    }
    record.update({key: value for key, value in optional.items() if value})
    return record


def parameter_key(name: str) -> str:
    """The name SSM keeps a parameter under (``a`` and ``/a`` are one parameter; ``/a/b`` keeps its slash)."""
    from moto.ssm.models import ParameterDict

    return ParameterDict.normalize_name(name)


# ---------------------------------------------------------------------- SES outcomes
def _ses_identity_created(backend, identity, seen, *args, **kwargs):
    return [{"op": "ses-identity", "r": backend.region_name, "i": identity_record(identity)}]


def _ses_identity_deleted(backend, result, seen, name, *args, **kwargs):
    return [{"op": "ses-identity-del", "r": backend.region_name, "n": name}]  # none there: the replay drops nothing


def identity_record(identity) -> dict:
    """An SES identity (an address or a domain) as it is created again: its name and tags."""
    return {"EmailIdentity": identity.email_identity, **({"Tags": identity.tags} if identity.tags else {})}


def message_attributes(message) -> dict:
    return {
        k: {key: v for key, v in attr.items() if key in ("DataType", "StringValue")}
        for k, attr in (message.message_attributes or {}).items()
    }
