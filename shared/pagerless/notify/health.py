"""Which channels refuse what Pagerless sends them, for GET /api/status.

A vendor's refusal for good (a deleted DingTalk robot's 300001, a revoked WeCom key's 93000, a Teams workflow
turned off, SES refusing the sender) gives the delivery up at once: it is not retried, not dead-lettered, and
without this every incident after it would go unheard while the status said ``ok``. A channel is failing when
its latest message to the channel (a page's direct message to one person is that person's, not the channel's)
among the workspace's recent deliveries was given up or is dead; its next message sent clears it.
"""

from pagerless.store.deliveries import DEAD, GAVE_UP, DeliveryRepository

RECENT_DELIVERIES = 200  # how far back the status looks: one query of the delivery log


def failing_channels(workspace: str, channels: list[dict], *, recent: int = RECENT_DELIVERIES) -> list[dict]:
    """Each of ``channels`` (enabled ones, as stored) whose latest channel message failed for good, with the
    vendor's words: ``{"channel_id", "name", "channel_type", "status", "last_error", "at"}``."""
    known = {c["id"]: c for c in channels if c.get("is_enabled", True)}
    latest: dict[str, object] = {}
    for record in DeliveryRepository().latest(workspace, limit=recent):  # newest first
        if record.recipient is None and record.channel_id in known:
            latest.setdefault(record.channel_id, record)
    return [
        {
            "channel_id": channel_id,
            "name": known[channel_id].get("name", ""),
            "channel_type": known[channel_id].get("channel_type", ""),
            "status": record.status,
            "last_error": (record.last_error or "")[:300],
            "at": record.updated_at.isoformat(),
        }
        for channel_id, record in latest.items()
        if record.status in (GAVE_UP, DEAD)
    ]


def failing_message(failing: list[dict]) -> str:
    """One line naming each failing channel and why, for the status's ``reasons``."""
    named = "; ".join(f"{f['name'] or f['channel_id']} ({f['channel_type']}): {f['last_error']}" for f in failing)
    return f"{len(failing)} channel(s) refused their latest message ({named}); see /api/notification-logs"
