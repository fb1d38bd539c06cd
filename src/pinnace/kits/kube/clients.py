"""The async Kubernetes API client every pinnace component uses to reach the API server.

Controllers, the node agent and the gateway get a `KubeApi` injected: the
`Client` below, in production and in unit tests alike (those reach the in-process
API server through it: tests/support/apiservers.py). `Client` borrows
kubernetes_asyncio's kubeconfig / in-cluster loading, auth (bearer, basic, exec
plugins, token refresh) and its aiohttp TLS transport (`RESTClientObject`), but skips its generated models: objects are plain dicts
encoded with orjson. One aiohttp session with keep-alive serves every call;
watches stream newline-delimited JSON into `WatchEvent`s. Failures map onto
`errors` (`from_status` for answers, `TransportError` for the wire). Informers
(`informers.py`) build caches on `list` + `watch`. Why this library:
docs/design/client-library.md.

About 500 lines: the `KubeApi` protocol spells out every verb's keyword
arguments once more; it is kept here so the contract and its real
implementation read side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol
from urllib.parse import quote, urlencode

import aiohttp
import orjson
import yarl

from pinnace.kits.kube import errors
from pinnace.kits.kube.objects import Object, name_of, namespace_of
from pinnace.kits.kube.resources import ResourceType

Patch = dict[str, Any] | list[dict[str, Any]]
"""A merge / strategic patch (dict) or a JSON patch (list of operations)."""
PatchType = Literal["merge", "json", "strategic", "apply"]
PropagationPolicy = Literal["Background", "Foreground", "Orphan"]

PATCH_CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}


class WatchEvent(NamedTuple):
    """One watch event: `type` is ADDED, MODIFIED, DELETED or BOOKMARK."""

    type: str
    object: Object


@dataclass(frozen=True, slots=True)
class ObjectList:
    """A list answer: the items, the list's resourceVersion (to watch from) and the paging token."""

    items: list[Object]
    resource_version: str
    continue_token: str | None = None


@dataclass(frozen=True, slots=True)
class ApiResource:
    """One resource found by discovery (preferred version of its group)."""

    type: ResourceType
    verbs: frozenset[str]
    subresources: frozenset[str] = field(default_factory=frozenset)


Resources = list[ApiResource]


