"""Channels, templates and routes of a workspace: validation, secrets split off to SSM, masking."""

import uuid

from pydantic import ValidationError as PydanticError

from pagerless.clock import STORED, known_zone, reading_zone, utcnow
from pagerless.domain.errors import ConflictError, NotFoundError, ValidationError
from pagerless.domain.preconditions import IfMatch, precondition_failed
from pagerless.notify import render, routing, secrets
from pagerless.notify.channels import ALIASES, CHANNELS, channel_module
from pagerless.outbox.jobs import EVENTS
from pagerless.store.notify import ConfigRepository
from pagerless.store.versions import retry_on_change

LANGUAGES = ("en", "zh")
# What every channel takes beside its type's own fields. The time zone is one of them, in ``config`` as the language
# is: both say how the channel's messages read, every type has them, an edit merges them like any config field, and
# the channel's shape (seed 001: name, channel_type, config, is_enabled) stays as it is.
GENERAL_FIELDS = ("language", "rate_per_minute", "timezone")
LARK_ID_TYPES = ("chat_id", "open_id", "user_id", "union_id", "email")


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
        public, secret = _split(module, body.get("config") or {})
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
            public, secret = _split(module, merged)
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
                f"({secrets.parameter_name(workspace, channel['id'])}); save the channel's config again"
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


def _split(module, config: dict) -> tuple[dict, dict]:
    allowed = set(module.REQUIRED) | set(module.OPTIONAL) | set(module.SECRET_FIELDS) | set(GENERAL_FIELDS)
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ValidationError(
            f"unknown config fields for {module.TYPE}: {', '.join(unknown)}",
            details=[{"field": "config", "allowed": sorted(allowed)}],
        )
    missing = [f for f in module.REQUIRED if not config.get(f)]
    if missing:
        raise ValidationError(
            f"{module.TYPE} needs {', '.join(missing)}", details=[{"field": "config", "missing": missing}]
        )
    for name, value in config.items():
        if name in ("to_addresses",) and isinstance(value, list):
            continue
        if name == "rate_per_minute":
            if not isinstance(value, int) or value < 1:
                raise ValidationError(
                    "rate_per_minute must be a positive integer", details=[{"field": "config.rate_per_minute"}]
                )
            continue
        if not isinstance(value, str):
            raise ValidationError(f"config.{name} must be a string", details=[{"field": f"config.{name}"}])
        if (name.endswith("url") or name == "api_base") and not value.startswith(("https://", "http://")):
            raise ValidationError(f"config.{name} must be an http(s) URL", details=[{"field": f"config.{name}"}])
    if module.TYPE == "lark" and config.get("receive_id_type", "chat_id") not in LARK_ID_TYPES:
        raise ValidationError(
            f"receive_id_type must be one of {', '.join(LARK_ID_TYPES)}", details=[{"field": "config.receive_id_type"}]
        )
    if module.TYPE == "email" and (wrong := module.invalid_addresses(config)):
        raise ValidationError(
            f"not an email address: {', '.join(a for _, a in wrong)} (separate addresses with commas)",
            details=[{"field": f"config.{field}", "invalid": address} for field, address in wrong],
        )
    if config.get("language") and config["language"] not in LANGUAGES:
        raise ValidationError(f"language must be one of {', '.join(LANGUAGES)}", details=[{"field": "config.language"}])
    if config.get("timezone"):
        try:
            known_zone(config["timezone"])
        except ValueError as exc:
            raise ValidationError(
                f"config.timezone: {exc}", details=[{"field": "config.timezone", "message": str(exc)}]
            ) from exc
    secret = {k: v for k, v in config.items() if k in module.SECRET_FIELDS}
    public = {k: v for k, v in config.items() if k not in module.SECRET_FIELDS}
    if (size := secrets.stored_size(secret)) > secrets.MAX_STORED:
        raise ValidationError(
            f"the channel's secrets ({', '.join(sorted(secret))}) take {size} characters as stored; a channel keeps "
            f"at most {secrets.MAX_STORED} (one SSM parameter)",
            details=[{"field": f"config.{name}"} for name in sorted(secret)],
        )
    return public, secret


