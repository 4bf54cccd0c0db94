"""People: a name, an email, a timezone, a role, a workspace and contacts.

A person's role (viewer < operator < admin) is what they may do when they act from chat or an
email link. Other rooms use this module's small, stable API: ``PeopleService().get / list /
create / update / delete`` and ``resolve_contacts(person)``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field

from pagerless.clock import known_zone, stored_zone
from pagerless.domain.errors import ConflictError, NotFoundError, ValidationError
from pagerless.domain.roles import Role
from pagerless.store.people import EMAIL_SK, PERSON_SK, PeopleRecord, PeopleRepository
from pagerless.store.references import Seen
from pagerless.store.versions import retry_on_change

PERSON_ROLES = (Role.VIEWER, Role.OPERATOR, Role.ADMIN)
CONTACT_KINDS = ("email", "phone", "slack", "lark", "teams")
ZONE_CHOSEN = "timezone_set"  # kept beside a person's fields once they name a zone (`Person.timezone_set`)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{5,20}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TEAMS_FORMS = (
    "a Teams identity is the user's sign-in name (UPN, name@domain) "
    "or their Microsoft Entra object ID (a GUID, 8-4-4-4-12 hex digits)"
)


@dataclass(frozen=True)
class Contact:
    """One way to reach a person: ``kind`` is one of `CONTACT_KINDS` (or a kind a newer version stored, which this
    one reads and keeps as stored and reaches nobody by). ``slack`` values are "<team id>/<user id>" or a user id;
    ``lark`` values are "<app id>/<open_id>" (an open_id is only meaningful within its app); a ``teams`` value is
    the user's sign-in name (UPN) or Microsoft Entra object ID, what a Teams @-mention takes (the email is used
    without it, and mentions nobody where the UPN is not the email)."""

    kind: str
    value: str


@dataclass(frozen=True)
class Person:
    id: str
    workspace: str
    name: str
    email: str
    timezone: str = "UTC"
    role: str = Role.VIEWER.value
    contacts: tuple[Contact, ...] = field(default_factory=tuple)
    created_at: str = ""
    updated_at: str = ""
    # whether the person chose ``timezone`` (it was sent), rather than took the default: a page to them reads
    # in the zone they chose, UTC too, and in the channel's only when they chose none; not in the API
    timezone_set: bool = False

    @property
    def label(self) -> str:
        """How the audit log and the timeline name this person: "Alice Chen (per_1a2b3c4d)"."""
        return f"{self.name} ({self.id})"

    def to_public(self) -> dict:
        public = asdict(self)
        public["contacts"] = [asdict(c) for c in self.contacts]
        del public["timezone_set"]
        return public


def is_teams_identity(value: str) -> bool:
    """Whether ``value`` is what a Teams @-mention can name a user by: a sign-in name (UPN) or an Entra object ID."""
    return bool(_EMAIL.match(value) or _GUID.match(value))


def is_phone(value: str) -> bool:
    """Whether ``value`` is a phone number as the people API takes it (digits, spaces, dashes, brackets, a leading +)."""
    return bool(_PHONE.match(value))


def resolve_contacts(person: Person) -> dict[str, list[str]]:
    """Every address of a person by kind (`CONTACT_KINDS`); the email field is always the first email. A
    contact of a kind this version does not know (a newer version's, or a hand edit) is skipped, with a
    warning: nothing here can reach it."""
    resolved: dict[str, list[str]] = {kind: [] for kind in CONTACT_KINDS}
    if person.email:
        resolved["email"].append(person.email)
    for contact in person.contacts:
        if contact.kind not in resolved:
            from pagerless.observability import logger

            logger().warning(
                "contact kind not known to this version: skipped",
                extra={"person_id": person.id, "contact_kind": contact.kind},
            )
        elif contact.value not in resolved[contact.kind]:
            resolved[contact.kind].append(contact.value)
    return resolved


class PeopleService:
    def __init__(self, repository: PeopleRepository | None = None) -> None:
        self.repository = repository or PeopleRepository()

    def get(self, workspace: str, person_id: str) -> Person:
        record = self.repository.get(_pk(person_id), PERSON_SK)
        if record is None or record.workspace != workspace:
            raise NotFoundError(f"person {person_id} not found")
        return _person(record)

    def find(self, workspace: str, person_id: str) -> Person | None:
        try:
            return self.get(workspace, person_id)
        except NotFoundError:
            return None

    def list(self, workspace: str, *, limit: int = 200, cursor: str | None = None) -> tuple[list[Person], str | None]:
        records, next_cursor = self.repository.list(f"{workspace}#person", limit=limit, cursor=cursor)
        return [_person(r) for r in records], next_cursor

    def names(self, workspace: str, person_ids) -> dict[str, str]:
        """``{person id: name}`` of those of ``person_ids`` who exist in the workspace, read in batches (however
        many: a page naming people names every one, not the first of a list)."""
        records = self.repository.get_many([(_pk(p), PERSON_SK) for p in person_ids])
        return {_person(r).id: _person(r).name for r in records if r.workspace == workspace}

    def by_email(self, workspace: str, email: str) -> Person | None:
        claim = self.repository.get(_email_pk(workspace, email), EMAIL_SK)
        return self.find(workspace, claim.data["person_id"]) if claim is not None else None

    def create(
        self,
        workspace: str,
        *,
        name: str,
        email: str,
        timezone: str | None = None,
        role: str = "viewer",
        contacts: list[dict] | None = None,
    ) -> Person:
        """Add a person; an email already used in the workspace is a ConflictError. Without ``timezone`` they
        read times in UTC, and a page to them in its channel's zone."""
        # an empty zone is refused as the API refuses one anywhere ("  " too), not read as none chosen
        zone = "UTC" if timezone is None else timezone
        fields = _validated(name=name, email=email, timezone=zone, role=role, contacts=contacts or [])
        if timezone is not None:
            fields[ZONE_CHOSEN] = True
        person_id = "per_" + uuid.uuid4().hex[:12]
        self._claim_email(workspace, fields["email"], person_id)
        record = PeopleRecord(
            _pk(person_id),
            PERSON_SK,
            workspace=workspace,
            workspace_key=f"{workspace}#person",
            sort_key=person_id,
            data=fields,
        )
        self.repository.create(record)
        return _person(record)

    def update(self, workspace: str, person_id: str, **changes) -> Person:
        """Change some fields (name, email, timezone, role, contacts); unknown fields are refused. Only the
        fields sent change: an edit that meets another edit of the person is applied again to what that one
        stored (`store.versions`), and is a ConflictError (409) if the person keeps changing meanwhile."""
        unknown = set(changes) - {"name", "email", "timezone", "role", "contacts"}
        if unknown:
            raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}")
        # only what the caller sends is checked: a stored value it leaves alone is kept as it is, even one the
        # API now refuses (a restored or migrated table, an older version's looser checks, a contact kind of a
        # newer version), and the code that uses it skips an invalid one (`is_teams_identity`, `is_phone`,
        # `resolve_contacts`)
        sent = _validated(**{k: v for k, v in changes.items() if v is not None})
        if "timezone" in sent:
            sent[ZONE_CHOSEN] = True
        claimed: list[str] = []  # the new email, claimed once for every try

        def edit() -> Person | None:
            record = self.repository.get(_pk(person_id), PERSON_SK)
            if record is None or record.workspace != workspace:
                raise NotFoundError(f"person {person_id} not found")
            stored = record.data or {}
            fields = {**stored, **sent}
            previous = stored.get("email", "")
            moved = fields.get("email", "").lower() != previous.lower()
            if moved and not claimed:
                self._claim_email(workspace, fields["email"], person_id)
                claimed.append(fields["email"])
            record.data = fields
            if not self.repository.replace(record):
                return None
            if moved:
                self._release_email(workspace, previous)
            return _person(record)

        try:
            return retry_on_change(edit, what=f"person {person_id}")
        except (ConflictError, NotFoundError):  # nothing was written: the email it claimed is free again
            if claimed:
                self._release_email(workspace, claimed[0])
            raise

    def delete(self, workspace: str, person_id: str, at: Seen | None = None) -> Person:
        """Delete the person (404 if there is none); with ``at``, as a turn of the reference ledger, after the
        checks that nothing pages them (`OncallService.release_person`)."""
        record = self.repository.get(_pk(person_id), PERSON_SK)
        if record is None or record.workspace != workspace or not self.repository.delete(record, at):
            raise NotFoundError(f"person {person_id} not found")
        self._release_email(workspace, (record.data or {}).get("email", ""))
        return _person(record)

    def _claim_email(self, workspace: str, email: str, person_id: str) -> None:
        """One person per email and workspace: a conditional put of a claim item, so two
        concurrent creates with the same email cannot both succeed."""
        claim = PeopleRecord(
            _email_pk(workspace, email),
            EMAIL_SK,
            workspace=workspace,
            workspace_key=f"{workspace}#email",
            sort_key=email.lower(),
            data={"person_id": person_id},
        )
        if not self.repository.create(claim):
            raise ConflictError(f"a person with email {email} already exists", details=[{"field": "email"}])

    def _release_email(self, workspace: str, email: str) -> None:
        claim = self.repository.get(_email_pk(workspace, email), EMAIL_SK)
        if claim is not None:
            self.repository.delete(claim)


