"""Users, refresh-token families, agent tokens and login throttles on one table (pk/sk).

Items:
  USER#<id> / USER            the user (email, role, password hash, active flag)
  EMAIL#<email> / EMAIL       uniqueness of an email (written in one transaction with the user)
  BOOTSTRAP / FIRST_ADMIN     claimed by exactly one registration: the first user becomes admin (``claiming``
                              until that user is stored, in the same transaction: then ``taken``)
  FAMILY#<id> / FAMILY        a refresh-token family: the one current token id, or revoked
  AGENT#<sha256> / TOKEN      an agent token (only its hash and prefix are stored)
  THROTTLE#<key> / LOGIN      failed logins and lockout (store/login_throttles.py)
  OIDC#<issuer>#<sub> / LINK  which user an OIDC subject is
"""

from datetime import datetime, timedelta

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError, ServiceUnavailableError
from pagerless.store.base import (
    BaseModel,
    Region,
    TableName,
    best_effort,
    cancellation_codes,
    field_edits,
    get_together,
    lost_race,
    written,
)


class _Item(BaseModel):
    class Meta:
        abstract = True

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class UserRecord(_Item):
    class Meta:
        table_name = TableName("users")
        region = Region()

    user_id = UnicodeAttribute()
    workspace = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    role = UnicodeAttribute()
    is_active = BooleanAttribute(default=True)
    password_hash = UnicodeAttribute(null=True)  # None for users who only sign in through OIDC
    session_version = NumberAttribute(default=0)  # bumped on disable/reset: outstanding tokens die
    person_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(default=utcnow)
    updated_at = UTCDateTimeAttribute(default=utcnow)


class EmailRecord(_Item):
    class Meta:
        table_name = TableName("users")
        region = Region()

    user_id = UnicodeAttribute()


class MarkerRecord(_Item):
    """Singleton markers (the first-admin claim) and OIDC subject links."""

    class Meta:
        table_name = TableName("users")
        region = Region()

    value = UnicodeAttribute(default="")
    state = UnicodeAttribute(null=True)  # the first-admin claim's: CLAIMING, then TAKEN (None: written before)
    claimed_at = UTCDateTimeAttribute(null=True)


FIRST_ADMIN = ("BOOTSTRAP", "FIRST_ADMIN")
CLAIMING, TAKEN = "claiming", "taken"


class FamilyRecord(_Item):
    class Meta:
        table_name = TableName("users")
        region = Region()

    user_id = UnicodeAttribute()
    current_jti = UnicodeAttribute()
    previous_jti = UnicodeAttribute(null=True)
    rotated_at = NumberAttribute(default=0)
    revoked = BooleanAttribute(default=False)
    expires = TTLAttribute(null=True)


class AgentTokenRecord(_Item):
    class Meta:
        table_name = TableName("users")
        region = Region()

    token_id = UnicodeAttribute()
    workspace = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    token_prefix = UnicodeAttribute()
    is_active = BooleanAttribute(default=True)
    created_by = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute(default=utcnow)
    scope_sources = ListAttribute(of=UnicodeAttribute, null=True)  # None: every source (auth.keys.scope_of)
    scope_services = ListAttribute(of=UnicodeAttribute, null=True)  # None: every service


_EDITABLE = ("name", "role", "person_id", "is_active", "password_hash", "email")


def _edits(fields: dict, end_sessions: bool) -> list[Action]:
    """The update actions of an edit of ``fields`` (None removes one); ``end_sessions`` bumps `session_version`."""
    actions = field_edits(UserRecord, fields, _EDITABLE)
    return [*actions, UserRecord.session_version.add(1)] if end_sessions else actions