class KubeApi(Protocol):
    """What a component needs from the Kubernetes API; `Client` implements it."""

    async def get(
        self,
        rt: ResourceType,
        name: str,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
    ) -> Object: ...

    async def list(
        self,
        rt: ResourceType,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
    ) -> ObjectList: ...

    async def create(
        self, rt: ResourceType, obj: Object, *, namespace: str | None = None
    ) -> Object: ...

    async def replace(
        self, rt: ResourceType, obj: Object, *, subresource: str | None = None
    ) -> Object: ...

    async def patch(
        self,
        rt: ResourceType,
        name: str,
        patch: Patch,
        *,
        namespace: str | None = None,
        patch_type: PatchType = "merge",
        subresource: str | None = None,
    ) -> Object: ...

    async def delete(
        self,
        rt: ResourceType,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: PropagationPolicy | None = None,
        grace_period_seconds: int | None = None,
        precondition_uid: str | None = None,
        precondition_resource_version: str | None = None,
    ) -> Object: ...

    async def post(
        self,
        rt: ResourceType,
        name: str,
        subresource: str,
        body: Object,
        *,
        namespace: str | None = None,
    ) -> Object: ...

    def watch(
        self,
        rt: ResourceType,
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> AsyncIterator[WatchEvent]: ...

    async def server_resources(self) -> Resources: ...

    async def close(self) -> None: ...


def delete_options(
    *,
    propagation_policy: str | None = None,
    grace_period_seconds: int | None = None,
    precondition_uid: str | None = None,
    precondition_resource_version: str | None = None,
) -> Object:
    """The `DeleteOptions` body a DELETE carries."""
    body: Object = {"kind": "DeleteOptions", "apiVersion": "v1"}
    if propagation_policy is not None:
        body["propagationPolicy"] = propagation_policy
    if grace_period_seconds is not None:
        body["gracePeriodSeconds"] = grace_period_seconds
    pre = {
        k: v
        for k, v in (("uid", precondition_uid), ("resourceVersion", precondition_resource_version))
        if v is not None
    }
    if pre:
        body["preconditions"] = pre
    return body


def _query(params: Mapping[str, object | None]) -> str:
    pairs = [
        (k, str(v).lower() if isinstance(v, bool) else str(v))
        for k, v in params.items()
        if v is not None
    ]
    return urlencode(pairs, quote_via=quote) if pairs else ""


def _failure(http_code: int, body: bytes) -> errors.ApiError:
    try:
        status = orjson.loads(body)
    except orjson.JSONDecodeError:
        status = None
    if not isinstance(status, dict) or status.get("kind") != "Status":
        text = body.decode("utf-8", "replace").strip()
        status = {"kind": "Status", "status": "Failure", "message": text, "code": http_code}
    return errors.from_status(status, http_code)


class _Connection(Protocol):
    """Where requests go and how they are authenticated."""

    host: str

    def session(self) -> aiohttp.ClientSession: ...

    async def auth_headers(self) -> dict[str, str]: ...

    def request_options(self) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class _PlainConnection:
    """A URL and an optional bearer token over one aiohttp session (the embedded platform).

    Needs nothing from kubernetes_asyncio, whose import (all its generated
    models) would cost the platform half a second of start-up and ~35 MB.
    """

    def __init__(self, url: str, token: str | None) -> None:
        self.host = url
        self._token = token
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Watches each hold a connection for their lifetime: no pool limit.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self._session

    async def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def request_options(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _KubeconfigConnection:
    """kubernetes_asyncio's loaded configuration: TLS, proxies, exec plugins, token refresh."""

    def __init__(self, configuration: Any) -> None:
        self._config = configuration
        self.host = str(configuration.host)
        self._rest: Any = None

    def session(self) -> aiohttp.ClientSession:
        if self._rest is None:
            from kubernetes_asyncio.client import rest as k8s_rest

            # Watches each hold a connection for their lifetime: no pool limit.
            self._rest = k8s_rest.RESTClientObject(self._config, maxsize=0)
        session: aiohttp.ClientSession = self._rest.pool_manager
        return session

    async def auth_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for setting in (await self._config.auth_settings()).values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        return headers

    def request_options(self) -> dict[str, Any]:
        self.session()
        options: dict[str, Any] = {}
        if self._rest.proxy:
            options["proxy"] = self._rest.proxy
        if self._rest.server_hostname:
            options["server_hostname"] = self._rest.server_hostname
        return options

    async def close(self) -> None:
        if self._rest is not None:
            await self._rest.close()
            self._rest = None


class _Impersonating:
    """Another connection's session and credentials, acting as someone else (`kubectl --as`).

    Closing it leaves the shared connection open: its owner closes that.
    """

    def __init__(self, inner: _Connection, user: str, groups: Sequence[str]) -> None:
        self._inner = inner
        self.host = inner.host
        self._headers = {"Impersonate-User": user}
        if groups:
            # kube reads repeated headers; pinnace's API server also splits one on commas.
            self._headers["Impersonate-Group"] = ",".join(groups)

    def session(self) -> aiohttp.ClientSession:
        return self._inner.session()

    async def auth_headers(self) -> dict[str, str]:
        return {**await self._inner.auth_headers(), **self._headers}

    def request_options(self) -> dict[str, Any]:
        return self._inner.request_options()

    async def close(self) -> None:
        return None


class Client:
    """`KubeApi` over HTTP(S) to a real or embedded API server."""

    def __init__(
        self,
        connection: _Connection,
        *,
        request_timeout: float = 30.0,
        user_agent: str = "pinnace",
    ) -> None:
        """Use the constructors: `from_kubeconfig`, `in_cluster` or `from_url`."""
        self._connection = connection
        self._base = connection.host.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._watch_timeout = aiohttp.ClientTimeout(total=None, sock_connect=request_timeout)
        self._user_agent = user_agent

    # -- construction ------------------------------------------------------------------------

    @classmethod
    async def from_kubeconfig(
        cls, path: str | None = None, *, context: str | None = None
    ) -> Client:
        """A client for a kubeconfig file (default `$KUBECONFIG` / `~/.kube/config`)."""
        from kubernetes_asyncio import config as k8s_config
        from kubernetes_asyncio.client import configuration as k8s_configuration

        cfg = k8s_configuration.Configuration()
        await k8s_config.load_kube_config(
            config_file=path, context=context, client_configuration=cfg, persist_config=False
        )
        return cls(_KubeconfigConnection(cfg))

    @classmethod
    def in_cluster(cls) -> Client:
        """A client for the pod's service account (inside a real cluster)."""
        from kubernetes_asyncio import config as k8s_config
        from kubernetes_asyncio.client import configuration as k8s_configuration

        cfg = k8s_configuration.Configuration()
        k8s_config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
        return cls(_KubeconfigConnection(cfg))

    @classmethod
    def from_url(cls, url: str, *, token: str | None = None) -> Client:
        """A client for a plain URL and optional bearer token (the embedded platform, tests)."""
        return cls(_PlainConnection(url, token))

    def impersonating(self, user: str, groups: Sequence[str] = ()) -> Client:
        """This client's connection acting as `user` (Impersonate-User/-Group), for facades
        that act for their caller so the API server's RBAC decides (the KFP REST API)."""
        return Client(
            _Impersonating(self._connection, user, groups),
            request_timeout=self._timeout.total or 30.0,
            user_agent=self._user_agent,
        )

    async def close(self) -> None:
        await self._connection.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- transport ---------------------------------------------------------------------------

    async def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(await self._connection.auth_headers())
        return headers

    async def _open(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object | None] | None = None,
        body: object = None,
        content_type: str | None = None,
        stream: bool = False,
    ) -> aiohttp.ClientResponse:
        query = _query(params or {})
        url = yarl.URL(f"{self._base}{path}{'?' + query if query else ''}", encoded=True)
        data = None if body is None else orjson.dumps(body)
        if data is not None and content_type is None:
            content_type = "application/json"
        headers = await self._headers(content_type)
        session = self._connection.session()
        kwargs = self._connection.request_options()
        try:
            resp = await session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=self._watch_timeout if stream else self._timeout,
                **kwargs,
            )
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise errors.TransportError(f"{method} {path}: {exc!r}") from exc
        if resp.status >= 300:
            try:
                payload = await resp.read()
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise errors.TransportError(f"{method} {path}: {exc!r}") from exc
            finally:
                resp.release()
            raise _failure(resp.status, payload)
        return resp

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object | None] | None = None,
        body: object = None,
        content_type: str | None = None,
    ) -> Any:
        """One call, decoded JSON out (any path: discovery, subresources, custom verbs)."""
        resp = await self._open(method, path, params=params, body=body, content_type=content_type)
        try:
            payload = await resp.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise errors.TransportError(f"{method} {path}: {exc!r}") from exc
        finally:
            resp.release()
        return orjson.loads(payload) if payload else {}

    async def text(
        self, method: str, path: str, *, params: Mapping[str, object | None] | None = None
    ) -> str:
        """One call, the body as text (pods/log and other non-JSON subresources)."""
        resp = await self._open(method, path, params=params)
        try:
            payload = await resp.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise errors.TransportError(f"{method} {path}: {exc!r}") from exc
        finally:
            resp.release()
        return payload.decode("utf-8", "replace")

    # -- verbs -------------------------------------------------------------------------------

    async def get(
        self,
        rt: ResourceType,
        name: str,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
    ) -> Object:
        obj: Object = await self.request("GET", rt.path(namespace, name, subresource))
        return obj

    async def list(
        self,
        rt: ResourceType,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
    ) -> ObjectList:
        params = {
            "labelSelector": label_selector or None,
            "fieldSelector": field_selector or None,
            "limit": limit,
            "continue": continue_token or None,
            "resourceVersion": resource_version,
        }
        body = await self.request("GET", rt.path(namespace), params=params)
        meta = body.get("metadata") or {}
        items = body.get("items") or []
        for item in items:  # list items omit apiVersion/kind on a real kube-apiserver
            item.setdefault("apiVersion", rt.api_version)
            item.setdefault("kind", rt.kind)
        return ObjectList(
            items, str(meta.get("resourceVersion") or ""), meta.get("continue") or None
        )

    async def create(
        self, rt: ResourceType, obj: Object, *, namespace: str | None = None
    ) -> Object:
        ns = namespace if namespace is not None else (namespace_of(obj) or None)
        created: Object = await self.request("POST", rt.path(ns), body=obj)
        return created

    async def replace(
        self, rt: ResourceType, obj: Object, *, subresource: str | None = None
    ) -> Object:
        path = rt.path(namespace_of(obj) or None, name_of(obj), subresource)
        replaced: Object = await self.request("PUT", path, body=obj)
        return replaced

    async def patch(
        self,
        rt: ResourceType,
        name: str,
        patch: Patch,
        *,
        namespace: str | None = None,
        patch_type: PatchType = "merge",
        subresource: str | None = None,
    ) -> Object:
        patched: Object = await self.request(
            "PATCH",
            rt.path(namespace, name, subresource),
            body=patch,
            content_type=PATCH_CONTENT_TYPES[patch_type],
        )
        return patched

    async def delete(
        self,
        rt: ResourceType,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: PropagationPolicy | None = None,
        grace_period_seconds: int | None = None,
        precondition_uid: str | None = None,
        precondition_resource_version: str | None = None,
    ) -> Object:
        body = delete_options(
            propagation_policy=propagation_policy,
            grace_period_seconds=grace_period_seconds,
            precondition_uid=precondition_uid,
            precondition_resource_version=precondition_resource_version,
        )
        deleted: Object = await self.request("DELETE", rt.path(namespace, name), body=body)
        return deleted

    async def post(
        self,
        rt: ResourceType,
        name: str,
        subresource: str,
        body: Object,
        *,
        namespace: str | None = None,
    ) -> Object:
        answer: Object = await self.request(
            "POST", rt.path(namespace, name, subresource), body=body
        )
        return answer

    async def watch(
        self,
        rt: ResourceType,
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> AsyncIterator[WatchEvent]:
        """Stream events until the server ends the watch; an ERROR event raises (410 → `Gone`)."""
        params = {
            "watch": "true",
            "resourceVersion": resource_version or None,
            "allowWatchBookmarks": allow_bookmarks or None,
            "timeoutSeconds": timeout_seconds,
            "labelSelector": label_selector or None,
            "fieldSelector": field_selector or None,
        }
        path = rt.path(namespace)
        resp = await self._open("GET", path, params=params, stream=True)
        buffer = b""
        try:
            async for chunk in resp.content.iter_any():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield _event(line)
            if buffer.strip():
                yield _event(buffer)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise errors.TransportError(f"watch {path}: {exc!r}") from exc
        finally:
            resp.release()

    async def server_resources(self) -> Resources:
        """Discovery: every top-level resource of each group's preferred version."""
        core = await self.request("GET", "/api")
        lists = [("", v) for v in core.get("versions") or []]
        groups = await self.request("GET", "/apis")
        for group in groups.get("groups") or []:
            preferred = (group.get("preferredVersion") or {}).get("version")
            version = preferred or ((group.get("versions") or [{}])[0].get("version"))
            if version:
                lists.append((group["name"], version))
        answers = await asyncio.gather(
            *(self.request("GET", f"/apis/{g}/{v}" if g else f"/api/{v}") for g, v in lists)
        )
        found: Resources = []
        for (g, v), answer in zip(lists, answers, strict=True):
            found.extend(parse_resource_list(g, v, answer.get("resources") or []))
        return found


def parse_resource_list(group: str, version: str, resources: Sequence[Object]) -> list[ApiResource]:
    """The `ApiResource`s of one `APIResourceList`, subresources folded into their parent."""
    subs: dict[str, set[str]] = {}
    for res in resources:
        parent, _, sub = str(res.get("name", "")).partition("/")
        if sub:
            subs.setdefault(parent, set()).add(sub)
    return [
        ApiResource(
            ResourceType(group, version, res["name"], res["kind"], bool(res.get("namespaced"))),
            frozenset(res.get("verbs") or []),
            frozenset(subs.get(res["name"], ())),
        )
        for res in resources
        if "/" not in str(res.get("name", ""))
    ]


def _event(line: bytes) -> WatchEvent:
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise errors.TransportError(f"undecodable watch event: {line[:200]!r}") from exc
    kind = str(raw.get("type") or "")
    obj = raw.get("object") or {}
    if kind == "ERROR":
        raise errors.from_status(obj)
    return WatchEvent(kind, obj)
