"""JSON for an SQS message body.

SQS keeps only #x9, #xA, #xD and #x20 to #x10FFFF without the surrogates, U+FFFE and U+FFFF, and refuses a message
with any other character (``InvalidMessageContents``). ``json.dumps`` without ``ensure_ascii`` escapes the control
characters but writes U+FFFE, U+FFFF and a lone surrogate as they are, and an alert's text or a comment may hold
them; those are written as JSON escapes here, which read back as the same string. Every other character stays as
it is, so a Chinese alert takes three bytes a character, not the six of ``\\uXXXX`` (the queue's 256 KiB go to
the alert, not its escapes).
"""

import json
import re

_REFUSED = re.compile("[\ud800-\udfff\ufffe\uffff]")


def message_json(value, **options) -> str:
    """``value`` as compact JSON that SQS keeps (``options``: more of ``json.dumps``'s, such as ``default``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), **options)
    if _REFUSED.search(text) is None:  # the usual case, told in C
        return text
    return _REFUSED.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
