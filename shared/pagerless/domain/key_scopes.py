"""What an API key may speak for: the alert sources and the services it was given.

A key without a scope speaks for its whole workspace (every key made before scopes existed). A scoped
key's alert is taken only when its source is one of ``sources`` and its service one of ``services``
(an alert naming no service is outside a services scope). Names are checked and aliases resolved where
the scope is made (`pagerless.intake.key_scopes.parse_scope`); here they are plain sets. `hold_to_services`
holds a scoped key to its services where it writes something else about a service (deploys, knowledge);
`hold_to_incident` holds it to its services' incidents, to act on or read.
"""

from dataclasses import dataclass

from pagerless.domain.errors import ForbiddenError


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

    def allows_service(self, service: str | None) -> bool:
        """Whether a key of this scope may speak for ``service`` (None: the workspace as a whole)."""
        return self.services is None or (bool(service) and service in self.services)


def hold_to_services(scope: KeyScope | None, service: str | None, *, key: str, what: str) -> None:
    """A 403 when a scoped key would ``what`` (e.g. "record deploys") for a service outside its ``services``;
    something that names no service speaks for every service, so only an unscoped key may write it."""
    if scope is None or scope.allows_service(service):
        return
    named = f"service {service}" if service else "no service (the whole workspace)"
    raise ForbiddenError(
        f"this key may speak only for services {', '.join(sorted(scope.services or ()))}; "
        f"it may not {what} for {named}",
        details=[{"key": key, "scope": scope.to_dict(), "service": service, "reason": "key_scope"}],
    )


def hold_to_incident(
    scope: KeyScope | None, incident_id: str, service: str | None, *, key: str, reading: bool = False
) -> None:
    """A 403 when a services-scoped key would act on (``reading``: read) an incident whose service is outside its
    ``services``; an incident without a service is the whole workspace's, so only an unscoped key may touch it."""
    if scope is None or scope.allows_service(service):
        return
    verb = "read" if reading else "act on"
    named = f"service {service}" if service else "no service"
    raise ForbiddenError(
        f"this key may {verb} only incidents of services {', '.join(sorted(scope.services or ()))}; "
        f"incident {incident_id} is of {named}",
        details=[
            {
                "key": key,
                "scope": scope.to_dict(),
                "incident_id": incident_id,
                "service": service,
                "reason": "key_scope",
            }
        ],
    )