class UserRepository:
    """The only code that reads and writes the users table."""

    def create(self, record: UserRecord, *, first_admin: bool = False) -> bool:
        """Store a user and claim its email in one transaction; False if the email is taken (or another write
        was taking it at that moment). A transaction refused for anything else (throttling) raises. With
        ``first_admin``, the user's first-admin claim (`claim_first_admin`) is settled in the same transaction:
        a 503 to register again if it was taken over meanwhile (the registration outlasted its lease)."""
        email = EmailRecord(f"EMAIL#{record.email}", "EMAIL", user_id=record.user_id)
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, UserRecord))) as tx:
                tx.save(email, condition=EmailRecord.pk.does_not_exist())
                tx.save(record, condition=UserRecord.pk.does_not_exist())
                if first_admin:
                    tx.update(
                        MarkerRecord(*FIRST_ADMIN),
                        actions=[MarkerRecord.state.set(TAKEN)],
                        condition=(MarkerRecord.value == record.user_id) & (MarkerRecord.state == CLAIMING),
                    )
        except TransactWriteError as exc:
            if first_admin and lost_race(exc, item=2):
                raise ServiceUnavailableError(
                    "the first admin's claim was taken over while this registration was under way; register again",
                    retry_after=1,
                ) from exc
            if lost_race(exc):
                return False
            raise
        return True

    def claim_first_admin(self, user_id: str, *, now: datetime, stale_after: timedelta) -> bool:
        """True for one registration at a time: the conditional write makes a race safe. The claim holds until
        its user is stored (`create` with ``first_admin`` settles it for good) or given back; one whose
        registration failed and could not give it back (DynamoDB throttled that too) is taken over once
        ``stale_after`` has passed since it was taken, or nobody could ever become admin."""
        stale = (MarkerRecord.state == CLAIMING) & (MarkerRecord.claimed_at < now - stale_after)
        return written(
            MarkerRecord(*FIRST_ADMIN, value=user_id, state=CLAIMING, claimed_at=now).save,
            condition=MarkerRecord.pk.does_not_exist() | stale,
        )

    def first_admin_claimed_at(self) -> datetime | None:
        """When the first-admin claim was taken, while a registration holds it without its user stored yet;
        None once it is settled (or before anyone claimed it)."""
        try:
            claim = MarkerRecord.get(*FIRST_ADMIN, consistent_read=True)
        except DoesNotExist:
            return None
        return claim.claimed_at if claim.state == CLAIMING else None

    def first_admin_taken(self) -> bool:
        """Whether the first admin is stored (the claim settled): registration no longer makes an admin."""
        try:
            claim = MarkerRecord.get(*FIRST_ADMIN, consistent_read=True)
        except DoesNotExist:
            return False
        return claim.state != CLAIMING

    def release_first_admin(self, user_id: str) -> bool:
        """Give back a claim whose user could not be stored (the email was taken, the write throttled); best
        effort: one not given back is taken over after its lease (`claim_first_admin`)."""
        return best_effort(
            "giving the first-admin claim back",
            MarkerRecord(*FIRST_ADMIN).delete,
            condition=(MarkerRecord.value == user_id) & (MarkerRecord.state == CLAIMING),
        )

    def get(self, user_id: str) -> UserRecord | None:
        try:
            return UserRecord.get(f"USER#{user_id}", "USER", consistent_read=True)
        except DoesNotExist:
            return None

    def get_with(self, user_id: str, model: type[Model], hash_key: str, range_key: str | None = None) -> tuple:
        """An item of another table and the user, read consistently in one round trip: (item, user), None for
        either that does not exist."""
        item, user = get_together((model, hash_key, range_key), (UserRecord, f"USER#{user_id}", "USER"))
        return item, user

    def by_email(self, email: str) -> UserRecord | None:
        try:
            link = EmailRecord.get(f"EMAIL#{email}", "EMAIL", consistent_read=True)
        except DoesNotExist:
            return None
        return self.get(link.user_id)

    def all(self, workspace: str) -> list[UserRecord]:
        items = UserRecord.scan(UserRecord.sk == "USER")
        return sorted((u for u in items if u.workspace == workspace), key=lambda u: u.created_at)

    def edit(self, user_id: str, fields: dict, *, end_sessions: bool = False) -> UserRecord | None:
        """Set the named ``fields`` of the stored user (None removes one) and, with ``end_sessions``, end its
        open sessions; the user as stored, or None if it is gone (nothing written then). Only the named
        attributes are written: an edit never puts back what it read of the others, so it cannot undo a
        disable or a password reset that landed between its read and its write."""
        return self._update(user_id, _edits(fields, end_sessions))

    def reset_password(self, user_id: str, password_hash: str) -> UserRecord | None:
        """A new password; every open session ends. None if the user is gone."""
        return self._update(user_id, _edits({"password_hash": password_hash}, end_sessions=True))

    def rehash_password(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        """The same password under new hash parameters, unless a reset replaced it since ``old_hash`` was read."""
        actions = _edits({"password_hash": new_hash}, end_sessions=False)
        return self._update(user_id, actions, UserRecord.password_hash == old_hash) is not None

    def _update(self, user_id: str, actions: list[Action], condition=None) -> UserRecord | None:
        record = UserRecord(f"USER#{user_id}", "USER")
        exists = UserRecord.pk.exists()
        if not written(
            record.update,
            actions=[*actions, UserRecord.updated_at.set(utcnow())],
            condition=exists if condition is None else exists & condition,
        ):
            return None
        return record

    def change_email(
        self, record: UserRecord, new_email: str, fields: dict, *, end_sessions: bool = False
    ) -> UserRecord | None:
        """`edit` with the user's email moved from ``record.email`` to ``new_email`` (its claim moves in the same
        transaction); None if ``new_email`` is taken. A ConflictError if the user's email changed (or the user
        went) since ``record`` was read: the claim moved would not be its own; one too if another write touched
        one of its items at that moment (read it again). A transaction refused for anything else raises."""
        user = UserRecord(f"USER#{record.user_id}", "USER")
        actions = _edits({**fields, "email": new_email}, end_sessions)
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, UserRecord))) as tx:
                tx.delete(EmailRecord(f"EMAIL#{record.email}", "EMAIL"))
                tx.save(
                    EmailRecord(f"EMAIL#{new_email}", "EMAIL", user_id=record.user_id),
                    condition=EmailRecord.pk.does_not_exist(),
                )
                tx.update(
                    user,
                    actions=[*actions, UserRecord.updated_at.set(utcnow())],
                    condition=UserRecord.email == record.email,
                )
        except TransactWriteError as exc:
            if not lost_race(exc):
                raise
            codes = cancellation_codes(exc)  # delete, put, update
            if codes[1:2] == ["ConditionalCheckFailed"] and codes[2:3] != ["ConditionalCheckFailed"]:
                return None
            raise ConflictError(f"user {record.user_id} was changed meanwhile; read it again") from exc
        return self.get(record.user_id)

    def delete(self, record: UserRecord) -> None:
        """Delete the user and its email's claim; a ConflictError if its email changed since ``record`` was read
        (or another write touched it at that moment). A transaction refused for anything else raises."""
        try:
            with TransactWrite(connection=Connection(region=Region().__get__(None, UserRecord))) as tx:
                tx.delete(EmailRecord(f"EMAIL#{record.email}", "EMAIL"))
                tx.delete(record, condition=UserRecord.email == record.email)
        except TransactWriteError as exc:
            if lost_race(exc):
                raise ConflictError(f"user {record.user_id} was changed meanwhile; read it again") from exc
            raise

    # refresh-token families
    def start_family(self, family_id: str, user_id: str, jti: str, expires: datetime) -> None:
        FamilyRecord(f"FAMILY#{family_id}", "FAMILY", user_id=user_id, current_jti=jti, expires=expires).save()

    def rotate_family(self, family_id: str, presented_jti: str, new_jti: str, now: float) -> bool:
        """Move the family to ``new_jti`` only if ``presented_jti`` is its current token."""
        record = FamilyRecord(f"FAMILY#{family_id}", "FAMILY")
        return written(
            record.update,
            actions=[
                FamilyRecord.current_jti.set(new_jti),
                FamilyRecord.previous_jti.set(presented_jti),
                FamilyRecord.rotated_at.set(int(now)),
            ],
            condition=(FamilyRecord.current_jti == presented_jti) & (FamilyRecord.revoked == False),
        )  # noqa: E712

    def revoke_family(self, family_id: str) -> None:
        record = FamilyRecord(f"FAMILY#{family_id}", "FAMILY")
        # a family never stored (or expired) has nothing to revoke
        written(record.update, actions=[FamilyRecord.revoked.set(True)], condition=FamilyRecord.pk.exists())

    def family(self, family_id: str) -> FamilyRecord | None:
        try:
            return FamilyRecord.get(f"FAMILY#{family_id}", "FAMILY", consistent_read=True)
        except DoesNotExist:
            return None

    # agent tokens
    def put_agent_token(self, record: AgentTokenRecord) -> None:
        record.save(condition=AgentTokenRecord.pk.does_not_exist())

    def agent_token(self, token_hash: str) -> AgentTokenRecord | None:
        try:
            return AgentTokenRecord.get(f"AGENT#{token_hash}", "TOKEN", consistent_read=True)
        except DoesNotExist:
            return None

    def agent_tokens(self, workspace: str) -> list[AgentTokenRecord]:
        items = AgentTokenRecord.scan(AgentTokenRecord.sk == "TOKEN")
        return sorted((t for t in items if t.workspace == workspace), key=lambda t: t.created_at)

    def deactivate_agent_token(self, record: AgentTokenRecord) -> None:
        record.update(actions=[AgentTokenRecord.is_active.set(False)])

    # OIDC subjects
    def oidc_link(self, issuer: str, subject: str) -> str | None:
        try:
            return MarkerRecord.get(f"OIDC#{issuer}#{subject}", "LINK", consistent_read=True).value
        except DoesNotExist:
            return None

    def link_oidc(self, issuer: str, subject: str, user_id: str) -> None:
        MarkerRecord(f"OIDC#{issuer}#{subject}", "LINK", value=user_id).save()
