"""Informers: a list+watch cache of one kind, and the events that keep it current.

An `Informer` lists a kind (optionally one namespace, label/field-selected),
then watches from the list's resourceVersion with bookmarks. When a stream
ends it resumes from the last resourceVersion seen (bookmarks included); on
410 Gone or any error it lists again (with backoff after errors) and emits the
differences against its cache, so handlers never miss a delete. Controllers
(`pinnace.controllers.running`) map its events to work-queue keys and read the
cache in `reconcile`; the node agent and the gateway follow pods, services and
routes the same way. Cached objects are shared: treat them as read-only.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import inspect
import logging
import random
from collections.abc import Callable, Iterable
from typing import Any

from pinnace.kits import clocks, selectors
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.kits.kube.resources import ResourceType

log = logging.getLogger(__name__)

Handler = Callable[[str, Object, Object | None], Any]
"""`handler(event_type, obj, old_obj)`: ADDED / MODIFIED / DELETED; may be sync or async."""


class Informer:
    """A self-healing cache of one kind, fed by list + watch."""

    def __init__(
        self,
        client: clients.KubeApi,
        resource_type: ResourceType,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        *,
        clock: clocks.Clock = clocks.SYSTEM,
        backoff: tuple[float, float] = (0.2, 30.0),
        watch_timeout: int = 300,
        page_size: int | None = 500,
    ) -> None:
        self.client = client
        self.resource_type = resource_type
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self._clock = clock
        self._backoff = backoff
        self._watch_timeout = watch_timeout
        self._page_size = page_size
        self._cache: dict[ObjectKey, Object] = {}
        self._owned: dict[str, set[ObjectKey]] = {}
        self._handlers: list[Handler] = []
        self._rv = ""
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def add_handler(self, handler: Handler) -> None:
        """Call `handler` for every change; it first sees the current contents as ADDED."""
        self._handlers.append(handler)

    def remove_handler(self, handler: Handler) -> None:
        """Stop calling `handler` (a no-op if it was not added)."""
        if handler in self._handlers:
            self._handlers.remove(handler)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"informer {self.resource_type.group_resource}"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_synced(self) -> None:
        """Return once the first list has filled the cache."""
        await self._synced.wait()

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    @property
    def resource_version(self) -> str:
        """The last resourceVersion seen (list, event or bookmark)."""
        return self._rv

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: ObjectKey) -> Object | None:
        return self._cache.get(key)

    def list(
        self,
        namespace: str | None = None,
        selector: selectors.LabelSelector | str | None = None,
    ) -> list[Object]:
        """Cached objects, optionally of one namespace and matching a label selector."""
        sel = selectors.parse_labels(selector) if isinstance(selector, str) else selector
        return [
            obj
            for key, obj in self._cache.items()
            if (namespace is None or key.namespace == namespace)
            and (sel is None or sel.matches(objects.labels_of(obj)))
        ]

    def cached_keys(self) -> builtins.list[ObjectKey]:
        return list(self._cache)

    def owned_by(self, uid: str) -> builtins.list[Object]:
        """Cached objects with an ownerReference to `uid` (controller or not)."""
        return [self._cache[k] for k in self._owned.get(uid, ()) if k in self._cache]

    # -- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        must_list = True
        while True:
            try:
                if must_list:
                    await self._relist()
                    must_list = False
                await self._watch()
                failures = 0
            except asyncio.CancelledError:
                raise
            except errors.Gone:
                log.debug("%s: watch expired at %s; relisting", self._name, self._rv)
                must_list = True
            except Exception as exc:
                must_list = True
                delay = min(self._backoff[1], self._backoff[0] * 2**failures)
                failures += 1
                log.warning("%s: %r; relisting in %.1fs", self._name, exc, delay)
                await self._clock.sleep(delay * random.uniform(0.8, 1.2))

    @property
    def _name(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"informer {self.resource_type.group_resource}{where}"

    async def _relist(self) -> None:
        items: builtins.list[Object] = []
        token: str | None = None
        while True:
            page = await self.client.list(
                self.resource_type,
                namespace=self.namespace,
                label_selector=self.label_selector,
                field_selector=self.field_selector,
                limit=self._page_size,
                continue_token=token,
            )
            items.extend(page.items)
            token = page.continue_token
            if not token:
                break
        fresh = {objects.key_of(o): o for o in items}
        old = self._cache
        self._rv = page.resource_version
        changes: builtins.list[tuple[str, Object, Object | None]] = []
        for key, obj in fresh.items():
            before = old.get(key)
            if before is None:
                changes.append(("ADDED", obj, None))
            elif objects.resource_version_of(before) != objects.resource_version_of(obj):
                changes.append(("MODIFIED", obj, before))
        changes.extend(("DELETED", obj, None) for key, obj in old.items() if key not in fresh)
        self._cache = {}
        self._owned = {}
        for key, obj in fresh.items():
            self._store(key, obj)
        self._synced.set()
        for change in changes:
            await self._notify(*change)

    async def _watch(self) -> None:
        stream = self.client.watch(
            self.resource_type,
            namespace=self.namespace,
            resource_version=self._rv,
            allow_bookmarks=True,
            timeout_seconds=int(self._watch_timeout * random.uniform(1.0, 2.0)),
            label_selector=self.label_selector,
            field_selector=self.field_selector,
        )
        async for event in stream:
            rv = objects.resource_version_of(event.object)
            if event.type == "BOOKMARK":
                self._rv = rv or self._rv
                continue
            key = objects.key_of(event.object)
            before = self._cache.get(key)
            if event.type == "DELETED":
                self._forget(key)
            else:
                self._store(key, event.object)
            self._rv = rv or self._rv
            kind = event.type
            if kind == "ADDED" and before is not None:
                kind = "MODIFIED"
            await self._notify(kind, event.object, before)

    def _store(self, key: ObjectKey, obj: Object) -> None:
        self._forget(key)
        self._cache[key] = obj
        for uid in _owner_uids(obj):
            self._owned.setdefault(uid, set()).add(key)

    def _forget(self, key: ObjectKey) -> None:
        old = self._cache.pop(key, None)
        if old is not None:
            for uid in _owner_uids(old):
                keys = self._owned.get(uid)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._owned[uid]

    async def _notify(self, kind: str, obj: Object, old: Object | None) -> None:
        for handler in self._handlers:
            try:
                result = handler(kind, obj, old)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("%s: handler %r failed on %s", self._name, handler, kind)


def _owner_uids(obj: Object) -> Iterable[str]:
    for ref in objects.meta(obj).get("ownerReferences") or []:
        uid = ref.get("uid")
        if uid:
            yield str(uid)
