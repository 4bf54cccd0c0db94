"""What every normalized alert goes through before anything stores it, whatever its source.

- Control characters are stripped: single-line fields (title, service, namespace, pod, url,
  fingerprint, label and annotation names, label values) lose every C0/C1 control character,
  CR/LF/TAB becoming a space, so nothing can inject a header line or a terminal escape into a
  chat message; multi-line fields (description, annotation values) keep LF and TAB only.
- Text that is not valid Unicode (a lone UTF-16 surrogate such as ``\\ud800``) cannot be stored
  or sent anywhere: the payload is a 400 at once, never accepted and dead-lettered later.
- Titles are one line of at most MAX_TITLE_CHARS characters.
- What keys an alert's records (its fingerprint, service and namespace: DynamoDB keys and index keys, which hold
  2,048 bytes at most, 1,024 for a sort key) is at most MAX_KEY_PART_BYTES of UTF-8. A longer fingerprint is
  replaced by its hash (the same long fingerprint, sent again or resolved, gives the same one); a longer service
  or namespace keeps its start and ends in a short hash of the whole, so two that differ only past the cut stay
  two. The labels keep every value as sent.
- An alert larger than ``PAGERLESS_INTAKE_MAX_ALERT_BYTES`` once normalized (a DynamoDB item
  holds 400 KB, an SQS message 256 KiB) has its longest prose (description, annotation values)
  cut to fit, marked with TRUNCATED; an annotation that is a link (an http(s) URL of at most 2,048
  characters: `pagerless.notify.links.MAX_URL_CHARS`) is kept whole. One that still does not fit (huge labels or title: what
  identifies it) cannot be kept: 413 naming the limit. A payload with more than
  ``PAGERLESS_INTAKE_MAX_ALERTS_PER_PAYLOAD`` alerts is a 413 too.
"""

import hashlib
import json
import re

from pagerless import settings
from pagerless.domain.alerts import Alert, make_fingerprint
from pagerless.domain.errors import PayloadTooLargeError, ValidationError
from pagerless.notify.links import is_link

