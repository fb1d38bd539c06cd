from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from pinnace.gateway import activating, backends, publishing, tables

from . import builders
from .conftest import Running, Upstream

Serve = Callable[..., Awaitable[Running]]
Start = Callable[[str], Awaitable[Upstream]]


class Patient:
    """A serving-like policy: hold up to `budget` seconds and remember who asked."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.demands: list[activating.Demand] = []
        self.asked = asyncio.Event()

    async def activate(self, demand: activating.Demand) -> float:
        self.demands.append(demand)
        self.asked.set()
        return self.budget


def model_route() -> dict[str, object]:
    return builders.virtual_service(
        "iris", [builders.route_to("iris", match=builders.prefix("/serving/kubeflow/iris/"))]
    )


async def test_request_held_until_endpoint_appears(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("iris-1")
    policy = Patient(5.0)
    gw = await serve(activator=policy)
    gw.publish([model_route()], {"iris": []})

    async def scale_up() -> None:
        await policy.asked.wait()  # the request is being held: now the endpoint appears
        gw.publish([model_route()], {"iris": [up]})

    scaler = asyncio.create_task(scale_up())
    async with gw.session.post(
        gw.url + "/serving/kubeflow/iris/v2/models/iris/infer", data=b"{}"
    ) as resp:
        assert resp.status == 200
        assert resp.headers["x-upstream"] == "iris-1"
    await scaler
    assert policy.demands == [
        activating.Demand(
            "kubeflow/iris/http[0]",
            backends.BackendKey("kubeflow", "iris", 80),
            "POST",
            "/serving/kubeflow/iris/v2/models/iris/infer",
        )
    ]


async def test_hold_gives_up_with_503(serve: Serve) -> None:
    gw = await serve(activator=Patient(0.2))
    gw.publish([model_route()], {"iris": []})
    started = time.monotonic()
    status, body = await gw.get_json("/serving/kubeflow/iris/")
    assert status == 503
    assert body["service"] == "kubeflow/iris:80"
    assert 0.15 < time.monotonic() - started < 2


async def test_settings_cap_the_hold(serve: Serve) -> None:
    gw = await serve(activator=Patient(60.0), options={"activation_timeout": 0.1})
    gw.publish([model_route()], {"iris": []})
    started = time.monotonic()
    assert (await gw.get_json("/serving/kubeflow/iris/"))[0] == 503
    assert time.monotonic() - started < 2


async def test_default_answers_at_once() -> None:
    publisher = publishing.Publisher()
    holder = activating.Holder(publisher, activating.NoActivation(), max_hold=300)
    table = tables.build([model_route()], [builders.service("iris")], [])
    route = table.routes[0]
    assert await holder.hold(route, route.targets[0].backend, method="GET", path="/") is None


async def test_unrelated_tables_keep_waiting() -> None:
    publisher = publishing.Publisher()
    policy = Patient(5.0)
    holder = activating.Holder(publisher, policy, max_hold=300)
    empty = tables.build([model_route()], [builders.service("iris")], [])
    route = empty.routes[0]
    waiter = asyncio.create_task(
        holder.hold(route, route.targets[0].backend, method="GET", path="/")
    )
    await policy.asked.wait()
    publisher.publish(empty)
    # Nothing is to happen, so there is no condition to wait for: the hold must outlast 50 ms.
    done, _ = await asyncio.wait({waiter}, timeout=0.05)
    assert not done
    ready = tables.build(
        [model_route()], [builders.service("iris")], [builders.endpoints("iris", ["127.0.9.9"])]
    )
    publisher.publish(ready)
    backend = await asyncio.wait_for(waiter, 1)
    assert backend is not None
    assert backend.endpoints == (backends.Endpoint("127.0.9.9", 8080),)
