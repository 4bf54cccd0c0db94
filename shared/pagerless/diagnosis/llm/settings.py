"""Settings of the Claude investigator, read from the environment on first use."""

from functools import cache

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pagerless.diagnosis.llm.pricing import DEFAULT_PRICING, ModelPrice

DEFAULT_MODEL = "claude-sonnet-5-5"


class LlmSettings(BaseSettings):
    """``PAGERLESS_LLM_*`` variables; the key may also come from ``ANTHROPIC_API_KEY``."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_LLM_", extra="ignore", populate_by_name=True)

    api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("PAGERLESS_LLM_API_KEY", "ANTHROPIC_API_KEY", "api_key")
    )
    model: str = DEFAULT_MODEL
    base_url: str | None = None  # None: the SDK default (api.anthropic.com)
    max_turns: int = Field(default=8, ge=1)
    max_output_tokens: int = Field(default=8192, ge=256)  # adaptive thinking counts toward it
    # output_config.effort ("low" | "medium" | "high"…) for models that accept it; None: not sent.
    effort: str | None = None
    max_corrections: int = Field(default=1, ge=0)  # corrective turns after an invalid answer
    # Per-incident budget: the investigation stops and the analyzers' diagnosis stands when reached.
    max_tokens_per_incident: int = Field(default=250_000, ge=1)
    max_cost_usd: float = Field(default=0.50, gt=0)
    pricing: dict[str, ModelPrice] = Field(default_factory=lambda: dict(DEFAULT_PRICING))
    # Retries of 429 / 5xx / 529 / connection errors, with exponential backoff capped at the max;
    # a server's retry-after is honoured up to the same cap.
    max_retries: int = Field(default=3, ge=0)
    retry_backoff_base_s: float = Field(default=1.0, ge=0)
    retry_backoff_max_s: float = Field(default=16.0, ge=0)
    request_timeout_s: float = Field(default=60.0, gt=0)
    # Wall-clock limit of one investigation: request timeouts and retry waits are cut to fit. Inside
    # a Lambda invocation it is also cut to the invocation's time left (the workflow function's
    # timeout is 120 s), so that the analyzers' diagnosis is still stored.
    max_seconds: float = Field(default=240.0, gt=0)
    tool_output_max_chars: int = Field(default=8_000, ge=500)

    @field_validator("pricing")
    @classmethod
    def _over_defaults(cls, pricing: dict[str, ModelPrice]) -> dict[str, ModelPrice]:
        """Prices given in the environment add to or override the defaults, never drop them."""
        return {**DEFAULT_PRICING, **pricing}


@cache
def get_llm_settings() -> LlmSettings:
    """The process-wide settings, read from the environment once."""
    return LlmSettings()
