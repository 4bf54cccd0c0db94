"""Console single sign-on: the OIDC authorization-code flow against the configured issuer.

``/console/sso`` sends the browser to the issuer's authorize endpoint with a random ``state`` and
``nonce`` (kept in a short-lived HttpOnly cookie); ``/console/sso/callback`` checks the state,
exchanges the code at the token endpoint, verifies the id token with the issuer's JWKS and its
nonce, maps it to a user (pagerless.auth.oidc), starts an ordinary console session and returns the
browser to the console page it asked for (``next``, kept in the same cookie).
"""

import json
import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from pagerless import settings
from pagerless.api.deferred import DeferredRoute
from pagerless.auth import oidc, tokens
from pagerless.auth.authenticate import user_service
from pagerless.auth.users import principal_for
from pagerless.console.session import jar, safe_next, same_secret, start_session
from pagerless.domain.errors import ForbiddenError, ServiceUnavailableError, UnauthorizedError

router = APIRouter(include_in_schema=False, route_class=DeferredRoute)
SSO_COOKIE = "pl_sso"


def _redirect_uri(request: Request) -> str:
    configured = settings.auth().oidc_redirect_url
    if configured:
        return configured
    proto = request.headers.get("x-forwarded-proto") or request.url.scheme
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return f"{proto}://{host}/console/sso/callback"


@router.get("/console/sso")
def sso(request: Request, next: str = "/console/incidents") -> RedirectResponse:
    """Send the browser to the identity provider's sign-in page (and back to ``next`` afterwards)."""
    config = settings.auth()
    if not (config.oidc_authorize_url and config.oidc_token_url and config.oidc_client_id):
        raise ForbiddenError("single sign-on is not configured")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    next = safe_next(next) if len(next) <= 1000 else "/console/incidents"  # the cookie stays far below 4 KB
    jar(request).to_set[SSO_COOKIE] = (
        json.dumps({"state": state, "nonce": nonce, "next": next}),
        {
            "httponly": True,
            "samesite": "lax",
            "path": "/console/sso",
            "max_age": 600,
            "secure": (request.headers.get("x-forwarded-proto") or request.url.scheme) == "https",
        },
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.oidc_client_id,
            "scope": "openid email profile",
            "redirect_uri": _redirect_uri(request),
            "state": state,
            "nonce": nonce,
        }
    )
    separator = "&" if "?" in config.oidc_authorize_url else "?"
    return RedirectResponse(f"{config.oidc_authorize_url}{separator}{query}", status_code=303)


@router.get("/console/sso/callback")
def sso_callback(
    request: Request,
    code: str = "",
    state: str = "",
    error: Annotated[str, Query(max_length=100)] = "",
    error_description: Annotated[str, Query(max_length=500)] = "",
) -> RedirectResponse:
    """Finish single sign-on: check the state, exchange the code, verify the id token, start a session."""
    if error:  # the identity provider did not sign the person in (cancelled, denied: RFC 6749 4.1.2.1)
        jar(request).to_clear.add(SSO_COOKIE)
        said = f"{error}: {error_description}" if error_description else error
        raise UnauthorizedError(f"the identity provider did not sign you in ({said}); start again")
    try:
        expected = json.loads(request.cookies.get(SSO_COOKIE) or "{}")
    except ValueError:
        expected = {}
    if not code or not isinstance(expected, dict) or not same_secret(expected.get("state"), state):
        raise UnauthorizedError("the sign-in could not be verified; start again")
    jar(request).to_clear.add(SSO_COOKIE)
    id_token = _exchange(code, _redirect_uri(request))
    claims = oidc.verify(id_token)
    if not same_secret(expected.get("nonce"), claims.get("nonce")):
        raise UnauthorizedError("the sign-in could not be verified; start again")
    users = user_service()
    user = oidc.user_for_claims(claims, users, enroll=True)
    pair = tokens.issue_pair(user, users.repository)
    start_session(request, pair.access_token, pair.refresh_token)
    request.state.principal = principal_for(user, kind="oidc")
    return RedirectResponse(safe_next(expected.get("next") or "/console/incidents"), status_code=303)


def _exchange(code: str, redirect_uri: str) -> str:
    config = settings.auth()
    auth = (config.oidc_client_id, config.oidc_client_secret) if config.oidc_client_secret else None
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": config.oidc_client_id,
    }
    import httpx  # only the sign-in callback talks to the issuer

    try:
        response = httpx.post(config.oidc_token_url, data=form, auth=auth, timeout=10)
    except httpx.HTTPError as exc:
        raise ServiceUnavailableError("the identity provider could not be reached") from exc
    if response.status_code != 200:
        raise UnauthorizedError("the identity provider refused the sign-in code")
    id_token = (
        response.json().get("id_token")
        if response.headers.get("content-type", "").startswith("application/json")
        else None
    )
    if not isinstance(id_token, str):
        raise UnauthorizedError("the identity provider returned no id token")
    return id_token
