"""Our own tokens are checked without PyJWT (`pagerless.auth.hs256`), and held here to PyJWT's answers:
tokens PyJWT signs, and every way of tampering with one, are accepted, refused or found expired as
PyJWT's ``jwt.decode`` (HS256, our issuer, our required claims) decides; where PyJWT is lenient
(characters outside base64url, extension headers) ours refuses."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from pagerless.auth import hs256
from tests.conftest import fresh_python

pytestmark = pytest.mark.unit

SECRET = "s3cret-of-at-least-32-bytes-for-hs256-0123456789"
ISSUER = "pagerless"
REQUIRE = ("exp", "iat", "sub", "typ")
NOW = int(time.time())
CLAIMS = {
    "iss": ISSUER,
    "typ": "access",
    "sub": "u-1",
    "ws": "default",
    "sv": 0,
    "fam": "f",
    "iat": NOW - 5,
    "exp": NOW + 900,
    "jti": "j",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(claims, header=None, secret=SECRET, digest=hashlib.sha256) -> str:
    """A token signed by hand, so that headers and claims PyJWT would not write can be made."""
    head = _b64(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(claims if isinstance(claims, bytes) else json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), digest).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _pyjwt(token: str) -> str:
    try:
        jwt.decode(token, SECRET, algorithms=["HS256"], issuer=ISSUER, options={"require": list(REQUIRE)})
    except jwt.ExpiredSignatureError:
        return "expired"
    except jwt.InvalidTokenError:
        return "invalid"
    return "valid"


def _ours(token: str) -> str:
    try:
        hs256.verified_claims(token, SECRET, issuer=ISSUER, require=REQUIRE)
    except hs256.ExpiredTokenError:
        return "expired"
    except hs256.InvalidTokenError:
        return "invalid"
    return "valid"


def _unused_bits_set(last: str) -> str:
    """The same last character with its two unused low bits set (43 characters carry 32 bytes: the
    last holds 4 bits of data): another spelling of the same signature, which PyJWT refuses."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return alphabet[alphabet.index(last) | 0b01]


GOOD = jwt.encode(CLAIMS, SECRET, algorithm="HS256")
HEAD, BODY, SIGNATURE = GOOD.split(".")

CASES = {
    "as PyJWT signs it": GOOD,
    "signed by hand": _signed(CLAIMS),
    "another secret": jwt.encode(CLAIMS, SECRET + "x", algorithm="HS256"),
    "HS512": jwt.encode(CLAIMS, SECRET + "-long-enough-for-hs512-keys-0123456789abcdef", algorithm="HS512"),
    "alg none": _signed(CLAIMS, {"alg": "none"})[: -len(SIGNATURE)],
    "alg none, signed": _signed(CLAIMS, {"alg": "none"}),
    "alg RS256 with an HMAC": _signed(CLAIMS, {"alg": "RS256"}),
    "no alg": _signed(CLAIMS, {"typ": "JWT"}),
    "header a list": _signed(CLAIMS, ["HS256"]),
    "payload swapped": f"{HEAD}.{_b64(json.dumps({**CLAIMS, 'sub': 'admin'}).encode())}.{SIGNATURE}",
    "signature cut": f"{HEAD}.{BODY}.{SIGNATURE[:-2]}",
    "signature's last character with its unused bits set": f"{HEAD}.{BODY}.{SIGNATURE[:-1]}{_unused_bits_set(SIGNATURE[-1])}",
    "signature empty": f"{HEAD}.{BODY}.",
    "two segments": f"{HEAD}.{BODY}",
    "four segments": f"{GOOD}.{SIGNATURE}",
    "expired": jwt.encode({**CLAIMS, "exp": NOW - 60}, SECRET, algorithm="HS256"),
    "expired, exp a string of digits": _signed({**CLAIMS, "exp": str(NOW - 60)}),
    "exp a string of digits": _signed({**CLAIMS, "exp": str(NOW + 900)}),
    "exp a float": _signed({**CLAIMS, "exp": NOW + 900.5}),
    "exp a word": _signed({**CLAIMS, "exp": "soon"}),
    "exp null": _signed({**CLAIMS, "exp": None}),
    "exp missing": _signed({k: v for k, v in CLAIMS.items() if k != "exp"}),
    "iat missing": _signed({k: v for k, v in CLAIMS.items() if k != "iat"}),
    "sub missing": _signed({k: v for k, v in CLAIMS.items() if k != "sub"}),
    "typ missing": _signed({k: v for k, v in CLAIMS.items() if k != "typ"}),
    "iss missing": _signed({k: v for k, v in CLAIMS.items() if k != "iss"}),
    "another issuer": _signed({**CLAIMS, "iss": "someone-else"}),
    "issuer not a string": _signed({**CLAIMS, "iss": ["pagerless"]}),
    "issued in the future": _signed({**CLAIMS, "iat": NOW + 600}),
    "iat a word": _signed({**CLAIMS, "iat": "now"}),
    "not before the future": _signed({**CLAIMS, "nbf": NOW + 600}),
    "not before the past": _signed({**CLAIMS, "nbf": NOW - 600}),
    "an audience": _signed({**CLAIMS, "aud": "someone"}),
    "an empty audience": _signed({**CLAIMS, "aud": ""}),
    "sub a number": _signed({**CLAIMS, "sub": 7}),
    "jti a number": _signed({**CLAIMS, "jti": 7}),
    "payload a list": _signed(b"[1, 2]"),
    "payload not JSON": _signed(b"not json"),
    "payload not UTF-8": _signed(b"\xff\xfe"),
    "non-ASCII in a segment": f"{HEAD}.{BODY}é.{SIGNATURE}",
    "expired and another issuer": _signed({**CLAIMS, "exp": NOW - 60, "iss": "x"}),
    "expired and no sub": _signed({k: v for k, v in {**CLAIMS, "exp": NOW - 60}.items() if k != "sub"}),
}


