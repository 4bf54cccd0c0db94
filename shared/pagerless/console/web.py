"""The console's ASGI plumbing: cookie jar middleware, login redirects, error pages, page rendering."""

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pagerless.api import errors as api_errors
from pagerless.api.errors import _domain_error, status_of
from pagerless.console import i18n
from pagerless.console.session import LANG_COOKIE, LoginRequired, csrf_token, current_principal
from pagerless.domain.errors import PagerlessError, PreconditionFailedError
from pagerless.domain.preconditions import IfMatch

COOKIE_PATHS = {"pl_refresh": "/console", "pl_sso": "/console/sso"}
TZ_COOKIE = "pl_tz"  # the browser's time zone, set by console.js: times are shown in it
PAGE_SIZE = 100  # rows of a console list; `page_links` leads to the rest


class CookieJarMiddleware:
    """Writes the cookies a request decided on (session rotation, CSRF, language) onto its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie_jar = scope.get("state", {}).get("cookie_jar")
                if cookie_jar is not None:
                    carrier = Response()
                    for name in cookie_jar.to_clear:
                        carrier.delete_cookie(name, path=COOKIE_PATHS.get(name, "/"))
                    for name, (value, options) in cookie_jar.to_set.items():
                        carrier.set_cookie(name, value, **options)
                    headers = list(message.get("headers") or [])
                    headers += [(k, v) for k, v in carrier.raw_headers if k == b"set-cookie"]
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def install(app: FastAPI) -> None:
    app.add_middleware(CookieJarMiddleware)
    app.add_exception_handler(PagerlessError, _page_error)
    app.add_exception_handler(RequestValidationError, _form_error)
    app.add_exception_handler(StarletteHTTPException, _http_page_error)
    app.add_exception_handler(Exception, _unexpected_page_error)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = "/console/login"
        back = _return_to(request)
        if back:
            target += "?next=" + quote(back, safe="/")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)


ERROR_TITLES = {
    "FORBIDDEN": "Not allowed",
    "NOT_FOUND": "Not found",
    "METHOD_NOT_ALLOWED": "Not found",  # a form's address opened as a page
    "CONFLICT": "Already done",
    "VALIDATION_ERROR": "Check the form",
    "UNAUTHORIZED": "Sign in again",
    "RATE_LIMITED": "Slow down",
    "SERVICE_UNAVAILABLE": "Temporarily unavailable",
    "PRECONDITION_FAILED": "Saved by someone else",
}


def _navigating(request: Request) -> bool:
    """A browser navigating (it gets an HTML page); scripts (fetch, htmx) keep the API's JSON errors."""
    return "text/html" in request.headers.get("accept", "") and not request.headers.get("hx-request")


def _error_page(
    request: Request, status: int, code: str, message: str = "", details: list | None = None, **extra
) -> Response:
    return render(
        request,
        "error.html",
        status_code=status,
        title=ERROR_TITLES.get(code, "Something went wrong"),
        message=refusal(request, code, message, details or []),
        back=_same_origin_path(request),
        **extra,
    )


async def _page_error(request: Request, exc: PagerlessError) -> Response:
    if not _navigating(request):
        return await _domain_error(request, exc)
    if exc.code == "PRECONDITION_FAILED":  # an editor's save refused (`saved_meanwhile`): the page says it, translated
        return _error_page(request, 412, exc.code, saved_meanwhile=True)
    status = status_of(exc)
    return _error_page(request, status, exc.code, exc.message, exc.details, fields=_fields(exc, request))


def _fields(exc: PagerlessError, request: Request | None = None) -> list[tuple[str, str]]:
    """The fields an error names (its ``details``), each with what is wrong with it when it says (in the page's
    language where the catalog has it: ``request``)."""
    return [
        (
            str(d.get("field") or ""),
            said(request, str(d.get("message") or "")) if request else str(d.get("message") or ""),
        )
        for d in exc.details
        if isinstance(d, dict) and (d.get("field") or d.get("message"))
    ]


def refused_form(
    request: Request, exc: PagerlessError, template: str, *, labels: dict[str, str] | None = None, **form
) -> HTMLResponse:
    """A form the service refused (invalid, or conflicting with what is stored) shown again as the user filled
    it in (``form``: the template's values for its fields), saying what to fix, so nothing typed is lost. A
    script (not a browser navigating) gets the API's JSON error instead. ``labels``: the form's label of each
    field the service may name (its English text, translated here), so the page names a field as the form does."""
    if not _navigating(request):
        raise exc
    return render(
        request,
        template,
        status_code=status_of(exc, default=400),
        problem=_problem(request, exc, labels or {}),
        **form,
    )


def _problem(request: Request, exc: PagerlessError, labels: dict[str, str]) -> dict:
    """What a refused form's box says: the error's message, then each field it names, by the form's label where
    known (else as the service names it), with what is wrong with it. Said once: a message that only restates a
    field's line ("config.timezone: unknown time zone ...") is left to that line."""
    fields = [
        {"field": field, "label": said(request, labels[field]) if field in labels else "", "message": message}
        for field, message in _fields(exc)
    ]
    restated = any(f["message"] and exc.message == f"{f['field']}: {f['message']}" for f in fields)
    for f in fields:
        f["message"] = said(request, f["message"])
    return {"message": "" if restated else refusal(request, exc.code, exc.message, exc.details), "fields": fields}


SHOWN_VERSION = r"^(new|0|[1-9][0-9]{0,17})$"  # an editor page's hidden ``version``: the stored one, or "new"


