from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.gateway import backends, matching, publishing, settings, watching

from . import builders

Endpoint = backends.Endpoint
VS_CRD = "virtualservices.networking.istio.io"


def view(path: str) -> matching.RequestView:
    return matching.RequestView(method="GET", path=path, authority="localhost:8080")


def endpoint_for(publisher: publishing.Publisher, path: str) -> Endpoint | None:
    hit = publisher.current.lookup(view(path))
    if hit is None:
        return None
    target = hit.route.spread.pick()
    return target.backend.pick() if target else None


async def eventually(
    publisher: publishing.Publisher, check: Callable[[], bool], timeout: float = 2.0
) -> None:
    """Wait for published tables until `check` holds."""
    async with asyncio.timeout(timeout):
        while not check():
            await publisher.wait_changed(timeout)


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    async with apiservers.serve(tmp_path, namespaces=["team"], crd_names=[VS_CRD]) as running:
        yield running


@pytest.fixture
def debounce() -> float:
    return 0.02


@pytest.fixture
async def cluster(kube: apiservers.Kube, debounce: float) -> AsyncIterator[Cluster]:
    await kube.create(kinds.VIRTUALSERVICES, builders.notebook_virtual_service("team", "nb"))
    await kube.create(kinds.SERVICES, builders.service("nb", namespace="team"))
    await kube.create(kinds.ENDPOINTS, builders.endpoints("nb", ["127.0.3.1"], namespace="team"))
    publisher = publishing.Publisher()
    watcher = watching.Watcher(kube, publisher, settings.Settings(debounce_seconds=debounce))
    await watcher.start()
    await asyncio.wait_for(watcher.wait_synced(), 2)
    yield kube, publisher, watcher
    await watcher.stop()


Cluster = tuple[apiservers.Kube, publishing.Publisher, watching.Watcher]
NB = "/notebook/team/nb/lab"


async def test_first_table_from_current_objects(
    cluster: Cluster,
) -> None:
    _, publisher, watcher = cluster
    assert watcher.synced
    assert endpoint_for(publisher, NB) == Endpoint("127.0.3.1", 8080)


async def test_endpoint_changes_take_effect(
    cluster: Cluster,
) -> None:
    kube, publisher, _ = cluster
    await kube.patch(
        kinds.ENDPOINTS,
        "nb",
        {
            "subsets": [
                {"addresses": [{"ip": "127.0.3.2"}], "ports": [{"name": "http", "port": 9000}]}
            ]
        },
        namespace="team",
    )
    await eventually(publisher, lambda: endpoint_for(publisher, NB) == Endpoint("127.0.3.2", 9000))


async def test_virtual_services_come_and_go(
    cluster: Cluster,
) -> None:
    kube, publisher, _ = cluster
    await kube.create(kinds.VIRTUALSERVICES, builders.notebook_virtual_service("team", "other"))
    await kube.create(kinds.SERVICES, builders.service("other", namespace="team"))
    await kube.create(kinds.ENDPOINTS, builders.endpoints("other", ["127.0.3.9"], namespace="team"))
    await eventually(
        publisher,
        lambda: endpoint_for(publisher, "/notebook/team/other/") == Endpoint("127.0.3.9", 8080),
    )
    await kube.delete(kinds.VIRTUALSERVICES, "notebook-team-nb", namespace="team")
    await eventually(publisher, lambda: publisher.current.lookup(view(NB)) is None)


async def test_unrelated_churn_does_not_rebuild(
    cluster: Cluster,
) -> None:
    kube, publisher, _ = cluster
    generation = publisher.current.generation
    await kube.create(kinds.SERVICES, builders.service("db", namespace="team"))
    await kube.create(kinds.ENDPOINTS, builders.endpoints("db", ["127.0.4.1"], namespace="team"))
    # Nothing is to happen, so there is no condition to wait for: allow five debounce periods.
    await asyncio.sleep(0.1)
    assert publisher.current.generation == generation


# A window wide enough that five patches fall into one, however loaded the machine is.
@pytest.mark.parametrize("debounce", [1.0])
async def test_bursts_are_debounced(
    cluster: Cluster,
) -> None:
    kube, publisher, _ = cluster
    generation = publisher.current.generation
    for i in range(5):
        await kube.patch(
            kinds.ENDPOINTS,
            "nb",
            {
                "subsets": [
                    {
                        "addresses": [{"ip": f"127.0.3.{10 + i}"}],
                        "ports": [{"name": "http", "port": 8080}],
                    }
                ]
            },
            namespace="team",
        )
    await eventually(publisher, lambda: endpoint_for(publisher, NB) == Endpoint("127.0.3.14", 8080))
    assert publisher.current.generation == generation + 1


async def test_service_appearing_later_is_noticed(
    cluster: Cluster,
) -> None:
    kube, publisher, _ = cluster
    await kube.create(
        kinds.VIRTUALSERVICES,
        builders.virtual_service(
            "late",
            [builders.route_to("late.team", match=builders.prefix("/late/"))],
            namespace="team",
        ),
    )
    await eventually(publisher, lambda: publisher.current.lookup(view("/late/")) is not None)
    assert endpoint_for(publisher, "/late/") is None
    await kube.create(kinds.SERVICES, builders.service("late", namespace="team"))
    await kube.create(kinds.ENDPOINTS, builders.endpoints("late", ["127.0.5.1"], namespace="team"))
    await eventually(
        publisher, lambda: endpoint_for(publisher, "/late/") == Endpoint("127.0.5.1", 8080)
    )


async def test_empty_cluster_syncs(kube: apiservers.Kube) -> None:
    publisher = publishing.Publisher()
    watcher = watching.Watcher(kube, publisher, settings.Settings())
    await watcher.start()
    try:
        await asyncio.wait_for(watcher.wait_synced(), 2)
        assert publisher.current.generation == 1
        assert publisher.current.routes == ()
    finally:
        await watcher.stop()
