"""What an API key may speak for: the alert sources and the services it was given.

A key without a scope speaks for its whole workspace (every key made before scopes existed). A scoped
key's alert is taken only when its source is one of ``sources`` and its service one of ``services``
(an alert naming no service is outside a services scope). Names are checked and aliases resolved where
the scope is made (`pagerless.intake.key_scopes.parse_scope`); here they are plain sets.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyScope:
    sources: frozenset[str] | None = None  # None: any source
    services: frozenset[str] | None = None  # None: any service (and an alert without one)

    @classmethod
    def of(cls, sources=None, services=None) -> "KeyScope | None":
        """The scope of these lists (None or empty for no restriction); None when nothing is restricted."""
        scope = cls(frozenset(sources) if sources else None, frozenset(services) if services else None)
        return scope if scope.restricted else None

    @property
    def restricted(self) -> bool:
        return self.sources is not None or self.services is not None

    def to_dict(self) -> dict:
        """The public form: sorted lists, null where unrestricted."""
        return {
            "sources": sorted(self.sources) if self.sources is not None else None,
            "services": sorted(self.services) if self.services is not None else None,
        }

    def describe(self) -> str:
        """The scope in words, for an error message: "sources alertmanager; services cart, checkout"."""
        parts = [
            f"{name} {', '.join(sorted(values))}"
            for name, values in (("sources", self.sources), ("services", self.services))
            if values is not None
        ]
        return "; ".join(parts) or "unrestricted"
