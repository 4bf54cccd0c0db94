"""The one door: every credential Pagerless accepts becomes a Principal here.

API keys (``pl_...``), agent tokens (``pla_...`` or ``X-Agent-Token``), our own access JWTs, and
tokens from the configured OIDC issuer. Credentials are never logged. Our own JWTs are checked
without PyJWT (`hs256`); PyJWT (with cryptography, 20-25 ms of a cold start) is imported only for
another issuer's token, and argon2 only when a password is involved.
"""

from functools import cache

from pagerless.auth.keys import KEY_PREFIX, ApiKeyService, Principal
from pagerless.domain.errors import UnauthorizedError

AGENT_PREFIX = "pla_"


@cache
def user_service():
    from pagerless.auth.users import UserService

    return UserService()


@cache
def agent_token_service():
    from pagerless.auth.agent_tokens import AgentTokenService

    return AgentTokenService()


def authenticate(credential: str, keys: ApiKeyService, *, sign_in: bool = False) -> Principal:
    """The principal behind a presented credential; UnauthorizedError if it is not valid. ``sign_in``:
    an OIDC token may make or link its user (`oidc.user_for_claims`), on the routes that sign in."""
    if credential.startswith(AGENT_PREFIX):
        principal = agent_token_service().authenticate(credential)
        if principal is None:
            raise UnauthorizedError("the agent token is not valid or has been revoked")
        return principal
    if credential.count(".") == 2 and not credential.startswith(KEY_PREFIX):
        from pagerless.auth import tokens

        if tokens.looks_like_ours(credential):
            return user_service().principal_from_access_token(credential)
        from pagerless.auth import oidc  # PyJWT: only another issuer's token pays for its import

        if oidc.is_issuer_token(credential):
            return oidc.authenticate(credential, user_service(), enroll=sign_in)
        raise UnauthorizedError("the token is not valid")
    principal = keys.authenticate(credential)
    if principal is None:
        raise UnauthorizedError("the API key is not valid or has been revoked")
    return principal
