"""The API server instance: storage, registry, watch hub and settings in one place.

`ApiServer` is what every verb module receives. `start()` opens the store,
serves the stored CRDs and makes sure what every cluster has exists
(`bootstrap`: the system namespaces, `default/kubernetes`);
`app.build(server)` turns it into the ASGI app the gateway mounts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from pinnace.apiserver import bootstrap, policy, registry, storage, watching
from pinnace.kits import clocks
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Settings:
    max_body_bytes: int = 3 * 1024 * 1024
    """kube-apiserver's limit on a request body (413 above it)."""
    max_object_bytes: int = int(1.5 * 1024 * 1024)
    """etcd's default limit on one stored object."""
    bookmark_interval: float = 60.0
    history: int = 20_000
    """Committed changes kept for watch resumption; older resourceVersions get 410."""
    service_cidr_prefix: str = "10.96"
    advertise_url: str | None = None
    """Where clients reach the API server (the gateway's URL): `default/kubernetes`'s endpoints."""
    git_version: str = "v1.32.0-pinnace"
    authorization_mode: str = "AlwaysAllow"
    """`RBAC` to enforce RBAC (`authorizing`); `AlwaysAllow`, kube-apiserver's default, checks nothing."""
    user_header: str = "kubeflow-userid"
    """The header the gateway puts the authenticated user in (lower-case)."""
    groups_header: str = "kubeflow-groups"
    userid_prefix: str = ""


class ApiServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        settings: Settings | None = None,
        clock: clocks.Clock = clocks.SYSTEM,
        validators: Mapping[
            tuple[str, str], Callable[[Object, Object | None], list[dict[str, str]]]
        ]
        | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.validators = dict(validators or {})
        """Validating admission per (group, kind): see `admission.Validator`."""
        self.clock = clock
        self.store = storage.Store(data_dir / "state.db", history=self.settings.history)
        self.registry = registry.Registry()
        self.hub = watching.Hub(self.store)
        self.ready = False
        self._http: aiohttp.ClientSession | None = None

    def http_session(self) -> aiohttp.ClientSession:
        """Outbound HTTP (the node agents' log endpoints), created on first use."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    def now(self) -> str:
        return clocks.rfc3339(self.clock.now())

    async def start(self) -> None:
        self.store.open()
        for crd in self.store.objects("apiextensions.k8s.io/customresourcedefinitions"):
            self.registry.register_crd(crd)
        await bootstrap.ensure(
            self.store,
            now=self.now(),
            cluster_ip=f"{self.settings.service_cidr_prefix}.0.1",
            advertise_url=self.settings.advertise_url,
        )
        await policy.ensure(self.store, now=self.now())
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        if self._http is not None:
            await self._http.close()
        await self.store.close()
