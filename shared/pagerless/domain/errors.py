"""Domain errors. Adapters translate them to HTTP codes in one place (pagerless.api.errors)."""


class PagerlessError(Exception):
    """Base class of every error the domain raises on purpose."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, details: list | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class ValidationError(PagerlessError):
    code = "VALIDATION_ERROR"


class UnsupportedError(ValidationError):
    """A well-formed request asking for something this version does not do (HTTP 422, code VALIDATION_ERROR)."""

    status = 422


class NotFoundError(PagerlessError):
    code = "NOT_FOUND"


class ConflictError(PagerlessError):
    code = "CONFLICT"


class PreconditionFailedError(PagerlessError):
    """A conditional request's precondition (If-Match) does not hold for what is stored (HTTP 412)."""

    code = "PRECONDITION_FAILED"


class UnauthorizedError(PagerlessError):
    code = "UNAUTHORIZED"


class ForbiddenError(PagerlessError):
    code = "FORBIDDEN"


class PayloadTooLargeError(PagerlessError):
    code = "PAYLOAD_TOO_LARGE"


class RateLimitedError(PagerlessError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, details: list | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after  # seconds; sent as the Retry-After header


class ServiceUnavailableError(PagerlessError):
    code = "SERVICE_UNAVAILABLE"

    def __init__(self, message: str, *, details: list | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after  # seconds after which a retry can succeed, when known


class IllegalTransitionError(ConflictError):
    """An incident status move that the transition table does not allow."""


class UnprocessableError(ValidationError):
    """A well-formed request whose content cannot be used (a key scope naming an unknown source): HTTP 422."""

    status = 422
