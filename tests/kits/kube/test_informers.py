"""Informers against the in-process API server: initial list, live events, resume, relist after 410 and errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.support import apiservers

from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.kits.kube import errors, informers
from pinnace.kits.kube.objects import Object, ObjectKey

Seen = list[tuple[str, str]]


async def eventually(cond: Callable[[], bool], timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


def pod(name: str, **labels: str) -> Object:
    return {
        "metadata": {"name": name, "namespace": "ns", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
    }


async def started(kube: apiservers.Kube, **kw: object) -> tuple[informers.Informer, Seen]:
    inf = informers.Informer(kube, kinds.PODS, **kw)  # type: ignore[arg-type]
    seen: Seen = []
    inf.add_handler(lambda t, o, old: seen.append((t, o["metadata"]["name"])))
    inf.start()
    await inf.wait_synced()
    return inf, seen


async def test_list_then_live_events(kube: apiservers.Kube) -> None:
    await kube.create(kinds.PODS, pod("a", app="x"))
    inf, seen = await started(kube)
    assert seen == [("ADDED", "a")]
    await kube.create(kinds.PODS, pod("b", app="y"))
    await kube.patch(kinds.PODS, "a", {"metadata": {"labels": {"v": "2"}}}, namespace="ns")
    await kube.delete(kinds.PODS, "b", namespace="ns")
    await eventually(lambda: len(seen) == 4)
    assert seen[1:] == [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    assert inf.get(ObjectKey("ns", "a"))["metadata"]["labels"] == {"app": "x", "v": "2"}  # type: ignore[index]
    assert [o["metadata"]["name"] for o in inf.list("ns", "app=x")] == ["a"]
    assert inf.get(ObjectKey("ns", "b")) is None
    await inf.stop()


async def test_async_handlers_and_old_object(kube: apiservers.Kube) -> None:
    await kube.create(kinds.PODS, pod("a"))
    inf = informers.Informer(kube, kinds.PODS)
    olds: list[object] = []

    async def handler(t: str, o: Object, old: Object | None) -> None:
        olds.append(old and old["metadata"]["resourceVersion"])

    inf.add_handler(handler)
    inf.start()
    await inf.wait_synced()
    before = inf.get(ObjectKey("ns", "a"))["metadata"]["resourceVersion"]  # type: ignore[index]
    await kube.patch(kinds.PODS, "a", {"metadata": {"labels": {"v": "1"}}}, namespace="ns")
    await eventually(lambda: len(olds) == 2)
    assert olds == [None, before]
    await inf.stop()


async def test_a_handler_added_to_a_synced_informer_sees_the_cache_first(
    kube: apiservers.Kube,
) -> None:
    await kube.create(kinds.PODS, pod("a"))
    inf, _ = await started(kube)
    late: Seen = []
    inf.add_handler(lambda t, o, old: late.append((t, o["metadata"]["name"])))
    assert late == [("ADDED", "a")]
    seen_async: Seen = []

    async def handler(t: str, o: Object, old: Object | None) -> None:
        seen_async.append((t, o["metadata"]["name"]))

    inf.add_handler(handler)
    await kube.create(kinds.PODS, pod("b"))
    await eventually(lambda: len(late) == 2 and len(seen_async) == 2)
    assert late == seen_async == [("ADDED", "a"), ("ADDED", "b")]
    await inf.stop()


async def test_resumes_after_stream_end_without_duplicates(kube: apiservers.Kube) -> None:
    await kube.create(kinds.PODS, pod("a"))
    inf, seen = await started(kube)
    kube.end_watches()
    await kube.create(kinds.PODS, pod("b"))
    await kube.create(kinds.PODS, pod("c"))
    await eventually(lambda: len(seen) >= 3)
    # `c` arrived after `b` on the resumed stream, so a duplicate `a` or `b` would precede it.
    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c")]
    await inf.stop()


async def test_relist_after_gone_emits_missed_differences(kube: apiservers.Kube) -> None:
    clock = clocks.ManualClock()
    await kube.create(kinds.PODS, pod("a"))
    await kube.create(kinds.PODS, pod("b"))
    inf, seen = await started(kube, clock=clock)
    # The stream breaks and the next watch fails: the informer backs off (manual clock).
    kube.fail_next("watch", errors.TransportError("reset"))
    kube.end_watches()
    await eventually(lambda: bool(clock._sleepers))
    await kube.delete(kinds.PODS, "a", namespace="ns")
    await kube.patch(kinds.PODS, "b", {"metadata": {"labels": {"v": "2"}}}, namespace="ns")
    await kube.create(kinds.PODS, pod("c"))
    kube.expire_history()
    clock.advance(60)
    await eventually(lambda: len(seen) == 5)
    assert sorted(seen[2:]) == [("ADDED", "c"), ("DELETED", "a"), ("MODIFIED", "b")]
    assert sorted(k.name for k in inf.cached_keys()) == ["b", "c"]
    await inf.stop()


async def test_gone_on_resume_relists(kube: apiservers.Kube) -> None:
    await kube.create(kinds.PODS, pod("a"))
    inf, seen = await started(kube)
    kube.fail_next("watch", errors.Gone({"code": 410, "reason": "Expired"}))
    kube.end_watches()
    await kube.delete(kinds.PODS, "a", namespace="ns")
    await eventually(lambda: ("DELETED", "a") in seen)
    assert inf.cached_keys() == []
    await inf.stop()


async def test_owner_index_and_selectors(kube: apiservers.Kube) -> None:
    owned = pod("child", app="x")
    owned["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "uid": "owner-1", "kind": "Deployment", "name": "d"}
    ]
    await kube.create(kinds.PODS, owned)
    await kube.create(kinds.PODS, pod("other", app="y"))
    inf, seen = await started(kube, label_selector="app=x")
    assert seen == [("ADDED", "child")]
    assert [o["metadata"]["name"] for o in inf.owned_by("owner-1")] == ["child"]
    # Relabelling out of the selector is a DELETED for this informer.
    await kube.patch(kinds.PODS, "child", {"metadata": {"labels": {"app": "z"}}}, namespace="ns")
    await eventually(lambda: len(seen) == 2)
    assert seen[1] == ("DELETED", "child")
    assert inf.owned_by("owner-1") == []
    await inf.stop()


async def test_paged_list(kube: apiservers.Kube) -> None:
    for i in range(7):
        await kube.create(kinds.PODS, pod(f"p{i}"))
    inf = informers.Informer(kube, kinds.PODS, page_size=3)
    inf.start()
    await inf.wait_synced()
    assert len(inf.cached_keys()) == 7
    await inf.stop()
