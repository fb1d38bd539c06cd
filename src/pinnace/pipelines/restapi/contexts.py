"""Who calls and with what: the facade's shared state and each request's caller.

`Context` is built once by `app.build`: the platform's own client (only to
find which namespace an id lives in, as KFP's API server resolves ids with
its own service account), the `finding.Finder` index and the settings. Each
request's `Caller` comes from the identity headers the gateway set (it strips
them from client input, so they can be trusted) and acts through an
impersonating client: every read and write is the caller's, and the API
server's RBAC decides (Kubeflow multi-user mode's SubjectAccessReview, done
by the API server itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette import requests

from pinnace.kits import clocks
from pinnace.kits.kube import clients
from pinnace.pipelines.restapi import errors, finding

DEFAULT_NAMESPACE = "kubeflow"


@dataclass(frozen=True, slots=True)
class Settings:
    default_namespace: str = DEFAULT_NAMESPACE
    """Where calls without a namespace (kfp.Client's default) go, as KFP's own namespace."""
    user_header: str = "kubeflow-userid"
    groups_header: str = "kubeflow-groups"
    userid_prefix: str = ""
    page_size: int = 20
    """KFP's default page size when `page_size` is absent or 0."""
    max_page_size: int = 1000


@dataclass(frozen=True, slots=True)
class Caller:
    user: str
    groups: tuple[str, ...]
    client: clients.KubeApi


class Identities:
    """Turns a request's identity headers into a `Caller` with its own client."""

    def __init__(self, client: clients.Client, settings: Settings) -> None:
        self._client = client
        self._user = settings.user_header.lower()
        self._groups = settings.groups_header.lower()
        self._prefix = settings.userid_prefix

    def caller(self, headers: dict[str, str]) -> Caller:
        raw = headers.get(self._user)
        if not raw:
            raise errors.Unauthenticated("the request carries no authenticated identity")
        user = raw.removeprefix(self._prefix)
        groups = tuple(g.strip() for g in headers.get(self._groups, "").split(",") if g.strip())
        return Caller(user, groups, self._client.impersonating(user, groups))


class Context:
    """What every handler gets: the caller of a request, the id index and the settings."""

    def __init__(
        self,
        platform: clients.Client,
        settings: Settings,
        *,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.platform = platform
        self.settings = settings
        self.finder = finding.Finder(platform)
        self.identities = Identities(platform, settings)
        self.clock = clock

    def caller(self, request: requests.Request) -> Caller:
        return self.identities.caller({k.lower(): v for k, v in request.headers.items()})

    def namespace(self, value: object) -> str:
        """The namespace a call names (query or body field), else the default."""
        return str(value or "") or self.settings.default_namespace


async def body(request: requests.Request) -> dict[str, Any]:
    """The request's JSON object (empty body → {}); anything else is a 400."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.InvalidArgument(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise errors.InvalidArgument("the request body must be a JSON object")
    return data


def text(data: dict[str, Any], field: str, *, where: str = "") -> str:
    """A string field of a body (absent → ""); another type is a 400 naming the field."""
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise errors.InvalidArgument(f"{where}{field}: must be a string")
    return value
