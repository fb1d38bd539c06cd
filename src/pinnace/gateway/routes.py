"""VirtualService objects as plain typed data: the gateway's view of its routes.

`parse` turns one `networking.istio.io/v1` VirtualService dict (as Kubeflow's
notebook controller, KServe or KFP write it) into a frozen `VirtualService`;
`pinnace.gateway.tables` compiles these, with Services and Endpoints, into the
routing table. Only the HTTP part is read (`hosts`, `gateways`, `http[]`); tcp,
tls, mirror, fault and corsPolicy are ignored. A malformed object raises
`RouteError` naming the field, and the table skips that VirtualService whole
(as Istio's validation would reject it).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

from pinnace.kits.kube import objects


class RouteError(ValueError):
    """A VirtualService field the gateway cannot use; `path` names the field."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class MatchKind(enum.StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"
    REGEX = "regex"


@dataclass(frozen=True, slots=True)
class StringMatch:
    """Istio's StringMatch (`{exact|prefix|regex: value}`); `None` in a header map = present."""

    kind: MatchKind
    value: str
    ignore_case: bool = False


@dataclass(frozen=True, slots=True)
class RequestMatch:
    """One `http[].match[]` entry: every condition set here must hold."""

    name: str = ""
    uri: StringMatch | None = None
    scheme: StringMatch | None = None
    method: StringMatch | None = None
    authority: StringMatch | None = None
    headers: tuple[tuple[str, StringMatch | None], ...] = ()
    without_headers: tuple[tuple[str, StringMatch | None], ...] = ()
    query_params: tuple[tuple[str, StringMatch | None], ...] = ()
    port: int | None = None
    gateways: tuple[str, ...] = ()
    """Gateways this match is limited to (empty: the VirtualService's `gateways`)."""


@dataclass(frozen=True, slots=True)
class HeaderOps:
    """`set` replaces, `add` appends, `remove` drops (names lower-cased)."""

    set: tuple[tuple[str, str], ...] = ()
    add: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.set or self.add or self.remove)


@dataclass(frozen=True, slots=True)
class Headers:
    request: HeaderOps = field(default_factory=HeaderOps)
    response: HeaderOps = field(default_factory=HeaderOps)


@dataclass(frozen=True, slots=True)
class Destination:
    """`http[].route[]`: a Service host (+ port), its weight and its own header changes."""

    host: str
    port: int | None = None
    weight: int = 100
    subset: str = ""
    headers: Headers = field(default_factory=Headers)


@dataclass(frozen=True, slots=True)
class Rewrite:
    uri: str | None = None
    authority: str | None = None
    uri_regex: tuple[str, str] | None = None
    """`uriRegexRewrite` as (match, rewrite); RE2 `\\1` groups are Python's too."""


