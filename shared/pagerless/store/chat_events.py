"""Chat callbacks already handled, by event id, so a vendor's retry is answered but not re-run; and signed
requests already acted on, by their signature, so a replay of the same request (within the vendor's signature
window) is refused instead of acting again.

One conditional put on the system table (pk "chat-event"), expiring through its TTL attribute.
"""

import time

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from pagerless.store.base import BaseModel, Region, TableName, written

TTL_SECONDS = 24 * 3600  # Lark retries for hours at most


class ChatEventRecord(BaseModel):
    class Meta:
        table_name = TableName("system")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<provider>#<event id>"
    expires_at = NumberAttribute()  # the system table's TTL attribute (epoch seconds)


def first_time(provider: str, event_id: str, *, ttl_seconds: int = TTL_SECONDS) -> bool:
    """Claim an event id (or a signed request's signature) for ``ttl_seconds``; False if it was claimed before (and
    has not expired)."""
    now = int(time.time())
    record = ChatEventRecord("chat-event", f"{provider}#{event_id}", expires_at=now + ttl_seconds)
    return written(record.save, condition=ChatEventRecord.sk.does_not_exist() | (ChatEventRecord.expires_at < now))


def forget(provider: str, event_id: str) -> None:
    """Release a claim whose handling failed, so the vendor's retry is handled."""
    ChatEventRecord("chat-event", f"{provider}#{event_id}").delete()
