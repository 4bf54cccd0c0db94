"""Kubernetes `Status` failures the sandbox answers with (the JSON the real API server sends)."""

from typing import Any


class ApiStatusError(Exception):
    """A request the API server refuses; rendered as a meta/v1 Status with the same code."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def not_found(resource: str, name: str, group: str = "") -> ApiStatusError:
    qualified = f"{resource}.{group}" if group else resource
    return ApiStatusError(
        404,
        "NotFound",
        f'{qualified} "{name}" not found',
        {"name": name, "group": group, "kind": resource} if group else {"name": name, "kind": resource},
    )


def bad_request(message: str) -> ApiStatusError:
    return ApiStatusError(400, "BadRequest", message)


def invalid(kind: str, name: str, field: str, value: Any, why: str) -> ApiStatusError:
    message = f'{kind} "{name}" is invalid: {field}: Invalid value: {value!r}: {why}'
    return ApiStatusError(
        422,
        "Invalid",
        message,
        {"name": name, "kind": kind, "causes": [{"reason": "FieldValueInvalid", "message": why, "field": field}]},
    )


def conflict(resource: str, name: str) -> ApiStatusError:
    return ApiStatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource} "{name}": the object has '
        "been modified; please apply your changes to the latest version and try again",
        {"name": name, "kind": resource},
    )


def disruption_budget_violated(pdb_name: str) -> ApiStatusError:
    return ApiStatusError(
        429,
        "TooManyRequests",
        "Cannot evict pod as it would violate the pod's disruption budget.",
        {
            "causes": [
                {"reason": "DisruptionBudget", "message": f"The disruption budget {pdb_name} needs more healthy pods"}
            ]
        },
    )
