"""An escalation policy's channel targets: which channels a target names (by id, name or type), whether one of them
may send, which steps a channel's delete or rename would leave paging nobody, and the check a policy's write makes."""

from pagerless.domain.errors import ValidationError
from pagerless.oncall import models


def names_channel(ref: str, channel: dict) -> bool:
    """Whether a channel target's id names ``channel``: its id, its name or its type, as the notify function picks
    the channels of a job's targets."""
    return ref in (channel.get("id"), channel.get("name"), channel.get("channel_type"))


def channel_unusable(ref: str, channels: list[dict], switched_off: frozenset[str]) -> str:
    """Why none of the channels a channel target names may send (the notify function sends through none of them),
    or "" if one may: each is disabled or of a type switched off in /api/plugins. Stored channel types are the
    canonical ones (`ChannelService.create` stores the module's type), which the plugin switches name."""
    named = [c for c in channels if names_channel(ref, c)]
    enabled = [c for c in named if c.get("is_enabled", True)]
    if any(c.get("channel_type") not in switched_off for c in enabled):
        return ""
    if not enabled:
        return "disabled"
    types = ", ".join(sorted({c.get("channel_type") for c in enabled}))
    off = f"its type {types} is switched off in /api/plugins"
    return off if len(enabled) == len(named) else f"disabled, or {off}"


def workspace_channels(workspace: str) -> list[dict]:
    from pagerless.store.notify import ConfigRepository

    return ConfigRepository().list(workspace, "channel")


def uses_of_channel(policies: list[dict], channels: list[dict], channel_id: str, renamed_to: str | None) -> list[dict]:
    """The steps of ``policies`` that would page nobody without the channel (or, ``renamed_to``, under its old name):
    a channel target that names it (by id, name or type) and no other of the workspace's ``channels``."""
    others = [c for c in channels if c.get("id") != channel_id]
    gone = [c for c in channels if c.get("id") == channel_id]
    if renamed_to is not None:  # still there under its id and type, not under the name it had
        others += [{**c, "name": renamed_to} for c in gone]
    return [
        {"policy_id": doc["id"], "step": i, "channel": t["id"]}
        for doc in policies
        for i, step in enumerate(doc["steps"])
        for t in step["targets"]
        if t["kind"] == "channel"
        and any(names_channel(t["id"], c) for c in gone)
        and not any(names_channel(t["id"], c) for c in others)
    ]


def check_channel_targets(workspace: str, body: models.PolicyIn) -> None:
    """Every channel target of the policy names a channel of the workspace (400 naming each that does not)."""
    wanted = [(i, t.id) for i, s in enumerate(body.steps) for t in s.targets if t.kind == "channel"]
    channels = workspace_channels(workspace) if wanted else []
    unknown = [{"step": i, "channel_id": ref} for i, ref in wanted if not any(names_channel(ref, c) for c in channels)]
    if unknown:
        raise ValidationError(
            "escalation policy names channels that do not exist: add them under /api/notifications/channels "
            "first (a channel target is a channel's id, name or type)",
            details=unknown,
        )
