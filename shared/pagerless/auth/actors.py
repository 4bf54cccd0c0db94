"""The display name of an actor id, looked up when a record is written (see ``domain.actors``).

- ``key_…``: the API key's name (revoked keys keep theirs);
- ``user:<email>``: the user's name, when they gave one;
- anything else (``system``, ``runbook``, a chat person's "Name (per_…)" label): no lookup.

Lookups are cached per process for a minute; a failed lookup is an empty name, never an error:
a timeline entry is not lost because a name could not be read.
"""

import time

from pagerless.observability import logger

TTL_SECONDS = 60.0
_cache: dict[tuple[str, str], tuple[float, str]] = {}


def name_of(workspace: str, actor: str | None) -> str:
    """The name to store beside ``actor``; ``""`` when there is none."""
    if not actor or not (actor.startswith("key_") or actor.startswith("user:")):
        return ""
    key = (workspace, actor)
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < TTL_SECONDS:
        return cached[1]
    try:
        name = _lookup(workspace, actor)
    except Exception as exc:  # noqa: BLE001 - a name is a nicety; the record is written without it
        logger().warning("actor name lookup failed", extra={"actor": actor, "error": type(exc).__name__})
        return ""
    _cache[key] = (time.monotonic(), name)
    return name


def _lookup(workspace: str, actor: str) -> str:
    if actor.startswith("key_"):
        from pagerless.store.keys import ApiKeyRepository

        record = ApiKeyRepository().find(workspace, actor)
        return (record.name or "") if record is not None else ""
    from pagerless.store.users import UserRepository

    user = UserRepository().by_email(actor.removeprefix("user:"))
    return (user.name or "") if user is not None and user.workspace == workspace else ""


def clear_cache() -> None:
    _cache.clear()
