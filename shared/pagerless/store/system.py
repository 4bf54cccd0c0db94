"""Small system records (heartbeats, singletons) keyed by pk/sk.

A singleton that requests change in part (a workspace's configuration, its webhook settings) is changed with
`SystemRepository.edit`: it carries ``version``, and an edit is written back only if nobody else wrote it since it
was read (`store.versions`). One a PUT replaces whole (a workspace's remediation policy, its environment context) is
written by `SystemRepository.replace`, conditional on the request's If-Match (`store.versions.replace_if_match`).
"""

from collections.abc import Callable
from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.domain.preconditions import IfMatch
from pagerless.store.base import BaseModel, Region, TableName, written
from pagerless.store.versions import replace_if_match, retry_on_change, save_unchanged, version_of

HEARTBEAT_PK = "heartbeat"  # each component's last run or call (/api/status lists them)
LLM_SK = "llm"  # in it: how the Claude investigator's last call to the model went (workflow.diagnose)
KUBE_SK = "kubernetes"  # in it: whether the last context gathering reached the cluster (workflow.context)


class SystemRecord(BaseModel):
    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    data = JSONAttribute(default=dict)
    updated_at = UTCDateTimeAttribute(default=utcnow)
    version = NumberAttribute(null=True)  # raised by each `SystemRepository.edit` and `SystemRepository.replace`


class SystemRepository:
    def put(self, pk: str, sk: str, data: dict) -> SystemRecord:
        record = SystemRecord(pk, sk, data=data, updated_at=utcnow())
        record.save()
        return record

    def put_if_absent(self, pk: str, sk: str, data: dict) -> bool:
        """Create the record unless it exists (exactly one concurrent caller wins); True if this one did."""
        return written(
            SystemRecord(pk, sk, data=data, updated_at=utcnow()).save, condition=SystemRecord.pk.does_not_exist()
        )

    def put_newer(self, pk: str, sk: str, data: dict, at: datetime) -> bool:
        """Store the record as of ``at`` unless the stored one is as recent or more (two writers that
        finished in the other order: the later observation stays); True if this one was stored."""
        return written(
            SystemRecord(pk, sk, data=data, updated_at=at).save,
            condition=SystemRecord.pk.does_not_exist() | (SystemRecord.updated_at < at),
        )

    def edit(self, pk: str, sk: str, change: Callable[[dict], dict], *, what: str) -> dict:
        """Store ``change`` of the record's data ({} when there is none yet) and return it. ``change`` applies
        one request's changes; when another edit wrote the record between the read and the write, it is applied
        again to what that one stored, so both are kept; a ConflictError (409) if the record keeps changing."""

        def attempt() -> dict | None:
            record = self.get(pk, sk)
            data = change(dict(record.data or {}) if record is not None else {})
            if record is None:
                return data if self.put_if_absent(pk, sk, data) else None
            record.data, record.updated_at = data, utcnow()
            return data if save_unchanged(record) else None

        return retry_on_change(attempt, what=what)

    def replace(self, pk: str, sk: str, data: dict, if_match: IfMatch | None = None) -> SystemRecord | None:
        """Store ``data`` as the record's next version (created without ``if_match``): the record as written (its
        ``version`` and ``updated_at`` the stored ones), or None and nothing written when ``if_match`` does not hold
        for what is stored (`store.versions.replace_if_match`)."""
        record = SystemRecord(pk, sk, data=data)
        return record if replace_if_match(record, if_match, upsert=True) is not None else None

    def get_versioned(self, pk: str, sk: str) -> tuple[dict, int] | None:
        """The record's data and its stored version (0: stored before versions); None if there is none."""
        record = self.get(pk, sk)
        return None if record is None else (record.data, version_of(record))

    def get(self, pk: str, sk: str) -> SystemRecord | None:
        try:
            return SystemRecord.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            return None

    def list(self, pk: str) -> list[SystemRecord]:
        return list(SystemRecord.query(pk))


class CounterRecord(BaseModel):
    """A named atomic counter on the system table (incident numbers, stream sequence numbers)."""

    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = NumberAttribute(default=0)


def increment(name: str, by: int = 1) -> int:
    """Atomically add ``by`` to counter ``name`` and return the new value (one UpdateItem)."""
    counter = CounterRecord("counter", name)
    counter.update(actions=[CounterRecord.value.add(by)])
    return int(counter.value)
