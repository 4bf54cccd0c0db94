"""Settings of the SLO evaluator, read on first use."""

from functools import cache

from pydantic import Field

from pagerless.envsettings import BaseSettings, SettingsConfigDict


class SloSettings(BaseSettings):
    """``PAGERLESS_SLO_*``: where the SLI sources are, and how far an evaluation catches up."""

    model_config = SettingsConfigDict(env_prefix="PAGERLESS_SLO_", extra="ignore")

    prometheus_url: str | None = None  # a metricSource's spec.url wins
    prometheus_timeout_seconds: float = Field(default=10.0, gt=0)
    cloudwatch_region: str | None = None  # a metricSource's spec.region wins
    max_catch_up_days: int = Field(
        default=31, ge=1, le=62
    )  # first evaluation backfills this far (bounded by the window)


@cache
def slo_settings() -> SloSettings:
    return SloSettings()
