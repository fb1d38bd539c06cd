"""Watch fan-out: committed changes → the watch streams that want them.

`Hub` listens to `storage.Store` and hands each committed change to the
watchers of its resource key. A `Watcher` applies its namespace and selector
filter the way kube-apiserver does: an object that stops matching is seen as
DELETED, one that starts matching as ADDED. The HTTP side (`streaming`) turns
a watcher into chunked NDJSON.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from pinnace.apiserver import storage
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

Predicate = Callable[[Object], bool]

MAX_BACKLOG = 10_000
"""Events a slow watcher may fall behind by before its stream is ended (it resumes by RV)."""


@dataclass(eq=False)
class Watcher:
    rkey: storage.ResourceKey
    namespace: str | None
    matches: Predicate
    after_rv: int
    queue: asyncio.Queue[tuple[str, Object] | None] = field(default_factory=asyncio.Queue)
    overflowed: bool = False

    def offer(self, change: storage.Change) -> None:
        if change.rv <= self.after_rv or self.overflowed:
            return
        self.after_rv = change.rv
        event = self._translate(change)
        if event is None:
            return
        if self.queue.qsize() >= MAX_BACKLOG:
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(event)

    def _translate(self, change: storage.Change) -> tuple[str, Object] | None:
        obj = change.obj
        if self.namespace is not None and obj["metadata"].get("namespace", "") != self.namespace:
            return None
        now = self.matches(obj)
        if change.type == "DELETED":
            return ("DELETED", obj) if now else None
        before = change.old is not None and self.matches(change.old)
        if change.type == "ADDED" or change.old is None:
            return ("ADDED", obj) if now else None
        if now and before:
            return ("MODIFIED", obj)
        if now:
            return ("ADDED", obj)
        if before:
            return ("DELETED", obj)
        return None


class Hub:
    """Routes committed changes to watchers by resource key."""

    def __init__(self, store: storage.Store) -> None:
        self._store = store
        self._watchers: dict[storage.ResourceKey, set[Watcher]] = {}
        store.subscribe(self._on_commit)

    def _on_commit(self, changes: list[storage.Change]) -> None:
        for change in changes:
            for watcher in self._watchers.get(change.rkey, ()):
                watcher.offer(change)

    def add(self, watcher: Watcher) -> None:
        self._watchers.setdefault(watcher.rkey, set()).add(watcher)

    def discard(self, watcher: Watcher) -> None:
        watchers = self._watchers.get(watcher.rkey)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self._watchers[watcher.rkey]

    def backlog(self, watcher: Watcher, since_rv: int) -> list[tuple[str, Object]] | None:
        """Replay committed changes after `since_rv` into `watcher`'s view; None when too old."""
        changes = self._store.changes_since(since_rv)
        if changes is None:
            return None
        events: list[tuple[str, Object]] = []
        for change in changes:
            if change.rkey != watcher.rkey:
                continue
            event = watcher._translate(change)
            if event is not None:
                events.append(event)
        return events
