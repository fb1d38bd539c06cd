"""The local runtime: pinnace's kubelet and container runtime in one.

`start(api, data_dir=..., node_name=...)` registers this machine as a Node,
serves the kubelet log endpoint, binds PersistentVolumeClaims to local dirs,
and runs every Pod bound to the node as local process groups; `Node.stop()`
ends it all. The CLI calls it with a `pinnace.kits.kube.clients.Client`
pointed at the gateway. Design and trade-offs: docs/design/runtime.md.

Flow: agents (watch pods) → pods (one worker per pod) → containers (one runner
per container) → processes / limiting / probing / logs, with envs, volumes,
mounting, addresses and records beside them; nodes and logserving face the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import locale
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from pinnace.kits import clocks
from pinnace.kits.kube import clients
from pinnace.runtime import (
    addresses,
    agents,
    backoffs,
    forking,
    images,
    layouts,
    limiting,
    logs,
    logserving,
    nodes,
    provisioning,
    services,
)

log = logging.getLogger(__name__)

_INHERITED = ("HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME", "SSL_CERT_FILE")


@dataclass
class Node:
    """A running node agent; `stop()` ends it (and its pods, unless told otherwise)."""

    name: str
    log_port: int
    agent: agents.Agent
    services: services.Services
    provisioner: provisioning.Provisioner | None
    serving: logserving.Serving | None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self, *, stop_pods: bool = True) -> None:
        """Stop following the API; with `stop_pods`, stop every pod's processes gracefully."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.provisioner is not None:
            await self.provisioner.stop()
        await self.agent.stop(stop_pods=stop_pods)
        if self.serving is not None:
            await self.serving.stop()
        await self.services.memory.close()
        if self.services.forks is not None:
            await self.services.forks.stop()
        await self.services.events.drain()


def base_environment(api_url: str | None = None) -> dict[str, str]:
    """What every container inherits from the platform before its own env."""
    env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    env.setdefault("HOME", str(Path.home()))
    env.setdefault("LANG", locale.setlocale(locale.LC_CTYPE) or "C.UTF-8")
    env["PYTHONUNBUFFERED"] = "1"  # logs reach `kubectl logs -f` as they are printed
    if api_url:
        host_port = api_url.split("://", 1)[-1].rstrip("/")
        host, _, port = host_port.rpartition(":")
        env["KUBERNETES_SERVICE_HOST"] = host or host_port
        env["KUBERNETES_SERVICE_PORT"] = port or "80"
    return env


def _prepare(data_dir: Path) -> layouts.Layout:
    layout = layouts.Layout(Path(data_dir).expanduser())
    layout.pods_dir.mkdir(parents=True, exist_ok=True)
    layout.claims_dir.mkdir(parents=True, exist_ok=True)
    return layout


async def start(
    api: clients.KubeApi,
    *,
    data_dir: Path,
    node_name: str = "pinnace",
    clock: clocks.Clock = clocks.SYSTEM,
    environments: images.Environments | None = None,
    backoff: backoffs.Policy | None = None,
    pod_range: str = addresses.DEFAULT_RANGE,
    log_port: int = 0,
    serve_logs: bool = True,
    provision_volumes: bool = True,
    host_links: bool = True,
    api_url: str | None = None,
    heartbeat: float = 10.0,
    memory_interval: float = 0.5,
    warm: forking.Settings | None = None,
) -> Node:
    """Register the node and start running its pods; returns once the pods are synced."""
    layout = _prepare(data_dir)
    cap = nodes.capacity(layout.data_dir)
    svc = services.Services(
        api=api,
        layout=layout,
        node_name=node_name,
        clock=clock,
        environments=environments or images.Environments(),
        backoff=backoff or backoffs.Policy(),
        memory=limiting.MemoryWatch(interval=memory_interval),
        indexer=logs.Indexer(),
        allocatable={"cpu": cap["cpu"], "memory": cap["memory"]},
        base_env=base_environment(api_url),
        host_links=host_links,
        forks=forking.Forks(warm) if warm is not None and warm.modules else None,
    )
    agent = agents.Agent(svc, pool=addresses.Pool(pod_range))
    serving = logserving.Serving(logserving.LogApp(agent), port=log_port) if serve_logs else None
    port = serving.port if serving else 0
    if serving is not None:
        await serving.start()
    await nodes.register(api, name=node_name, data_dir=layout.data_dir, log_port=port, clock=clock)
    provisioner = provisioning.Provisioner(api, layout=layout) if provision_volumes else None
    if provisioner is not None:
        provisioner.start()
    await agent.start()
    beat = nodes.Heartbeat(
        api,
        name=node_name,
        data_dir=layout.data_dir,
        log_port=port,
        clock=clock,
        interval=heartbeat,
    )
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(beat.run()), loop.create_task(svc.indexer.run())]
    log.info("node %s ready (logs on 127.0.0.1:%d)", node_name, port)
    return Node(node_name, port, agent, svc, provisioner, serving, tasks)
