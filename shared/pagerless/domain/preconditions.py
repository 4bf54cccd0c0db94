"""Conditional replaces of a whole document (RFC 9110 §8.8.3 ETag, §13.1.1 If-Match), in the domain's terms.

A document replaced whole by a PUT (an on-call schedule, an escalation policy, quiet hours, the notification
routes, the remediation policy, report settings, the environment context, an SLO's definition) carries
``version``, raised by every write. Its entity tag is that version, quoted (``"v3"``); one
stored before versions has none and is ``"v0"``. A PUT that sends ``If-Match`` is written only if the stored
version is one of the tags it lists (``*``: any, so only if the document exists); the write itself carries
that condition, so a change stored between the request's read and its write is never overwritten.
``If-None-Match: *`` (§13.1.2) is the condition of a first save: written only if no document is stored, so two
people saving a document that did not exist yet (a page that showed the defaults) cannot both win.
"""

import re
from dataclasses import dataclass

from pagerless.domain.errors import PreconditionFailedError, ValidationError

FIRST_VERSION = 1  # the version a document's first write stores (a POST that creates it answers its ETag)
_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')
_VERSION = re.compile(r"v(0|[1-9][0-9]{0,17})")


@dataclass(frozen=True)
class IfMatch:
    """What a conditional write expects of the stored document: one of ``versions``; with ``any`` that it
    exists; with ``absent`` (If-None-Match: *) that none is stored. No version at all (only weak, foreign or
    malformed tags) matches nothing."""

    versions: frozenset[int] = frozenset()
    any: bool = False
    absent: bool = False


def etag(version: int | None) -> str:
    """The strong entity tag of a stored version (``None``: a document stored before versions)."""
    return f'"v{int(version or 0)}"'


def parse_if_match(header: str | None) -> IfMatch | None:
    """The If-Match header as an `IfMatch`; None without the header (the write is unconditional). If-Match
    compares strongly: a weak tag (``W/"v3"``) never matches, nor does a tag this server did not make."""
    if header is None:
        return None
    if header.strip() == "*":
        return IfMatch(any=True)
    versions, position = set(), 0
    while position < len(header):
        tag = _TAG.match(header, position)
        if tag is None or tag.end() == position:
            return IfMatch()  # malformed: matches nothing
        weak, value = tag.group(1), tag.group(2)
        if not weak and (version := _VERSION.fullmatch(value)):
            versions.add(int(version.group(1)))
        position = tag.end()
    return IfMatch(versions=frozenset(versions))


def parse_conditions(if_match: str | None, if_none_match: str | None) -> IfMatch | None:
    """A PUT's precondition from its If-Match and If-None-Match headers; None without either (unconditional).
    If-None-Match takes only ``*`` on a PUT (a ValidationError otherwise). Both at once never hold: If-Match needs
    a stored document and ``If-None-Match: *`` none (RFC 9110 §13.2.2 evaluates both), so nothing matches."""
    condition = parse_if_match(if_match)
    if if_none_match is None:
        return condition
    if if_none_match.strip() != "*":
        raise ValidationError(
            "If-None-Match on a PUT takes only * (create the document only if none is stored); to replace a "
            "version you read, send its ETag as If-Match",
            details=[{"field": "If-None-Match", "value": if_none_match[:100]}],
        )
    return IfMatch() if condition is not None else IfMatch(absent=True)


def precondition_failed(
    what: str, current: int | None, *, exists: bool = True, if_match: IfMatch | None = None
) -> PreconditionFailedError:
    """The 412 of a conditional write whose If-Match (or ``If-None-Match: *``, in ``if_match``) did not hold for
    the stored ``what`` ("the notification routes", "schedule sch-1"). The sentence's subject is a version of
    ``what``, never ``what`` itself, so it reads for a plural name as for a singular one."""
    if if_match is not None and if_match.absent and exists:
        return PreconditionFailedError(
            f"a version of {what} exists already, and If-None-Match: * only saves the first one: nothing was saved; "
            f"GET {what} to see what is stored, and PUT your change with the ETag that GET answers as If-Match",
            details=[{"reason": "precondition_failed", "header": "If-None-Match", "etag": etag(current)}],
        )
    if not exists:
        return PreconditionFailedError(
            f"no version of {what} is stored, and If-Match only replaces a stored one: nothing was saved; "
            f"GET {what} to see what is there now, or PUT without If-Match to save the first version",
            details=[{"reason": "precondition_failed", "header": "If-Match", "etag": None}],
        )
    return PreconditionFailedError(
        f"the stored version of {what} is not the one in If-Match (it changed since you read it): nothing was "
        f"saved; GET {what} again, apply your change to what is stored now, and PUT it with the ETag that GET answers",
        details=[{"reason": "precondition_failed", "header": "If-Match", "etag": etag(current)}],
    )