DEFAULT_RETRY_ON = frozenset(
    {"connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"}
)
"""Istio's retryOn when `retries` leaves it out (retriable status codes: 503)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int
    """Retries after the first try (Istio semantics: attempts=2 means up to 3 tries)."""
    per_try_timeout: float | None = None
    retry_on: frozenset[str] = DEFAULT_RETRY_ON
    """Envoy conditions (`5xx`, `gateway-error`, `connect-failure`, `reset`, `retriable-4xx`,
    `retriable-status-codes`, ...) and bare status codes (`503`), as Istio accepts them."""


@dataclass(frozen=True, slots=True)
class Redirect:
    uri: str | None = None
    authority: str | None = None
    scheme: str | None = None
    code: int = 301


@dataclass(frozen=True, slots=True)
class DirectResponse:
    status: int
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class HttpRoute:
    name: str
    matches: tuple[RequestMatch, ...] = ()
    """Alternatives (any may match); empty matches every request."""
    destinations: tuple[Destination, ...] = ()
    rewrite: Rewrite | None = None
    headers: Headers = field(default_factory=Headers)
    timeout: float | None = None
    retries: RetryPolicy | None = None
    redirect: Redirect | None = None
    direct_response: DirectResponse | None = None


@dataclass(frozen=True, slots=True)
class VirtualService:
    namespace: str
    name: str
    created: str
    """metadata.creationTimestamp (RFC 3339 sorts as text), used to order VirtualServices."""
    hosts: tuple[str, ...]
    gateways: tuple[str, ...]
    http: tuple[HttpRoute, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: Any, path: str) -> float:
    """Seconds from a Go/protobuf duration (`30s`, `1.5s`, `100ms`, `1h30m`)."""
    if not isinstance(text, str) or not text:
        raise RouteError(path, f"not a duration: {text!r}")
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise RouteError(path, f"not a duration: {text!r}")
    return total


def _string_match(raw: Any, path: str, *, ignore_case: bool = False) -> StringMatch | None:
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict) or len(raw) != 1:
        raise RouteError(path, "want exactly one of exact, prefix, regex")
    ((kind, value),) = raw.items()
    try:
        match_kind = MatchKind(kind)
    except ValueError:
        raise RouteError(path, f"unknown match type {kind!r}") from None
    if not isinstance(value, str):
        raise RouteError(f"{path}.{kind}", "must be a string")
    if match_kind is MatchKind.REGEX:
        try:
            re.compile(value)
        except re.error as exc:
            raise RouteError(f"{path}.regex", f"bad regex: {exc}") from None
    return StringMatch(match_kind, value, ignore_case)


def _match_map(raw: Any, path: str) -> tuple[tuple[str, StringMatch | None], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise RouteError(path, "must be a map")
    return tuple((str(k).lower(), _string_match(v, f"{path}.{k}")) for k, v in raw.items())


def _request_match(raw: Any, path: str) -> RequestMatch:
    if not isinstance(raw, dict):
        raise RouteError(path, "must be an object")
    port = raw.get("port")
    return RequestMatch(
        name=str(raw.get("name") or ""),
        uri=_string_match(
            raw.get("uri"), f"{path}.uri", ignore_case=bool(raw.get("ignoreUriCase"))
        ),
        scheme=_string_match(raw.get("scheme"), f"{path}.scheme"),
        method=_string_match(raw.get("method"), f"{path}.method"),
        authority=_string_match(raw.get("authority"), f"{path}.authority"),
        headers=_match_map(raw.get("headers"), f"{path}.headers"),
        without_headers=_match_map(raw.get("withoutHeaders"), f"{path}.withoutHeaders"),
        query_params=_match_map(raw.get("queryParams"), f"{path}.queryParams"),
        port=int(port) if port is not None else None,
        gateways=tuple(str(g) for g in raw.get("gateways") or ()),
    )


def _header_ops(raw: Any, path: str) -> HeaderOps:
    if raw is None:
        return HeaderOps()
    if not isinstance(raw, dict):
        raise RouteError(path, "must be an object")
    set_ = raw.get("set") or {}
    add = raw.get("add") or {}
    if not isinstance(set_, dict) or not isinstance(add, dict):
        raise RouteError(path, "set and add must be maps")
    return HeaderOps(
        set=tuple((str(k).lower(), str(v)) for k, v in set_.items()),
        add=tuple((str(k).lower(), str(v)) for k, v in add.items()),
        remove=tuple(str(k).lower() for k in raw.get("remove") or ()),
    )


def _headers(raw: Any, path: str) -> Headers:
    if raw is None:
        return Headers()
    if not isinstance(raw, dict):
        raise RouteError(path, "must be an object")
    return Headers(
        _header_ops(raw.get("request"), f"{path}.request"),
        _header_ops(raw.get("response"), f"{path}.response"),
    )


def _destination(raw: Any, path: str, single: bool) -> Destination:
    if not isinstance(raw, dict) or not isinstance(raw.get("destination"), dict):
        raise RouteError(path, "want {destination: {host, port}}")
    dest = raw["destination"]
    host = dest.get("host")
    if not isinstance(host, str) or not host:
        raise RouteError(f"{path}.destination.host", "required")
    port = (dest.get("port") or {}).get("number")
    weight = raw.get("weight")
    if weight is None:
        weight = 100 if single else 0
    if not isinstance(weight, int) or weight < 0:
        raise RouteError(f"{path}.weight", "must be a non-negative integer")
    return Destination(
        host=host.lower(),
        port=int(port) if port is not None else None,
        weight=weight,
        subset=str(dest.get("subset") or ""),
        headers=_headers(raw.get("headers"), f"{path}.headers"),
    )


def _rewrite(raw: Any, regex: Any, path: str) -> Rewrite | None:
    if raw is None and regex is None:
        return None
    raw = raw or {}
    uri_regex = None
    if regex is not None:
        if not isinstance(regex, dict) or not isinstance(regex.get("match"), str):
            raise RouteError(f"{path}.uriRegexRewrite", "want {match, rewrite}")
        try:
            re.compile(regex["match"])
        except re.error as exc:
            raise RouteError(f"{path}.uriRegexRewrite.match", f"bad regex: {exc}") from None
        uri_regex = (regex["match"], str(regex.get("rewrite") or ""))
    return Rewrite(uri=raw.get("uri"), authority=raw.get("authority"), uri_regex=uri_regex)


def _retries(raw: Any, path: str) -> RetryPolicy | None:
    if raw is None:
        return None
    attempts = raw.get("attempts", 0)
    if not isinstance(attempts, int) or attempts < 0:
        raise RouteError(f"{path}.attempts", "must be a non-negative integer")
    per_try = raw.get("perTryTimeout")
    retry_on = raw.get("retryOn")
    return RetryPolicy(
        attempts=attempts,
        per_try_timeout=parse_duration(per_try, f"{path}.perTryTimeout") if per_try else None,
        retry_on=(
            frozenset(p.strip() for p in str(retry_on).split(",") if p.strip())
            if retry_on
            else DEFAULT_RETRY_ON
        ),
    )


def _http_route(raw: Any, path: str, index: int) -> HttpRoute:
    if not isinstance(raw, dict):
        raise RouteError(path, "must be an object")
    route_list = raw.get("route") or []
    dests = tuple(
        _destination(d, f"{path}.route[{i}]", len(route_list) == 1)
        for i, d in enumerate(route_list)
    )
    redirect = raw.get("redirect")
    direct = raw.get("directResponse")
    if not dests and redirect is None and direct is None:
        raise RouteError(path, "needs route, redirect or directResponse")
    timeout = raw.get("timeout")
    return HttpRoute(
        name=str(raw.get("name") or f"http[{index}]"),
        matches=tuple(
            _request_match(m, f"{path}.match[{i}]") for i, m in enumerate(raw.get("match") or ())
        ),
        destinations=dests,
        rewrite=_rewrite(raw.get("rewrite"), raw.get("uriRegexRewrite"), path),
        headers=_headers(raw.get("headers"), f"{path}.headers"),
        # Istio: 0s disables the timeout, like leaving it out.
        timeout=(parse_duration(timeout, f"{path}.timeout") or None) if timeout else None,
        retries=_retries(raw.get("retries"), f"{path}.retries"),
        redirect=(
            Redirect(
                uri=redirect.get("uri"),
                authority=redirect.get("authority"),
                scheme=redirect.get("scheme"),
                code=int(redirect.get("redirectCode") or 301),
            )
            if isinstance(redirect, dict)
            else None
        ),
        direct_response=(
            DirectResponse(
                status=int(direct.get("status") or 200),
                body=str((direct.get("body") or {}).get("string") or "").encode(),
            )
            if isinstance(direct, dict)
            else None
        ),
    )


def parse(obj: objects.Object) -> VirtualService:
    """The typed view of a VirtualService object; raises `RouteError` if it is malformed."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise RouteError("spec", "required")
    http = spec.get("http") or []
    if not isinstance(http, list):
        raise RouteError("spec.http", "must be a list")
    return VirtualService(
        namespace=objects.namespace_of(obj) or "default",
        name=objects.name_of(obj),
        created=str(objects.meta(obj).get("creationTimestamp") or ""),
        hosts=tuple(str(h).lower() for h in spec.get("hosts") or ()),
        gateways=tuple(str(g) for g in spec.get("gateways") or ()),
        http=tuple(_http_route(r, f"spec.http[{i}]", i) for i, r in enumerate(http)),
    )
