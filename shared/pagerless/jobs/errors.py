"""Seed 003's job errors, in the API's error format."""

from pagerless.domain.errors import NotFoundError, ValidationError


class JobNotFoundError(NotFoundError):
    code = "JOB_NOT_FOUND"


class InvalidSignalKeyError(ValidationError):
    code = "INVALID_SIGNAL_KEY"


class JobNotParkedError(ValidationError):
    code = "JOB_NOT_PARKED"
