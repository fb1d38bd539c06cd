"""Compressed bodies, as tritonclient sends and asks for them (gzip, deflate).

`pinnace.serving.app` calls `decompress` on an infer body that has a
`Content-Encoding` (tritonclient's `request_compression_algorithm`), bounded by the
request size limit so a small bomb cannot grow past it, and `compress` on a response
of at least `MIN_SIZE` bytes when the client's `Accept-Encoding` names gzip or
deflate (`response_compression_algorithm`). Smaller answers go out plain: compressing
a one-row prediction costs more than it saves. `Inference-Header-Content-Length`
always counts the uncompressed JSON, as Triton's does.
"""

from __future__ import annotations

import zlib

from pinnace.serving import errors

MIN_SIZE = 1024
_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """The body without its Content-Encoding; 413 past `limit`, 400 when corrupt."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return body
    wbits = _WBITS.get(name)
    if wbits is None:
        raise errors.UnsupportedMediaType(
            f"unsupported Content-Encoding {encoding!r}; use gzip or deflate"
        )
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise errors.InvalidInput(f"the {name} body cannot be decompressed: {exc}") from None
    if len(data) > limit:
        raise errors.PayloadTooLarge(
            f"the decompressed request body exceeds the {limit}-byte limit"
        )
    return data


def choose(accept_encoding: str | None) -> str | None:
    """The response encoding for an Accept-Encoding header (gzip first), or None."""
    if not accept_encoding:
        return None
    offered = {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}
    for name in ("gzip", "deflate"):
        if name in offered:
            return name
    return None


def compress(body: bytes, encoding: str) -> bytes:
    deflater = zlib.compressobj(6, zlib.DEFLATED, _WBITS[encoding])
    return deflater.compress(body) + deflater.flush()
