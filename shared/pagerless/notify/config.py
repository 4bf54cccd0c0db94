"""Channels of a workspace: created, edited and deleted with their secrets split off to SSM (`channel_fields`),
shown masked. A workspace's templates are `template_service`'s, its routes `route_service`'s."""

import uuid

from pagerless.clock import STORED, reading_zone, utcnow
from pagerless.domain.errors import ConflictError
from pagerless.notify import routing, secrets
from pagerless.notify.channel_fields import split
from pagerless.notify.channels import ALIASES, channel_module
from pagerless.store.notify import ConfigRepository
from pagerless.store.versions import retry_on_change


class ChannelService:
    def __init__(self, repository: ConfigRepository | None = None) -> None:
        self.repository = repository or ConfigRepository()

    def usable(self, workspace: str, channel_type: str | None = None) -> list[dict]:
        """The channels Pagerless may send through: enabled, and of a type not switched off in
        /api/plugins (only those of ``channel_type`` or its aliases, when given)."""
        from pagerless.plugin_switches import disabled

        off = disabled(workspace, "channel")
        wanted = ALIASES.get(channel_type, channel_type)
        return [
            c
            for c in self.list(workspace)
            if c.get("is_enabled", True)
            and (kind := ALIASES.get(c.get("channel_type"), c.get("channel_type"))) not in off
            and (wanted is None or kind == wanted)
        ]

    def list(self, workspace: str) -> list[dict]:
        return sorted(self.repository.list(workspace, "channel"), key=lambda c: c["created_at"])

    def get(self, workspace: str, channel_id: str) -> dict:
        return self.repository.get(workspace, "channel", channel_id)

    def create(self, workspace: str, body: dict) -> dict:
        module = channel_module(body["channel_type"])
        public, secret = split(module, body.get("config") or {})
        channel_id = f"ch-{uuid.uuid4().hex[:12]}"
        now = utcnow().isoformat()
        channel = {
            "id": channel_id,
            "name": body["name"],
            "channel_type": module.TYPE,
            "config": public,
            "secret_fields": sorted(secret),
            "masked": {k: secrets.mask(v) for k, v in secret.items()},
            "is_enabled": bool(body.get("is_enabled", True)),
            "created_at": now,
            "updated_at": now,
        }
        if secret:
            secrets.store(workspace, channel_id, secret)
        return self.repository.put(workspace, "channel", channel_id, channel)

    def update(self, workspace: str, channel_id: str, body: dict) -> dict:
        """Change the name, the enabled flag or config fields (merged; secrets kept unless given). Only what is
        sent changes: an edit that meets another edit of the channel is applied again to what that one stored
        (`store.versions`), and is a ConflictError (409) if the channel keeps changing meanwhile."""

        def edit() -> dict | None:
            item = self.repository.item(workspace, "channel", channel_id)
            if body.get("name") not in (None, item.data["name"]):
                self._keep_routes(workspace, item.data, {**item.data, "name": body["name"]})
            channel = self._changed(workspace, dict(item.data), body)
            return channel if self.repository.replace(item, channel) else None

        return retry_on_change(edit, what=f"channel {channel_id}")

    def _changed(self, workspace: str, channel: dict, body: dict) -> dict:
        """``channel`` with the changes of ``body``; a changed secret is stored in SSM."""
        channel_id = channel["id"]
        module = channel_module(channel["channel_type"])
        if "name" in body and body["name"] is not None:
            channel["name"] = body["name"]
        if body.get("is_enabled") is not None:
            channel["is_enabled"] = bool(body["is_enabled"])
        if body.get("config") is not None:
            stored = secrets.load(workspace, channel_id, fresh=True)
            # A secret sent back exactly as it was shown masked (a form or a GET saved as is) is unchanged.
            shown = channel.get("masked", {})
            changes = {k: v for k, v in body["config"].items() if not (k in shown and v == shown[k])}
            merged = {**channel["config"], **stored, **changes}
            merged = {k: v for k, v in merged.items() if v is not None and v != ""}
            public, secret = split(module, merged)
            channel["config"], channel["secret_fields"] = public, sorted(secret)
            channel["masked"] = {k: secrets.mask(v) for k, v in secret.items()}
            if secret:
                secrets.store(workspace, channel_id, secret)
            else:
                secrets.delete(workspace, channel_id)
        channel["updated_at"] = utcnow().isoformat()
        return channel

    def delete(self, workspace: str, channel_id: str) -> None:
        self._keep_routes(workspace, self.get(workspace, channel_id), None)
        self.repository.delete(workspace, "channel", channel_id)
        secrets.delete(workspace, channel_id)

    def _keep_routes(self, workspace: str, channel: dict, changed: dict | None) -> None:
        """Refuse (409) to delete ``channel`` (``changed`` None) or rename it to ``changed`` where a route names it
        and no other channel: the route would send nowhere, and nobody would hear of it until an incident."""
        stored = self.repository.get_routes(workspace)
        if not stored:
            return
        route_set = routing.RouteSet.model_validate(stored, context=STORED)
        others = [c for c in self.list(workspace) if c["id"] != channel["id"]]
        named = {u["loc"] for u in routing.unresolved(route_set, [*others, channel])}
        lost = [u for u in routing.unresolved(route_set, others + [changed] * bool(changed)) if u["loc"] not in named]
        if lost:
            change = "deleted" if changed is None else f"renamed to {changed['name']!r}"
            raise ConflictError(
                f"the notification routes name channel {channel['name']!r} ({channel['id']}): {change}, they would "
                "send nowhere; change the routes first",
                details=[
                    {"route": u["route"], "field": ".".join(map(str, u["loc"])), "channel": u["channel"]} for u in lost
                ],
            )

    def resolved_config(self, workspace: str, channel: dict, *, fresh: bool = False) -> dict:
        """The channel's config with its secrets: for the delivery, never for the API."""
        return {**channel["config"], **secrets.load(workspace, channel["id"], fresh=fresh)}

    def delivery_config(self, workspace: str, channel: dict) -> dict:
        """``resolved_config`` for a vendor call: SSM not answering is a RetryableError; a secret that is
        not stored at all a PermanentError naming the channel, the secret and where it should be."""
        from pagerless.domain.errors import ServiceUnavailableError
        from pagerless.notify.channels.base import PermanentError, RetryableError

        label = f"channel {channel.get('name') or channel['id']} ({channel['id']})"
        try:
            config = self.resolved_config(workspace, channel)
        except ServiceUnavailableError as exc:
            raise RetryableError(f"{label}: {exc.message}") from exc
        missing = [f for f in channel.get("secret_fields") or [] if not config.get(f)]
        if missing:
            raise PermanentError(
                f"{label}: its secret {', '.join(missing)} is not in SSM "
                f"({secrets.parameter_name(workspace, channel['id'])}); save the channel's config again",
                fix=f"save the channel's {', '.join(missing)} again (PUT /api/notifications/channels/{channel['id']})",
            )
        return config


def channel_zone(channel: dict) -> str | None:
    """The time zone a channel's messages read in (its ``config.timezone``); None: UTC."""
    return reading_zone((channel.get("config") or {}).get("timezone"))


def public_channel(channel: dict) -> dict:
    """What the API shows: the config with each secret masked."""
    return {
        "id": channel["id"],
        "name": channel["name"],
        "channel_type": channel["channel_type"],
        "config": {**channel["config"], **channel.get("masked", {})},
        "is_enabled": channel["is_enabled"],
        "created_at": channel["created_at"],
        "updated_at": channel["updated_at"],
    }
