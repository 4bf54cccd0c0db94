"""What intake answers for one alert."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class IngestResult:
    fingerprint: str
    incident_id: str | None
    deduplicated: bool
    status: str  # the incident's status afterwards, or "ignored" (a resolve for an unknown alert)
    action: str  # created | correlated | deduplicated | reopened | refired | resolved | ignored
    group_id: str | None = None  # the root incident it is correlated into (seed 002's group_id)
    reason: str | None = None  # why an alert was ignored, when the action alone does not say: late_firing, late_resolve

    def to_dict(self) -> dict:
        """The alert's answer; ``group_id`` only for an alert in a correlation group, ``reason`` only when given."""
        answer = asdict(self)
        for optional in ("group_id", "reason"):
            if answer[optional] is None:
                del answer[optional]
        return answer
