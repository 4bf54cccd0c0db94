"""Pages of lists assembled in memory: every item once, in order, whatever changes between pages."""

import pytest

from pagerless.domain.errors import ValidationError
from pagerless.domain.pages import page_of


def _walk(items, limit, **kwargs):
    seen, cursor = [], None
    while True:
        page, cursor = page_of(items, limit=limit, cursor=cursor, **kwargs)
        seen.append(page)
        if cursor is None:
            return seen


def test_pages_cover_every_item_once_in_order():
    items = [f"item-{n:02d}" for n in range(7)]
    pages = _walk(items, 3, order=lambda i: (i,), reverse=True)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == sorted(items, reverse=True)


def test_a_list_that_fits_has_no_next_page():
    assert page_of(["a", "b"], limit=2, cursor=None, order=lambda i: (i,)) == (["a", "b"], None)
    assert page_of([], limit=2, cursor=None, order=lambda i: (i,)) == ([], None)


def test_an_item_deleted_or_added_between_pages_neither_repeats_nor_hides_the_others():
    items = ["a", "b", "c", "d", "e"]
    first, cursor = page_of(items, limit=2, cursor=None, order=lambda i: (i,))
    # The last item of the first page is deleted and an earlier one added before the next page
    second, _ = page_of(["0", "a", "c", "d", "e"], limit=10, cursor=cursor, order=lambda i: (i,))
    assert first == ["a", "b"] and second == ["c", "d", "e"]


@pytest.mark.parametrize("cursor", ["%%%", "bm90LWpzb24", "eyJhZnRlciI6IDF9", "WzFd", "eyJhZnRlciI6WzEsMl19"])
def test_a_malformed_or_tampered_cursor_is_a_validation_error(cursor):
    # (not base64, not JSON, {"after": 1}, [1], {"after": [1, 2]})
    with pytest.raises(ValidationError) as raised:
        page_of(["a", "b"], limit=1, cursor=cursor, order=lambda i: (i,))
    assert raised.value.details == [{"field": "cursor"}]


def test_a_cursor_of_another_list_shape_is_refused():
    _, cursor = page_of([("a", "1"), ("b", "2")], limit=1, cursor=None, order=lambda i: i)
    with pytest.raises(ValidationError):
        page_of(["a", "b"], limit=1, cursor=cursor, order=lambda i: (i,))
