"""Kubernetes resource quantities ("256Mi", "1.5Gi", "500m", "2") as plain numbers and back."""

import re
from decimal import Decimal, InvalidOperation

from pagerless.domain.errors import ValidationError

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
}
MI = 2**20


# Kubernetes' grammar: a decimal number, an optional exponent ("1e9", "1E9") and an optional suffix
# ("2E" is two exa; "NaN", "Infinity" or "1_000" are not quantities, though Decimal reads them)
_QUANTITY = re.compile(r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?P<suffix>[KMGTPE]i|[numkMGTPE])?")


def parse_quantity(value: str | int | float) -> Decimal:
    """The quantity as a number of base units (bytes for memory, cores for CPU)."""
    match = _QUANTITY.fullmatch(str(value).strip())
    if match is None:
        raise ValidationError(f"invalid quantity {value!r}")
    suffix = match["suffix"] or ""
    try:
        parsed = Decimal(match["number"]) * Decimal(_BINARY.get(suffix) or _DECIMAL[suffix])
    except InvalidOperation as exc:
        raise ValidationError(f"invalid quantity {value!r}") from exc
    if parsed < 0:
        raise ValidationError(f"invalid quantity {value!r}")
    return parsed


def memory_bytes(value: str | int) -> int:
    return int(parse_quantity(value))


def cpu_millis(value: str | int | float) -> int:
    return int(parse_quantity(value) * 1000)


def format_memory(num_bytes: int) -> str:
    """Bytes as the largest exact binary unit: 536870912 → "512Mi", 1610612736 → "1536Mi"."""
    for suffix in ("Gi", "Mi", "Ki"):
        if num_bytes % _BINARY[suffix] == 0:
            return f"{num_bytes // _BINARY[suffix]}{suffix}"
    return str(num_bytes)


def format_cpu(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"
