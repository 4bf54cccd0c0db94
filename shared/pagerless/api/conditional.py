"""HTTP conditional requests (RFC 9110) for documents a PUT replaces whole: the If-Match header a PUT may send,
the ETag a read and a write answer, and how both appear in the OpenAPI document.

A PUT without If-Match replaces whatever is stored (last writer wins), as before: clients that never read an
ETag keep working. One that sends the ETag it read is refused with 412 PRECONDITION_FAILED, and nothing changes,
if anyone wrote the document since (`pagerless.domain.preconditions`). One that sends ``If-None-Match: *`` is
written only if no document is stored (a first save), else 412.
"""

from typing import Annotated, TypeVar

from fastapi import Depends, Header, Response

from pagerless.domain.preconditions import IfMatch, etag, parse_conditions

IF_MATCH_DESCRIPTION = (
    "The ETag of the version this replaces, as a GET answered it (or `*`: any stored version). The PUT is "
    "applied only if that is still the stored version, else 412 PRECONDITION_FAILED and nothing changes: GET "
    "it again. Without If-Match the PUT replaces whatever is stored (the last writer wins)."
)
IF_NONE_MATCH_DESCRIPTION = (
    "`*` only: apply the PUT only if no document is stored (a first save; a PUT that only replaces answers 404 "
    "when there is none), else 412 PRECONDITION_FAILED and nothing changes."
)
_ETAG = {
    "ETag": {
        "description": "The stored version of the document (a strong validator): send it as If-Match to replace it",
        "schema": {"type": "string", "examples": ['"v3"']},
    }
}
READ = {200: {"headers": _ETAG}}  # a read of a document a PUT replaces
CREATED = {201: {"headers": _ETAG}}  # a POST that creates one (its first version)
CONDITIONAL_PUT = {200: {"headers": _ETAG}}  # its 412 is added with the other errors (pagerless.api.openapi)
PRECONDITION_FAILED = (
    "If-Match names a version that is no longer stored, or If-None-Match: * met a stored one: GET it again "
    "(PRECONDITION_FAILED)"
)


def _if_match(
    if_match: Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DESCRIPTION)] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", description=IF_NONE_MATCH_DESCRIPTION)] = None,
) -> IfMatch | None:
    return parse_conditions(if_match, if_none_match)


IfMatchDep = Annotated[IfMatch | None, Depends(_if_match)]
Body = TypeVar("Body")


def tagged(response: Response, body: Body, version: int | None) -> Body:
    """``body`` answered with the ETag of ``version`` (none for a document never stored)."""
    if version is not None:
        response.headers["ETag"] = etag(version)
    return body
