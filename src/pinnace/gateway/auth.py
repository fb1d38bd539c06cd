"""Authentication and authorization: the seam profiles and RBAC will fill.

`pinnace.gateway.app` asks an `Authenticator` who sent each request (an
`Identity`, or None for anonymous), then an `Authorizer` whether that identity
may make this `Access` — to the Kubernetes API, or along a matched route (the
proxy asks after the route lookup, so a policy can see the route's namespace).
An allowed identity travels upstream as Kubeflow's headers (`kubeflow-userid`,
`kubeflow-groups`, names from `Settings`); those headers are always stripped
from client input first, so backends can trust them (ARCHITECTURE.md: "one
entry").

Default policy (`AdminToken` + `DefaultPolicy`): `Authorization: Bearer
<Settings.admin_token>` authenticates as `admin` (group `system:masters`), and
so does a token-less request from loopback when `Settings.trust_loopback`;
the Kubernetes API paths require an identity (401 Status otherwise); every
route is open. Profiles (ROADMAP.md) replace both with session/token login
and per-namespace RBAC without touching the proxy.
"""

from __future__ import annotations

import enum
import hmac
import ipaddress
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pinnace.gateway import tables

Scope = MutableMapping[str, Any]

ADMIN_USER = "admin"
ADMIN_GROUPS = ("system:masters",)


@dataclass(frozen=True, slots=True)
class Identity:
    user: str
    groups: tuple[str, ...] = ()


class Target(enum.StrEnum):
    KUBERNETES_API = "kubernetes-api"
    ROUTE = "route"
    MOUNT = "mount"
    """An app mounted in the gateway (`Gateway(mounts=...)`: the KFP REST API)."""


@dataclass(frozen=True, slots=True)
class Access:
    """What a request wants: the Kubernetes API, or a route (with the matched `route`)."""

    target: Target
    method: str
    path: str
    route: tables.Route | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    status: int = 403
    """401 when an identity is missing, 403 when it is not enough."""
    reason: str = ""


ALLOW = Decision(True, 200)


class Authenticator(Protocol):
    async def authenticate(self, scope: Scope) -> Identity | None:
        """Who sent this HTTP or WebSocket request (None: nobody we know)."""
        ...


class Authorizer(Protocol):
    async def authorize(self, identity: Identity | None, access: Access) -> Decision: ...


def bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    for k, v in scope.get("headers") or ():
        if k == b"authorization":
            scheme, _, token = bytes(v).decode("latin-1").partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token:
                return token
    return None


def is_loopback(scope: Scope) -> bool:
    """Whether the request came from this machine (127.0.0.0/8 or ::1)."""
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


class AdminToken:
    """Authenticates the platform's admin bearer token (the kubeconfig's token).

    With `trust_loopback`, a request that carries no token at all and comes
    from this machine is the admin too. That is how kubectl gets in: client-go
    never sends credentials over plain http, and the gateway serves http. A
    wrong token is never excused. Profiles replace this with real logins (and
    TLS for kubectl) when the platform is shared.
    """

    def __init__(self, token: str, *, trust_loopback: bool = False, user: str = ADMIN_USER) -> None:
        self._token = token.encode()
        self._trust_loopback = trust_loopback
        self._admin = Identity(user, ADMIN_GROUPS)

    async def authenticate(self, scope: Scope) -> Identity | None:
        token = bearer_token(scope)
        if token is None:
            if self._trust_loopback and is_loopback(scope):
                return self._admin
            return None
        if self._token and hmac.compare_digest(token.encode(), self._token):
            return self._admin
        return None


class DefaultPolicy:
    """The Kubernetes API and mounted apps need an identity; routes are open (until profiles)."""

    async def authorize(self, identity: Identity | None, access: Access) -> Decision:
        if access.target is not Target.ROUTE and identity is None:
            return Decision(False, 401, "Unauthorized")
        return ALLOW


def identity_headers(
    identity: Identity | None, *, user_header: bytes, groups_header: bytes, prefix: str = ""
) -> list[tuple[bytes, bytes]]:
    """The headers that carry an identity upstream (none for anonymous requests)."""
    if identity is None:
        return []
    out = [(user_header, f"{prefix}{identity.user}".encode())]
    if identity.groups:
        out.append((groups_header, ",".join(identity.groups).encode()))
    return out
