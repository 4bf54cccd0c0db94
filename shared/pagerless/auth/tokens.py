"""Access and refresh JWTs (HS256: signed with PyJWT, checked by `hs256`).

An access token lives 15 minutes and carries the user's id, session version and refresh token
family (its session, so a logout with the access token alone ends it); so does a refresh
token, so a password reset or a disable (which bump the version) also ends the refresh tokens
already handed out. A refresh token belongs to a family; each use rotates the family to a new token id, and presenting a token that
is no longer the family's current one (a stolen copy, replayed) revokes the whole family; only
the token rotated in the last few seconds is forgiven (concurrent requests of one browser).
"""

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pagerless import settings
from pagerless.auth import hs256
from pagerless.domain.errors import UnauthorizedError
from pagerless.store.system import SystemRecord, SystemRepository
from pagerless.store.users import UserRecord, UserRepository

ISSUER = "pagerless"
ACCESS = "access"
REFRESH = "refresh"
# A browser may send two requests with the same expired session at once (a page and its live
# stream); the one rotated a moment ago is accepted for this long, and only by its own family.
CONCURRENT_REFRESH_SECONDS = 10


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


SECRET_KEY = ("auth", "jwt_secret")  # the generated secret's item in the system table
_stored: dict[str, str] = {}  # that secret, once read: a process reads it once


def signing_secret() -> str:
    """PAGERLESS_JWT_SECRET, or one random secret generated on first use and shared by every
    function through the system table (the conditional write lets exactly one instance create it)."""
    configured = settings.auth().jwt_secret
    if configured:
        return configured
    if "secret" not in _stored:
        repository = SystemRepository()
        existing = repository.get(*SECRET_KEY)
        if existing is None:
            repository.put_if_absent(*SECRET_KEY, {"secret": secrets.token_urlsafe(48)})
            existing = repository.get(*SECRET_KEY)
        _stored["secret"] = existing.data["secret"]
    return _stored["secret"]


def forget_secret() -> None:
    """Read the stored secret again on next use (a test's fresh system table)."""
    _stored.clear()


def user_read_with_secret(token: str, repository: UserRepository) -> UserRecord | None:
    """The first token a process checks, when the secret is the stored one and not read yet: the secret
    and the user the token names, read in one round trip (a BatchGetItem of the system and users tables)
    instead of one after the other. The secret is kept as `signing_secret` keeps it; the user is what the
    token claims before its signature is checked, so the caller uses the record only after `decode` has
    verified the token, and only if the verified claims name the same user. None (and nothing read) when
    the secret is configured or known, the token names no user, or the secret is not stored yet."""
    if "secret" in _stored or settings.auth().jwt_secret:
        return None
    user_id = (hs256.unverified_claims(token) or {}).get("sub")
    if not isinstance(user_id, str) or not user_id:
        return None
    stored, user = repository.get_with(user_id, SystemRecord, *SECRET_KEY)
    if stored is not None:
        _stored.setdefault("secret", stored.data["secret"])
    return user


def issue_pair(user: UserRecord, repository: UserRepository, *, family_id: str | None = None) -> TokenPair:
    """A fresh access token and a refresh token in a new family (or ``family_id``, already rotated)."""
    import jwt  # PyJWT pulls in cryptography (~0.1-0.3 s): only calls that handle a JWT pay for it

    config = settings.auth()
    now = int(time.time())
    jti = uuid.uuid4().hex
    if family_id is None:
        family_id = uuid.uuid4().hex
        repository.start_family(
            family_id, user.user_id, jti, datetime.fromtimestamp(now + config.refresh_token_seconds, tz=UTC)
        )
    access = jwt.encode(
        {
            "iss": ISSUER,
            "typ": ACCESS,
            "sub": user.user_id,
            "ws": user.workspace,
            "sv": int(user.session_version),
            "fam": family_id,  # the session: logging out with the access token ends it
            "iat": now,
            "exp": now + config.access_token_seconds,
            "jti": uuid.uuid4().hex,
        },
        signing_secret(),
        algorithm="HS256",
    )
    return TokenPair(access, _refresh_token(user, family_id, jti, now))


def _refresh_token(user: UserRecord, family_id: str, jti: str, now: int) -> str:
    import jwt

    return jwt.encode(
        {
            "iss": ISSUER,
            "typ": REFRESH,
            "sub": user.user_id,
            "fam": family_id,
            "jti": jti,
            "sv": int(user.session_version),
            "iat": now,
            "exp": now + settings.auth().refresh_token_seconds,
        },
        signing_secret(),
        algorithm="HS256",
    )


def decode(token: str, expected_type: str) -> dict:
    """The verified claims of one of our tokens; UnauthorizedError otherwise. Checked without PyJWT,
    whose import costs a cold start 20-25 ms (`hs256`); the tokens are PyJWT's."""
    try:
        claims = hs256.verified_claims(token, signing_secret(), issuer=ISSUER, require=("exp", "iat", "sub", "typ"))
    except hs256.ExpiredTokenError as exc:
        raise UnauthorizedError("the token has expired") from exc
    except hs256.InvalidTokenError as exc:
        raise UnauthorizedError("the token is not valid") from exc
    if claims.get("typ") != expected_type:
        raise UnauthorizedError("the token is not valid")
    return claims


def looks_like_ours(token: str) -> bool:
    """True if the token is a JWT that names us as its issuer (no signature check here)."""
    return (hs256.unverified_claims(token) or {}).get("iss") == ISSUER


def rotate(refresh_token: str, repository: UserRepository, load_user) -> TokenPair:
    """Exchange a refresh token for a new pair; reuse of a rotated token revokes its family."""
    claims = decode(refresh_token, REFRESH)
    family_id, jti = claims.get("fam", ""), claims.get("jti", "")
    family = repository.family(family_id)
    if family is None or family.revoked:
        raise UnauthorizedError("the refresh token has been revoked")
    user = load_user(claims["sub"])
    # Tokens from before refresh tokens carried "sv" count as version 0: still valid unless reset since.
    if int(claims.get("sv", 0)) != int(user.session_version):
        repository.revoke_family(family_id)  # a password reset or a disable ended this session
        raise UnauthorizedError("this session has ended; sign in again")
    new_jti = uuid.uuid4().hex
    now = int(time.time())
    if not repository.rotate_family(family_id, jti, new_jti, now):
        family = repository.family(family_id)
        if (
            family is not None
            and not family.revoked
            and family.previous_jti == jti
            and now - int(family.rotated_at) <= CONCURRENT_REFRESH_SECONDS
        ):
            new_jti = family.current_jti  # two requests of one browser refreshed at once: same family, no revoke
        else:
            repository.revoke_family(family_id)  # reuse: someone holds an old token of this family
            raise UnauthorizedError("the refresh token was already used; every session of it is revoked")
    access = issue_pair(user, repository, family_id=family_id).access_token
    return TokenPair(access, _refresh_token(user, family_id, new_jti, now))


def revoke(refresh_token: str, repository: UserRepository) -> None:
    """Log out: the refresh token's family stops working (an invalid token is ignored)."""
    try:
        claims = decode(refresh_token, REFRESH)
    except UnauthorizedError:
        return
    repository.revoke_family(claims.get("fam", ""))


def revoke_session_of(access_token: str, repository: UserRepository) -> None:
    """Log out with an access token: the refresh token family it was issued with stops working."""
    family_id = decode(access_token, ACCESS).get("fam")
    if not family_id:  # issued before access tokens named their session
        raise UnauthorizedError("this access token does not name its session; log out with the refresh token")
    repository.revoke_family(family_id)
