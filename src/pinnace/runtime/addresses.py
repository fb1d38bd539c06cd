"""Pod addresses: one loopback IP per pod, so pods can share a port number.

All of 127.0.0.0/8 reaches this machine, so each pod gets its own address from
a range (default 127.1.0.0/16) as `status.podIP` and `$POD_IP`; a process that
binds `$POD_IP:8080` does not collide with another pod's `$POD_IP:8080`. The
node agent (`node`) seeds the pool with the addresses recorded in its pod
records (`records`), so a pod keeps its address across agent restarts.
Allocation walks forward from the last address handed out, so a freed address
is not reused at once (stale clients do not reach a new pod).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

DEFAULT_RANGE = "127.1.0.0/16"
NODE_IP = "127.0.0.1"


class Exhausted(Exception):
    """Every address of the range is taken."""


class Pool:
    """Loopback addresses for pods; `claim` marks one taken, `release` frees it."""

    def __init__(self, network: str = DEFAULT_RANGE, taken: Iterable[str] = ()) -> None:
        self.network = ipaddress.IPv4Network(network)
        if not self.network.is_loopback:
            raise ValueError(f"pod range must be loopback, got {network}")
        self._taken: set[ipaddress.IPv4Address] = set()
        self._next = int(self.network.network_address) + 1
        for ip in taken:
            self.claim(ip)

    def claim(self, ip: str) -> None:
        """Mark `ip` taken (a recorded pod's address)."""
        self._taken.add(ipaddress.IPv4Address(ip))

    def release(self, ip: str) -> None:
        self._taken.discard(ipaddress.IPv4Address(ip))

    def allocate(self) -> str:
        first = int(self.network.network_address)
        size = self.network.num_addresses
        for step in range(size):
            candidate = first + (self._next - first + step) % size
            ip = ipaddress.IPv4Address(candidate)
            if candidate % 256 in (0, 255) or ip in self._taken:
                continue  # .0 and .255 read like network/broadcast addresses: skip them
            self._taken.add(ip)
            self._next = candidate + 1
            return str(ip)
        raise Exhausted(f"no free address in {self.network}")

    def __contains__(self, ip: str) -> bool:
        return ipaddress.IPv4Address(ip) in self._taken