class TemplateService:
    def __init__(self, repository: ConfigRepository | None = None) -> None:
        self.repository = repository or ConfigRepository()

    def list(self, workspace: str) -> list[dict]:
        return sorted(self.repository.list(workspace, "template"), key=lambda t: t["created_at"])

    def get(self, workspace: str, template_id: str) -> dict:
        return self.repository.get(workspace, "template", template_id)

    def create(self, workspace: str, body: dict) -> dict:
        now = utcnow().isoformat()
        template = _checked_template(
            {"id": f"tpl-{uuid.uuid4().hex[:12]}", "created_at": now, "updated_at": now, **body}
        )
        self.repository.put(workspace, "template", template["id"], template)
        self._clear_defaults(workspace, template)
        return template

    def update(self, workspace: str, template_id: str, body: dict) -> dict:
        """Change the fields sent (not null); an edit that meets another edit of the template is applied again to
        what that one stored, and is a ConflictError (409) if the template keeps changing meanwhile."""
        changes = {k: v for k, v in body.items() if v is not None}

        def edit() -> dict | None:
            item = self.repository.item(workspace, "template", template_id)
            template = _checked_template({**item.data, **changes, "updated_at": utcnow().isoformat()})
            return template if self.repository.replace(item, template) else None

        template = retry_on_change(edit, what=f"template {template_id}")
        if changes.get("is_default"):  # an edit that leaves the flag alone leaves the other templates alone
            self._clear_defaults(workspace, template)
        return template

    def delete(self, workspace: str, template_id: str) -> None:
        self.repository.delete(workspace, "template", template_id)

    def choose(self, workspace: str, channel_type: str, event: str, language: str) -> dict:
        """The workspace's template for (channel type, event): default first; else the built-in one."""
        candidates = [
            t
            for t in self.list(workspace)
            if t["channel_type"] == channel_type and t.get("event") in (event, None, "*")
        ]
        candidates.sort(key=lambda t: (t.get("event") != event, not t.get("is_default"), t.get("language") != language))
        return candidates[0] if candidates else render.default_template(event, language)

    def _clear_defaults(self, workspace: str, template: dict) -> None:
        """Setting is_default=true clears the default of the other templates of the same type (and event), as an
        edit of each (an edit of one of them made meanwhile is kept)."""
        if not template.get("is_default"):
            return
        for other in self.list(workspace):
            if (
                other["id"] != template["id"]
                and other.get("is_default")
                and other["channel_type"] == template["channel_type"]
                and other.get("event") == template.get("event")
            ):
                self._not_default(workspace, other["id"])

    def _not_default(self, workspace: str, template_id: str) -> None:
        def edit() -> dict | None:
            try:
                item = self.repository.item(workspace, "template", template_id)
            except NotFoundError:  # deleted meanwhile
                return {}
            if not item.data.get("is_default"):
                return item.data
            changed = {**item.data, "is_default": False}
            return changed if self.repository.replace(item, changed) else None

        retry_on_change(edit, what=f"template {template_id}")


def _checked_template(template: dict) -> dict:
    template["channel_type"] = channel_module(template["channel_type"]).TYPE
    event = template.get("event")
    if event not in (None, "*") and event not in EVENTS:
        raise ValidationError(f"unknown event {event!r}", details=[{"field": "event", "allowed": list(EVENTS)}])
    if template.get("language", "en") not in LANGUAGES:
        raise ValidationError(f"language must be one of {', '.join(LANGUAGES)}", details=[{"field": "language"}])
    render.compile_template(template["title_template"], "title_template")
    render.compile_template(template["body_template"], "body_template")
    return {
        "id": template["id"],
        "name": template["name"],
        "channel_type": template["channel_type"],
        "event": event,
        "language": template.get("language", "en"),
        "title_template": template["title_template"],
        "body_template": template["body_template"],
        "is_default": bool(template.get("is_default", False)),
        "created_at": template["created_at"],
        "updated_at": template["updated_at"],
    }


