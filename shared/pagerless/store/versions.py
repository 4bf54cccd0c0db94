"""Edits of a stored document without a lost update: written back only if nobody wrote it meanwhile.

A record edited as a whole (a person, a notification channel or template, a workspace's configuration or
webhook settings) carries ``version``, a number each edit raises by one. An edit reads the record,
applies the request's change to it and writes it back on the condition that the stored version is still
the one it read (`save_unchanged`). When another edit wrote first, the caller reads again and applies the
request's change to what that edit stored (`retry_on_change`): a PATCH or a merging PUT sends only the
fields it changes, so applying them again onto the fresh record keeps both edits.

A record written before versions (by an older Pagerless, or by hand) has no ``version``: its first edit
expects none, and writes 1. Records a model declares ``version = NumberAttribute(null=True)`` for.

A document replaced whole by a PUT (a schedule, an escalation policy, quiet hours, the notification routes, the
remediation policy, report settings, the environment context, an SLO's definition) is written by
`replace_if_match`: one UpdateItem that sets its data and adds one to ``version``, on the condition
the request's If-Match puts on the stored version (`pagerless.domain.preconditions`), or with none (last writer
wins) when it sent no If-Match. Every write raises the version, so an ETag read before any of them goes stale.
One that a PUT may create again under the same key (a person's quiet hours) is deleted by `retire`, which keeps
its item and version: the document created next goes on from that version, so an ETag read before the delete
never matches it.
"""

import operator
from collections.abc import Callable
from functools import reduce
from typing import TypeVar

from pynamodb.exceptions import PutError
from pynamodb.models import Model

from pagerless.clock import utcnow
from pagerless.domain.errors import ConflictError
from pagerless.domain.preconditions import IfMatch
from pagerless.store.base import written

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


def version_of(record: Model) -> int:
    """The stored version of ``record``; 0 for one written before versions."""
    return int(record.version or 0)


def _stored(model: type[Model], fields: tuple[str, ...]):
    """The condition that the document is stored: its fields exist (a `retire`d one keeps only its version)."""
    return reduce(operator.and_, (getattr(model, name).exists() for name in fields))


def _at_version(model: type[Model], version: int, stored):
    if version == 0:  # stored before versions: no attribute, but the document must be there
        return stored & model.version.does_not_exist()
    return stored & (model.version == version)


def replace_if_match(
    record: Model, if_match: IfMatch | None, *, upsert: bool = False, fields: tuple[str, ...] = ("data",)
) -> int | None:
    """Write ``record``'s ``fields`` (its ``data``, unless told) as the next version of the stored item, in one
    UpdateItem that sets ``updated_at`` and adds 1 to its ``version``, conditional on ``if_match`` (one of its
    versions; ``any``: the document is stored, its ``fields`` exist: a `retire`d one's item has none; ``absent``:
    it is not, and only with ``upsert``, where a PUT may create the document). Without
    ``if_match`` the write is unconditional (with ``upsert``; else only if the document is stored). The version
    written, or None and nothing written when the condition failed."""
    replacing = replacement(record, if_match, upsert=upsert, fields=fields)
    if replacing is None or not written(record.update, actions=replacing[0], condition=replacing[1]):
        return None
    return version_of(record)


def replacement(
    record: Model, if_match: IfMatch | None, *, upsert: bool = False, fields: tuple[str, ...] = ("data",)
) -> tuple[list, object] | None:
    """The UpdateItem `replace_if_match` makes, as its actions and condition (for a transaction to make it);
    None when ``if_match`` can match nothing."""
    model = type(record)
    exists = _stored(model, fields)
    if if_match is None:
        condition = None if upsert else exists
    elif if_match.any:
        condition = exists
    elif if_match.absent:  # If-None-Match: *: a first save, so only where a PUT may create (else nothing matches)
        if not upsert:
            return None
        condition = ~exists
    elif not if_match.versions:
        return None  # only tags that name no version of ours: nothing can match
    else:
        condition = reduce(operator.or_, (_at_version(model, v, exists) for v in sorted(if_match.versions)))
    sets = [getattr(model, name).set(getattr(record, name)) for name in fields]
    return [*sets, model.updated_at.set(utcnow()), model.version.add(1)], condition


def retire(record: Model, *, fields: tuple[str, ...] = ("data",)) -> bool:
    """Delete a document a PUT may create again under the same key, keeping its version: one UpdateItem that
    removes its ``fields`` and adds 1 to ``version``, on the condition it is stored (False, and nothing written,
    if it is not). Deleting the item instead would let the document created next start again at version 1, so
    that an ETag read before the delete would match it; the version it keeps makes the next one go on from it.
    Its readers treat an item without its fields as no document."""
    model = type(record)
    actions = [*(getattr(model, name).remove() for name in fields), model.updated_at.set(utcnow())]
    return written(record.update, actions=[*actions, model.version.add(1)], condition=_stored(model, fields))
