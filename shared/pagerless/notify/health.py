"""Which channels refuse what Pagerless sends them, for GET /api/status.

A vendor's refusal for good (a deleted DingTalk robot's 300001, a revoked WeCom key's 93000, a Teams workflow
turned off, SES refusing the sender) gives the delivery up at once: it is not retried, not dead-lettered, and
without this every incident after it would go unheard while the status said ``ok``. A channel is failing when,
among the workspace's recent deliveries:

- its latest message to the channel (not a page's direct message to one person) was given up or is dead; its next
  message sent clears it (or, for a refusal about the channel itself, any message sent through it);
- or its latest word about the channel itself is a refusal of that kind (`PermanentError.fix`: a revoked Slack
  token, a rotated Lark secret, an unverified SES sender), a direct message's too: a channel that only pages people
  would otherwise refuse every page while the status stayed green. Any message it sent since clears it. A direct
  message refused for its person alone (a user who left the workspace) is that person's, said on the incident.
"""

from pagerless.store.deliveries import DEAD, GAVE_UP, SENT, DeliveryRepository

RECENT_DELIVERIES = 200  # how far back the status looks: one query of the delivery log


def failing_channels(workspace: str, channels: list[dict], *, recent: int = RECENT_DELIVERIES) -> list[dict]:
    """Each of ``channels`` (enabled ones, as stored) failing as the module says, with the vendor's words and what
    to fix when the vendor's code says: ``{"channel_id", "name", "channel_type", "status", "last_error", "fix",
    "direct_message", "at"}``."""
    known = {c["id"]: c for c in channels if c.get("is_enabled", True)}
    group: dict[str, object] = {}  # the latest message to the channel
    itself: dict[str, object] = {}  # the latest word about the channel itself: sent, or refused for its own sake
    for record in DeliveryRepository().latest(workspace, limit=recent):  # newest first
        if record.channel_id not in known:
            continue
        if record.recipient is None:
            group.setdefault(record.channel_id, record)
        if record.status == SENT or (record.status == GAVE_UP and record.channel_fix):
            itself.setdefault(record.channel_id, record)
    failing = {}
    for channel_id in known:
        said, latest = itself.get(channel_id), group.get(channel_id)
        if said is not None and said.status == GAVE_UP:
            failing[channel_id] = said
        elif latest is not None and latest.status in (GAVE_UP, DEAD) and not latest.channel_fix:
            failing[channel_id] = latest  # about the group's destination: only a message there says otherwise
    return [
        {
            "channel_id": channel_id,
            "name": known[channel_id].get("name", ""),
            "channel_type": known[channel_id].get("channel_type", ""),
            "status": record.status,
            "last_error": (record.last_error or "")[:300],
            "fix": record.channel_fix,
            "direct_message": record.recipient is not None,
            "at": record.updated_at.isoformat(),
        }
        for channel_id, record in failing.items()
    ]


def failing_message(failing: list[dict]) -> str:
    """One line naming each failing channel, why and what to fix when known, for the status's ``reasons``."""
    named = "; ".join(
        f"{f['name'] or f['channel_id']} ({f['channel_type']}): {f['last_error']}"
        + (f" (fix: {f['fix']})" if f.get("fix") else "")
        for f in failing
    )
    return f"{len(failing)} channel(s) refused their latest message ({named}); see /api/notification-logs"
