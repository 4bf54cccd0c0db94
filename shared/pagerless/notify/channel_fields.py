"""A channel's config as given (create, edit): each field checked for its channel type, then split into what is
stored on the channel and the secrets kept in SSM (`pagerless.notify.secrets`)."""

from pagerless.clock import known_zone
from pagerless.domain.errors import ValidationError
from pagerless.notify import secrets

LANGUAGES = ("en", "zh")
# What every channel takes beside its type's own fields. The time zone is one of them, in ``config`` as the language
# is: both say how the channel's messages read, every type has them, an edit merges them like any config field, and
# the channel's shape (seed 001: name, channel_type, config, is_enabled) stays as it is.
GENERAL_FIELDS = ("language", "rate_per_minute", "timezone")
LARK_ID_TYPES = ("chat_id", "open_id", "user_id", "union_id", "email")


def split(module, config: dict) -> tuple[dict, dict]:
    """``config`` checked for a channel of ``module`` (a ValidationError names each field wrong): (what the channel
    stores, its secrets)."""
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
