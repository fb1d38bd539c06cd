"""Authorization at the request entry: who is asking (from the gateway) and may they.

The API server is only reached through the gateway, which authenticates every
request, strips any client-sent identity headers and sets its own
(`kubeflow-userid`, `kubeflow-groups`; names and the user prefix from
`Settings`), as an authenticating front proxy does for kube-apiserver's
request-header authentication. `identity(headers)` reads them back: no user
header is `system:anonymous` in `system:unauthenticated`; everybody else is
also in `system:authenticated`.

`Authorizer.check(headers, info)` builds kube's authorizer attributes from the
resolved request and asks `rbac.Rbac` (mode `RBAC`); a denial is kube's 403
Status (`pods is forbidden: User "x" cannot list resource "pods" in API group
"" in the namespace "y"`, details `kind`/`group`/`name`). Mode `AlwaysAllow`
(the default of a bare `ApiServer`, as kube-apiserver's) checks nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from pinnace.apiserver import errors, rbac
from pinnace.apiserver.requests import RequestInfo
from pinnace.apiserver.server import ApiServer


class Mode(enum.StrEnum):
    ALWAYS_ALLOW = "AlwaysAllow"
    RBAC = "RBAC"


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    groups: tuple[str, ...]


ANONYMOUS = UserInfo(rbac.ANONYMOUS, (rbac.UNAUTHENTICATED,))


def identity(server: ApiServer, headers: Mapping[str, str]) -> UserInfo:
    """The user the gateway authenticated (headers are lower-cased)."""
    settings = server.settings
    raw = headers.get(settings.user_header)
    if not raw:
        return ANONYMOUS
    user = raw.removeprefix(settings.userid_prefix)
    groups = [g.strip() for g in headers.get(settings.groups_header, "").split(",") if g.strip()]
    if rbac.AUTHENTICATED not in groups:
        groups.append(rbac.AUTHENTICATED)
    return UserInfo(user, tuple(groups))


def attributes(user: UserInfo, info: RequestInfo) -> rbac.Attributes:
    """kube's RequestInfo → authorizer.Attributes (a namespace's own name is its namespace)."""
    if not info.is_resource:
        return rbac.Attributes(
            user.username,
            user.groups,
            info.method.lower(),
            path=info.path,
            resource_request=False,
        )
    namespace = info.namespace or ""
    if info.group == "" and info.plural == "namespaces" and info.name:
        namespace = info.name
    return rbac.Attributes(
        user.username,
        user.groups,
        info.verb,
        namespace=namespace,
        group=info.group,
        resource=info.plural,
        subresource=info.subresource or "",
        name=info.name or "",
    )


IMPERSONATE_USER = "impersonate-user"
IMPERSONATE_GROUP = "impersonate-group"


class Authorizer:
    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self.mode = Mode(server.settings.authorization_mode)
        self.rbac = rbac.Rbac(server.store)

    def decide(self, a: rbac.Attributes) -> rbac.Decision:
        if self.mode is Mode.ALWAYS_ALLOW:
            return rbac.Decision(True, "")
        return self.rbac.decide(a)

    def check(self, headers: Mapping[str, str], info: RequestInfo) -> UserInfo:
        """The requesting user (after impersonation), if allowed; else raise kube's 403."""
        user = self._impersonated(identity(self.server, headers), headers)
        if self.mode is Mode.ALWAYS_ALLOW:
            return user
        a = attributes(user, info)
        if not self.rbac.decide(a).allowed:
            raise errors.Forbidden(rbac.forbidden_message(a), details=rbac.forbidden_details(a))
        return user

    def _impersonated(self, user: UserInfo, headers: Mapping[str, str]) -> UserInfo:
        """kube's impersonation filter: `Impersonate-User`/`-Group` (`kubectl --as/--as-group`).

        The real user needs `impersonate` on `users` (and `groups`) of those names. Our
        header map keeps one value per name, so one `--as-group` is honoured.
        """
        target = headers.get(IMPERSONATE_USER)
        if not target:
            return user
        groups = [g for g in (headers.get(IMPERSONATE_GROUP) or "").split(",") if g]
        wanted = [("users", target), *(("groups", g) for g in groups)]
        for resource, name in wanted:
            a = rbac.Attributes(
                user.username, user.groups, "impersonate", resource=resource, name=name
            )
            if not self.decide(a).allowed:
                raise errors.Forbidden(rbac.forbidden_message(a), details=rbac.forbidden_details(a))
        if target != rbac.ANONYMOUS and rbac.AUTHENTICATED not in groups:
            groups.append(rbac.AUTHENTICATED)
        return UserInfo(target, tuple(groups))
