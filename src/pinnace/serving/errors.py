"""Errors of the model server's HTTP boundary, each with the status it answers with.

    ServingError              an inference request cannot be answered (500)
    ├── InvalidInput          the client's mistake: bad JSON, shape, datatype (400)
    ├── ModelNotFound         no such model or version (404)
    ├── MethodNotAllowed      a known path with the wrong method (405)
    ├── PayloadTooLarge       the body passes the size limit (413)
    ├── UnsupportedMediaType  a Content-Encoding other than gzip or deflate (415)
    └── ModelNotReady         the model is loading or failed to load (503)

Decoding (`pinnace.serving.v1`, `pinnace.serving.v2`) and the models
(`pinnace.serving.models`, `pinnace.serving.formats`) raise these; the app
(`pinnace.serving.app`) answers each as KServe does, `{"error": "<message>"}`
with the status, which is what tritonclient reads. Anything else a model raises
is a 500 with the same body.
"""

from __future__ import annotations


class ServingError(Exception):
    """An inference request failed; `status` is the HTTP status it answers with."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServingError):
    status = 400


class ModelNotFound(ServingError):
    status = 404


class MethodNotAllowed(ServingError):
    status = 405


class PayloadTooLarge(ServingError):
    status = 413


class UnsupportedMediaType(ServingError):
    status = 415


class ModelNotReady(ServingError):
    status = 503
