"""Request parsing: an HTTP method, path and query → `RequestInfo`.

Follows kube-apiserver's RequestInfoResolver: `/api/v1/...` is the core group,
`/apis/<group>/<version>/...` the others, `namespaces/<ns>/<plural>/...` for
namespaced kinds and `namespaces/<name>/{status,finalize}` for the namespace's
own subresources. Anything that is not a resource path (discovery, OpenAPI,
version) has `is_resource` False.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


@dataclass(frozen=True, slots=True)
class RequestInfo:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    is_resource: bool = False
    group: str = ""
    version: str = ""
    namespace: str | None = None
    plural: str = ""
    name: str | None = None
    subresource: str | None = None
    verb: str = ""
    """get, list, watch, create, update, patch, delete, deletecollection."""

    def flag(self, key: str) -> bool:
        return self.query.get(key, "").lower() in ("true", "1")


def parse_query(raw: bytes | str) -> dict[str, str]:
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def resolve(method: str, path: str, query: dict[str, str]) -> RequestInfo:
    parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
    base = RequestInfo(method=method, path=path, query=query)
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return base
    if not rest:
        return base
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
        else:
            # The namespace object itself: /namespaces/<name>[/status|/finalize].
            namespace = None
            rest = ["namespaces", *rest[1:]]
    plural = rest[0]
    name = rest[1] if len(rest) > 1 else None
    subresource = "/".join(rest[2:]) or None
    verb = _verb(method, name is not None, query)
    return RequestInfo(
        method=method,
        path=path,
        query=query,
        is_resource=True,
        group=group,
        version=version,
        namespace=namespace,
        plural=plural,
        name=name,
        subresource=subresource,
        verb=verb,
    )


def _verb(method: str, has_name: bool, query: dict[str, str]) -> str:
    if method in ("GET", "HEAD"):
        if query.get("watch", "").lower() in ("true", "1"):
            return "watch"
        return "get" if has_name else "list"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if has_name else "deletecollection"
    return method.lower()