def shown_version(version: str | None) -> IfMatch | None:
    """The condition an editor page's save puts on the document: the version the page showed (its hidden
    ``version`` field), as If-Match does; "new" when the page showed the defaults, no stored document, as
    ``If-None-Match: *`` does (a first save meanwhile is not overwritten); none from a page without the field."""
    if version is None:
        return None
    if version == "new":
        return IfMatch(absent=True)
    return IfMatch(versions=frozenset({int(version)}))


@contextmanager
def saved_meanwhile(what: str) -> Iterator[None]:
    """Around an editor page's save conditional on `shown_version`: when someone saved ``what`` after the page
    was opened, the 412 says to reload the page (a browser gets it as a page in the user's language)."""
    try:
        yield
    except PreconditionFailedError as exc:
        raise PreconditionFailedError(
            f"{what} saved by someone else after this page was opened: nothing was changed; reload the page, make "
            "your change again and save",
            details=exc.details,
        ) from exc


async def _form_error(request: Request, exc: RequestValidationError) -> Response:
    """A form (or a page's query) FastAPI refused: the page names each field and what is wrong."""
    if not _navigating(request):
        return await api_errors._validation_error(request, exc)
    fields = [(str(e.get("loc", ("",))[-1]), e.get("msg", "")) for e in exc.errors()]
    return _error_page(request, 422, "VALIDATION_ERROR", fields=fields)


async def _http_page_error(request: Request, exc: StarletteHTTPException) -> Response:
    """No such page (404), or a method the page does not take (405): with the console's navigation and Sign out
    for a signed-in user, as on every other page."""
    response = await api_errors._http_error(request, exc)
    if not _navigating(request):
        return response
    await run_in_threadpool(_who_is_signed_in, request)
    return _error_page(request, exc.status_code, _code_of(response), no_such_page=exc.status_code in (404, 405))


def _who_is_signed_in(request: Request) -> None:
    """The session's user, if there is one, for a page no route answered (so none looked the session up)."""
    try:
        current_principal(request)
    except (LoginRequired, PagerlessError):
        pass  # nobody, or a session no longer valid: the page is shown without the navigation


async def _unexpected_page_error(request: Request, exc: Exception) -> Response:
    """A bug: logged (by the API's handler) with the request id the page shows."""
    response = await api_errors._unexpected_error(request, exc)
    if not _navigating(request):
        return response
    return _error_page(request, 500, "INTERNAL_ERROR", request_id=getattr(request.state, "request_id", ""))


def _code_of(response: Response) -> str:
    """The error code of an API error response (its JSON body)."""
    import json

    return json.loads(response.body)["error"]["code"]


def _same_origin_path(request: Request) -> str:
    referer = urlsplit(request.headers.get("referer") or "")
    if referer.netloc == request.headers.get("host") and referer.path.startswith("/console/"):
        return referer.path
    return "/console/incidents"


def _return_to(request: Request) -> str | None:
    """The console page to come back to after signing in: the page asked for; for htmx the page the
    browser shows (HX-Current-URL); for a form post the page it was posted from (a same-origin Referer)."""
    if request.headers.get("hx-request"):
        back = _same_origin_url(request, request.headers.get("hx-current-url"))
    elif request.method == "GET":
        back = _path_and_query(request)
    else:
        back = _same_origin_url(request, request.headers.get("referer"))
    return back if back and back.startswith("/console/") and not back.startswith("/console/login") else None


def _same_origin_url(request: Request, url: str | None) -> str | None:
    parts = urlsplit(url or "")
    if not parts.netloc or parts.netloc != (request.headers.get("x-forwarded-host") or request.headers.get("host")):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def _shown_page(request: Request) -> str:
    """The page to show again after switching language: the page itself; for a page answered to a form
    (a refused form, an error) the page the form was on, since the form's address takes only a POST."""
    if request.method == "GET":
        return _path_and_query(request)
    back = _same_origin_url(request, request.headers.get("referer"))
    return back if back and back.startswith("/console/") else "/console/incidents"


def _path_and_query(request: Request) -> str:
    """The page asked for, query included (filters, a login page's own ``next``)."""
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def page_links(request: Request, cursor: str | None, next_cursor: str | None) -> dict:
    """The links of a list longer than a page: to the older items (``next_cursor``), and back to the
    newest while on an older page; both keep the page's other parameters (its filters)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "partial")]

    def url(extra: list[tuple[str, str]]) -> str:
        query = urlencode(kept + extra)
        return request.url.path + ("?" + query if query else "")

    return {
        "older_url": url([("cursor", next_cursor)]) if next_cursor else None,
        "newest_url": url([]) if cursor else None,
    }


def language(request: Request) -> str:
    return i18n.pick(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def said(request: Request, message: str) -> str:
    """An error's message in the page's language when the catalog has it (the console's own refusals: an
    expired form, a policy that is not valid); the service's other messages as they are. Looked up, never
    formatted: a message may hold a ``%``."""
    return i18n.translations(language(request)).gettext(message) if message else message


def refusal(request: Request, code: str, message: str, details: list) -> str:
    """A service's refusal as the page says it: the catalog's words for it (`said`), else in Chinese as its error
    code and details say it (`pagerless.console.refusals`), else as the service wrote it."""
    shown = said(request, message)
    if shown != message or language(request) == "en":
        return shown
    from pagerless.console import refusals

    return refusals.said(code, message, details, language(request))


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    """Render a page in the user's language; every value is autoescaped."""
    lang = language(request)
    env = i18n.environment(lang, i18n.zone(request.cookies.get(TZ_COOKIE)))
    principal = getattr(request.state, "console_principal", None)
    html = env.get_template(template).render(
        request=request,
        lang=lang,
        languages=i18n.LANGUAGES,
        csrf_token=csrf_token(request),
        me=principal,
        path=request.url.path,
        here=_shown_page(request),
        **context,
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'self'",
        },
    )
