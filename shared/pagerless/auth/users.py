"""People who sign in: registration, password login with throttling, and admin management.

Passwords are hashed with argon2id (argon2-cffi). The first user ever registered becomes admin
through a conditional write, so two simultaneous first registrations cannot both win (a claim whose
registration failed and could not be given back is taken over after a short lease). A failed
login answers the same for an unknown email and a wrong password (no user enumeration). An email with
too many failed sign-ins is locked out for a while; so is a client address from which too many different
emails failed (password spraying), a much higher bar, since a whole team may share one address.
"""

import hashlib
import math
import re
import time
import uuid
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from pagerless import settings
from pagerless.auth import tokens
from pagerless.auth.keys import Principal
from pagerless.clock import until_stale, utcnow
from pagerless.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServiceUnavailableError,
    UnauthorizedError,
    ValidationError,
)
from pagerless.domain.roles import Role
from pagerless.store.login_throttles import LoginThrottleRepository
from pagerless.store.users import UserRecord, UserRepository

if TYPE_CHECKING:
    from argon2 import PasswordHasher

USER_ROLES = (Role.ADMIN, Role.OPERATOR, Role.VIEWER)
# A registration told to wait for another's first-admin claim retries this soon at most: the claim's lease
# (first_admin_claim_seconds) only matters when its holder died without giving it back.
FIRST_ADMIN_RETRY_SECONDS = 5.0
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BAD_LOGIN = "invalid email or password"


@cache
def hasher() -> "PasswordHasher":
    from argon2 import PasswordHasher  # imported when a password is hashed or checked, not at cold start

    return PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile


@cache
def _dummy_hash() -> str:
    return hasher().hash(uuid.uuid4().hex)


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationError("email is not a valid address", details=[{"field": "email"}])
    return email


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < 8 or len(password) > 256:
        raise ValidationError("password must be 8 to 256 characters", details=[{"field": "password"}])
    return password


def parse_role(role: str) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        parsed = None
    if parsed not in USER_ROLES:
        raise ValidationError("role must be admin, operator or viewer", details=[{"field": "role"}])
    return parsed


def principal_for(user: UserRecord, kind: str = "user") -> Principal:
    return Principal(
        f"user:{user.email}", user.workspace, Role(user.role), user_id=user.user_id, kind=kind, name=user.name or ""
    )