def _pk(person_id: str) -> str:
    return f"person#{person_id}"


def _email_pk(workspace: str, email: str) -> str:
    return f"email#{workspace}#{email.strip().lower()}"


def _person(record: PeopleRecord) -> Person:
    data = record.data or {}
    return Person(
        id=record.sort_key,
        workspace=record.workspace,
        name=data.get("name", ""),
        email=data.get("email", ""),
        timezone=stored_zone(data.get("timezone", "UTC")),
        timezone_set=bool(data.get(ZONE_CHOSEN)),  # a person stored before it was kept: chose none
        role=data.get("role", Role.VIEWER.value),
        # as stored, a kind this version does not know included (`resolve_contacts` skips it)
        contacts=tuple(
            Contact(str(c.get("kind", "")), str(c.get("value", "")))
            for c in data.get("contacts") or []
            if isinstance(c, dict)
        ),
        created_at=record.created_at.isoformat(),
        updated_at=record.updated_at.isoformat(),
    )


def _validated(**fields) -> dict:
    """The given fields, checked and cleaned (a change checks only what it changes); a ValidationError
    names every field that is not valid."""
    errors: list[dict] = []
    clean = {name: _CHECKS[name](value, errors) for name, value in fields.items()}
    if errors:
        raise ValidationError("the person is not valid", details=errors)
    return clean


