"""Pages of lists assembled in memory (a partition read whole, built-ins merged with stored items).

The cursor names the sort position of the last item returned, so an item added or deleted between
two pages neither repeats nor hides the others. Store queries page with DynamoDB's own key instead
(`store.base.encode_cursor`).
"""

import base64
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from pagerless.domain.errors import ValidationError

T = TypeVar("T")


def page_of(
    items: Sequence[T],
    *,
    limit: int,
    cursor: str | None,
    order: Callable[[T], tuple[str, ...]],
    reverse: bool = False,
) -> tuple[list[T], str | None]:
    """One page of ``items`` in ``order`` (descending with ``reverse``; the order of each item must
    be unique), from after ``cursor``, and the cursor of the next page (None on the last)."""
    ranked = sorted(items, key=order, reverse=reverse)
    if cursor:
        after = _decode(cursor, width=len(order(ranked[0])) if ranked else None)
        ranked = [i for i in ranked if (order(i) < after if reverse else order(i) > after)]
    page = ranked[:limit]
    return page, (_encode(order(page[-1])) if len(ranked) > limit else None)


def _encode(position: tuple[str, ...]) -> str:
    raw = json.dumps({"after": list(position)}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, *, width: int | None) -> tuple[str, ...]:
    try:
        value = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        after = value["after"]
    except (ValueError, UnicodeDecodeError, RecursionError, TypeError, KeyError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(after, list) or not all(isinstance(v, str) for v in after):
        raise _bad_cursor()
    if width is not None and len(after) != width:
        raise _bad_cursor()
    return tuple(after)


def _bad_cursor() -> ValidationError:
    return ValidationError("cursor is not valid; use the next_cursor of a previous page", details=[{"field": "cursor"}])
