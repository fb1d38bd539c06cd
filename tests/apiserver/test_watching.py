"""Watch streams: initial state, resume, 410, bookmarks, selectors."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from tests.apiserver.conftest import Running

CM = "/api/v1/namespaces/default/configmaps"


def _cm(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}}


async def _collect(
    running: Running,
    params: dict[str, Any],
    count: int,
    opened: asyncio.Event | None = None,
) -> list[dict[str, Any]]:
    """The first `count` events; `opened` is set once the answer's head has arrived, which
    the server sends after registering the watch, so later writes reach it live."""
    events: list[dict[str, Any]] = []
    async with running.http.stream("GET", CM, params={"watch": "true", **params}) as r:
        assert r.status_code == 200
        if opened is not None:
            opened.set()
        async for line in r.aiter_lines():
            if line:
                events.append(orjson.loads(line))
            if len(events) >= count:
                break
    return events


async def test_watch_without_version_starts_with_current_state_then_live(running: Running) -> None:
    await running.http.post(CM, json=_cm("a"))
    opened = asyncio.Event()
    task = asyncio.create_task(_collect(running, {}, 2, opened))
    await asyncio.wait_for(opened.wait(), 5)
    await running.http.post(CM, json=_cm("b"))  # after the watch started: only live can carry it
    events = await asyncio.wait_for(task, 5)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
    ]


async def test_watch_resumes_after_a_resource_version(running: Running) -> None:
    first = (await running.http.post(CM, json=_cm("r1"))).json()
    await running.http.post(CM, json=_cm("r2"))
    await running.http.delete(f"{CM}/r1")
    events = await asyncio.wait_for(
        _collect(running, {"resourceVersion": first["metadata"]["resourceVersion"]}, 2), 5
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "r2"),
        ("DELETED", "r1"),
    ]


async def test_watch_from_a_compacted_version_gets_410(running: Running) -> None:
    running.api.store.compacted_rv = running.api.store.resource_version
    await running.http.post(CM, json=_cm("x"))
    events = await asyncio.wait_for(_collect(running, {"resourceVersion": "1"}, 1), 5)
    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"


async def test_bookmarks_carry_the_latest_version(running: Running) -> None:
    created = (await running.http.post(CM, json=_cm("bm"))).json()
    rv = created["metadata"]["resourceVersion"]
    events = await asyncio.wait_for(
        _collect(running, {"resourceVersion": rv, "allowWatchBookmarks": "true"}, 1), 5
    )
    assert events[0]["type"] == "BOOKMARK"
    assert int(events[0]["object"]["metadata"]["resourceVersion"]) >= int(rv)


async def test_selector_watch_sees_objects_enter_and_leave(running: Running) -> None:
    await running.http.post(CM, json=_cm("sel", team="a"))
    opened = asyncio.Event()
    task = asyncio.create_task(_collect(running, {"labelSelector": "team=b"}, 2, opened))
    await asyncio.wait_for(opened.wait(), 5)
    merge = {"content-type": "application/merge-patch+json"}
    await running.http.patch(
        f"{CM}/sel", json={"metadata": {"labels": {"team": "b"}}}, headers=merge
    )
    await running.http.patch(
        f"{CM}/sel", json={"metadata": {"labels": {"team": "c"}}}, headers=merge
    )
    events = await asyncio.wait_for(task, 5)
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]


async def test_timeout_seconds_ends_the_stream(running: Running) -> None:
    async with running.http.stream("GET", CM, params={"watch": "1", "timeoutSeconds": "0.3"}) as r:
        lines = [line async for line in r.aiter_lines()]
    assert lines == [] or all(orjson.loads(x)["type"] == "ADDED" for x in lines if x)
