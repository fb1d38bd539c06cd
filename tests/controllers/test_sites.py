"""The guide's example controller, on the real in-process API server.

It creates and owns two children, writes nothing in a steady state (server
defaults do not count as drift), follows spec changes, and survives a child
name taken by someone else: `Ready=False` with reason `AlreadyOwned`, a
Warning Event, and no retry loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sites

from pinnace.api import kinds
from pinnace.controllers import builtin, conditions, manager, running
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object, ObjectKey


async def until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll an async `check` until it answers something truthy; return that."""
    async with asyncio.timeout(timeout):
        while not (answer := await check()):  # noqa: ASYNC110 (polling the API)
            await asyncio.sleep(0.01)
    return answer


@pytest.fixture
async def mgr(kube: clients.KubeApi) -> AsyncIterator[manager.Manager]:
    await kube.create(kinds.CUSTOMRESOURCEDEFINITIONS, sites.CRD)

    async def served() -> bool:
        try:
            await kube.list(sites.SITES, namespace="ns")
        except errors.NotFound:
            return False
        return True

    await until(served)
    m = manager.Manager(kube)
    sites.setup(m)
    builtin.setup_garbage_collector(m)
    await m.start()
    yield m
    await m.stop()


def site(name: str = "hello", page: str = "<h1>hi</h1>") -> Object:
    return {
        "apiVersion": "example.pinnace.dev/v1",
        "kind": "Site",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"page": page},
    }


def ready(obj: Object) -> Object | None:
    return conditions.find((obj.get("status") or {}).get("conditions"), "Ready")


async def get(kube: clients.KubeApi, rt: Any, name: str) -> Object | None:
    try:
        return await kube.get(rt, name, namespace="ns")
    except errors.NotFound:
        return None


def site_controller(m: manager.Manager) -> running.Controller:
    return next(c for c in m.controllers if isinstance(c, running.Controller) and c.name == "site")


async def test_creates_and_owns_a_configmap_and_a_service(
    kube: clients.KubeApi, mgr: manager.Manager
) -> None:
    owner = await kube.create(sites.SITES, site())

    async def is_ready() -> Object | None:
        obj = await get(kube, sites.SITES, "hello")
        cond = ready(obj) if obj else None
        return obj if cond and cond["status"] == "True" else None

    obj = await until(is_ready)
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    assert obj["status"]["configMapName"] == "hello-content"
    cond = ready(obj)
    assert cond is not None and cond["observedGeneration"] == obj["metadata"]["generation"]
    config = await kube.get(kinds.CONFIGMAPS, "hello-content", namespace="ns")
    service = await kube.get(kinds.SERVICES, "hello", namespace="ns")
    assert config["data"] == {"index.html": "<h1>hi</h1>"}
    assert service["spec"]["ports"][0]["targetPort"] == 80  # a server default
    for child in (config, service):
        assert objects.controller_uid(child) == objects.uid_of(owner)

    # A steady state writes nothing: wake the controller and compare resourceVersions.
    ctl = site_controller(mgr)
    before = (objects.resource_version_of(config), objects.resource_version_of(service))
    rv = objects.resource_version_of(obj)
    await ctl.process(ObjectKey("ns", "hello"))
    config = await kube.get(kinds.CONFIGMAPS, "hello-content", namespace="ns")
    service = await kube.get(kinds.SERVICES, "hello", namespace="ns")
    assert (objects.resource_version_of(config), objects.resource_version_of(service)) == before
    again = await kube.get(sites.SITES, "hello", namespace="ns")
    assert objects.resource_version_of(again) == rv

    # A spec change reaches the child; fields another writer added survive the patch.
    await kube.patch(
        kinds.CONFIGMAPS, "hello-content", {"metadata": {"labels": {"extra": "1"}}}, namespace="ns"
    )
    await kube.patch(sites.SITES, "hello", {"spec": {"page": "bye"}}, namespace="ns")

    async def updated() -> Object | None:
        cm = await get(kube, kinds.CONFIGMAPS, "hello-content")
        return cm if cm and cm["data"] == {"index.html": "bye"} else None

    cm = await until(updated)
    assert cm["metadata"]["labels"]["extra"] == "1"

    # Deleting the Site removes its children (ownerReferences, the garbage collector).
    await kube.delete(sites.SITES, "hello", namespace="ns")

    async def gone() -> bool:
        return await get(kube, kinds.SERVICES, "hello") is None

    await until(gone)


async def test_a_child_owned_by_someone_else_is_a_condition_and_an_event(
    kube: clients.KubeApi, mgr: manager.Manager
) -> None:
    await kube.create(
        kinds.CONFIGMAPS,
        {"metadata": {"name": "taken-content", "namespace": "ns"}, "data": {"mine": "yes"}},
    )
    await kube.create(sites.SITES, site("taken"))

    async def refused() -> Object | None:
        obj = await get(kube, sites.SITES, "taken")
        cond = ready(obj) if obj else None
        return cond if cond and cond["reason"] == "AlreadyOwned" else None

    cond = await until(refused)
    assert cond["status"] == "False"
    assert 'ConfigMap "taken-content" already exists' in cond["message"]

    async def warned() -> list[Object]:
        listed = await kube.list(kinds.EVENTS, namespace="ns")
        return [e for e in listed.items if e["reason"] == "AlreadyOwned"]

    (event,) = await until(warned)
    assert event["type"] == "Warning"
    assert event["involvedObject"]["kind"] == "Site"
    assert event["involvedObject"]["name"] == "taken"
    assert event["source"]["component"] == "site-controller"

    # Not retried: once the controller is idle no retry is scheduled and nothing changed.
    ctl = site_controller(mgr)
    key = ObjectKey("ns", "taken")
    await until(_idle(ctl))
    assert ctl.queue.failures(key) == 0 and key not in ctl.queue.scheduled
    cm = await kube.get(kinds.CONFIGMAPS, "taken-content", namespace="ns")
    assert cm["data"] == {"mine": "yes"} and not cm["metadata"].get("ownerReferences")
    assert await get(kube, kinds.SERVICES, "taken") is None

    # The owner of the name gives it up; the next change of the Site heals it.
    await kube.delete(kinds.CONFIGMAPS, "taken-content", namespace="ns")
    await kube.patch(sites.SITES, "taken", {"spec": {"page": "now"}}, namespace="ns")

    async def healed() -> bool:
        obj = await get(kube, sites.SITES, "taken")
        cond = ready(obj) if obj else None
        return bool(cond and cond["status"] == "True")

    await until(healed)


def _idle(ctl: running.Controller) -> Callable[[], Any]:
    async def check() -> bool:
        return ctl.queue.idle()

    return check
