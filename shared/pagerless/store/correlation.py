"""Correlation slots: who is the root incident of (workspace, namespace, service) right now.

One item per service key on the system table. Opening a root incident first takes the slot
with one conditional write (absent, expired, or still naming the root the caller saw go away),
so alerts of one service arriving at once make one root and children, never several roots.
"""

import uuid
from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.store.base import BaseModel, Region, TableName, best_effort, written


class CorrelationSlot(BaseModel):
    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)  # "correlation#<workspace>#<namespace>#<service>"
    sk = UnicodeAttribute(range_key=True)  # "slot"
    root_id = UnicodeAttribute()
    token = UnicodeAttribute()
    claimed_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()  # epoch seconds: the correlation window after the claim


class CorrelationSlots:
    def get(self, service_key: str) -> CorrelationSlot | None:
        try:
            return CorrelationSlot.get(_pk(service_key), "slot", consistent_read=True)
        except DoesNotExist:
            return None

    def claim(
        self, service_key: str, root_id: str, now: datetime, window: timedelta, *, replacing: str | None = None
    ) -> bool:
        """Name ``root_id`` the root; False if another root holds the slot (unless it is ``replacing``)."""
        slot = CorrelationSlot(_pk(service_key), "slot")
        condition = CorrelationSlot.pk.does_not_exist() | (CorrelationSlot.expires_at < int(now.timestamp()))
        if replacing is not None:
            condition = condition | (CorrelationSlot.root_id == replacing)
        return written(
            slot.update,
            actions=[
                CorrelationSlot.root_id.set(root_id),
                CorrelationSlot.token.set(uuid.uuid4().hex),
                CorrelationSlot.claimed_at.set(now),
                CorrelationSlot.expires_at.set(int((now + window).timestamp())),
            ],
            condition=condition,
        )

    def release(self, service_key: str, root_id: str) -> None:
        """Give the slot back (the root could not be created); best effort."""
        slot = CorrelationSlot(_pk(service_key), "slot")  # one not given back expires or is taken over instead
        best_effort("giving a correlation slot back", slot.delete, condition=CorrelationSlot.root_id == root_id)


def _pk(service_key: str) -> str:
    return f"correlation#{service_key}"