class UserService:
    def __init__(self, repository: UserRepository | None = None) -> None:
        self.repository = repository or UserRepository()
        self.throttles = LoginThrottleRepository()
        self._first_admin_known = False  # once seen, for the process's life: the first admin never goes back

    # registration and sign-in
    def first_admin_exists(self) -> bool:
        """Whether the first user (the admin) has registered, so registration no longer makes an admin. One read,
        until the answer is yes."""
        if not self._first_admin_known:
            self._first_admin_known = self.repository.first_admin_taken()
        return self._first_admin_known

    def register(
        self, *, email: str, name: str, password: str, workspace: str | None = None, first_admin_only: bool = False
    ) -> UserRecord:
        """A new user; the first one ever is admin, later ones are viewers until an admin says otherwise (and only
        with open registration). ``first_admin_only``: the first admin, or refused as closed registration is."""
        email, password = normalize_email(email), check_password(password)
        user_id = "usr_" + uuid.uuid4().hex[:16]
        config, now = settings.auth(), utcnow()
        lease = timedelta(seconds=config.first_admin_claim_seconds)
        first = self.repository.claim_first_admin(user_id, now=now, stale_after=lease)
        if not first:
            claimed_at = self.repository.first_admin_claimed_at()
            if claimed_at is not None:  # no admin yet: neither "closed" nor a viewer, or none might ever be admin
                raise ServiceUnavailableError(
                    "the first user is being registered at this moment; register again after the time in Retry-After",
                    # a live holder is done within a password hash; the lease is for one that died
                    retry_after=min(FIRST_ADMIN_RETRY_SECONDS, until_stale(claimed_at, lease, now)),
                )
        if not first and (first_admin_only or not config.open_registration):
            raise ForbiddenError("registration is closed; ask an admin to create your account")
        record = self._new(
            user_id,
            email=email,
            name=name,
            password=password,
            role=Role.ADMIN if first else Role.VIEWER,
            workspace=workspace,
        )
        try:
            created = self.repository.create(record, first_admin=first)
        except Exception:  # throttled, say: the claim goes back (or is taken over after its lease)
            if first:
                self.repository.release_first_admin(user_id)
            raise
        if not created:
            if first:
                self.repository.release_first_admin(user_id)
            raise ConflictError("a user with that email already exists")
        self._first_admin_known = True
        return record

    def login(self, *, email: str, password: str, address: str = "") -> tuple[UserRecord, tokens.TokenPair]:
        """Tokens for a correct email and password; the same 401 for every wrong combination. An email is locked
        after ``login_max_failures`` failed sign-ins; a client address only after sign-ins for
        ``login_max_emails_per_address`` different emails failed from it within ``login_lockout_seconds``: one
        person's typos lock their own account, not everyone behind the same NAT, VPN or proxy."""
        config = settings.auth()
        email = (email or "").strip().lower()
        now = time.time()
        # counted before the password is checked: a parallel burst gets no extra tries
        emails_tried = self._count_from_address(address, email, now) if address else 0
        failures = self.throttles.count_attempt(f"email:{email}", now=now)
        if failures is not None and failures > config.login_max_failures:
            self.throttles.lock(f"email:{email}", until=now + config.login_lockout_seconds)
            failures = None
        if failures is None:
            raise _locked_out(self.throttles, f"email:{email}", now, "email")
        user = self.repository.by_email(email) if _EMAIL.match(email) else None
        if not self._password_matches(user, password or ""):
            if failures >= config.login_max_failures:
                self.throttles.lock(f"email:{email}", until=now + config.login_lockout_seconds)
            if address and emails_tried >= config.login_max_emails_per_address:
                self.throttles.lock(f"addr:{address}", until=now + config.login_lockout_seconds)
            raise UnauthorizedError(_BAD_LOGIN)
        if address:  # the right password was no guess; the others' failures from the address still count
            self.throttles.forget_address_attempt(f"addr:{address}", _email_tag(email))
        if not user.is_active:
            raise ForbiddenError("this account is disabled")
        self.throttles.clear_throttle(f"email:{email}")
        if hasher().check_needs_rehash(user.password_hash):
            # unless a reset replaced the password since it was read: the rehash of the old one must not undo it
            self.repository.rehash_password(user.user_id, user.password_hash, hasher().hash(password))
        return user, tokens.issue_pair(user, self.repository)

    def _count_from_address(self, address: str, email: str, now: float) -> int:
        """The different emails tried from ``address`` in its window, this one included; RateLimitedError while
        the address is locked (or once this attempt is one too many)."""
        config = settings.auth()
        key = f"addr:{address}"
        tried = self.throttles.count_address_attempt(
            key, _email_tag(email), now=now, window=config.login_lockout_seconds
        )
        if tried is not None and tried > config.login_max_emails_per_address:
            self.throttles.lock(key, until=now + config.login_lockout_seconds)
            tried = None
        if tried is None:
            raise _locked_out(self.throttles, key, now, "address")
        return tried

    def refresh(self, refresh_token: str) -> tokens.TokenPair:
        return tokens.rotate(refresh_token, self.repository, self.active_user)

    def logout(self, refresh_token: str) -> None:
        tokens.revoke(refresh_token, self.repository)

    def logout_access(self, access_token: str) -> None:
        """End the session an access token belongs to (its refresh token family)."""
        tokens.revoke_session_of(access_token, self.repository)

    def active_user(self, user_id: str) -> UserRecord:
        return self._active(self.repository.get(user_id))

    @staticmethod
    def _active(user: UserRecord | None) -> UserRecord:
        if user is None:
            raise UnauthorizedError("the user no longer exists")
        if not user.is_active:
            raise UnauthorizedError("this account is disabled")
        return user

    def principal_from_access_token(self, token: str) -> Principal:
        """The user behind an access token; a disabled user or a bumped session version is refused."""
        read = tokens.user_read_with_secret(token, self.repository)  # a cold start's first token: one round trip
        claims = tokens.decode(token, tokens.ACCESS)
        user = (
            self._active(read)
            if read is not None and read.user_id == claims["sub"]
            else self.active_user(claims["sub"])
        )
        if int(claims.get("sv", -1)) != int(user.session_version):
            raise UnauthorizedError("this session has ended; sign in again")
        return principal_for(user)

    # administration
    def list(self, workspace: str) -> list[UserRecord]:
        return self.repository.all(workspace)

    def get(self, workspace: str, user_id: str) -> UserRecord:
        user = self.repository.get(user_id)
        if user is None or user.workspace != workspace:
            raise NotFoundError(f"user {user_id} not found")
        return user

    def create(self, *, workspace: str, email: str, name: str, password: str, role: str) -> UserRecord:
        email, password, role = normalize_email(email), check_password(password), parse_role(role)
        record = self._new(
            "usr_" + uuid.uuid4().hex[:16], email=email, name=name, password=password, role=role, workspace=workspace
        )
        if not self.repository.create(record):
            raise ConflictError("a user with that email already exists")
        return record

    def update(
        self,
        workspace: str,
        user_id: str,
        *,
        actor_user_id: str | None,
        name: str | None = None,
        role: str | None = None,
        is_active: bool | None = None,
        email: str | None = None,
        person_id: str | None = None,
    ) -> UserRecord:
        """Change the fields given, and only those: what another admin changed meanwhile (a disable, a password
        reset, another field) is kept."""
        user = self.get(workspace, user_id)
        if user_id == actor_user_id and (is_active is False or (role is not None and role != Role.ADMIN)):
            raise ConflictError("you cannot disable yourself or remove your own admin role")
        fields: dict = {}
        if name is not None:
            fields["name"] = name
        if role is not None:
            fields["role"] = parse_role(role).value
        if person_id is not None:
            fields["person_id"] = self._linkable_person(workspace, person_id) if person_id else None
        end_sessions = is_active is not None and is_active != user.is_active  # every open session ends now
        if end_sessions:
            fields["is_active"] = is_active
        if email is not None and normalize_email(email) != user.email:
            changed = self.repository.change_email(user, normalize_email(email), fields, end_sessions=end_sessions)
            if changed is None:
                raise ConflictError("a user with that email already exists")
        else:
            changed = self.repository.edit(user_id, fields, end_sessions=end_sessions) if fields else user
        if changed is None:
            raise NotFoundError(f"user {user_id} not found")
        return changed

    def delete(self, workspace: str, user_id: str, *, actor_user_id: str | None) -> None:
        if user_id == actor_user_id:
            raise ConflictError("you cannot delete yourself")
        self.repository.delete(self.get(workspace, user_id))

    def reset_password(self, workspace: str, user_id: str, new_password: str) -> None:
        self.get(workspace, user_id)
        password_hash = hasher().hash(check_password(new_password))
        if self.repository.reset_password(user_id, password_hash) is None:
            raise NotFoundError(f"user {user_id} not found")

    def _linkable_person(self, workspace: str, person_id: str) -> str:
        """A person of the same workspace (pagerless.people), so pages and on-call reach this user."""
        from pagerless.people.service import PeopleService

        if PeopleService().find(workspace, person_id) is None:
            raise ValidationError(f"person {person_id} not found in this workspace", details=[{"field": "person_id"}])
        return person_id

    def _new(
        self, user_id: str, *, email: str, name: str, password: str | None, role: Role, workspace: str | None
    ) -> UserRecord:
        return UserRecord(
            f"USER#{user_id}",
            "USER",
            user_id=user_id,
            email=email,
            name=(name or "").strip()[:100],
            role=role.value,
            workspace=workspace or settings.api().default_workspace,
            is_active=True,
            password_hash=hasher().hash(password) if password else None,
        )

    def _password_matches(self, user: UserRecord | None, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        stored = user.password_hash if user is not None and user.password_hash else None
        try:
            # An unknown user still costs one argon2 verification: the answer time does not tell.
            return hasher().verify(stored or _dummy_hash(), password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _email_tag(email: str) -> str:
    """How an address's count names an email tried from it (what was typed is not stored there)."""
    return hashlib.sha256(email.encode("utf-8")).hexdigest()[:16]


def _locked_out(throttles: LoginThrottleRepository, key: str, now: float, locked: str) -> RateLimitedError:
    """The 429 of a locked email or address (``locked``), saying which and when to try again: ``details`` and
    Retry-After."""
    throttle = throttles.throttle(key)
    locked_until = int(throttle.locked_until) if throttle is not None and throttle.locked_until else now
    retry_after = max(1, math.ceil(locked_until - now))
    where = "for this email" if locked == "email" else "from this address"
    return RateLimitedError(
        f"too many failed sign-ins {where}; try again after the time in Retry-After",
        details=[{"locked": locked, "retry_after": retry_after}],
        retry_after=retry_after,
    )


def public(user: UserRecord) -> dict:
    """Seed 001's user object."""
    return {
        "id": user.user_id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": bool(user.is_active),
        "person_id": user.person_id,
        "created_at": user.created_at.isoformat() if user.created_at else None,
    }