class RouteService:
    def __init__(self, repository: ConfigRepository | None = None) -> None:
        self.repository = repository or ConfigRepository()

    def get(self, workspace: str) -> routing.RouteSet | None:
        stored = self.repository.get_routes(workspace)
        return routing.RouteSet.model_validate(stored, context=STORED) if stored is not None else None

    def put(self, workspace: str, body: dict, if_match: IfMatch | None = None) -> tuple[dict, int]:
        """Replace the routes; with ``if_match``, only over that stored version (412 if not, or if no routes
        are stored). The view of what was written and its version. Routes that are not valid, name a severity
        Pagerless does not have or a channel that does not exist are refused, each problem named by its route
        and field, and nothing is stored."""
        seed = ("default_rules" in body or "service_overrides" in body) and "routes" not in body
        if seed and (shape := routing.seed_shape_problems(body)):
            raise ValidationError("routes are not valid", details=shape)
        problems: list[tuple[tuple, str]] = []
        try:
            route_set = routing.from_seed(body) if seed else routing.RouteSet.model_validate(body)
        except PydanticError as exc:
            problems = [(e["loc"], e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
            route_set = _as_stored(body, seed)  # its channels are checked too, when that is all that holds them
        if route_set is not None:
            channels = self.repository.list(workspace, "channel")
            problems += [(u["loc"], u["message"]) for u in routing.unresolved(route_set, channels)]
        if problems:
            raise ValidationError("routes are not valid", details=[_problem(body, seed, *p) for p in problems])
        version = self.repository.put_routes(workspace, route_set.model_dump(by_alias=True), if_match)
        if version is None:
            stored = self.repository.get_routes_versioned(workspace)
            raise precondition_failed(
                "the notification routes", stored[1] if stored else None, exists=stored is not None, if_match=if_match
            )
        return _view(route_set), version

    def unknown_channels(self, workspace: str) -> list[dict]:
        """The stored routes' channel references that name no channel (`routing.unresolved`): routes stored before
        such references were refused, or whose channel went while they were being saved."""
        route_set = self.get(workspace)
        return routing.unresolved(route_set, self.repository.list(workspace, "channel")) if route_set else []

    def view(self, workspace: str) -> dict:
        return self.versioned_view(workspace)[0]

    def versioned_view(self, workspace: str) -> tuple[dict, int | None]:
        """The view of the routes and their stored version (None: never stored, so no ETag)."""
        stored = self.repository.get_routes_versioned(workspace)
        if stored is None:
            return _view(None), None
        return _view(routing.RouteSet.model_validate(stored[0], context=STORED)), stored[1]


def _as_stored(body: dict, seed: bool) -> routing.RouteSet | None:
    """The routes of ``body`` read as stored ones are (their severities as written), or None if not even so."""
    try:
        return routing.RouteSet.model_validate(routing.seed_document(body) if seed else body, context=STORED)
    except PydanticError:
        return None


def _problem(body: dict, seed: bool, loc: tuple, message: str) -> dict:
    """A refused routes document's problem as the error's details name it: the field, as the document wrote it
    (a seed shaped one's ``default_rules.critical``), and for a ``{"routes": [...]}`` one the route's index."""
    if seed:
        return {"field": routing.seed_field(body, loc), "message": message}
    route = {"route": loc[1]} if len(loc) > 1 and loc[0] == "routes" and isinstance(loc[1], int) else {}
    return {"field": ".".join(str(p) for p in loc), **route, "message": message}


def _view(route_set: routing.RouteSet | None) -> dict:
    routes = route_set or routing.RouteSet()
    return {
        "configured": bool(route_set and route_set.routes),
        "routes": routes.model_dump(by_alias=True)["routes"],
        **routing.to_seed(routes),
        "registered_adapters": sorted(CHANNELS),
    }
