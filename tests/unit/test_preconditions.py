"""If-Match as RFC 9110 §13.1.1 reads it: strong comparison, lists, `*`; the ETag of a stored version."""

import pytest

from pagerless.domain.errors import ValidationError
from pagerless.domain.preconditions import IfMatch, etag, parse_conditions, parse_if_match, precondition_failed


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


@pytest.mark.parametrize(
    ("if_match", "if_none_match", "expected"),
    [
        (None, None, None),  # neither: unconditional
        ('"v3"', None, IfMatch(versions=frozenset({3}))),
        (None, "*", IfMatch(absent=True)),  # a first save: only if none is stored
        (None, " * ", IfMatch(absent=True)),
        ('"v3"', "*", IfMatch()),  # both never hold: stored and absent at once
        ("*", "*", IfMatch()),
    ],
)
def test_if_none_match_star_is_the_condition_of_a_first_save(if_match, if_none_match, expected):
    assert parse_conditions(if_match, if_none_match) == expected


@pytest.mark.parametrize("header", ['"v3"', 'W/"v3"', "", "v3, *"])
def test_if_none_match_on_a_put_takes_only_a_star(header):
    with pytest.raises(ValidationError) as refused:
        parse_conditions(None, header)
    assert refused.value.details == [{"field": "If-None-Match", "value": header}]


def test_a_first_save_refused_because_one_is_stored_says_so_and_names_the_stored_etag():
    refused = precondition_failed("the remediation policy", 4, if_match=IfMatch(absent=True))
    assert "exists already" in refused.message and "If-None-Match" in refused.message
    assert refused.details == [{"reason": "precondition_failed", "header": "If-None-Match", "etag": '"v4"'}]


# What each caller of `precondition_failed` names: plural and singular, with an article or without
WHAT = (
    "the notification routes",
    "the quiet hours of alice",
    "schedule sch-1",
    "escalation policy ep-1",
    "the remediation policy",
    "the environment context",
    "the report settings",
    "SLO checkout-availability",
)


@pytest.mark.parametrize("what", WHAT)
@pytest.mark.parametrize(
    "refusal",
    [
        {"current": 4},  # a stale If-Match
        {"current": None, "exists": False},  # If-Match with nothing stored
        {"current": 4, "if_match": IfMatch(absent=True)},  # If-None-Match: * over a stored one
    ],
    ids=["stale", "none_stored", "first_save_over_stored"],
)
def test_a_412_never_makes_what_it_names_the_subject_of_a_verb_that_agrees_with_it(what, refusal):
    message = precondition_failed(what, **refusal).message
    # what is named only after "version of" or as what to GET: never "the report settings was changed"
    assert f"version of {what} " in message
    rest = message.replace(f"version of {what} ", "").replace(f"GET {what} ", "")
    assert what not in rest, message
    assert "nothing was saved" in message
