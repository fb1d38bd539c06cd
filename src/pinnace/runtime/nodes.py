"""This machine as a core/v1 Node: registration, status and heartbeats.

`runtime.start` registers the Node (created if missing, its status written
through `nodes/{name}/status`): Ready, capacity and allocatable measured from
the machine, InternalIP 127.0.0.1, the log endpoint's port in
`daemonEndpoints.kubeletEndpoint.Port`, and nodeInfo. `Heartbeat` renews a
Lease in kube-node-lease every `interval` seconds and refreshes the Node's
conditions every few leases, as the kubelet does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import shutil
from pathlib import Path

import psutil

import pinnace
from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-node-lease"
KUBELET_VERSION = "v1.32.0-pinnace"
MAX_PODS = 250


def capacity(data_dir: Path) -> dict[str, str]:
    memory_kib = psutil.virtual_memory().total // 1024
    disk = shutil.disk_usage(data_dir if data_dir.exists() else Path("/"))
    return {
        "cpu": str(os.cpu_count() or 1),
        "memory": f"{memory_kib}Ki",
        "ephemeral-storage": f"{disk.total // 1024}Ki",
        "pods": str(MAX_PODS),
    }


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def node_status(
    *, name: str, data_dir: Path, log_port: int, now: str, ready: bool = True
) -> Object:
    cap = capacity(data_dir)
    condition = {
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }
    return {
        "capacity": cap,
        "allocatable": dict(cap),
        "conditions": [
            {
                "type": t,
                "status": "False",
                "reason": f"KubeletHasSufficient{r}",
                "message": f"kubelet has sufficient {r.lower()}",
                **condition,
            }
            for t, r in (
                ("MemoryPressure", "Memory"),
                ("DiskPressure", "Disk"),
                ("PIDPressure", "PID"),
            )
        ]
        + [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "reason": "KubeletReady" if ready else "KubeletNotReady",
                "message": "kubelet is posting ready status" if ready else "node agent stopped",
                **condition,
            }
        ],
        "addresses": [
            {"type": "InternalIP", "address": "127.0.0.1"},
            {"type": "Hostname", "address": name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": log_port}},
        "nodeInfo": {
            "machineID": _read("/etc/machine-id"),
            "systemUUID": _read("/etc/machine-id"),
            "bootID": _read("/proc/sys/kernel/random/boot_id"),
            "kernelVersion": platform.release(),
            "osImage": platform.platform(terse=True),
            "containerRuntimeVersion": f"pinnace://{getattr(pinnace, '__version__', '0.1.0')}",
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": _arch(),
        },
    }


async def register(
    api: clients.KubeApi, *, name: str, data_dir: Path, log_port: int, clock: clocks.Clock
) -> Object:
    """Create or update the Node and write its status; returns the Node."""
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": _arch(),
        "node-role.kubernetes.io/control-plane": "",
    }
    try:
        await api.get(kinds.NODES, name)
        await api.patch(kinds.NODES, name, {"metadata": {"labels": labels}})
    except errors.NotFound:
        body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}
        with contextlib.suppress(errors.AlreadyExists):
            await api.create(kinds.NODES, body)
    status = node_status(
        name=name, data_dir=data_dir, log_port=log_port, now=clocks.rfc3339(clock.now())
    )
    node: Object = await api.patch(kinds.NODES, name, {"status": status}, subresource="status")
    return node


class Heartbeat:
    """Renews the node's Lease every `interval` s and its conditions every 4 leases."""

    def __init__(
        self,
        api: clients.KubeApi,
        *,
        name: str,
        data_dir: Path,
        log_port: int,
        clock: clocks.Clock,
        interval: float = 10.0,
    ) -> None:
        self.api, self.name, self.data_dir, self.log_port = api, name, data_dir, log_port
        self.clock, self.interval = clock, interval

    async def run(self) -> None:
        beats = 0
        while True:
            await self.clock.sleep(self.interval)
            beats += 1
            try:
                await self.renew_lease()
                if beats % 4 == 0:
                    await register(
                        self.api,
                        name=self.name,
                        data_dir=self.data_dir,
                        log_port=self.log_port,
                        clock=self.clock,
                    )
            except (errors.ApiError, errors.TransportError) as exc:
                log.warning("node heartbeat failed: %s", exc)

    async def renew_lease(self) -> None:
        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        spec = {"holderIdentity": self.name, "leaseDurationSeconds": 40, "renewTime": now}
        try:
            await self.api.patch(kinds.LEASES, self.name, {"spec": spec}, namespace=LEASE_NAMESPACE)
        except errors.NotFound:
            lease = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": LEASE_NAMESPACE},
                "spec": spec,
            }
            try:
                await self.api.create(kinds.LEASES, lease)
            except errors.NotFound:  # no kube-node-lease namespace yet
                with contextlib.suppress(errors.AlreadyExists):
                    await self.api.create(
                        kinds.NAMESPACES,
                        {
                            "apiVersion": "v1",
                            "kind": "Namespace",
                            "metadata": {"name": LEASE_NAMESPACE},
                        },
                    )
                await self.api.create(kinds.LEASES, lease)
