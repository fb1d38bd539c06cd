"""The current routing table, swapped atomically, with a wake-up for waiters.

`pinnace.gateway.watching` publishes each rebuilt table here; the proxy reads
`Publisher.current` once per request (one attribute read, no lock: asyncio
runs one task at a time), and `pinnace.gateway.activating` waits in
`wait_changed` for the next table when a request is held for an endpoint.
"""

from __future__ import annotations

import asyncio

from pinnace.gateway import tables


class Publisher:
    """Holds the live `RoutingTable`; every `publish` wakes all current waiters."""

    __slots__ = ("_changed", "current")

    def __init__(self, table: tables.RoutingTable = tables.EMPTY) -> None:
        self.current = table
        self._changed = asyncio.Event()

    def publish(self, table: tables.RoutingTable) -> None:
        self.current = table
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_changed(self, timeout: float) -> bool:
        """Wait until the next `publish` (True) or until `timeout` seconds pass (False)."""
        changed = self._changed
        try:
            async with asyncio.timeout(timeout):
                await changed.wait()
        except TimeoutError:
            return False
        return True
