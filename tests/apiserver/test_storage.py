"""The store: durability, the change log and its bounds, group commit order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pinnace.apiserver import storage


def _obj(name: str, ns: str = "default", **extra: object) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        **extra,
    }


async def test_writes_survive_reopen_with_the_same_resource_version(tmp_path: Path) -> None:
    store = storage.Store(tmp_path / "s.db")
    store.open()
    await asyncio.gather(*(store.put("/configmaps", _obj(f"c{i}"), None) for i in range(50)))
    await store.remove("/configmaps", _obj("c3"))
    rv = store.resource_version
    await store.close()

    again = storage.Store(tmp_path / "s.db")
    again.open()
    names = [o["metadata"]["name"] for o in again.objects("/configmaps", "default")]
    assert len(names) == 49 and "c3" not in names
    assert again.resource_version == rv == 51
    assert again.get("/configmaps", "default", "c7")["metadata"]["resourceVersion"] == "8"
    await again.close()


async def test_listeners_see_batches_in_resource_version_order(tmp_path: Path) -> None:
    store = storage.Store(tmp_path / "s.db")
    store.open()
    seen: list[int] = []
    store.subscribe(lambda changes: seen.extend(c.rv for c in changes))
    await asyncio.gather(*(store.put("/configmaps", _obj(f"c{i}"), None) for i in range(200)))
    assert seen == list(range(1, 201))
    assert store.committed_rv == 200
    await store.close()


async def test_change_log_is_bounded_and_reports_what_it_lost(tmp_path: Path) -> None:
    store = storage.Store(tmp_path / "s.db", history=10)
    store.open()
    for i in range(25):
        await store.put("/configmaps", _obj(f"c{i}"), None)
    assert store.changes_since(3) is None
    recent = store.changes_since(20)
    assert recent is not None and [c.rv for c in recent] == [21, 22, 23, 24, 25]
    await store.close()

    again = storage.Store(tmp_path / "s.db", history=10)
    again.open()
    assert again.changes_since(3) is None
    resumed = again.changes_since(22)
    assert resumed is not None and [c.rv for c in resumed] == [23, 24, 25]
    await again.close()


async def test_a_failed_commit_stops_writes_instead_of_losing_them(tmp_path: Path) -> None:
    store = storage.Store(tmp_path / "s.db")
    store.open()
    await store.put("/configmaps", _obj("kept"), None)
    assert store._db is not None
    store._db.execute("drop table objects")  # the next commit fails
    failed = store.put("/configmaps", _obj("lost"), None)
    with pytest.raises(storage.StoreFailed, match="failed"):
        await failed
    assert store.failure is not None
    with pytest.raises(storage.StoreFailed):
        store.put("/configmaps", _obj("refused"), None)
    await store.close()
