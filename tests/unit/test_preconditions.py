"""If-Match as RFC 9110 §13.1.1 reads it: strong comparison, lists, `*`; the ETag of a stored version."""

import pytest

from pagerless.domain.preconditions import IfMatch, etag, parse_if_match


def test_an_etag_is_a_quoted_strong_tag_and_a_document_without_version_is_v0():
    assert etag(3) == '"v3"' and etag(None) == etag(0) == '"v0"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),  # no header: unconditional
        ("*", IfMatch(any=True)),
        (" * ", IfMatch(any=True)),
        ('"v3"', IfMatch(versions=frozenset({3}))),
        ('"v0"', IfMatch(versions=frozenset({0}))),
        ('"v1", "v2" ,"v7"', IfMatch(versions=frozenset({1, 2, 7}))),
        ('W/"v3"', IfMatch()),  # weak tags never match
        ('W/"v3", "v4"', IfMatch(versions=frozenset({4}))),
        ('"3"', IfMatch()),  # not a tag this server made
        ('"v03"', IfMatch()),
        ('"v-1"', IfMatch()),
        ("v3", IfMatch()),  # unquoted: malformed, matches nothing
        ('"v3" "v4"', IfMatch()),
        ("", IfMatch()),
    ],
)
def test_if_match_parses_to_the_versions_it_accepts(header, expected):
    assert parse_if_match(header) == expected
