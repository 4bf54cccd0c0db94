"""Severities and the one mapping from any vendor's words to ours.

Every source reads severity through this module: words ("critical", "warn"), the numbered
forms teams use ("sev1", "SEV-2", "Sev 3", "P1".."P5", "priority 2"), in a label or a tag
("severity:critical", "sev=2", a bare "P1" tag).
"""

import re
from collections.abc import Iterable, Mapping
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
    **dict.fromkeys(["critical", "crit", "fatal", "emergency", "disaster", "page"], Severity.CRITICAL),
    **dict.fromkeys(["high", "error", "major"], Severity.HIGH),
    **dict.fromkeys(["warning", "warn", "medium", "minor", "average"], Severity.WARNING),
    **dict.fromkeys(["info", "informational", "low", "none", "debug"], Severity.INFO),
}

# sev0/P0 and sev1/P1 page someone now; 2 is urgent; 3 is a warning; 4 and 5 are informational.
LEVELS: dict[int, Severity] = {
    0: Severity.CRITICAL,
    1: Severity.CRITICAL,
    2: Severity.HIGH,
    3: Severity.WARNING,
    4: Severity.INFO,
    5: Severity.INFO,
}

# "sev1", "SEV-2", "Sev 3", "severity_2", "P1", "p-2", "priority 3"; a bare digit only where the key said so.
_NUMBERED = re.compile(r"^(?:sev|severity|p|priority)[\s_-]*(?P<level>[0-5])$")
_DIGIT = re.compile(r"^(?P<level>[0-5])$")

_TAG = re.compile(r"^(?P<key>[^:=]+)[:=](?P<value>.*)$")

# Label and tag names that carry a severity, in the order they are trusted.
SEVERITY_KEYS = ("severity", "sev", "priority", "alert_severity", "level", "urgency")


def parse_severity(value: object, default: Severity = Severity.WARNING) -> Severity:
    """Map a vendor's severity word (any case, surrounding spaces) to a Severity.

    Missing or unknown values give ``default`` (warning).
    """
    found = severity_of(value)
    return default if found is None else found


def severity_of(value: object, *, bare_digit: bool = False) -> Severity | None:
    """The Severity a value names ("critical", "sev1", "SEV-2", "P3"), or None when it names none.

    ``bare_digit`` accepts "1".."5" too: right for a field named severity or priority, wrong for
    a bare tag.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int) and bare_digit:
        return LEVELS.get(value)
    word = str(value).strip().lower()
    if word in _WORDS:
        return _WORDS[word]
    match = _NUMBERED.match(word) or (_DIGIT.match(word) if bare_digit else None)
    return LEVELS[int(match["level"])] if match else None


def severity_from(
    labels: Mapping[str, object] | None = None, tags: Iterable[object] = (), default: Severity | None = Severity.WARNING
) -> Severity | None:
    """The severity named by labels (``severity``, ``sev``, ``priority``... any case) or tags.

    Tags may be ``key:value`` / ``key=value`` with a severity key, or a bare numbered form
    ("sev1", "P2"); a bare word like "high" is not taken from a tag (too ambiguous).
    """
    by_key = {str(k).strip().lower(): v for k, v in (labels or {}).items()}
    for key in SEVERITY_KEYS:
        found = severity_of(by_key.get(key), bare_digit=True)
        if found is not None:
            return found
    tag_values: dict[str, object] = {}
    bare: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            continue
        match = _TAG.match(tag)
        if match:
            tag_values.setdefault(match["key"].strip().lower(), match["value"].strip())
        else:
            bare.append(tag)
    for key in SEVERITY_KEYS:
        found = severity_of(tag_values.get(key), bare_digit=True)
        if found is not None:
            return found
    for tag in bare:
        if _NUMBERED.match(tag.strip().lower()):
            return severity_of(tag)
    return default


def most_severe(*severities: Severity) -> Severity:
    return min(severities, key=lambda s: s.rank)
