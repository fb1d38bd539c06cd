"""Watch streams: `?watch=true` as chunked newline-delimited JSON events.

Start points, as kube-apiserver: no resourceVersion (or "0") → synthetic
ADDED for every current match, then live events; a resourceVersion → the
committed changes after it from the change log, then live events; one older
than the log → an in-stream ERROR with a 410 Expired Status. BOOKMARKs carry
the latest committed resourceVersion when the client allows them;
`timeoutSeconds` ends the stream cleanly. Table-accepting watchers (kubectl
get -w) get one-row Tables.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import encoding, errors, reading, registry, resolving, tables, watching
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube.objects import Object

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


def _float(value: str | None, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise errors.BadRequest(f"{name} must be a number") from exc


async def watch(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    matches = reading.matcher(info, req)
    rkey = registry.storage_key(info)
    timeout = _float(req.query.get("timeoutSeconds"), "timeoutSeconds")
    bookmarks = req.info.flag("allowWatchBookmarks")
    # None: plain objects; otherwise one-row Tables carrying this much of each object.
    table_of = (
        reading.include_object(req) if encoding.wants_table(req.headers.get("accept")) else None
    )
    rv_param = req.query.get("resourceVersion", "")
    send_initial = req.info.flag("sendInitialEvents")
    watcher = watching.Watcher(rkey, req.info.namespace, matches, after_rv=0)
    initial: list[tuple[str, Object]]
    if rv_param in ("", "0") or send_initial:
        watcher.after_rv = server.store.resource_version
        initial = [
            ("ADDED", o) for o in server.store.objects(rkey, req.info.namespace) if matches(o)
        ]
    else:
        try:
            since = int(rv_param)
        except ValueError as exc:
            raise errors.BadRequest(f'invalid resource version: "{rv_param}"') from exc
        backlog = server.hub.backlog(watcher, since)
        if backlog is None:
            expired = errors.Gone(
                f"too old resource version: {since} ({server.store.compacted_rv + 1})"
            ).status()
            return Reply(200, stream=_once({"type": "ERROR", "object": expired}))
        watcher.after_rv = max(since, server.store.committed_rv)
        initial = backlog
    server.hub.add(watcher)
    stream = _events(
        server,
        info,
        watcher,
        initial,
        timeout=timeout,
        bookmarks=bookmarks,
        table_of=table_of,
        initial_end=send_initial and bookmarks,
    )
    return Reply(200, stream=stream)


async def _once(event: dict[str, Any]) -> AsyncIterator[bytes]:
    yield orjson.dumps(event) + b"\n"


async def _events(
    server: ApiServer,
    info: ResourceInfo,
    watcher: watching.Watcher,
    initial: list[tuple[str, Object]],
    *,
    timeout: float | None,
    bookmarks: bool,
    table_of: str | None,
    initial_end: bool,
) -> AsyncIterator[bytes]:
    first_table = [True]

    def encode(kind: str, obj: Object) -> bytes:
        obj = resolving.present(info, obj)
        if table_of is not None:
            obj = tables.table(
                info,
                [obj],
                now=server.clock.now(),
                resource_version=obj["metadata"]["resourceVersion"],
                headers=first_table[0],
                include_object=table_of,
            )
            first_table[0] = False
        return orjson.dumps({"type": kind, "object": obj}) + b"\n"

    def bookmark(extra: dict[str, str] | None = None) -> bytes:
        meta: dict[str, Any] = {
            "resourceVersion": str(max(watcher.after_rv, server.store.committed_rv))
        }
        if extra:
            meta["annotations"] = extra
        return (
            orjson.dumps(
                {
                    "type": "BOOKMARK",
                    "object": {"kind": info.kind, "apiVersion": info.api_version, "metadata": meta},
                }
            )
            + b"\n"
        )

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout if timeout is not None else None
    interval = server.settings.bookmark_interval
    try:
        if initial:
            yield b"".join(encode(kind, obj) for kind, obj in initial)
        if initial_end:
            yield bookmark({INITIAL_EVENTS_END: "true"})
        while True:
            wait = interval if bookmarks else None
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    return
                wait = left if wait is None else min(wait, left)
            try:
                event = await asyncio.wait_for(watcher.queue.get(), wait)
            except TimeoutError:
                if bookmarks and (deadline is None or loop.time() < deadline):
                    yield bookmark()
                continue
            if event is None:
                return  # fell too far behind: the client resumes from its last resourceVersion
            chunk = [encode(*event)]
            while not watcher.queue.empty():
                more = watcher.queue.get_nowait()
                if more is None:
                    yield b"".join(chunk)
                    return
                chunk.append(encode(*more))
            yield b"".join(chunk)
    finally:
        with contextlib.suppress(Exception):
            server.hub.discard(watcher)
