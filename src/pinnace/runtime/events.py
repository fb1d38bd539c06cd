"""Pod events (Started, Killing, Unhealthy, BackOff, Failed...) as core/v1 Events.

Best effort and off the hot path: `Recorder.pod_event` schedules the create
and returns; a failed create is logged, never raised. Used by `containers`
and `pods`; `kubectl describe pod` shows them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors
from pinnace.kits.kube.objects import Object, meta

log = logging.getLogger(__name__)


class Recorder:
    def __init__(self, api: clients.KubeApi, *, node_name: str, clock: clocks.Clock) -> None:
        self.api = api
        self.node_name = node_name
        self.clock = clock
        self._pending: set[asyncio.Task[None]] = set()

    def pod_event(
        self, pod: Object, reason: str, message: str, *, warning: bool = False, field: str = ""
    ) -> None:
        m = meta(pod)
        now = clocks.rfc3339(self.clock.now())
        event: Object = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{m.get('name')}.{uuid.uuid4().hex[:16]}",
                "namespace": m.get("namespace"),
            },
            "involvedObject": {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": m.get("name"),
                "namespace": m.get("namespace"),
                "uid": m.get("uid"),
                **({"fieldPath": field} if field else {}),
            },
            "reason": reason,
            "message": message,
            "type": "Warning" if warning else "Normal",
            "source": {"component": "kubelet", "host": self.node_name},
            "reportingComponent": "kubelet",
            "reportingInstance": self.node_name,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        task = asyncio.get_running_loop().create_task(self._create(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _create(self, event: Object) -> None:
        try:
            await self.api.create(kinds.EVENTS, event)
        except (errors.ApiError, errors.TransportError) as exc:
            log.debug("event %s not recorded: %s", event["reason"], exc)

    async def drain(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
