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
  message refused for its person alone (a user who left the workspace) is that person's, said on the incident;
- or ``DEAD_STREAK`` or more of its deliveries, direct messages too, are dead (their retries spent on 5xx answers,
  timeouts) since the last message it sent: a vendor that keeps failing is the channel's trouble whoever the message
  was for, and a channel that only pages people would otherwise fail every page while the status stayed green.
"""

from pagerless.store.deliveries import DEAD, GAVE_UP, SENT, DeliveryRepository

RECENT_DELIVERIES = 200  # how far back the status looks: one query of the delivery log
DEAD_STREAK = 2  # dead deliveries of a channel, none sent between, that make it failing


def failing_channels(workspace: str, channels: list[dict], *, recent: int = RECENT_DELIVERIES) -> list[dict]:
    """Each of ``channels`` (enabled ones, as stored) failing as the module says, with the vendor's words and what
    to fix when the vendor's code says: ``{"channel_id", "name", "channel_type", "status", "last_error", "fix",
    "direct_message", "at", "dead_deliveries"}`` (``dead_deliveries``: how many of its deliveries are dead since the
    last message it sent, within the deliveries read)."""
    known = {c["id"]: c for c in channels if c.get("is_enabled", True)}
    group: dict[str, object] = {}  # the latest message to the channel
    itself: dict[str, object] = {}  # the latest word about the channel itself: sent, or refused for its own sake
    dead: dict[str, list] = {}  # its dead deliveries since the last message it sent, newest first
    sent_since: set[str] = set()  # channels whose last sent message has been read (older deaths do not count)
    for record in DeliveryRepository().latest(workspace, limit=recent):  # newest first
        if record.channel_id not in known:
            continue
        if record.recipient is None:
            group.setdefault(record.channel_id, record)
        if record.status == SENT or (record.status == GAVE_UP and record.channel_fix):
            itself.setdefault(record.channel_id, record)
        if record.status == SENT:
            sent_since.add(record.channel_id)
        elif record.status == DEAD and record.channel_id not in sent_since:
            dead.setdefault(record.channel_id, []).append(record)
    failing = {}
    for channel_id in known:
        said, latest = itself.get(channel_id), group.get(channel_id)
        if said is not None and said.status == GAVE_UP:
            failing[channel_id] = said
        elif latest is not None and latest.status in (GAVE_UP, DEAD) and not latest.channel_fix:
            failing[channel_id] = latest  # about the group's destination: only a message there says otherwise
        elif len(dead.get(channel_id, ())) >= DEAD_STREAK:
            failing[channel_id] = dead[channel_id][0]  # the vendor keeps failing it, whoever the messages were for
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
            "dead_deliveries": len(dead.get(channel_id, ())),
        }
        for channel_id, record in failing.items()
    ]


def failing_message(failing: list[dict]) -> str:
    """One line naming each failing channel, why and what to fix when known, for the status's ``reasons``."""
    named = "; ".join(
        f"{f['name'] or f['channel_id']} ({f['channel_type']}): {f['last_error']}"
        + (f" ({f['dead_deliveries']} dead deliveries)" if f.get("dead_deliveries", 0) >= DEAD_STREAK else "")
        + (f" (fix: {f['fix']})" if f.get("fix") else "")
        for f in failing
    )
    return (
        f"{len(failing)} channel(s) refused or kept failing their latest messages ({named}); see /api/notification-logs"
    )
