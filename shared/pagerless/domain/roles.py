"""Roles and the one table of which role satisfies which requirement."""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"
    INGEST = "ingest"  # may only send alerts


# viewer < operator < admin; `ingest` is its own lane that operators and admins also pass.
SATISFIES: dict[Role, frozenset[Role]] = {
    Role.VIEWER: frozenset({Role.VIEWER, Role.OPERATOR, Role.ADMIN}),
    Role.OPERATOR: frozenset({Role.OPERATOR, Role.ADMIN}),
    Role.ADMIN: frozenset({Role.ADMIN}),
    Role.INGEST: frozenset({Role.INGEST, Role.OPERATOR, Role.ADMIN}),
}


def role_satisfies(held: Role, required: Role) -> bool:
    return held in SATISFIES[required]
