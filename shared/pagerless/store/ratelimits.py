"""Fixed-window request counters on the system table, shared by every Lambda instance.

One item per (caller, bucket, minute): ``take`` is a single conditional UpdateItem that adds one
only while the count is under the limit, so concurrent instances can never let more through than
the limit. Items carry ``expires_at`` (the table's TTL attribute) and vanish after their window.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from pagerless.store.base import BaseModel, Region, TableName, written


class RateCounterRecord(BaseModel):
    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    count = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


def take(caller: str, bucket: str, window_start: int, limit: int, expires_at: int) -> int | None:
    """Count one request in the window and return the new count; None when the window is full."""
    record = RateCounterRecord(f"ratelimit#{caller}#{bucket}", str(window_start))
    if not written(
        record.update,
        actions=[RateCounterRecord.count.add(1), RateCounterRecord.expires_at.set(expires_at)],
        condition=RateCounterRecord.count.does_not_exist() | (RateCounterRecord.count < limit),
    ):
        return None
    return int(record.count)
