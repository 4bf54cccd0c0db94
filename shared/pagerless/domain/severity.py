"""Severities and the one mapping from any vendor's words to ours."""

from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.WARNING: 2, Severity.INFO: 3}

_WORDS: dict[str, Severity] = {
    **dict.fromkeys(
        ["critical", "crit", "fatal", "emergency", "disaster", "p0", "p1", "sev0", "sev1", "page"],
        Severity.CRITICAL,
    ),
    **dict.fromkeys(["high", "error", "major", "p2", "sev2"], Severity.HIGH),
    **dict.fromkeys(["warning", "warn", "medium", "minor", "average", "p3", "sev3"], Severity.WARNING),
    **dict.fromkeys(
        ["info", "informational", "low", "p4", "p5", "none", "debug"], Severity.INFO
    ),
}


def parse_severity(value: object, default: Severity = Severity.WARNING) -> Severity:
    """Map a vendor's severity word (any case, surrounding spaces) to a Severity.

    Missing or unknown values give ``default`` (warning).
    """
    if value is None:
        return default
    word = str(value).strip().lower()
    return _WORDS.get(word, default)


def most_severe(*severities: Severity) -> Severity:
    return min(severities, key=lambda s: s.rank)
