"""Headers across the proxy: what goes upstream and what comes back down.

The proxy (`pinnace.gateway.proxying`, `pinnace.gateway.websockets`) calls
`upstream_headers` once per request and `downstream_headers` once per
response. As Envoy at the edge does:

- hop-by-hop headers (`connection`, `keep-alive`, `transfer-encoding`, `te`,
  `trailer`, `upgrade`, `proxy-connection`, and any named in `Connection`) are
  dropped both ways; the servers on each side frame their own connection;
- `x-forwarded-for` gets the client address appended, `x-forwarded-proto` is
  the scheme the client used, `x-forwarded-host` keeps the original Host (set
  only when the client did not send one);
- `x-envoy-*` headers from the client are dropped (Envoy does not trust them
  from outside); `x-envoy-original-path` carries the client's path when a
  route rewrote it;
- the identity headers (`kubeflow-userid`, `kubeflow-groups` by default) are
  always dropped from client input and set only from the authenticated identity;
- the Host header is kept (Envoy does not rewrite it) unless the route sets
  `rewrite.authority`.
"""

from __future__ import annotations

from collections.abc import Iterable

from pinnace.gateway import headering

RawHeaders = list[tuple[bytes, bytes]]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
    }
)
WEBSOCKET_HANDSHAKE = frozenset(
    {
        b"sec-websocket-key",
        b"sec-websocket-version",
        b"sec-websocket-extensions",
        b"sec-websocket-protocol",
        b"sec-websocket-accept",
    }
)


def _connection_tokens(headers: RawHeaders) -> frozenset[bytes]:
    tokens: set[bytes] = set()
    for k, v in headers:
        if k == b"connection":
            tokens.update(t.strip().lower() for t in v.split(b","))
    return frozenset(tokens)


def upstream_headers(
    headers: RawHeaders,
    *,
    client: str,
    scheme: str,
    strip: frozenset[bytes],
    identity: Iterable[tuple[bytes, bytes]] = (),
    plan: headering.HeaderPlan = headering.EMPTY,
    original_path: str | None = None,
    authority: bytes | None = None,
    websocket: bool = False,
) -> RawHeaders:
    """The headers to send upstream (names lower-case), Host and forwarding headers last.

    `strip` holds the identity header names to drop from client input.
    """
    drop = HOP_BY_HOP | WEBSOCKET_HANDSHAKE if websocket else HOP_BY_HOP
    has_connection = False
    kept: RawHeaders = []
    host = b""
    xff = b""
    xfh = False
    for k, v in headers:
        if k in drop or k in strip or k.startswith(b"x-envoy-"):
            has_connection = has_connection or k == b"connection"
            continue
        if k == b"host":
            host = v
            continue
        if k == b"x-forwarded-for":
            xff = v if not xff else xff + b", " + v
            continue
        if k == b"x-forwarded-proto":
            continue
        xfh = xfh or k == b"x-forwarded-host"
        kept.append((k, v))
    if has_connection:
        named = _connection_tokens(headers)
        kept = [(k, v) for k, v in kept if k not in named]
    kept.extend(identity)
    if plan:
        kept = plan.apply(kept)
    kept.append((b"host", authority or host))
    if client:
        peer = client.encode("latin-1")
        kept.append((b"x-forwarded-for", xff + b", " + peer if xff else peer))
    kept.append((b"x-forwarded-proto", scheme.encode("latin-1")))
    if host and not xfh:
        kept.append((b"x-forwarded-host", host))
    if original_path is not None:
        kept.append((b"x-envoy-original-path", original_path.encode("latin-1")))
    return kept


def downstream_headers(
    headers: RawHeaders, plan: headering.HeaderPlan = headering.EMPTY
) -> RawHeaders:
    """The upstream response headers to pass to the client (hop-by-hop dropped, plan applied)."""
    out = [h for h in headers if h[0] not in HOP_BY_HOP]
    if len(out) != len(headers):
        named = _connection_tokens(headers)
        if named:
            out = [h for h in out if h[0] not in named]
    return plan.apply(out) if plan else out
