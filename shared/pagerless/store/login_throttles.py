"""Login throttles on the users table: failed sign-ins and lockout for an email, or the emails tried from a
client address (``THROTTLE#<key> / LOGIN``; the table's other items are store/users.py's)."""

from datetime import datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist

from pagerless.clock import utcnow
from pagerless.domain.errors import ServiceUnavailableError
from pagerless.store.base import BaseModel, Region, TableName, written

FAILURES_KEPT_SECONDS = 3600  # an email's failed sign-ins count until an hour after the latest


class ThrottleRecord(BaseModel):
    class Meta:
        table_name = TableName("users")
        region = Region()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    failures = NumberAttribute(default=0)  # an email's
    locked_until = NumberAttribute(default=0)
    emails = UnicodeSetAttribute(null=True)  # an address's: the emails tried from it in its window (their tags)
    window_ends = NumberAttribute(null=True)  # an address's
    expires = TTLAttribute(null=True)


class LoginThrottleRepository:
    """The only code that reads and writes login throttles."""

    def throttle(self, key: str) -> ThrottleRecord | None:
        try:
            return ThrottleRecord.get(f"THROTTLE#{key}", "LOGIN", consistent_read=True)
        except DoesNotExist:
            return None

    def count_attempt(self, key: str, *, now: float) -> int | None:
        """Count a sign-in attempt on ``key`` before its password is checked (one atomic add, so a
        burst of parallel guesses gets one number each); the attempt's number, or None while
        ``key`` is locked. The count lasts ``FAILURES_KEPT_SECONDS`` after its latest attempt: an attempt after
        that starts it again at 1. Its record's TTL says the same, but DynamoDB deletes an expired item only
        within days (and reads return it until then), so the expiry is checked here: else failures days apart
        added up, and a single typo locked an account that last failed a week before."""
        record = ThrottleRecord(f"THROTTLE#{key}", "LOGIN")
        unlocked = ThrottleRecord.locked_until.does_not_exist() | (ThrottleRecord.locked_until <= int(now))
        expires = ThrottleRecord.expires.set(datetime.fromtimestamp(now + FAILURES_KEPT_SECONDS, tz=utcnow().tzinfo))
        kept = ThrottleRecord.expires > datetime.fromtimestamp(now, tz=utcnow().tzinfo)
        for _ in range(3):
            if written(record.update, actions=[ThrottleRecord.failures.add(1), expires], condition=unlocked & kept):
                return int(record.failures)
            if written(
                record.update,
                actions=[ThrottleRecord.failures.set(1), expires],
                condition=unlocked & (ThrottleRecord.expires.does_not_exist() | ~kept),
            ):
                return 1
            current = self.throttle(key)  # neither: locked, or another attempt renewed the count meanwhile
            if current is not None and current.locked_until and current.locked_until > now:
                return None
        raise ServiceUnavailableError("sign-ins for this email are being counted; try again", retry_after=1)

    def count_address_attempt(self, key: str, email_tag: str, *, now: float, window: float) -> int | None:
        """Count a sign-in attempt from an address (``key``) for an email (``email_tag``) before its password is
        checked: how many different emails were tried from the address in its window and not signed in since
        (`forget_address_attempt`), this one included, or None while the address is locked. One atomic add to a
        set, so an email tried again counts once and a parallel burst gets one number each; the window starts
        with the first attempt after the last one ended and lasts ``window`` seconds."""
        record = ThrottleRecord(f"THROTTLE#{key}", "LOGIN")
        unlocked = ThrottleRecord.locked_until.does_not_exist() | (ThrottleRecord.locked_until <= int(now))
        expires = ThrottleRecord.expires.set(datetime.fromtimestamp(now + window + 3600, tz=utcnow().tzinfo))
        for _ in range(3):
            if written(
                record.update,
                actions=[ThrottleRecord.emails.add({email_tag}), expires],
                condition=unlocked & (ThrottleRecord.window_ends > int(now)),
            ):
                return len(record.emails or ())
            if written(
                record.update,
                actions=[
                    ThrottleRecord.emails.set({email_tag}),
                    ThrottleRecord.window_ends.set(int(now + window)),
                    expires,
                ],
                condition=unlocked
                & (ThrottleRecord.window_ends.does_not_exist() | (ThrottleRecord.window_ends <= int(now))),
            ):
                return 1
            current = self.throttle(key)  # neither: locked, or another attempt started the window meanwhile
            if current is not None and current.locked_until and current.locked_until > now:
                return None
        raise ServiceUnavailableError("sign-ins from this address are being counted; try again", retry_after=1)

    def forget_address_attempt(self, key: str, email_tag: str) -> None:
        """A sign-in for the email succeeded: it no longer counts among the emails tried from the address."""
        record = ThrottleRecord(f"THROTTLE#{key}", "LOGIN")
        written(
            record.update, actions=[ThrottleRecord.emails.delete({email_tag})], condition=ThrottleRecord.pk.exists()
        )

    def lock(self, key: str, *, until: float) -> None:
        """Refuse sign-ins on ``key`` until ``until``; its count starts again after."""
        ThrottleRecord(f"THROTTLE#{key}", "LOGIN").update(
            actions=[ThrottleRecord.locked_until.set(int(until)), ThrottleRecord.failures.set(0)]
        )

    def clear_throttle(self, key: str) -> None:
        ThrottleRecord(f"THROTTLE#{key}", "LOGIN").delete()
