"""The one mapping from errors to the HTTP error format of DESIGN.md section 6.

``{"error": {"code": "NOT_FOUND", "message": "...", "details": [...]}}`` — never a stack trace
or a dependency's exception text.
"""

import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from pagerless.domain.errors import NotFoundError, PagerlessError, ServiceUnavailableError
from pagerless.observability import logger

STATUS_FOR_CODE = {
    "VALIDATION_ERROR": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "CONFLICT": 409,
    "PRECONDITION_FAILED": 412,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
    # seed 003's job errors (pagerless.jobs.errors)
    "JOB_NOT_FOUND": 404,
    "INVALID_SIGNAL_KEY": 400,
    "JOB_NOT_PARKED": 400,
}

_CODE_FOR_STATUS = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


def error_body(code: str, message: str, details: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(
    status: int, code: str, message: str, details: list | None = None, headers: dict | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def register_exception_handlers(app: FastAPI) -> None:
    # AWS unavailable for a moment (throttling, a server error, no connection) has no handler here: registering one
    # would import botocore and PynamoDB at cold start. RequestContextMiddleware answers it (`unavailable_error`,
    # through the app's PagerlessError handler, so the console renders its page) when it reaches it unhandled.
    app.add_exception_handler(PagerlessError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_exception_handler(Exception, _unexpected_error)


def status_of(exc: PagerlessError, default: int = 500) -> int:
    """The HTTP status of a domain error: its own (a 422 `UnprocessableError`), else its code's. The API and the
    console's pages and forms answer one error with one status."""
    return getattr(exc, "status", None) or STATUS_FOR_CODE.get(exc.code, default)


async def _domain_error(request: Request, exc: PagerlessError) -> JSONResponse:
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    retry_after = getattr(exc, "retry_after", None)
    if status == 503 and not retry_after and _unavailable(exc.__cause__):  # "unavailable" because AWS was
        retry_after = _retry_after_seconds()
    if status in (429, 503) and retry_after:
        headers = {"Retry-After": str(math.ceil(retry_after))}
    return error_response(status, exc.code, exc.message, exc.details, headers)


def _unavailable(exc: BaseException | None):
    from pagerless.store.throttling import unavailable

    return unavailable(exc)


def _retry_after_seconds() -> int:
    from pagerless.store.throttling import RETRY_AFTER_SECONDS

    return RETRY_AFTER_SECONDS


# What the log and the caller are told, by why AWS was unavailable (pagerless.store.throttling's kinds).
_UNAVAILABLE = {
    "throttled": (
        "AWS throttled a call; answered 503",
        "the service is over its capacity for the moment; retry after the time in Retry-After",
    ),
    "failed": (
        "AWS failed a call on its side; answered 503",
        "a service Pagerless depends on failed for the moment; retry after the time in Retry-After",
    ),
    "unreachable": (
        "AWS could not be reached; answered 503",
        "a service Pagerless depends on could not be reached for the moment; retry after the time in Retry-After",
    ),
}


def unavailable_error(exc: BaseException, *, path: str, request_id: str) -> ServiceUnavailableError | None:
    """``exc`` as the domain's ServiceUnavailableError if it is AWS unavailable for a moment past botocore's
    retries (DynamoDB throttling in an alert storm, a service's InternalServerError, an endpoint that does not
    answer), else None. Nothing is wrong with the request or the code: the answer is 503 with Retry-After (clients
    and load balancers retry it) and a warning, not a 500 that pages whoever runs Pagerless as a bug. A
    programming error, and an AWS error that is the caller's (AccessDenied, a ValidationException), stay 500s."""
    found = _unavailable(exc)
    if found is None:
        return None
    logged, told = _UNAVAILABLE[found.kind]
    logger().warning(
        logged, extra={"path": path, "error_type": type(exc).__name__, "aws_code": found.code, "request_id": request_id}
    )
    unavailable = ServiceUnavailableError(
        told, details=[{"request_id": request_id}], retry_after=_retry_after_seconds()
    )
    unavailable.__cause__ = exc
    return unavailable


def nameless_key_error(exc: BaseException) -> NotFoundError | None:
    """``exc`` as a 404 if it is DynamoDB refusing a key longer than any key can be (an id of thousands of
    characters in a path or a query: it names nothing stored, as moto answered, where deployed DynamoDB refuses
    the read), else None."""
    from pagerless.store.throttling import key_too_long

    if not key_too_long(exc):
        return None
    found = NotFoundError("nothing stored has an id or a name that long")
    found.__cause__ = exc
    return found


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [
        {
            "field": ".".join(str(p) for p in err.get("loc", ())),
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    return error_response(
        422, "VALIDATION_ERROR", _not_json(request, exc.errors()) or "the request is not valid", details
    )


# Routes taking a JSON document that has a YAML twin elsewhere: where a YAML body sent here should go.
_YAML_GOES_TO = {"/api/slo": "POST /api/slo/import"}
_NOT_AN_OBJECT = ("dict_type", "model_attributes_type", "json_invalid")


def _not_json(request: Request, errors) -> str | None:
    """A body refused whole because it is no JSON object, said with the type it was sent as (a YAML document posted
    to a JSON route reads "Input should be a valid dictionary" otherwise), and where YAML goes when a route has a
    YAML twin."""
    if not any(tuple(err.get("loc", ())) == ("body",) and err.get("type") in _NOT_AN_OBJECT for err in errors):
        return None
    sent = request.headers.get("content-type") or "no Content-Type"
    said = f"the request body must be a JSON object (it was sent as {sent})"
    path = request.url.path.rstrip("/")
    # the route itself (POST) or one of its documents (PUT /api/slo/{name})
    twin = next((to for route, to in _YAML_GOES_TO.items() if route in (path, path.rsplit("/", 1)[0])), None)
    return f"{said}; YAML goes to {twin}" if twin and "json" not in sent else said


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _CODE_FOR_STATUS.get(exc.status_code, "INTERNAL_ERROR" if exc.status_code >= 500 else "VALIDATION_ERROR")
    message = {404: "no such resource or route", 405: "method not allowed on this route"}.get(
        exc.status_code, exc.detail if isinstance(exc.detail, str) else "request failed"
    )
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _client_disconnected(request: Request, exc: ClientDisconnect) -> JSONResponse:
    """The client hung up before its request was read: nothing failed here, and nobody will read
    the answer (499, nginx's "client closed request")."""
    logger().info("client disconnected", extra={"path": request.url.path, "method": request.method})
    return error_response(499, "CLIENT_DISCONNECTED", "the client closed the connection before the request was read")


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger().exception("unhandled error", extra={"path": request.url.path})
    return error_response(
        500,
        "INTERNAL_ERROR",
        "an internal error occurred; it has been logged",
        [{"request_id": getattr(request.state, "request_id", "")}],
    )
