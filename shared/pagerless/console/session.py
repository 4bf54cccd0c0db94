"""Console sessions: HttpOnly cookies, CSRF tokens and an Origin check.

A session is the user's token pair in two HttpOnly cookies: the 15-minute access token
(``pl_session``, every console path) and the refresh token (``pl_refresh``, ``/console`` only).
When the access token has expired the refresh token is rotated transparently. Every state-changing
request must carry the CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``) equal to
the ``pl_csrf`` cookie, and come from our own origin (``Origin``, else ``Referer``).

All three are SameSite=Lax, not Strict: the console is mostly opened from links in chat and email
(another site), and on such a navigation a browser withholds Strict cookies, so the refresh token
would be missing (a password prompt despite a valid session) and a new CSRF token would replace
the one the open tabs' forms carry. Lax still keeps them off cross-site POSTs, fetches and frames,
and the CSRF token and Origin check refuse any cross-site state change.
"""

import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastapi import Request

from pagerless.auth.authenticate import user_service
from pagerless.auth.keys import Principal
from pagerless.domain.errors import ForbiddenError, UnauthorizedError
from pagerless.domain.roles import Role, role_satisfies

ACCESS_COOKIE = "pl_session"
REFRESH_COOKIE = "pl_refresh"
CSRF_COOKIE = "pl_csrf"
LANG_COOKIE = "pl_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No valid session: the console answers with a redirect to its login page."""


@dataclass
class CookieJar:
    """Cookies to set or clear on the way out (the session may rotate during a request)."""

    to_set: dict[str, tuple[str, dict]] = field(default_factory=dict)
    to_clear: set[str] = field(default_factory=set)


def _secure(request: Request) -> bool:
    proto = request.headers.get("x-forwarded-proto") or request.url.scheme
    return proto == "https"


def jar(request: Request) -> CookieJar:
    if not hasattr(request.state, "cookie_jar"):
        request.state.cookie_jar = CookieJar()
    return request.state.cookie_jar


def start_session(request: Request, access_token: str, refresh_token: str) -> None:
    secure = _secure(request)
    cookies = jar(request)
    cookies.to_set[ACCESS_COOKIE] = (access_token, {"httponly": True, "samesite": "lax", "secure": secure, "path": "/"})
    cookies.to_set[REFRESH_COOKIE] = (
        refresh_token,
        {"httponly": True, "samesite": "lax", "secure": secure, "path": "/console", "max_age": 30 * 24 * 3600},
    )


def end_session(request: Request) -> None:
    refresh = request.cookies.get(REFRESH_COOKIE)
    if refresh:
        user_service().logout(refresh)
    jar(request).to_clear.update({ACCESS_COOKIE, REFRESH_COOKIE})


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (issued with the first page it loads)."""
    token = getattr(request.state, "csrf_token", None) or request.cookies.get(CSRF_COOKIE)
    if not token or len(token) < 32:
        token = secrets.token_urlsafe(32)
        jar(request).to_set[CSRF_COOKIE] = (
            token,
            {"httponly": True, "samesite": "lax", "secure": _secure(request), "path": "/"},
        )
    request.state.csrf_token = token
    return token


def same_secret(expected: object, presented: object) -> bool:
    """Constant-time equality of two strings; anything else (or an empty one) is not a match.
    Compared as UTF-8 bytes: ``hmac.compare_digest`` raises on a str that is not ASCII."""
    if not isinstance(expected, str) or not isinstance(presented, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        referer = request.headers.get("referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return urlsplit(origin).netloc == host


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request without our Origin and a matching CSRF token."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise ForbiddenError("cross-origin request refused")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get("csrf_token")
    if not same_secret(cookie, sent):
        raise ForbiddenError("the form has expired; reload the page and try again")


def current_principal(request: Request) -> Principal:
    """The signed-in user, rotating the session if its access token expired; LoginRequired otherwise."""
    cached = getattr(request.state, "console_principal", None)
    if cached is not None:
        return cached
    users = user_service()
    access = request.cookies.get(ACCESS_COOKIE)
    principal = None
    if access:
        try:
            principal = users.principal_from_access_token(access)
        except UnauthorizedError:
            principal = None
    if principal is None:
        refresh = request.cookies.get(REFRESH_COOKIE)
        if not refresh:
            raise LoginRequired()
        try:
            pair = users.refresh(refresh)
            principal = users.principal_from_access_token(pair.access_token)
        except UnauthorizedError as exc:
            jar(request).to_clear.update({ACCESS_COOKIE, REFRESH_COOKIE})
            raise LoginRequired() from exc
        start_session(request, pair.access_token, pair.refresh_token)
    request.state.console_principal = principal
    request.state.principal = principal  # the audit trail records the user
    return principal


def require_role(request: Request, role: Role) -> Principal:
    principal = current_principal(request)
    if not role_satisfies(principal.role, role):
        # the page says it in its language: each wording is in the Chinese catalog (`web.said`)
        raise ForbiddenError(f"this action needs the {role.value} role; you have {principal.role.value}")
    return principal


def can(principal: Principal, role: Role | str) -> bool:
    return role_satisfies(principal.role, Role(role))


def safe_next(target: str) -> str:
    """Only our own console paths: never an open redirect."""
    if (
        isinstance(target, str)
        and target.startswith("/console/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return "/console/incidents"