@pytest.mark.parametrize("case", CASES)
def test_a_token_is_accepted_or_refused_as_pyjwt_decides(case):
    assert _ours(CASES[case]) == _pyjwt(CASES[case])


def test_the_claims_are_the_tokens():
    assert hs256.verified_claims(GOOD, SECRET, issuer=ISSUER, require=REQUIRE) == CLAIMS


@pytest.mark.parametrize("position", [i for i, c in enumerate(GOOD) if c != "."])
def test_a_token_with_any_character_changed_is_judged_as_pyjwt_judges_it(position):
    """Refused as PyJWT refuses it, the signature's last character too (when it is an ``A``, the ``B`` put
    in its place changes only bits past the data, which PyJWT refuses as another spelling: this test
    failed once in 16 runs before ours did too)."""
    token = GOOD[:position] + ("A" if GOOD[position] != "A" else "B") + GOOD[position + 1 :]
    assert _ours(token) == _pyjwt(token) == "invalid"


@pytest.mark.parametrize(
    "case, token",
    [
        ("a character outside base64url", f"{HEAD}.{BODY[:4]}*{BODY[4:]}.{SIGNATURE}"),
        ("standard base64's +", f"{HEAD}.{BODY}.{SIGNATURE[:-1]}+"),
        ("a crit header", _signed(CLAIMS, {"alg": "HS256", "crit": ["exp"]})),
        ("an unencoded payload (b64: false)", _signed(CLAIMS, {"alg": "HS256", "b64": False})),
    ],
)
def test_stricter_than_pyjwt_where_it_is_lenient(case, token):
    assert _ours(token) == "invalid"


def test_expiry_is_exclusive_of_its_second():
    """As PyJWT: a token whose exp is now has expired."""
    token = _signed({**CLAIMS, "exp": NOW})
    with pytest.raises(hs256.ExpiredTokenError):
        hs256.verified_claims(token, SECRET, issuer=ISSUER, require=REQUIRE, now=NOW)
    assert hs256.verified_claims(token, SECRET, issuer=ISSUER, require=REQUIRE, now=NOW - 1)["exp"] == NOW


def test_unverified_claims_read_the_payload_only():
    assert hs256.unverified_claims(CASES["another secret"]) == CLAIMS
    for case in ("two segments", "four segments", "payload a list", "payload not JSON", "non-ASCII in a segment"):
        assert hs256.unverified_claims(CASES[case]) is None, case


def test_checking_a_session_does_not_import_pyjwt_or_cryptography():
    """A function's first request from a signed-in user (the console's pages) checks the token without
    PyJWT, which imports cryptography: 20-25 ms of a cold start (bench/cold_start.py prints it)."""
    code = (
        "import os, sys\n"
        f"os.environ['PAGERLESS_JWT_SECRET'] = {SECRET!r}\n"
        "from pagerless.auth import tokens\n"
        f"assert tokens.looks_like_ours({GOOD!r})\n"
        f"assert tokens.decode({GOOD!r}, 'access')['sub'] == 'u-1'\n"
        "print(sorted(m for m in ('jwt', 'cryptography') if m in sys.modules))\n"
    )
    assert fresh_python("-c", code).strip() == "[]"
