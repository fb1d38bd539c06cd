"""Events: what a component did to an object, posted as core/v1 Events for `kubectl describe`.

One recorder serves every component that reports on objects: the controllers
(`pinnace.controllers.manager.Manager.recorder`) and the node agent
(`pinnace.runtime.services`). Like client-go's `EventCorrelator`, repeats are
folded before they reach the API server:

- the same (source, object, field, type, reason, message) within `window`
  seconds bumps `count` and `lastTimestamp` of the existing Event with a merge
  patch instead of posting a new one (a crash loop keeps one BackOff Event);
- more than `similar` different messages for the same (source, object, field,
  type, reason) within `window` collapse into one Event whose message starts
  with "(combined from similar events): " (client-go's EventAggregator).

Reconcilers `await recorder.event(...)`; the node agent calls `emit(...)`,
which schedules the post off its hot path (`drain` waits for those). Posting
never fails the caller: API errors are logged.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType

log = logging.getLogger(__name__)

EVENTS = ResourceType("", "v1", "events", "Event")
NORMAL = "Normal"
WARNING = "Warning"
COMBINED = "(combined from similar events): "

# (object identity, field path, type, reason): the aggregation key; + message: the dedup key
_Similar = tuple[str, str, str, str]
_Exact = tuple[str, str, str, str, str]


def involved_object(obj: Object, *, field_path: str = "") -> dict[str, Any]:
    """The ObjectReference an Event points at."""
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
    if field_path:
        ref["fieldPath"] = field_path
    return ref


@dataclass
class _Posted:
    namespace: str
    name: str
    count: int
    last: float


@dataclass
class _Messages:
    since: float
    seen: set[str] = field(default_factory=set)


class EventRecorder:
    """Posts Events on behalf of one component (`source.component`, e.g. `kubelet`)."""

    def __init__(
        self,
        client: clients.KubeApi,
        component: str,
        *,
        host: str = "",
        clock: clocks.Clock = clocks.SYSTEM,
        window: float = 600.0,
        similar: int = 10,
        cache_size: int = 4096,
    ) -> None:
        self._client = client
        self._component = component
        self._host = host
        self._clock = clock
        self._window = window
        self._similar = similar
        self._cache_size = cache_size
        self._last_nanos = 0
        self._posted: OrderedDict[_Exact, _Posted] = OrderedDict()
        self._messages: OrderedDict[_Similar, _Messages] = OrderedDict()
        self._locks: dict[_Exact, tuple[asyncio.Lock, int]] = {}  # one post per key at a time
        self._pending: set[asyncio.Task[None]] = set()

    async def event(
        self,
        obj: Object,
        reason: str,
        message: str,
        *,
        type_: str = NORMAL,
        field_path: str = "",
    ) -> None:
        """Post (or fold into an earlier) Event about `obj`; never raises an API error."""
        await self._record(obj, reason, message, type_, field_path, self._stamp())

    def _stamp(self) -> tuple[str, float]:
        return clocks.rfc3339(self._clock.now()), self._clock.monotonic()

    async def _record(
        self,
        obj: Object,
        reason: str,
        message: str,
        type_: str,
        field_path: str,
        at: tuple[str, float],
    ) -> None:
        ref = involved_object(obj, field_path=field_path)
        namespace = ref.get("namespace") or "default"
        identity = ref["uid"] or f"{namespace}/{ref['kind']}/{ref['name']}"
        message = self._aggregate((identity, field_path, type_, reason), message, at[1])
        # combined messages all fold into one Event per (object, field, type, reason)
        tail = COMBINED if message.startswith(COMBINED) else message
        key = (identity, field_path, type_, reason, tail)
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await self._post(key, ref, namespace, reason, message, type_, at)
        except (errors.ApiError, errors.TransportError) as exc:
            quiet = isinstance(exc, errors.NotFound | errors.Forbidden | errors.TransportError)
            log.log(
                logging.DEBUG if quiet else logging.WARNING,
                "could not record event %s on %s/%s: %s",
                reason,
                namespace,
                ref["name"],
                exc,
            )
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def warning(
        self, obj: Object, reason: str, message: str, *, field_path: str = ""
    ) -> None:
        await self.event(obj, reason, message, type_=WARNING, field_path=field_path)

    def emit(
        self,
        obj: Object,
        reason: str,
        message: str,
        *,
        type_: str = NORMAL,
        field_path: str = "",
    ) -> None:
        """Schedule `event(...)` and return at once (for callers on a hot path)."""
        task = asyncio.get_running_loop().create_task(
            self._record(obj, reason, message, type_, field_path, self._stamp())
        )
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for every Event scheduled by `emit`."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    # -- the correlator ------------------------------------------------------------------------

    def _aggregate(self, similar: _Similar, message: str, mono: float) -> str:
        """The message to record: the combined one once too many similar messages were seen."""
        seen = self._messages.get(similar)
        if seen is None or mono - seen.since > self._window:
            seen = _Messages(mono)
        self._messages[similar] = seen
        self._messages.move_to_end(similar)
        while len(self._messages) > self._cache_size:
            self._messages.popitem(last=False)
        seen.seen.add(message)
        return COMBINED + message if len(seen.seen) > self._similar else message

    async def _post(
        self,
        key: _Exact,
        ref: dict[str, Any],
        namespace: str,
        reason: str,
        message: str,
        type_: str,
        at: tuple[str, float],
    ) -> None:
        now, mono = at
        combined = message.startswith(COMBINED)
        posted = self._posted.get(key)
        if posted is not None and mono - posted.last < self._window:
            patch: dict[str, Any] = {"count": posted.count + 1, "lastTimestamp": now}
            if combined:
                patch["message"] = message
            try:
                await self._client.patch(EVENTS, posted.name, patch, namespace=posted.namespace)
            except errors.NotFound:
                pass  # deleted meanwhile (TTL, namespace cleanup): post a fresh one
            else:
                self._remember(key, _Posted(posted.namespace, posted.name, posted.count + 1, mono))
                return
        source = {"component": self._component}
        if self._host:
            source["host"] = self._host
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": self._name(ref["name"]), "namespace": namespace},
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
        try:
            created = await self._client.create(EVENTS, body, namespace=namespace)
        except errors.AlreadyExists:  # another recorder took the name in the same nanosecond
            body["metadata"]["name"] = self._name(ref["name"], salt=True)
            created = await self._client.create(EVENTS, body, namespace=namespace)
        self._remember(key, _Posted(namespace, objects.name_of(created), 1, mono))

    def _name(self, obj_name: str, *, salt: bool = False) -> str:
        """client-go's `<object>.<unix nanos in hex>`: wall time, not the injected clock, so
        recorders of several components (or a restarted one) do not pick the same name."""
        self._last_nanos = max(time.time_ns(), self._last_nanos + 1)
        suffix = f"{self._last_nanos:x}"
        return f"{obj_name}.{suffix}{secrets.token_hex(2) if salt else ''}"

    def _remember(self, key: _Exact, value: _Posted) -> None:
        self._posted[key] = value
        self._posted.move_to_end(key)
        while len(self._posted) > self._cache_size:
            self._posted.popitem(last=False)
