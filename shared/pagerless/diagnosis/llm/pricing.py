"""Per-model token prices and the per-incident spend meter."""

from pydantic import BaseModel

from pagerless.diagnosis.models import LlmUsage


class ModelPrice(BaseModel):
    """USD per million tokens; prompt-cache writes and reads are priced as multiples of input."""

    input_per_mtok: float
    output_per_mtok: float
    cache_write_multiplier: float = 1.25  # 5-minute cache writes
    cache_read_multiplier: float = 0.10


# Anthropic list prices (platform.claude.com/docs/en/about-claude/pricing, Nov 2026).
# Sonnet 5.5 reads the cache at $0.10/MTok (0.05x); older models at 0.1x.
DEFAULT_PRICING: dict[str, ModelPrice] = {
    "claude-sonnet-5-5": ModelPrice(input_per_mtok=2.0, output_per_mtok=10.0, cache_read_multiplier=0.05),
    "claude-sonnet-5": ModelPrice(input_per_mtok=2.0, output_per_mtok=10.0),
    "claude-sonnet-4-6": ModelPrice(input_per_mtok=3.0, output_per_mtok=15.0),
    "claude-sonnet-4-5": ModelPrice(input_per_mtok=3.0, output_per_mtok=15.0),
    "claude-opus-5-5": ModelPrice(input_per_mtok=4.0, output_per_mtok=20.0, cache_read_multiplier=0.05),
    "claude-opus-5": ModelPrice(input_per_mtok=5.0, output_per_mtok=25.0),
    "claude-opus-4-8": ModelPrice(input_per_mtok=5.0, output_per_mtok=25.0),
    "claude-opus-4-7": ModelPrice(input_per_mtok=5.0, output_per_mtok=25.0),
    "claude-opus-4-6": ModelPrice(input_per_mtok=5.0, output_per_mtok=25.0),
    "claude-opus-4-5": ModelPrice(input_per_mtok=5.0, output_per_mtok=25.0),
    "claude-haiku-4-5": ModelPrice(input_per_mtok=1.0, output_per_mtok=5.0),
    "claude-fable-5-1": ModelPrice(input_per_mtok=10.0, output_per_mtok=50.0, cache_read_multiplier=0.025),
}


def price_for(model: str, pricing: dict[str, ModelPrice]) -> ModelPrice:
    """The price of ``model``: exact id, else the longest id it starts with (dated snapshots),
    else the most expensive entry, so that a budget is never under-counted for an unknown model."""
    if model in pricing:
        return pricing[model]
    prefixes = [name for name in pricing if model.startswith(name)]
    if prefixes:
        return pricing[max(prefixes, key=len)]
    return max(pricing.values(), key=lambda p: p.output_per_mtok)


class UsageMeter:
    """Sums the usage of every response of one investigation and says when the budget is spent.

    The token budget counts every token the model processed (fresh input, cache writes, cache
    reads and output); the cost budget prices each kind at its own rate.
    """

    def __init__(self, model: str, price: ModelPrice, *, max_tokens: int, max_cost_usd: float) -> None:
        self._price = price
        self._max_tokens = max_tokens
        self._max_cost_usd = max_cost_usd
        self.usage = LlmUsage(model=model)

    def record(self, usage: object) -> None:
        """Add one response's ``usage`` (the SDK's ``Usage`` object, cache fields may be None)."""
        u = self.usage
        u.input_tokens += getattr(usage, "input_tokens", 0) or 0
        u.output_tokens += getattr(usage, "output_tokens", 0) or 0
        u.cache_creation_input_tokens += getattr(usage, "cache_creation_input_tokens", 0) or 0
        u.cache_read_input_tokens += getattr(usage, "cache_read_input_tokens", 0) or 0
        u.calls += 1
        u.cost_usd = round(self._cost(), 6)

    @property
    def total_tokens(self) -> int:
        u = self.usage
        return u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens

    @property
    def exhausted(self) -> bool:
        return self.total_tokens >= self._max_tokens or self.usage.cost_usd >= self._max_cost_usd

    def describe(self) -> str:
        return (
            f"{self.total_tokens} tokens of {self._max_tokens}, ${self.usage.cost_usd:.4f} of ${self._max_cost_usd:.2f}"
        )

    def _cost(self) -> float:
        p, u = self._price, self.usage
        input_usd = p.input_per_mtok * (
            u.input_tokens
            + u.cache_creation_input_tokens * p.cache_write_multiplier
            + u.cache_read_input_tokens * p.cache_read_multiplier
        )
        return (input_usd + p.output_per_mtok * u.output_tokens) / 1_000_000
