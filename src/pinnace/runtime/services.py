"""What every pod worker of one node agent shares: the API, the data dir layout, the clock,
the process watchers and the node's facts. Built once by `agents`, handed to `pods` and
`containers`; tests build one around the in-process API server (tests/support).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, recording
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType
from pinnace.runtime import backoffs, forking, images, layouts, limiting, logs


@dataclass
class Services:
    api: clients.KubeApi
    layout: layouts.Layout
    node_name: str
    host_ip: str = "127.0.0.1"
    clock: clocks.Clock = clocks.SYSTEM
    environments: images.Environments = field(default_factory=images.Environments)
    backoff: backoffs.Policy = field(default_factory=backoffs.Policy)
    memory: limiting.MemoryWatch = field(default_factory=limiting.MemoryWatch)
    indexer: logs.Indexer = field(default_factory=logs.Indexer)
    allocatable: dict[str, str] = field(default_factory=dict)
    base_env: dict[str, str] = field(default_factory=dict)
    """Given to every container before the pod's own env (HOME, LANG, the API address...)."""
    host_links: bool = True
    config_retry: float = 2.0
    """Seconds between retries of a container waiting on a ConfigMap/Secret/PVC."""
    forks: forking.Forks | None = None
    """Fork servers for warm entry points (`forking`); None: every container is spawned."""
    recorder: recording.EventRecorder | None = None
    """The node agent's Events (`source.component: kubelet`), posted off the pod's path."""

    def __post_init__(self) -> None:
        if self.recorder is None:
            self.recorder = recording.EventRecorder(
                self.api, "kubelet", host=self.node_name, clock=self.clock
            )

    @property
    def events(self) -> recording.EventRecorder:
        assert self.recorder is not None
        return self.recorder

    async def lookup(self, rt: ResourceType, namespace: str, name: str) -> Object | None:
        """Read one object for env/volume resolution; None when it does not exist."""
        try:
            return await self.api.get(rt, name, namespace=namespace)
        except errors.NotFound:
            return None


class Owner(Protocol):
    """What a container runner needs from its pod worker (`pods.Worker`)."""

    @property
    def pod(self) -> Object: ...

    def changed(self) -> None:
        """Save the record and schedule a status write."""
