"""Errors of the Kubernetes API boundary, as a client sees them.

    ApiError                 any non-2xx answer; carries the Status body
    ├── BadRequest           400
    ├── Unauthorized         401
    ├── Forbidden            403
    ├── NotFound             404
    ├── Conflict             409 Conflict (stale resourceVersion)
    ├── AlreadyExists        409 AlreadyExists
    ├── Gone                 410 Expired (watch resourceVersion too old)
    ├── UnsupportedMediaType 415
    ├── Invalid              422 (also a failed JSON-patch `test`)
    └── ServerError          5xx
    TransportError           the server could not be reached at all

`from_status` maps a Status body (HTTP answer or watch ERROR event) onto the tree;
`failure` builds one, for every component that answers in the Kubernetes way.
"""

from __future__ import annotations

from typing import Any


def failure(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    """A `Status` failure body, as kube-apiserver writes it (`details` only when given).

    Fields come in metav1.Status's order (`…, reason, details, code`), so clients that
    embed the raw body see what a real cluster sends.
    """
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = details
    body["code"] = code
    return body


class TransportError(Exception):
    """The API server could not be reached (connection refused, reset, timeout)."""


class ApiError(Exception):
    """A Kubernetes `Status` failure answer."""

    code: int = 0

    def __init__(self, status: dict[str, Any]) -> None:
        self.status = status
        self.code = int(status.get("code") or type(self).code or 0)
        self.reason = str(status.get("reason") or "")
        self.message = str(status.get("message") or "")
        super().__init__(f"{self.code} {self.reason}: {self.message}")


class BadRequest(ApiError):
    code = 400


class Unauthorized(ApiError):
    code = 401


class Forbidden(ApiError):
    code = 403


class NotFound(ApiError):
    code = 404


class Conflict(ApiError):
    code = 409


class AlreadyExists(Conflict):
    code = 409


class Gone(ApiError):
    code = 410


class UnsupportedMediaType(ApiError):
    code = 415


class Invalid(ApiError):
    code = 422


class ServerError(ApiError):
    code = 500


_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    415: UnsupportedMediaType,
    422: Invalid,
}


def from_status(status: dict[str, Any], http_code: int | None = None) -> ApiError:
    """The exception for a Status body (falls back to the HTTP code when the body has none)."""
    code = int(status.get("code") or http_code or 500)
    status = {**status, "code": code}
    if code == 409 and status.get("reason") == "AlreadyExists":
        return AlreadyExists(status)
    cls = _BY_CODE.get(code, ServerError if code >= 500 else ApiError)
    return cls(status)