MAX_TITLE_CHARS = 1000
MAX_KEY_PART_BYTES = 512
TRUNCATED = " …[truncated by Pagerless: the alert was larger than PAGERLESS_INTAKE_MAX_ALERT_BYTES]"
_LINE_BREAKS = re.compile(r"[\t\n\r\v\f\u0085\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 except TAB/LF, DEL, C1
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SINGLE_LINE = ("fingerprint", "title", "service", "namespace", "pod", "url")


def one_line(value: str) -> str:
    """``value`` without control characters; line breaks and tabs become one space."""
    if value.isprintable():  # the usual case, checked in C: no control character, no line break
        return value.strip()
    return _CONTROL_ONE_LINE.sub("", _LINE_BREAKS.sub(" ", value)).strip()


def multi_line(value: str) -> str:
    """``value`` without control characters except LF and TAB (CRLF and CR become LF)."""
    if value.isprintable():
        return value
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def sanitize_alerts(alerts: list[Alert], source: str) -> list[Alert]:
    """The alerts, cleaned; ValidationError or PayloadTooLargeError if they cannot be kept."""
    config = settings.intake()
    if len(alerts) > config.max_alerts_per_payload:
        raise PayloadTooLargeError(
            f"the payload holds {len(alerts)} alerts; at most {config.max_alerts_per_payload} per request "
            "(PAGERLESS_INTAKE_MAX_ALERTS_PER_PAYLOAD): split it into several requests",
            details=[{"field": "alerts", "count": len(alerts), "limit": config.max_alerts_per_payload}],
        )
    return [_sanitize(alert, index, source, config.max_alert_bytes) for index, alert in enumerate(alerts)]


def _sanitize(alert: Alert, index: int, source: str, max_bytes: int) -> Alert:
    data = alert.model_dump()
    _refuse_invalid_unicode(data, f"alerts[{index}]")
    for field in _SINGLE_LINE:
        if isinstance(data.get(field), str):
            data[field] = one_line(data[field]) or (None if field != "title" else "")
    data["title"] = _shorten(data["title"] or "(untitled alert)")
    data["fingerprint"] = data["fingerprint"] or make_fingerprint(source, alert.fingerprint)
    if len(data["fingerprint"].encode()) > MAX_KEY_PART_BYTES:
        data["fingerprint"] = make_fingerprint(source, data["fingerprint"])
    for field in ("service", "namespace"):
        if data.get(field) and len(data[field].encode()) > MAX_KEY_PART_BYTES:
            data[field] = key_part(data[field])
    data["description"] = multi_line(data.get("description") or "")
    data["labels"] = {one_line(k): one_line(v) for k, v in (data.get("labels") or {}).items()}
    data["annotations"] = {one_line(k): multi_line(v) for k, v in (data.get("annotations") or {}).items()}
    cleaned = Alert.model_validate(data)
    size = _size(cleaned)
    if size > max_bytes:
        size = _trim_prose(data, max_bytes, size)
        cleaned = Alert.model_validate(data)
    if size > max_bytes:
        raise PayloadTooLargeError(
            f"alert {index} of this {source} payload is {size} bytes once normalized; one alert can be at most "
            f"{max_bytes} bytes (PAGERLESS_INTAKE_MAX_ALERT_BYTES)",
            details=[{"field": f"alerts[{index}]", "bytes": size, "limit": max_bytes}],
        )
    return cleaned


def key_part(value: str) -> str:
    """``value`` cut to MAX_KEY_PART_BYTES of UTF-8 (at a character's edge), ending in "…" and 12 hex digits of
    its SHA-256: short enough to key a record, and still one value per value."""
    digest = hashlib.sha256(value.encode()).hexdigest()[:12]
    head = value.encode()[: MAX_KEY_PART_BYTES - len(digest) - 3].decode("utf-8", "ignore")  # "…" is 3 bytes
    return f"{head}…{digest}"


def _size(alert: Alert) -> int:
    """Bytes of the normalized alert as JSON."""
    return len(json.dumps(alert.model_dump(mode="json"), ensure_ascii=False).encode("utf-8"))


def _trim_prose(data: dict, max_bytes: int, size: int) -> int:
    """Cut the longest prose (description, annotation values) until the alert fits ``max_bytes``;
    labels, which identify the alert, are never cut, nor are the annotations that are links (a ``runbook_url``, a
    dashboard: whole up to `MAX_URL_CHARS`, a cut one is no link). Returns the final size."""
    for _ in range(32):
        if size <= max_bytes:
            break
        prose = [("description", None, data["description"])] + [
            ("annotations", name, value) for name, value in data["annotations"].items() if not is_link(value)
        ]
        field, name, longest = max(prose, key=lambda item: len(item[2].encode("utf-8")))
        encoded = longest.encode("utf-8")
        if len(encoded) <= len(TRUNCATED.encode("utf-8")):
            break
        keep = max(0, len(encoded) - (size - max_bytes) - 2 * len(TRUNCATED))
        shorter = encoded[:keep].decode("utf-8", "ignore") + TRUNCATED
        if name is None:
            data[field] = shorter
        else:
            data[field] = {**data[field], name: shorter}
        size = _size(Alert.model_validate(data))
    return size


def _shorten(title: str) -> str:
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _refuse_invalid_unicode(data: dict, where: str) -> None:
    """ValidationError naming the first text that is not valid Unicode; one C-speed encode of the
    whole alert when all is well (the usual case), the field-by-field walk only when it is not."""
    try:
        json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError as exc:
        _name_invalid_unicode(data, where)
        raise ValidationError(f"{where} is not valid Unicode text", details=[{"field": where}]) from exc


def _name_invalid_unicode(value: object, where: str) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"{where} is not valid Unicode text (a lone surrogate at {exc.start})", details=[{"field": where}]
            ) from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _name_invalid_unicode(key, where)
            _name_invalid_unicode(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for item in value:
            _name_invalid_unicode(item, where)
