"""Workspace runtime configuration: the investigator's provider, model, effort and budget.

A workspace's values override the deployment's (``PAGERLESS_LLM_*`` environment) for that
workspace's incidents; ``null`` puts a value back to the deployment's. Keys are accepted in
snake case or in seed 000's upper case (``LLM_MODEL``); an unknown key is refused, never dropped.
The Anthropic key itself is not set here: it is a deployment secret (``ANTHROPIC_API_KEY`` or the
SSM parameter named by ``PAGERLESS_ANTHROPIC_KEY_PARAMETER``) and is only shown masked.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from pagerless.domain.errors import ValidationError
from pagerless.store.config import ConfigRepository

PROVIDERS = ("anthropic",)


class ConfigOverrides(BaseModel):
    """What a workspace may override; ``None`` means "the deployment's value".

    Strict: a value of the wrong JSON type (``true`` for a number, ``"off"`` for a boolean) is
    refused, not coerced. An integer is still a number for ``llm_max_cost_usd``.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    llm_enabled: bool | None = Field(default=None, description="false: analyzers only, even with a key")
    llm_provider: Literal["anthropic"] | None = Field(default=None, description="the investigator's provider")
    llm_model: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,99}$", examples=["claude-sonnet-5-5"]
    )
    llm_effort: Literal["low", "medium", "high"] | None = None
    llm_max_cost_usd: float | None = Field(default=None, gt=0, le=100, description="budget per incident")
    llm_max_tokens_per_incident: int | None = Field(default=None, ge=1000, le=5_000_000)
    llm_max_turns: int | None = Field(default=None, ge=1, le=50)


KEYS = tuple(ConfigOverrides.model_fields)


class ConfigService:
    def __init__(self, repository: ConfigRepository | None = None) -> None:
        self.repository = repository or ConfigRepository()

    def overrides(self, workspace: str) -> ConfigOverrides:
        return _stored(self.repository.get(workspace))

    def effective(self, workspace: str) -> dict:
        """Every key's value and where it comes from (workspace or deployment), secrets masked."""
        from pagerless.diagnosis.llm.settings import get_llm_settings

        deployment = get_llm_settings()
        record = self.repository.get(workspace)
        overrides = _stored(record)
        defaults = {
            "llm_enabled": True,
            "llm_provider": "anthropic",
            "llm_model": deployment.model,
            "llm_effort": deployment.effort,
            "llm_max_cost_usd": deployment.max_cost_usd,
            "llm_max_tokens_per_incident": deployment.max_tokens_per_incident,
            "llm_max_turns": deployment.max_turns,
        }
        values, sources = {}, {}
        for key in KEYS:
            own = getattr(overrides, key)
            values[key] = defaults[key] if own is None else own
            sources[key] = "deployment" if own is None else "workspace"
        values["llm_api_key"] = _masked_key(deployment)
        sources["llm_api_key"] = "deployment"
        return {
            "workspace": workspace,
            "values": values,
            "sources": sources,
            "updated_at": record.updated_at if record else None,
            "updated_by": record.updated_by if record else None,
        }

    def update(self, workspace: str, changes: dict[str, Any], *, actor: str) -> dict:
        """Merge ``changes`` into the workspace's overrides (validated as a whole) and store them; a key another
        admin changed meanwhile is kept (the merge is applied again to what they stored)."""
        normalized = normalize_keys(changes)

        def merged(values: dict) -> dict:
            current = _lax(values).model_dump(exclude_none=True)
            try:
                validated = ConfigOverrides.model_validate({**current, **normalized})
            except PydanticValidationError as exc:
                raise ValidationError(
                    "the configuration is not valid",
                    details=[
                        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
                        for e in exc.errors()
                    ],
                ) from exc
            return validated.model_dump(exclude_none=True)

        self.repository.edit(workspace, merged, actor=actor)
        return self.effective(workspace)


def _stored(record) -> ConfigOverrides:
    return _lax((record.values if record else None) or {})


def _lax(values: dict) -> ConfigOverrides:
    """Stored overrides. They were validated strictly when written; they are read laxly so that an item
    written before strict checking (or edited by hand) still loads."""
    return ConfigOverrides.model_validate(values, strict=False)


def normalize_keys(changes: dict[str, Any]) -> dict[str, Any]:
    """``LLM_MODEL`` → ``llm_model``; an unknown or read-only key is a validation error."""
    if not isinstance(changes, dict):
        raise ValidationError("the configuration must be a JSON object of keys and values")
    normalized, unknown = {}, []
    for key, value in changes.items():
        name = str(key).strip().lower().replace("-", "_")
        if name not in KEYS:
            unknown.append(str(key))
        else:
            normalized[name] = value
    if unknown:
        raise ValidationError(
            "unknown or read-only configuration keys",
            details=[
                {
                    "field": key,
                    "message": "not a configuration key"
                    if key.lower() != "llm_api_key"
                    else "the key is a deployment secret (ANTHROPIC_API_KEY or PAGERLESS_ANTHROPIC_KEY_PARAMETER)",
                }
                for key in unknown
            ]
            + [{"field": "allowed", "message": ", ".join(KEYS)}],
        )
    return normalized


def apply_to_llm_settings(llm, overrides: ConfigOverrides):
    """The deployment's investigator settings with a workspace's overrides applied."""
    update = {
        field: getattr(overrides, key)
        for key, field in (
            ("llm_model", "model"),
            ("llm_effort", "effort"),
            ("llm_max_cost_usd", "max_cost_usd"),
            ("llm_max_tokens_per_incident", "max_tokens_per_incident"),
            ("llm_max_turns", "max_turns"),
        )
        if getattr(overrides, key) is not None
    }
    return llm.model_copy(update=update) if update else llm


def _masked_key(deployment) -> str | None:
    from pagerless import settings

    if deployment.api_key is not None and deployment.api_key.get_secret_value():
        secret = deployment.api_key.get_secret_value()
        return f"****{secret[-4:]}" if len(secret) >= 12 else "****"
    parameter = settings.integrations().pagerless_anthropic_key_parameter
    return f"ssm:{parameter}" if parameter else None


class ConfigPublic(BaseModel):
    workspace: str
    values: dict[str, Any]
    sources: dict[str, Literal["deployment", "workspace"]]
    updated_at: datetime | None
    updated_by: str | None
