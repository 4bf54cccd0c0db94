"""Reading our own JWTs (HS256) without importing PyJWT.

Pagerless signs its access and refresh tokens with PyJWT (`tokens.issue_pair`). Checking one is an
HMAC-SHA256 of its first two segments and a few claims, but importing PyJWT imports cryptography
for the asymmetric algorithms it supports (x509, EC, RSA): 20-25 ms of a cold start whose first
request carries a session cookie or a user's bearer token (the console's pages, every function
called by a signed-in user), about a tenth of a FastAPI hello world's whole cold start
(docs/performance.md, section 4). So the tokens are checked here, with the standard library, as
PyJWT checks them (`jwt.decode(token, secret, algorithms=["HS256"], issuer=..., options={"require":
[...]})`, leeway 0), and stricter where PyJWT is lenient: the segments must be strict base64url (PyJWT
drops characters outside the alphabet), and a header with ``crit`` or ``b64`` is refused. As PyJWT, a
segment whose last character sets bits past the data (another spelling of the same bytes) is refused.
``tests/unit/test_hs256.py`` holds it to PyJWT's answers on tokens PyJWT signs and on tampered ones.
Tokens of other issuers (OIDC, RS256) are PyJWT's (`oidc`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time

ALGORITHM = "HS256"


class InvalidTokenError(ValueError):
    """Not a token we accept: malformed, another algorithm, a bad signature, a missing or wrong claim."""


class ExpiredTokenError(InvalidTokenError):
    """A valid token whose ``exp`` has passed."""


def unverified_claims(token: str) -> dict | None:
    """The claims a token's payload states, its signature unchecked (to tell whose token it is, or
    which user to read before the secret is known); None if it is not a JWT with a JSON object payload."""
    segments = token.split(".")
    if len(segments) != 3:
        return None
    try:
        return _json_object(segments[1])
    except InvalidTokenError:
        return None


def verified_claims(
    token: str, secret: str, *, issuer: str, require: tuple[str, ...], now: float | None = None
) -> dict:
    """The claims of ``token`` if it is HS256-signed with ``secret``, issued by ``issuer``, has every
    claim of ``require`` (not null), was issued by now and has not expired; else InvalidTokenError
    (ExpiredTokenError when only its time is up)."""
    segments = token.split(".")
    if len(segments) != 3 or not token.isascii():
        raise InvalidTokenError("not three segments of base64url")
    header = _json_object(segments[0])
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError(f"the algorithm is not {ALGORITHM}")
    if "crit" in header or "b64" in header:
        raise InvalidTokenError("an extension header")
    signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
    expected = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _decode(segments[2])):
        raise InvalidTokenError("the signature does not match")
    claims = _json_object(segments[1])
    for name in require:
        if claims.get(name) is None:
            raise InvalidTokenError(f"the claim {name} is missing")
    now = time.time() if now is None else now
    if "iat" in claims and _integer(claims["iat"], "iat") > now:
        raise InvalidTokenError("issued in the future")
    if "nbf" in claims and _integer(claims["nbf"], "nbf") > now:
        raise InvalidTokenError("not valid yet")
    if "exp" in claims and _integer(claims["exp"], "exp") <= now:
        raise ExpiredTokenError("the token has expired")
    if claims.get("iss") != issuer:
        raise InvalidTokenError("another issuer")
    if claims.get("aud"):  # a token meant for an audience is not one of ours
        raise InvalidTokenError("an audience")
    for name in ("sub", "jti"):
        if name in claims and not isinstance(claims[name], str):
            raise InvalidTokenError(f"the claim {name} is not a string")
    return claims


def _decode(segment: str) -> bytes:
    try:
        data = segment.encode("ascii")
        decoded = base64.b64decode(data + b"=" * (-len(data) % 4), altchars=b"-_", validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise InvalidTokenError("not base64url") from exc
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != data:  # a last character's unused bits set, as PyJWT
        raise InvalidTokenError("not canonical base64url")
    return decoded


def _json_object(segment: str) -> dict:
    data = _decode(segment)
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise InvalidTokenError("not JSON") from exc
    if not isinstance(value, dict):
        raise InvalidTokenError("not a JSON object")
    return value


def _integer(value, name: str) -> int:
    """A time claim as PyJWT reads it (``int(value)``: a number, or a string of digits)."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidTokenError(f"the claim {name} is not an integer") from exc
