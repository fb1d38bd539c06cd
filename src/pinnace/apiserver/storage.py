"""Storage: the authoritative object state in memory, made durable in SQLite.

Callers (the verb modules) read and write synchronously on the event loop, so
a read-check-write sequence with no `await` in between is atomic; a write
returns a future that resolves once its batch is committed. A single writer
thread commits batches (group commit: every write queued while a commit is in
flight goes into the next one), in WAL mode with `synchronous=FULL`, so an
accepted write survives `kill -9` and power loss. Committed changes go to the
bounded change log (`changes` table + an in-memory tail) that watches resume
from, then to the `subscribe`d listeners: the watch fan-out (`watching.Hub`).
After a failed commit the store refuses writes (`StoreFailed`) rather than let
memory run ahead of the disk.

Readers may see a write a few milliseconds before it is durable; batches
commit in order, so anything written after seeing it is committed with or
after it.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

EventType = Literal["ADDED", "MODIFIED", "DELETED"]
ResourceKey = str
"""`<group>/<plural>`, e.g. `apps/deployments`, `/pods` for the core group."""

_SCHEMA = """
create table if not exists objects (
    rkey text not null, namespace text not null, name text not null,
    rv integer not null, data blob not null,
    primary key (rkey, namespace, name)
) without rowid;
create table if not exists changes (
    rv integer primary key, type text not null, rkey text not null,
    namespace text not null, name text not null, data blob not null
);
"""


class StoreFailed(Exception):
    """A commit to SQLite failed; the store takes no more writes."""


@dataclass(frozen=True, slots=True)
class Change:
    """One committed write: the new object (the final one for DELETED) and the one before."""

    rv: int
    type: EventType
    rkey: ResourceKey
    obj: Object
    old: Object | None


class Store:
    """Objects by resource key, namespace and name; one global resourceVersion."""

    def __init__(self, path: Path, *, history: int = 20_000) -> None:
        self._path = path
        self._history_size = history
        self._objects: dict[ResourceKey, dict[str, dict[str, Object]]] = {}
        self._rv = 0
        self.committed_rv = 0
        self.compacted_rv = 0
        """Changes up to here are gone from the log: a watch from an older RV gets 410."""
        self.history: collections.deque[Change] = collections.deque()
        self._pending: list[tuple[Change, asyncio.Future[None]]] = []
        self._flushing = False
        self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._db: sqlite3.Connection | None = None
        self._listeners: list[Callable[[list[Change]], None]] = []
        self._commits = 0
        self._drained: asyncio.Future[None] | None = None
        self.failure: BaseException | None = None
        """Set when a commit failed: memory is then ahead of the disk and writes stop."""

    # -- lifecycle ---------------------------------------------------------

    def open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        db.execute("pragma journal_mode=wal")
        db.execute("pragma synchronous=full")
        db.executescript(_SCHEMA)
        for rkey, ns, name, data in db.execute("select rkey, namespace, name, data from objects"):
            self._objects.setdefault(rkey, {}).setdefault(ns, {})[name] = orjson.loads(data)
        rows = db.execute(
            "select rv, type, rkey, data from changes order by rv desc limit ?",
            (self._history_size,),
        ).fetchall()
        for rv, type_, rkey, data in reversed(rows):
            self.history.append(Change(rv, type_, rkey, orjson.loads(data), None))
        top = db.execute("select max(rv) from changes").fetchone()[0] or 0
        self._rv = self.committed_rv = int(top)
        self.compacted_rv = self.history[0].rv - 1 if self.history else self._rv
        self._db = db
        log.info("store opened at %s: resourceVersion %d", self._path, self._rv)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        if self._flushing:
            self._drained = loop.create_future()
            await self._drained
        await loop.run_in_executor(self._writer, self._close_db)
        self._writer.shutdown(wait=True)

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- reads -------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, rkey: ResourceKey, namespace: str, name: str) -> Object | None:
        return self._objects.get(rkey, {}).get(namespace, {}).get(name)

    def objects(self, rkey: ResourceKey, namespace: str | None = None) -> list[Object]:
        """Objects of one kind, sorted by namespace then name (etcd's key order)."""
        by_ns = self._objects.get(rkey, {})
        if namespace is not None:
            items = by_ns.get(namespace, {})
            return [items[n] for n in sorted(items)]
        return [by_ns[ns][n] for ns in sorted(by_ns) for n in sorted(by_ns[ns])]

    # -- writes ------------------------------------------------------------

    def put(self, rkey: ResourceKey, obj: Object, old: Object | None) -> asyncio.Future[None]:
        """Store `obj` (ADDED when `old` is None, else MODIFIED); sets its resourceVersion."""
        return self._write("ADDED" if old is None else "MODIFIED", rkey, obj, old)

    def remove(self, rkey: ResourceKey, obj: Object) -> asyncio.Future[None]:
        """Delete the object; `obj` is its final state, which DELETED events carry."""
        meta = obj["metadata"]
        return self._write(
            "DELETED", rkey, obj, self.get(rkey, meta.get("namespace", ""), meta["name"])
        )

    def _write(
        self, type_: EventType, rkey: ResourceKey, obj: Object, old: Object | None
    ) -> asyncio.Future[None]:
        if self.failure is not None:
            raise StoreFailed(
                f"the store stopped taking writes after a failed commit: {self.failure}"
            )
        self._rv += 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self._rv)
        ns, name = meta.get("namespace", ""), meta["name"]
        by_name = self._objects.setdefault(rkey, {}).setdefault(ns, {})
        if type_ == "DELETED":
            by_name.pop(name, None)
            if not by_name:
                del self._objects[rkey][ns]
        else:
            by_name[name] = obj
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((Change(self._rv, type_, rkey, obj, old), fut))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().call_soon(self._start_flush)
        return fut

    def subscribe(self, listener: Callable[[list[Change]], None]) -> None:
        """`listener` gets each committed batch of changes, in resourceVersion order."""
        self._listeners.append(listener)

    def _start_flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            self._flushing = False
            if self._drained is not None and not self._drained.done():
                self._drained.set_result(None)
            return
        loop = asyncio.get_running_loop()
        task = loop.run_in_executor(self._writer, self._commit, [c for c, _ in batch])
        task.add_done_callback(lambda t: self._flushed(t, batch))

    def _commit(self, changes: list[Change]) -> None:
        db = self._db
        assert db is not None, "store is not open"
        rows = [(c, orjson.dumps(c.obj)) for c in changes]
        db.execute("begin immediate")
        try:
            for c, data in rows:
                meta = c.obj["metadata"]
                ns, name = meta.get("namespace", ""), meta["name"]
                if c.type == "DELETED":
                    db.execute(
                        "delete from objects where rkey=? and namespace=? and name=?",
                        (c.rkey, ns, name),
                    )
                else:
                    db.execute(
                        "insert or replace into objects values (?,?,?,?,?)",
                        (c.rkey, ns, name, c.rv, data),
                    )
                db.execute(
                    "insert into changes values (?,?,?,?,?,?)",
                    (c.rv, c.type, c.rkey, ns, name, data),
                )
            self._commits += 1
            if self._commits % 100 == 0:
                db.execute(
                    "delete from changes where rv <= ?", (changes[-1].rv - self._history_size,)
                )
            db.execute("commit")
        except BaseException:
            db.execute("rollback")
            raise

    def _flushed(
        self, task: asyncio.Future[None], batch: list[tuple[Change, asyncio.Future[None]]]
    ) -> None:
        error = task.exception()
        if error is not None:
            # Memory is ahead of the disk now: refuse further writes rather than lose them.
            log.critical("store commit failed, refusing writes from now on: %s", error)
            self.failure = error
            self._flushing = False
            for change, fut in batch + self._pending:
                if not fut.done():
                    fut.set_exception(
                        StoreFailed(f"commit of resourceVersion {change.rv} failed: {error}")
                    )
            self._pending = []
            if self._drained is not None and not self._drained.done():
                self._drained.set_result(None)
            return
        changes = [c for c, _ in batch]
        self.committed_rv = changes[-1].rv
        self.history.extend(changes)
        while len(self.history) > self._history_size:
            self.compacted_rv = self.history.popleft().rv
        for _, fut in batch:
            if not fut.done():
                fut.set_result(None)
        for listener in self._listeners:
            try:
                listener(changes)
            except Exception:
                log.exception("change listener failed")
        self._start_flush()

    def changes_since(self, rv: int) -> Iterable[Change] | None:
        """Committed changes after `rv`, or None when they are no longer all in the log."""
        if rv < self.compacted_rv:
            return None
        return [c for c in self.history if c.rv > rv]
