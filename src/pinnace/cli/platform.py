"""The composition root: one process running the whole platform (`pinnace up`).

Start order: the API server (store opened, system namespaces; the domains'
admission `VALIDATORS` passed in), the admin
token and kubeconfig, the gateway on its port (the API server app mounted in
process, the KFP REST API under `/pipeline`), the gateway's route watchers, the Kubeflow CRDs, the controller
manager (the built-in controllers, then every domain's `setup(manager)` in
`SETUPS` and `domain_setups` — those bound to the options, such as the
pipelines' artifact root under the data dir — started once; its metrics go to the gateway's registry, so the
gateway's `/metrics` serves both), then the node agent. `/healthz` turns 200 only after all of that.
Stop order is the reverse; the node agent stops every pod first. A lock on
the data dir keeps two platforms from sharing one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import functools
import ipaddress
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import prometheus_client
import uvicorn

from pinnace import notebooks, pipelines, profiles, runtime, serving
from pinnace.api import crds, kinds
from pinnace.apiserver import admission
from pinnace.apiserver import app as api_app
from pinnace.apiserver import server as api_server
from pinnace.cli import kubeconfigs
from pinnace.controllers import builtin, manager
from pinnace.gateway import app as gateway_app
from pinnace.gateway import settings as gateway_settings
from pinnace.kits.kube import clients, errors
from pinnace.pipelines import admitting as pipeline_admission
from pinnace.pipelines import pipelineruns as pipeline_runs
from pinnace.pipelines import providers as pipeline_providers
from pinnace.pipelines.restapi import app as kfp_api
from pinnace.serving import admitting as serving_admission

log = logging.getLogger(__name__)

DEFAULT_USER = "user@example.com"
"""Who every request is without `--auth` (Kubeflow's default user), in `system:masters`."""

SETUPS: tuple[manager.Setup, ...] = (builtin.setup, profiles.setup, notebooks.setup)
"""What joins the controller manager, in order: the built-ins, then each domain's `setup`."""


VALIDATORS: dict[tuple[str, str], admission.Validator] = {
    **pipeline_admission.VALIDATORS,
    **serving_admission.VALIDATORS,
}
"""Validating admission per (group, kind): a domain's checks run in the API server's write path."""


def domain_setups(options: Options) -> tuple[manager.Setup, ...]:
    """The domains' `setup`s that need the platform's options (pipelines: the data dir)."""
    defaults = pipeline_runs.Settings.for_data_dir(options.data_dir)
    s3 = (
        pipeline_providers.S3Provider(endpoint=options.s3_endpoint) if options.s3_endpoint else None
    )
    pipeline_settings = dataclasses.replace(
        defaults,
        pipeline_root=options.pipeline_root or defaults.pipeline_root,
        s3=s3,
        node_name=options.node_name,
    )
    return (
        functools.partial(pipelines.setup, settings=pipeline_settings),
        functools.partial(serving.setup, data_dir=options.data_dir),
    )


class Stoppable(Protocol):
    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Options:
    data_dir: Path
    port: int = 8080
    host: str = "127.0.0.1"
    node_name: str = "pinnace"
    watch_history: int = 20_000
    pipeline_root: str = ""
    """The platform's default pipeline root; empty: under the data dir."""
    s3_endpoint: str = ""
    """The object store of s3:// roots that no namespace's kfp-launcher ConfigMap covers."""
    warm_start: bool = True
    """Task pods start from a warm fork server (runtime/forking.py, pipelines.warm_start)."""


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the platform stops it, after the pods."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class CannotStart(Exception):
    """The platform could not start; the message says why."""


class AlreadyRunning(CannotStart):
    """Another platform holds the data dir's lock."""


class Platform:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.ready = False
        self.started_at = time.monotonic()
        self.url = f"http://{options.host}:{options.port}"
        self.kubeconfig: Path | None = None
        self._lock_fd: int | None = None
        self._api: api_server.ApiServer | None = None
        self._client: clients.Client | None = None
        self._gateway: gateway_app.Gateway | None = None
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._parts: list[Stoppable] = []

    def _ready(self) -> bool:
        watcher = self._gateway.watcher if self._gateway is not None else None
        api_ready = self._api is not None and self._api.ready
        return self.ready and api_ready and (watcher is None or watcher.synced)

    def _lock(self) -> None:
        data = self.options.data_dir
        data.mkdir(parents=True, exist_ok=True)
        fd = os.open(data / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise AlreadyRunning(f"another pinnace is running on {data}") from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    async def start(self) -> None:
        self._lock()
        options = self.options
        self._api = api_server.ApiServer(
            options.data_dir,
            settings=api_server.Settings(
                history=options.watch_history,
                advertise_url=self.url,
                authorization_mode="RBAC",
            ),
            validators=VALIDATORS,
        )
        await self._api.start()
        token = kubeconfigs.admin_token(options.data_dir)
        self.kubeconfig = kubeconfigs.write(options.data_dir, server=self.url, token=token)
        self._client = clients.Client.from_url(self.url, token=token)
        # The KFP REST API acts as each caller through this client (impersonation).
        kfp = kfp_api.build(self._client)
        self._gateway = gateway_app.build(
            gateway_settings.Settings(
                admin_token=token,
                admin_user=DEFAULT_USER,
                trust_loopback=ipaddress.ip_address(options.host).is_loopback,
            ),
            kube_api=api_app.build(self._api),
            client=self._client,
            ready=self._ready,
            mounts={"/pipeline": kfp},
        )
        # The platform owns the loop and starts the gateway's watchers itself.
        uvicorn_options = {**gateway_app.UVICORN_OPTIONS, "loop": "none", "lifespan": "off"}
        config = uvicorn.Config(
            self._gateway,
            host=options.host,
            port=options.port,
            log_level="warning",
            timeout_graceful_shutdown=2,
            **uvicorn_options,  # type: ignore[arg-type]
        )
        self._server = _Server(config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[_listen(options)]))
        while not self._server.started:
            if self._serving.done():
                self._serving.result()
                raise CannotStart("the gateway stopped while starting")
            await asyncio.sleep(0.005)
        await install_crds(self._client)
        await kfp.start()
        await self._gateway.start()
        metrics = self._gateway.metrics
        # controller-runtime has no `_created` series
        prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
        mgr = manager.Manager(
            self._client, registry=metrics.registry if metrics is not None else None
        )
        for setup in (*SETUPS, *domain_setups(options)):
            setup(mgr)
        await mgr.start()
        self._parts.append(mgr)
        self._parts.append(
            await runtime.start(
                self._client,
                data_dir=options.data_dir,
                node_name=options.node_name,
                api_url=self.url,
                warm=pipelines.warm_start() if options.warm_start else None,
            )
        )
        self.ready = True
        log.info("pinnace is ready at %s in %.2fs", self.url, time.monotonic() - self.started_at)

    async def stop(self) -> None:
        self.ready = False
        for part in reversed(self._parts):
            with contextlib.suppress(Exception):
                await part.stop()
        self._parts.clear()
        if self._gateway is not None:
            await self._gateway.aclose()
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._serving
        if self._client is not None:
            await self._client.close()
        if self._api is not None:
            await self._api.stop()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _listen(options: Options) -> socket.socket:
    """The gateway's listening socket, bound here so that a taken port is a clear error."""
    sock = socket.socket(socket.AF_INET6 if ":" in options.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((options.host, options.port))
    except OSError as exc:
        sock.close()
        raise CannotStart(
            f"cannot listen on {options.host}:{options.port} ({exc.strerror}); pass another --port"
        ) from exc
    sock.listen(2048)
    return sock


async def install_crds(client: clients.KubeApi) -> None:
    """Create the platform's CRDs, or bring changed ones up to date."""
    for crd in crds.all_crds():
        name = crd["metadata"]["name"]
        try:
            current = await client.get(kinds.CUSTOMRESOURCEDEFINITIONS, name)
        except errors.NotFound:
            await client.create(kinds.CUSTOMRESOURCEDEFINITIONS, crd)
            continue
        if current.get("spec") != crd.get("spec"):
            body: dict[str, Any] = {
                **crd,
                "metadata": {
                    **crd["metadata"],
                    "resourceVersion": current["metadata"]["resourceVersion"],
                },
            }
            await client.replace(kinds.CUSTOMRESOURCEDEFINITIONS, body)


async def run(options: Options, *, on_ready: Callable[[Platform], None] | None = None) -> None:
    """Run until SIGINT/SIGTERM, then stop everything cleanly."""
    import signal

    platform = Platform(options)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await platform.start()
        if on_ready is not None:
            on_ready(platform)
        await stopping.wait()
    finally:
        await platform.stop()
