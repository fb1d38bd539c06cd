"""Events: what a controller did to an object, posted as core/v1 Events for `kubectl describe`.

Reconcilers call `recorder.event(obj, reason, message)` (or `warning`) after
a write succeeds or fails. Like client-go's recorder, a repeat of the same
(object, type, reason, message) within the aggregation window bumps `count`
and `lastTimestamp` of the existing Event with a merge patch instead of
posting a new one. Posting never fails a reconcile: API errors are logged.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"


def involved_object(obj: Object) -> dict[str, Any]:
    meta = objects.meta(obj)
    ref = {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return ref


class EventRecorder:
    """Posts Events on behalf of one component (`source.component`, e.g. `deployment-controller`)."""

    def __init__(
        self,
        client: clients.KubeApi,
        component: str,
        *,
        host: str = "",
        clock: clocks.Clock = clocks.SYSTEM,
        window: float = 600.0,
        cache_size: int = 4096,
    ) -> None:
        self._client = client
        self._component = component
        self._host = host
        self._clock = clock
        self._window = window
        self._cache_size = cache_size
        self._last_nanos = 0
        # (uid, type, reason, message) -> (event namespace, event name, count, last monotonic)
        self._seen: OrderedDict[tuple[str, str, str, str], tuple[str, str, int, float]] = (
            OrderedDict()
        )

    async def event(self, obj: Object, reason: str, message: str, *, type_: str = NORMAL) -> None:
        ref = involved_object(obj)
        namespace = ref.get("namespace") or "default"
        key = (ref["uid"] or f"{namespace}/{ref['name']}", type_, reason, message)
        now = clocks.rfc3339(self._clock.now())
        mono = self._clock.monotonic()
        seen = self._seen.get(key)
        try:
            if seen is not None and mono - seen[3] < self._window:
                ns, name, count, _ = seen
                try:
                    await self._client.patch(
                        kinds.EVENTS,
                        name,
                        {"count": count + 1, "lastTimestamp": now},
                        namespace=ns,
                    )
                    self._remember(key, (ns, name, count + 1, mono))
                    return
                except errors.NotFound:
                    pass
            # client-go names events `<object>.<unix nanos in hex>`; keep them unique per recorder
            self._last_nanos = max(int(self._clock.now().timestamp() * 1e9), self._last_nanos + 1)
            name = f"{ref['name']}.{self._last_nanos:x}"
            source = {"component": self._component}
            if self._host:
                source["host"] = self._host
            body = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": namespace},
                "involvedObject": ref,
                "reason": reason,
                "message": message,
                "type": type_,
                "source": source,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
                "reportingComponent": self._component,
                "reportingInstance": self._host or self._component,
            }
            created = await self._client.create(kinds.EVENTS, body, namespace=namespace)
            self._remember(key, (namespace, objects.name_of(created) or name, 1, mono))
        except (errors.ApiError, errors.TransportError) as exc:
            log.warning(
                "could not record event %s on %s/%s: %s", reason, namespace, ref["name"], exc
            )

    async def warning(self, obj: Object, reason: str, message: str) -> None:
        await self.event(obj, reason, message, type_=WARNING)

    def _remember(self, key: tuple[str, str, str, str], value: tuple[str, str, int, float]) -> None:
        self._seen[key] = value
        self._seen.move_to_end(key)
        while len(self._seen) > self._cache_size:
            self._seen.popitem(last=False)
