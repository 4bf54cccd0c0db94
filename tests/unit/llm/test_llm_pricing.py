"""Token pricing and the per-incident budget."""

from types import SimpleNamespace

import pytest

from pagerless.diagnosis.llm.pricing import DEFAULT_PRICING, ModelPrice, UsageMeter, price_for
from pagerless.diagnosis.llm.settings import LlmSettings


def usage(**fields):
    return SimpleNamespace(
        **{
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_creation_input_tokens": None,
            "cache_read_input_tokens": None,
            **fields,
        }
    )


def test_cost_prices_cache_writes_and_reads_with_their_multipliers():
    # Given $3 / $15 per MTok, writes 1.25x, reads 0.1x
    meter = UsageMeter("m", ModelPrice(input_per_mtok=3, output_per_mtok=15), max_tokens=10**9, max_cost_usd=100)

    # When
    meter.record(
        usage(
            input_tokens=1_000_000,
            output_tokens=100_000,
            cache_creation_input_tokens=1_000_000,
            cache_read_input_tokens=1_000_000,
        )
    )

    # Then 3 + 3.75 + 0.30 + 1.5
    assert meter.usage.cost_usd == pytest.approx(8.55)
    assert meter.usage.calls == 1 and meter.total_tokens == 3_100_000


def test_meter_is_exhausted_by_tokens_or_cost():
    # Given
    price = ModelPrice(input_per_mtok=2, output_per_mtok=10)
    by_tokens = UsageMeter("m", price, max_tokens=1000, max_cost_usd=100)
    by_cost = UsageMeter("m", price, max_tokens=10**9, max_cost_usd=0.01)

    # When
    by_tokens.record(usage(input_tokens=900, output_tokens=100))
    by_cost.record(usage(input_tokens=4000))

    # Then
    assert by_tokens.exhausted and not by_cost.exhausted
    by_cost.record(usage(output_tokens=1000))
    assert by_cost.exhausted


def test_dated_model_ids_use_their_family_price_and_unknown_models_the_highest():
    # When / Then
    assert price_for("claude-sonnet-4-5-20250929", DEFAULT_PRICING) == DEFAULT_PRICING["claude-sonnet-4-5"]
    assert price_for("claude-sonnet-5-5", DEFAULT_PRICING).cache_read_multiplier == 0.05
    most_expensive = max(p.output_per_mtok for p in DEFAULT_PRICING.values())
    assert price_for("claude-future-9", DEFAULT_PRICING).output_per_mtok == most_expensive


def test_prices_from_the_environment_extend_the_defaults(monkeypatch):
    # Given
    monkeypatch.setenv("PAGERLESS_LLM_PRICING", '{"my-proxy-model": {"input_per_mtok": 1, "output_per_mtok": 2}}')

    # When
    pricing = LlmSettings().pricing

    # Then
    assert pricing["my-proxy-model"].output_per_mtok == 2
    assert pricing["claude-sonnet-5-5"] == DEFAULT_PRICING["claude-sonnet-5-5"]
