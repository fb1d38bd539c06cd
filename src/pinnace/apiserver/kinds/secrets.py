"""Secrets: `type` and `stringData` defaults, and `data` in canonical base64.

Like Go's base64 decoder (kube decodes `data` into bytes), line breaks in the
base64 (`\r`, `\n`: a PEM wrapped at 76 columns, a trailing newline) are
ignored; what is stored and answered is the plain re-encoding of the bytes.
Anything else that is not base64 is a 400, as a decoding error upstream.
"""

from __future__ import annotations

import base64
import binascii

from pinnace.apiserver import errors, strategies
from pinnace.kits.kube.objects import Object

_LINE_BREAKS = str.maketrans("", "", "\r\n")


def decode(value: str) -> bytes:
    """The bytes of a base64 value, line breaks ignored; raises `binascii.Error`/`ValueError`."""
    return base64.b64decode(value.translate(_LINE_BREAKS), validate=True)


class SecretStrategy(strategies.Strategy):
    def default(self, obj: Object) -> None:
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.setdefault("data", {})
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
        data = obj.get("data")
        if not isinstance(data, dict):
            return
        for key, value in data.items():
            text = str(value)
            try:
                raw = decode(text)
            except (binascii.Error, ValueError) as exc:
                raise errors.BadRequest(
                    f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data '
                    f"at input byte for key {key!r}"
                ) from exc
            if "\n" in text or "\r" in text:
                data[key] = base64.b64encode(raw).decode()


STRATEGY = SecretStrategy()
