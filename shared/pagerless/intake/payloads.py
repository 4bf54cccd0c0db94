"""Reading a webhook body: UTF-8 (or its declared charset), JSON (at most MAX_DEPTH levels deep), a form, or plain text.

Untrusted input: anything unreadable is a ValidationError (400), before anything is stored.
"""

import json
from typing import Any
from urllib.parse import parse_qsl

from pagerless.domain.errors import ValidationError

MAX_DEPTH = 64
TEXT_SOURCES = frozenset({"text"})


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """The body as text: in the charset its Content-Type declares (a chat tool on a GBK system
    says ``charset=GBK``), else UTF-8; a UTF-8 byte order mark is dropped (RFC 8259 §8.1)."""
    charset = _charset(content_type)
    if charset in (None, "utf-8", "utf8"):
        charset = "utf-8-sig"
    try:
        return body.decode(charset)
    except LookupError as exc:  # not a charset (or not a text encoding, like base64)
        raise ValidationError(f"the body's charset {charset!r} is not one Pagerless knows") from exc
    except UnicodeDecodeError as exc:
        name = "UTF-8" if charset == "utf-8-sig" else charset
        raise ValidationError(f"the body is not {name} text") from exc


def _charset(content_type: str | None) -> str | None:
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            return value.strip().strip('"').lower()
    return None


def parse_payload(body: bytes, *, source: str, content_type: str | None) -> Any:
    """The payload a normalizer takes: text for text sources and text/plain prose, else JSON.

    A JSON document labelled text/plain is still JSON for a JSON source: Amazon SNS posts every
    HTTP(S) delivery, confirmations included, as "text/plain; charset=UTF-8"
    (https://docs.aws.amazon.com/sns/latest/dg/http-header.html).
    """
    text = decode_body(body, content_type)
    media = (content_type or "").split(";", 1)[0].strip().lower()
    json_like = text.lstrip().startswith(("{", "["))
    if source in TEXT_SOURCES or (media == "text/plain" and not json_like):
        if not text.strip():
            raise ValidationError("the alert text is empty")
        return text
    if media == "application/x-www-form-urlencoded" and not json_like:  # curl -d sends JSON labelled so
        return parse_form(text)
    return parse_json(text)


def parse_form(text: str) -> dict[str, str]:
    """A form body as the JSON object of its fields (a repeated field keeps its last value).

    Datadog's "Encode as form" sends the webhook template's fields this way
    (https://docs.datadoghq.com/integrations/webhooks/).
    """
    fields = dict(parse_qsl(text.strip(), keep_blank_values=True))
    if not fields:
        raise ValidationError("the form body has no fields")
    return fields


def parse_json(text: str) -> Any:
    """Decode JSON, refusing invalid documents and nesting deeper than MAX_DEPTH."""
    if not text.strip():
        raise ValidationError("the body is empty; expected a JSON document")
    if text.count("[") + text.count("{") > MAX_DEPTH and _bracket_depth(text) > MAX_DEPTH:
        raise ValidationError(f"the JSON document is nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "too deeply nested"
        raise ValidationError(f"the body is not valid JSON: {message}") from exc


def _bracket_depth(text: str) -> int:
    """Maximum nesting of [ and { outside strings; cheap enough to run before json.loads."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
