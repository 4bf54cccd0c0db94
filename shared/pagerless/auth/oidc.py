"""OIDC sign-in through any issuer's JWKS (an Amazon Cognito user pool on AWS, moto's locally).

A bearer token whose ``iss`` is the configured issuer is verified with the issuer's published
keys (RS256; PyJWT's ``PyJWKClient`` caches them), its audience or ``client_id`` is checked, and
the subject is mapped to a Pagerless user: through a stored (issuer, sub) link, else the verified
email of an existing user, else a new user with ``PAGERLESS_OIDC_DEFAULT_ROLE``. An email is verified
only when the token says ``email_verified: true``; a token without the claim is refused.

Only a sign-in writes (``enroll``): the console's single sign-on and ``GET /api/auth/me``, served by the
functions whose roles may write the users table (docs/iam.md). Elsewhere a token is mapped by its link or
its verified email without writing, and a person with no account yet is refused (401) and told to sign in.
"""

import uuid
from functools import cache

import jwt

from pagerless import settings
from pagerless.auth.keys import Principal
from pagerless.auth.users import UserService, principal_for
from pagerless.domain.errors import ServiceUnavailableError, UnauthorizedError
from pagerless.store.users import UserRecord

# The issuer's clock and ours differ a little: a token it just issued may carry an "iat" a few
# seconds in our future (PyJWT refuses that without leeway), or expire a moment early for us.
CLOCK_SKEW_SECONDS = 60
# How many times a first sign-in reads the email's user again and tries to create it when its creation lost a race
# and the winner is not there to read (a delete, or a write still under way); then the caller is told to retry.
CREATE_ATTEMPTS = 3


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def configured() -> bool:
    return bool(settings.auth().oidc_issuer)


def is_issuer_token(token: str) -> bool:
    """True if the token is a JWT from the configured issuer (checked without the signature)."""
    issuer = settings.auth().oidc_issuer
    if not issuer:
        return False
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss") == issuer
    except jwt.InvalidTokenError:
        return False


def verify(token: str) -> dict:
    """The verified claims of an issuer token; UnauthorizedError otherwise."""
    config = settings.auth()
    jwks_url = config.oidc_jwks_url or config.oidc_issuer.rstrip("/") + "/.well-known/jwks.json"
    try:
        key = _jwks_client(jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=config.oidc_issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"verify_aud": False, "require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.PyJWKClientError as exc:
        raise UnauthorizedError("the identity provider's keys could not be read") from exc
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError("the token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise UnauthorizedError("the token is not valid") from exc
    if config.oidc_client_id:
        audiences = claims.get("aud") or claims.get("client_id") or []
        audiences = [audiences] if isinstance(audiences, str) else list(audiences)
        if config.oidc_client_id not in audiences:
            raise UnauthorizedError("the token was issued for another client")
    return claims


NOT_SIGNED_IN = (
    "no Pagerless account is linked to this identity yet: sign in once first (GET /api/auth/me with this "
    "token, or the console's single sign-on), which makes it; then every API accepts the token"
)


def authenticate(token: str, users: UserService | None = None, *, enroll: bool = False) -> Principal:
    claims = verify(token)
    users = users or UserService()
    user = user_for_claims(claims, users, enroll=enroll)
    return principal_for(user, kind="oidc")


def user_for_claims(claims: dict, users: UserService, *, enroll: bool) -> UserRecord:
    """The user the verified ``claims`` name. ``enroll``: a sign-in, which links the identity to the
    user with its verified email, or makes a new user; without it nothing is written."""
    issuer, subject = claims["iss"], claims["sub"]
    repository = users.repository
    user_id = repository.oidc_link(issuer, subject)
    user = repository.get(user_id) if user_id else None
    if user is None:
        email = (claims.get("email") or "").strip().lower()
        # Only an email the issuer says it verified: without the claim, anyone able to set an email at the
        # issuer (some issuers do not verify it) would be handed the Pagerless account that has it.
        if not email or str(claims.get("email_verified")).lower() != "true":
            raise UnauthorizedError("the identity provider did not give a verified email for this account")
        if not enroll:
            user = repository.by_email(email)
            if user is None:
                raise UnauthorizedError(NOT_SIGNED_IN)
        else:
            user = _user_with_email(email, claims, users)
            repository.link_oidc(issuer, subject, user.user_id)
    if not user.is_active:
        raise UnauthorizedError("this account is disabled")
    return user


def _user_with_email(email: str, claims: dict, users: UserService) -> UserRecord:
    """The user with ``email``, created at this first sign-in when there is none. A creation that loses a race
    (``create`` False) reads the winner; when there is none to read (the other write deleted the user, or was
    cancelled, or has not landed yet), it tries again, a bounded number of times, then answers 503: the same
    sign-in a moment later succeeds, and nothing about the token is wrong."""
    repository = users.repository
    for _ in range(CREATE_ATTEMPTS):
        user = repository.by_email(email)
        if user is not None:
            return user
        user = users._new(
            "usr_" + uuid.uuid4().hex[:16],
            email=email,
            name=claims.get("name") or "",
            password=None,
            role=_default_role(),
            workspace=None,
        )
        if repository.create(user):
            return user
    user = repository.by_email(email)
    if user is not None:
        return user
    raise ServiceUnavailableError(
        "this account is being changed by another request at this moment; sign in again", retry_after=1
    )


def _default_role():
    from pagerless.auth.users import parse_role

    return parse_role(settings.auth().oidc_default_role)
