"""Conditional whole-document PUTs (RFC 9110 ETag / If-Match), checked the same way for every resource.

A `Resource` is one stored document an area replaces with a PUT: where it is, and bodies that tell
one edit from another (``edit(n)``, read back by ``label``). Each area's test builds its resources and
calls these checks against the real apps on the embedded AWS.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from tests.conftest import auth

STRONG_ETAG = re.compile(r'^"[\x21\x23-\x7e]+"$')  # RFC 9110 entity-tag, not weak (no W/)


@dataclass
class Resource:
    path: str
    edit: Callable[[int], dict]  # the body of the n-th edit
    label: Callable[[dict], object]  # what tells the edits apart in a GET (or PUT) answer


def etag_of(api, key: str, resource: Resource) -> str:
    response = api.get(resource.path, headers=auth(key))
    assert response.status_code == 200, response.text
    etag = response.headers.get("etag")
    assert etag and STRONG_ETAG.match(etag), f"no strong ETag on GET {resource.path}: {etag!r}"
    return etag


def put(api, key: str, resource: Resource, n: int, if_match: str | None = None, if_none_match: str | None = None):
    headers = auth(key) | ({"If-Match": if_match} if if_match is not None else {})
    headers |= {"If-None-Match": if_none_match} if if_none_match is not None else {}
    return api.put(resource.path, json=resource.edit(n), headers=headers)


def stored_label(api, key: str, resource: Resource):
    return resource.label(api.get(resource.path, headers=auth(key)).json())


def assert_precondition_failed(response) -> None:
    assert response.status_code == 412, response.text
    error = response.json()["error"]
    assert error["code"] == "PRECONDITION_FAILED"
    assert "GET" in error["message"]  # tells the client to read it again


def check_current_if_match_succeeds(api, key: str, resource: Resource) -> None:
    # Given the ETag of what is stored
    etag = etag_of(api, key, resource)
    # When a PUT is conditional on it
    response = put(api, key, resource, 1, if_match=etag)
    # Then it is stored and answers the new ETag, the one a GET now gives
    assert response.status_code == 200, response.text
    new = response.headers.get("etag")
    assert new and STRONG_ETAG.match(new) and new != etag
    assert etag_of(api, key, resource) == new
    assert stored_label(api, key, resource) == resource.label({**resource.edit(1)})


def check_stale_if_match_is_refused(api, key: str, resource: Resource) -> None:
    # Given one SRE read the document, then a colleague replaced it (an old client: no If-Match)
    etag = etag_of(api, key, resource)
    assert put(api, key, resource, 2).status_code == 200
    # When the first SRE's PUT is conditional on what they read
    response = put(api, key, resource, 3, if_match=etag)
    # Then it is a 412 and the colleague's change stands
    assert_precondition_failed(response)
    assert stored_label(api, key, resource) == resource.label(resource.edit(2))
    # and once read again, the same change goes through
    assert put(api, key, resource, 3, if_match=etag_of(api, key, resource)).status_code == 200
    assert stored_label(api, key, resource) == resource.label(resource.edit(3))


def check_without_if_match_last_writer_wins(api, key: str, resource: Resource) -> None:
    assert put(api, key, resource, 1).status_code == 200
    response = put(api, key, resource, 2)
    assert response.status_code == 200, response.text
    assert STRONG_ETAG.match(response.headers.get("etag") or "")
    assert stored_label(api, key, resource) == resource.label(resource.edit(2))


def check_if_match_any(api, key: str, resource: Resource) -> None:
    # If-Match: * means "if it exists"
    response = put(api, key, resource, 4, if_match="*")
    assert response.status_code == 200, response.text
    assert stored_label(api, key, resource) == resource.label(resource.edit(4))


def check_unknown_or_weak_tags_never_match(api, key: str, resource: Resource) -> None:
    etag = etag_of(api, key, resource)
    for tag in (f"W/{etag}", '"nonsense"', "garbage"):  # If-Match compares strongly (RFC 9110 13.1.1)
        assert_precondition_failed(put(api, key, resource, 5, if_match=tag))
    # a list matches if one of its tags does
    assert put(api, key, resource, 5, if_match=f'"nonsense", {etag}').status_code == 200


def check_if_none_match_star_does_not_overwrite_a_stored_document(api, key: str, resource: Resource) -> None:
    # Given a stored document (its ETag)
    etag = etag_of(api, key, resource)
    # When a PUT is a first save (If-None-Match: *)
    response = put(api, key, resource, 6, if_none_match="*")
    # Then it is a 412 that says one exists and names its ETag, and nothing changed
    assert_precondition_failed(response)
    assert "exists already" in response.json()["error"]["message"]
    assert response.json()["error"]["details"][0]["etag"] == etag
    assert etag_of(api, key, resource) == etag
    # and If-None-Match takes only *: a tag list is refused as bad input
    refused = put(api, key, resource, 6, if_none_match=etag)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "VALIDATION_ERROR", refused.text
    assert etag_of(api, key, resource) == etag


def check_a_first_save(api, key: str, resource: Resource) -> None:
    """For a document a PUT creates, never stored yet: ``If-None-Match: *`` creates it; a second first save
    (a colleague who also saw the defaults) is refused, and the first stands."""
    created = put(api, key, resource, 1, if_none_match="*")
    assert created.status_code == 200, created.text
    assert created.headers.get("etag") == '"v1"'
    second = put(api, key, resource, 2, if_none_match="*")
    assert_precondition_failed(second)
    assert second.json()["error"]["details"][0]["etag"] == '"v1"'
    assert stored_label(api, key, resource) == resource.label(resource.edit(1))


# Every check a conditional PUT's resource passes (each resource's tests parametrize over these)
CHECKS = (
    check_current_if_match_succeeds,
    check_stale_if_match_is_refused,
    check_without_if_match_last_writer_wins,
    check_if_match_any,
    check_unknown_or_weak_tags_never_match,
    check_if_none_match_star_does_not_overwrite_a_stored_document,
)