def _name(name: str, errors: list[dict]) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors.append({"field": "name", "message": "1 to 200 characters"})
    return name


def _email(email: str, errors: list[dict]) -> str:
    email = (email or "").strip()
    if not _EMAIL.match(email) or len(email) > 254:
        errors.append({"field": "email", "message": "not an email address"})
    return email


def _timezone(timezone: str, errors: list[dict]) -> str:
    try:
        known_zone(timezone)
    except ValueError as exc:
        errors.append({"field": "timezone", "message": str(exc)})
    return timezone


def _role(role: str, errors: list[dict]) -> str:
    if role not in {r.value for r in PERSON_ROLES}:
        errors.append({"field": "role", "message": "viewer, operator or admin"})
    return role


def _contacts(contacts: list, errors: list[dict]) -> list[dict]:
    clean_contacts = []
    for index, contact in enumerate(contacts):
        kind, value = (
            (contact.get("kind"), str(contact.get("value", "")).strip()) if isinstance(contact, dict) else (None, "")
        )
        if kind not in CONTACT_KINDS or not value or len(value) > 200:
            errors.append(
                {
                    "field": f"contacts[{index}]",
                    "message": f"kind is one of {', '.join(CONTACT_KINDS)}; value is 1 to 200 characters",
                }
            )
        elif kind == "email" and not _EMAIL.match(value) or kind == "phone" and not is_phone(value):
            errors.append({"field": f"contacts[{index}]", "message": f"not a valid {kind}"})
        elif kind == "teams" and not is_teams_identity(value):
            errors.append({"field": f"contacts[{index}]", "message": _TEAMS_FORMS})
        else:
            clean_contacts.append({"kind": kind, "value": value})
    return clean_contacts


_CHECKS = {"name": _name, "email": _email, "timezone": _timezone, "role": _role, "contacts": _contacts}
