"""Vendor webhook signatures, as pure functions.

Convention: every ``verify_*`` function returns True or False and never raises for bad input
(a missing, malformed or wrong signature is simply False), so the endpoint maps False to 401
in one place. The one exception is the injected SNS certificate fetcher: if it fails (network
down), its error propagates, because "could not check" is a 503, not a forged message.
Digests are always compared with `hmac.compare_digest`.
"""

import base64
import hashlib
import hmac
import re
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

CertificateFetcher = Callable[[str], bytes]

# Grafana sends Unix seconds in the timestamp header; older requests are replays.
GRAFANA_MAX_AGE_SECONDS = 300
# A Grafana contact point names its HMAC headers. The signature's defaults to this one; the
# timestamp's has no default (set, it is signed with the body): Grafana's own examples and tests
# name it X-Grafana-Alerting-Timestamp, and Pagerless documented X-Grafana-Alerting-Signature-Timestamp
# first, so both are read (lower case, as the request's headers are).
GRAFANA_SIGNATURE_HEADER = "x-grafana-alerting-signature"
GRAFANA_TIMESTAMP_HEADERS = ("x-grafana-alerting-timestamp", "x-grafana-alerting-signature-timestamp")

_SNS_CERT_HOST = re.compile(r"^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?$")

# The fields SNS signs, in order, per message type.
_SNS_SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


def _same(expected: str, presented: str) -> bool:
    """Constant-time equality, as UTF-8 bytes: a header may carry a non-ASCII (Latin-1) character,
    and ``hmac.compare_digest`` raises on a str that is not ASCII."""
    return hmac.compare_digest(expected.encode(), presented.encode())


def verify_pagerduty_signature(body: bytes, header: str | None, secrets: str | Iterable[str]) -> bool:
    """PagerDuty Webhooks V3 ``X-PagerDuty-Signature``.

    The header is a comma-separated list of ``v1=<hex HMAC-SHA256(secret, raw body)>``;
    several appear while a secret is rotated, and one match is enough. ``secrets`` may list
    the current and the previous secret for the same reason.
    """
    if not header:
        return False
    candidates = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    for secret in [secrets] if isinstance(secrets, str) else list(secrets):
        if not secret:
            continue
        expected = _hmac_sha256_hex(secret, body)
        if any(_same(expected, candidate.lower()) for candidate in candidates):
            return True
    return False


def verify_grafana_signature(
    body: bytes,
    signature: str | None,
    secret: str,
    *,
    timestamp: str | None = None,
    now: float | None = None,
    max_age_seconds: int = GRAFANA_MAX_AGE_SECONDS,
) -> bool:
    """Grafana alerting webhook HMAC (``X-Grafana-Alerting-Signature``, Grafana ≥ 11.6).

    The signature is the hex HMAC-SHA256 of the raw body, or of ``"<timestamp>:<body>"`` when
    the contact point has a timestamp header configured (pass its value as ``timestamp``);
    then a timestamp older or newer than ``max_age_seconds`` is refused as a replay.
    """
    if not signature or not secret:
        return False
    signed = body
    if timestamp is not None:
        try:
            sent_at = int(timestamp.strip())
        except ValueError:
            return False
        if abs((time.time() if now is None else now) - sent_at) > max_age_seconds:
            return False
        signed = timestamp.strip().encode() + b":" + (body.encode("utf-8") if isinstance(body, str) else body)
    return _same(_hmac_sha256_hex(secret, signed), signature.strip().lower())


def verify_sentry_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """Sentry integration-platform ``Sentry-Hook-Signature``: hex HMAC-SHA256 of the raw body
    with the integration's client secret."""
    if not signature or not secret:
        return False
    return _same(_hmac_sha256_hex(secret, body), signature.strip().lower())


def is_valid_sns_certificate_url(url: Any) -> bool:
    """Whether ``url`` is an SNS signing certificate URL: https, host ``sns.<region>.amazonaws.com``
    (or ``.com.cn``), no port, no credentials, a ``.pem`` path. Checked before anything is fetched."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return (
        parts.scheme == "https"
        and parts.netloc == parts.hostname  # rejects ports and user:password@
        and bool(_SNS_CERT_HOST.match(parts.hostname or ""))
        and parts.path.endswith(".pem")
        and not parts.query
        and not parts.fragment
    )


def sns_string_to_sign(message: Mapping[str, Any]) -> bytes | None:
    """The canonical "Key\\nValue\\n" string SNS signs for this message type, or None if the
    type is unknown or a signed field is missing. An absent `Subject` is left out, as SNS does."""
    message_type = message.get("Type")
    fields = _SNS_SIGNED_FIELDS.get(message_type) if isinstance(message_type, str) else None
    if fields is None:
        return None
    lines = []
    for field in fields:
        value = message.get(field)
        if value is None and field == "Subject":
            continue
        if not isinstance(value, str):
            return None
        lines.append(f"{field}\n{value}\n")
    return "".join(lines).encode("utf-8")


def verify_sns_message(
    message: Mapping[str, Any],
    *,
    fetch_certificate: CertificateFetcher | None = None,
    now: datetime | None = None,
) -> bool:
    """Verify an SNS message signature (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA).

    ``message`` is the decoded JSON body of an SNS HTTP(S) delivery (or the `Sns` object of a
    Lambda record; its `SigningCertUrl` casing is accepted). The certificate URL is checked
    with `is_valid_sns_certificate_url` BEFORE ``fetch_certificate(url) -> PEM bytes`` is
    called; the default fetcher downloads over HTTPS and caches. The certificate must be
    within its validity period at ``now``.
    """
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    if not isinstance(message, Mapping):
        return False
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(message.get("SignatureVersion")))
    cert_url = message.get("SigningCertURL", message.get("SigningCertUrl"))
    string_to_sign = sns_string_to_sign(message)
    if algorithm is None or string_to_sign is None or not is_valid_sns_certificate_url(cert_url):
        return False
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except ValueError:
        return False
    pem = (fetch_certificate or fetch_certificate_https)(cert_url)
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return False
    moment = now or datetime.now(UTC)
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        return False
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        public_key.verify(signature, string_to_sign, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


@lru_cache(maxsize=32)
def fetch_certificate_https(url: str) -> bytes:
    """Download an SNS signing certificate (PEM). Refuses any URL that is not an SNS one."""
    if not is_valid_sns_certificate_url(url):
        raise ValueError("not an SNS certificate URL")
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - https, host checked
        return response.read(64 * 1024)


def _hmac_sha256_hex(secret: str, message: bytes | str) -> str:
    data = message.encode("utf-8") if isinstance(message, str) else bytes(message)
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
