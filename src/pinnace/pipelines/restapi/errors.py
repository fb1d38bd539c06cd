"""KFP's error answers: `{code, message, details}` (google.rpc.Status) with the HTTP status.

    KfpError                 one failed call; `code` is the gRPC code KFP's gateway maps
    ├── InvalidArgument      400 / 3   bad JSON, a bad field, an invalid IR or argument
    ├── FailedPrecondition   400 / 9   the object is in the wrong state for the verb
    ├── Unauthenticated      401 / 16
    ├── PermissionDenied     403 / 7   the API server's RBAC said no for the caller
    ├── NotFound             404 / 5   an unknown id, or a route KFP has and we do not serve
    └── AlreadyExists        409 / 6   a name taken in the namespace

Handlers raise these; `app` turns them into responses. `from_kube` wraps the
Kubernetes API's answers at this boundary (STYLE.md rule 9): bad input there
(422 Invalid, 400) stays a 400 naming the field, never a 5xx.
"""

from __future__ import annotations

from typing import Any

from pinnace.kits.kube import errors as kube_errors


class KfpError(Exception):
    http_status = 500
    code = 13  # INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": []}


class InvalidArgument(KfpError):
    http_status, code = 400, 3


class FailedPrecondition(KfpError):
    http_status, code = 400, 9


class Unauthenticated(KfpError):
    http_status, code = 401, 16


class PermissionDenied(KfpError):
    http_status, code = 403, 7


class NotFound(KfpError):
    http_status, code = 404, 5


class AlreadyExists(KfpError):
    http_status, code = 409, 6


def from_kube(exc: kube_errors.ApiError, what: str = "") -> KfpError:
    """The KFP error for a Kubernetes API failure (`what` names the object for the message)."""
    message = exc.message or str(exc)
    if what:
        message = f"{what}: {message}"
    if isinstance(exc, kube_errors.NotFound):
        return NotFound(message)
    if isinstance(exc, kube_errors.AlreadyExists):
        return AlreadyExists(message)
    if isinstance(exc, kube_errors.Conflict):
        return FailedPrecondition(message)
    if isinstance(exc, kube_errors.Forbidden):
        return PermissionDenied(message)
    if isinstance(exc, kube_errors.Unauthorized):
        return Unauthenticated(message)
    if isinstance(exc, kube_errors.Invalid | kube_errors.BadRequest):
        return InvalidArgument(message)
    return KfpError(message)
