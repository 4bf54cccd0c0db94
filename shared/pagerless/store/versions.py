"""Edits of a stored document without a lost update: written back only if nobody wrote it meanwhile.

A record edited as a whole (a person, a notification channel or template, a workspace's configuration or
webhook settings) carries ``version``, a number each edit raises by one. An edit reads the record,
applies the request's change to it and writes it back on the condition that the stored version is still
the one it read (`save_unchanged`). When another edit wrote first, the caller reads again and applies the
request's change to what that edit stored (`retry_on_change`): a PATCH or a merging PUT sends only the
fields it changes, so applying them again onto the fresh record keeps both edits.

A record written before versions (by an older Pagerless, or by hand) has no ``version``: its first edit
expects none, and writes 1. Records a model declares ``version = NumberAttribute(null=True)`` for.
"""

from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import PutError
from pynamodb.models import Model

from pagerless.domain.errors import ConflictError

# how many times an edit reads and applies its change again before answering 409: each lost try means
# another edit was stored meanwhile
EDIT_ATTEMPTS = 5

T = TypeVar("T")


def unchanged(record: Model):
    """The condition that the stored item is still at the version ``record`` was read at (and exists)."""
    model = type(record)
    if record.version is None:
        return model._hash_key_attribute().exists() & model.version.does_not_exist()
    return model.version == record.version


def save_unchanged(record: Model) -> bool:
    """Put ``record`` whole as its next version if the stored item is still the version it was read at;
    False, and nothing written, if another write changed or deleted it meanwhile."""
    read = record.version
    condition = unchanged(record)
    record.version = int(read or 0) + 1
    try:
        record.save(condition=condition)
    except PutError as exc:
        record.version = read
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def retry_on_change(edit: Callable[[], T | None], *, what: str, attempts: int = EDIT_ATTEMPTS) -> T:
    """Run ``edit`` until it writes: each run reads the record, applies the request's change and writes it
    with `save_unchanged`, returning None when that write was refused. A ConflictError (409) when every one
    of ``attempts`` runs met another edit of ``what``: nothing of this edit is stored then."""
    for _ in range(attempts):
        done = edit()
        if done is not None:
            return done
    raise ConflictError(
        f"{what} was changed by other requests while this change was saved ({attempts} tries); "
        "nothing was changed: read it again and send the change again",
        details=[{"reason": "concurrent_update", "attempts": attempts}],
    )
