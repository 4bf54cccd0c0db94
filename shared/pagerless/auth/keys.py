"""Creating, authenticating and revoking API keys.

A key is ``pl_`` + 32 random bytes (URL-safe). Only its SHA-256 is stored; the secret is shown
once, when it is created. The key id is random, not derived from the secret: a human-chosen
``PAGERLESS_ADMIN_KEY`` cannot be guessed offline from the id that viewers see.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pagerless.clock import utcnow
from pagerless.domain.errors import NotFoundError, ValidationError
from pagerless.domain.key_scopes import KeyScope
from pagerless.domain.roles import Role

if TYPE_CHECKING:  # the store (PynamoDB, botocore) is imported by the first call that needs it
    from pagerless.store.keys import ApiKeyRecord, ApiKeyRepository

KEY_PREFIX = "pl_"
MIN_CHOSEN_KEY_LENGTH = 16  # a key chosen by a person (PAGERLESS_ADMIN_KEY), not generated
_CACHE_SECONDS = 10.0  # a revoked key stops working within this many seconds on a warm instance
_CACHE_MAX = 10_000  # entries (~250 B each): a spray of made-up keys cannot exhaust a warm instance


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, workspace and role.

    For a signed-in user ``key_id`` is ``user:<email>`` (what the audit log and the timeline show)
    and ``user_id`` is set; ``kind`` says which credential authenticated the call. ``scope``: the
    sources and services an API key may send alerts for (None: its whole workspace).
    """

    key_id: str
    workspace: str
    role: Role
    user_id: str | None = None
    kind: str = "api_key"  # api_key | user | oidc | agent_token
    name: str = ""  # the key's name, shown beside its id
    scope: KeyScope | None = None


@dataclass(frozen=True)
class CreatedKey:
    record: ApiKeyRecord
    secret: str  # shown once


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_key_id() -> str:
    """A random id: nothing about the secret can be learned from it (viewers see key ids)."""
    return f"key_{secrets.token_hex(8)}"


def display_prefix(secret: str) -> str:
    """What a key list shows of a secret: `pl_` and 4 random characters, or 2 of a chosen key."""
    return secret[:7] if secret.startswith(KEY_PREFIX) else secret[:2] + "…"


class ApiKeyService:
    def __init__(self, repository: ApiKeyRepository | None = None) -> None:
        if repository is None:
            from pagerless.store.keys import ApiKeyRepository

            repository = ApiKeyRepository()
        self.repository = repository
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    def create(
        self,
        *,
        workspace: str,
        role: Role | str,
        name: str = "",
        created_by: str = "",
        scope: KeyScope | None = None,
    ) -> CreatedKey:
        """A new key; ``scope`` (checked by `pagerless.intake.key_scopes.parse_scope`) narrows what it may send."""
        role = _parse_role(role)
        _check_workspace(workspace)
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        record = self._store(secret, workspace=workspace, role=role, name=name, created_by=created_by, scope=scope)
        return CreatedKey(record, secret)

    def ensure(self, secret: str, *, workspace: str, role: Role, name: str) -> ApiKeyRecord:
        """Make ``secret`` a valid key (used for PAGERLESS_ADMIN_KEY); idempotent."""
        if len(secret) < MIN_CHOSEN_KEY_LENGTH:
            raise ValidationError(f"an API key must be at least {MIN_CHOSEN_KEY_LENGTH} characters long")
        existing = self.repository.get_by_hash(hash_secret(secret))
        if existing and not existing.revoked:
            return existing
        return self._store(
            secret, workspace=workspace, role=role, name=name, created_by="bootstrap", replace=existing is not None
        )

    def authenticate(self, secret: str) -> Principal | None:
        """The principal for a presented secret, or None if it is unknown or revoked."""
        key_hash = hash_secret(secret)
        cached = self._cache.get(key_hash)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        record = self.repository.get_by_hash(key_hash)
        principal = None
        if record is not None and not record.revoked and hmac.compare_digest(record.key_hash, key_hash):
            principal = Principal(
                record.key_id, record.workspace, Role(record.role), name=record.name or "", scope=scope_of(record)
            )
        if len(self._cache) >= _CACHE_MAX:
            now = time.monotonic()
            self._cache = {h: entry for h, entry in self._cache.items() if entry[0] > now}
            if len(self._cache) >= _CACHE_MAX:
                self._cache = {}
        self._cache[key_hash] = (time.monotonic() + _CACHE_SECONDS, principal)
        return principal

    def list_keys(self, workspace: str) -> list[ApiKeyRecord]:
        return sorted(self.repository.list_for_workspace(workspace), key=lambda r: r.created_at)

    def list_all(self) -> list[ApiKeyRecord]:
        return sorted(self.repository.all(), key=lambda r: (r.workspace, r.created_at))

    def revoke(self, workspace: str, key_id: str) -> ApiKeyRecord:
        record = self.repository.find(workspace, key_id)
        if record is None:
            raise NotFoundError(f"API key {key_id} not found")
        if not record.revoked:
            self.repository.revoke(record)
        self._cache.pop(record.key_hash, None)
        return record

    def revoke_anywhere(self, key_id: str) -> ApiKeyRecord:
        for record in self.repository.all():
            if record.key_id == key_id:
                return self.revoke(record.workspace, key_id)
        raise NotFoundError(f"API key {key_id} not found")

    def _store(
        self,
        secret: str,
        *,
        workspace: str,
        role: Role,
        name: str,
        created_by: str,
        replace: bool = False,
        scope: KeyScope | None = None,
    ) -> ApiKeyRecord:
        from pagerless.store.keys import ApiKeyRecord

        key_hash = hash_secret(secret)
        record = ApiKeyRecord(
            key_hash,
            key_id=new_key_id(),
            workspace=workspace,
            role=role.value,
            name=name,
            prefix=display_prefix(secret),
            created_by=created_by,
            created_at=utcnow(),
        )
        if scope is not None and scope.sources is not None:
            record.scope_sources = sorted(scope.sources)
        if scope is not None and scope.services is not None:
            record.scope_services = sorted(scope.services)
        if replace:
            self.repository.put(record)
        elif not self.repository.put_new(record):
            raise ValidationError("that key already exists")
        self._cache.pop(key_hash, None)
        return record


def scope_of(record: ApiKeyRecord) -> KeyScope | None:
    """A stored key's scope; None for a key that speaks for its whole workspace."""
    return KeyScope.of(record.scope_sources, record.scope_services)


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise ValidationError(f"unknown role {role!r}; expected one of viewer, operator, admin, ingest") from exc


# A workspace's name ends its incidents' ids (INC-YYYYMMDD-NNNN-<workspace>), and an incident's workflow runs are
# named after its id (<id>-r<n>-resume-<8 hex>, 38 characters past a 40-character workspace's); Step Functions
# names an execution in at most 80 characters.
MAX_WORKSPACE = 40


def _check_workspace(workspace: str) -> None:
    if not workspace or len(workspace) > MAX_WORKSPACE or not all(c.isalnum() or c in "-_" for c in workspace):
        raise ValidationError(f"workspace must be 1-{MAX_WORKSPACE} letters, digits, '-' or '_'")
