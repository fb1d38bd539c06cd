"""Errors the API server answers with, as Kubernetes `Status` bodies.

    StatusError                  → the Status body and HTTP code it carries
    ├── BadRequest        400    malformed body, bad query parameter, strict decoding
    ├── Unauthorized      401
    ├── Forbidden         403    e.g. content in a terminating namespace
    ├── NotFound          404
    ├── MethodNotAllowed  405
    ├── AlreadyExists     409
    ├── Conflict          409    stale resourceVersion
    ├── Gone              410    watch resourceVersion too old
    ├── RequestTooLarge   413
    ├── UnsupportedMedia  415
    ├── Invalid           422    with details.causes naming each bad field
    └── InternalError     500

Messages copy kube-apiserver's wording, because kubectl prints them verbatim
as `Error from server (<reason>): <message>`.
"""

from __future__ import annotations

from typing import Any

from pinnace.kits.kube import errors as kube_errors

Cause = dict[str, str]


class StatusError(Exception):
    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body = kube_errors.failure(self.code, self.reason, self.message, **(self.details or {}))
        if self.details is not None and not self.details:
            # An explicit empty `details` (kube's 404 for a path it does not serve) is kept.
            code = body.pop("code")
            body["details"] = {}
            body["code"] = code
        return body


def _details(name: str, group: str, kind: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": kind}
    if group:
        details["group"] = group
    return details


class BadRequest(StatusError):
    code = 400
    reason = "BadRequest"


class Unauthorized(StatusError):
    code = 401
    reason = "Unauthorized"


class Forbidden(StatusError):
    code = 403
    reason = "Forbidden"


class NotFound(StatusError):
    code = 404
    reason = "NotFound"

    @classmethod
    def of(cls, group_resource: str, name: str, group: str, plural: str) -> NotFound:
        return cls(f'{group_resource} "{name}" not found', details=_details(name, group, plural))


class MethodNotAllowed(StatusError):
    code = 405
    reason = "MethodNotAllowed"


class AlreadyExists(StatusError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def of(cls, group_resource: str, name: str, group: str, plural: str) -> AlreadyExists:
        return cls(
            f'{group_resource} "{name}" already exists', details=_details(name, group, plural)
        )


class Conflict(StatusError):
    code = 409
    reason = "Conflict"

    @classmethod
    def stale(cls, group_resource: str, name: str, group: str, plural: str) -> Conflict:
        return cls(
            f'Operation cannot be fulfilled on {group_resource} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            details=_details(name, group, plural),
        )


class Gone(StatusError):
    code = 410
    reason = "Expired"


class RequestTooLarge(StatusError):
    code = 413
    reason = "RequestEntityTooLarge"


class UnsupportedMedia(StatusError):
    code = 415
    reason = "UnsupportedMediaType"


class Invalid(StatusError):
    code = 422
    reason = "Invalid"

    @classmethod
    def of(cls, kind: str, name: str, group: str, causes: list[Cause]) -> Invalid:
        """`<Kind> "<name>" is invalid: <field>: <message>` for one or more causes."""
        parts = [
            f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes
        ]
        summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
        details = _details(name, group, kind)
        details["causes"] = causes
        return cls(f'{kind} "{name}" is invalid: {summary}', details=details)


class InternalError(StatusError):
    code = 500
    reason = "InternalError"


def cause(field: str, message: str, reason: str = "FieldValueInvalid") -> Cause:
    return {"reason": reason, "message": message, "field": field}
