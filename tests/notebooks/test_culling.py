"""Idle culling on the real in-process API server, with Jupyter's `/api/kernels` behind `fetch`.

`fetch` is the culler's injectable transport (the e2e tests read a real
JupyterLab); here each test decides what the server's kernels say.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.notebooks.support import get, notebook, until

from pinnace.api import kinds
from pinnace.controllers import builtin, manager
from pinnace.kits.kube import clients
from pinnace.kits.kube.objects import Object
from pinnace.notebooks import culling, setup_controllers, setup_culling

STOPPED = "kubeflow-resource-stopped"
FAST = culling.Settings(enabled=True, idle_time=1.0, check_period=0.2)


class Kernels:
    """What the server's `/api/kernels` answers; the URLs asked are kept."""

    def __init__(self) -> None:
        self.answer: Any = []
        self.asked: list[str] = []
        self.times: list[float] = []

    def span(self) -> float:
        """Seconds between the first and the latest question."""
        return self.times[-1] - self.times[0] if self.times else 0.0

    async def __call__(self, url: str) -> Any:
        self.asked.append(url)
        self.times.append(time.monotonic())
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def kernels() -> Kernels:
    return Kernels()


@pytest.fixture
async def culled(kube: clients.Client, kernels: Kernels) -> AsyncIterator[manager.Manager]:
    m = manager.Manager(kube)
    setup_controllers(m)
    setup_culling(m, FAST, fetch=kernels)
    builtin.setup_statefulsets(m)
    await m.start()
    yield m
    await m.stop()


async def ready_pod(kube: clients.Client) -> None:
    await until(lambda: get(kube, kinds.PODS, "nb-0"))
    await kube.patch(
        kinds.PODS,
        "nb-0",
        {
            "status": {
                "phase": "Running",
                "podIP": "127.1.0.7",
                "conditions": [{"type": "Ready", "status": "True"}],
            }
        },
        namespace="ns",
        subresource="status",
    )


def annotations(nb: Object | None) -> dict[str, str]:
    return dict(((nb or {}).get("metadata") or {}).get("annotations") or {})


def iso(delta: float) -> str:
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=delta)).isoformat()


async def test_an_idle_notebook_is_stopped_and_says_so(
    kube: clients.Client, culled: manager.Manager, kernels: Kernels
) -> None:
    kernels.answer = [{"id": "k", "execution_state": "idle", "last_activity": iso(-30)}]
    await kube.create(kinds.NOTEBOOKS, notebook())
    await ready_pod(kube)

    async def stopped() -> Object | None:
        nb = await get(kube, kinds.NOTEBOOKS, "nb")
        return nb if STOPPED in annotations(nb) else None

    nb = await until(stopped)
    marks = annotations(nb)
    assert culling.LAST_ACTIVITY in marks and culling.LAST_CHECK in marks
    assert kernels.asked[0] == "http://127.1.0.7:8888/notebook/ns/nb/api/kernels"

    async def culled_event() -> list[Object]:
        listed = await kube.list(kinds.EVENTS, namespace="ns")
        return [e for e in listed.items if e["reason"] == "Culled"]

    (event,) = await until(culled_event)
    assert event["involvedObject"]["kind"] == "Notebook"
    assert "without kernel activity" in event["message"]

    async def shown() -> Object | None:
        nb = await get(kube, kinds.NOTEBOOKS, "nb")
        conditions = ((nb or {}).get("status") or {}).get("conditions") or []
        return conditions[0] if conditions and conditions[0].get("reason") == "Stopped" else None

    condition = await until(shown)
    assert f"last activity {marks[culling.LAST_ACTIVITY]}" in condition["message"]
    sts = await kube.get(kinds.STATEFULSETS, "nb", namespace="ns")
    assert sts["spec"]["replicas"] == 0


async def test_a_busy_kernel_keeps_it_running(
    kube: clients.Client, culled: manager.Manager, kernels: Kernels
) -> None:
    kernels.answer = [{"id": "k", "execution_state": "busy", "last_activity": iso(-3600)}]
    await kube.create(kinds.NOTEBOOKS, notebook())
    await ready_pod(kube)

    async def checked_past_the_idle_time() -> bool:
        return kernels.span() > 2 * FAST.idle_time

    await until(checked_past_the_idle_time)
    nb = await get(kube, kinds.NOTEBOOKS, "nb")
    marks = annotations(nb)
    assert STOPPED not in marks
    # Busy means active now: the recorded activity is recent, not the kernel's old timestamp.
    last = datetime.datetime.fromisoformat(marks[culling.LAST_ACTIVITY].replace("Z", "+00:00"))
    assert datetime.datetime.now(datetime.UTC) - last < datetime.timedelta(seconds=5)


async def test_a_server_that_is_not_jupyter_is_not_culled(
    kube: clients.Client, culled: manager.Manager, kernels: Kernels
) -> None:
    kernels.answer = culling.Unreadable("GET ...: 404")
    await kube.create(kinds.NOTEBOOKS, notebook())
    await ready_pod(kube)

    async def asked_twice() -> bool:
        return len(kernels.asked) >= 2

    await until(asked_twice)
    nb = await get(kube, kinds.NOTEBOOKS, "nb")
    assert STOPPED not in annotations(nb)
    assert culling.LAST_ACTIVITY not in annotations(nb)


@pytest.mark.parametrize(
    ("env", "want"),
    [
        pytest.param({}, culling.Settings(), id="default-off"),
        pytest.param(
            {"ENABLE_CULLING": "true", "CULL_IDLE_TIME": "10", "IDLENESS_CHECK_PERIOD": "0.5"},
            culling.Settings(enabled=True, idle_time=600.0, check_period=30.0),
            id="upstream-variables",
        ),
    ],
)
def test_settings_from_upstreams_variables(env: dict[str, str], want: culling.Settings) -> None:
    assert culling.Settings.from_env(env) == want


def test_kernel_activity_follows_upstreams_rule() -> None:
    now = datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)
    old, newer = "2026-01-01T10:00:00.5Z", "2026-01-01T11:00:00+00:00"
    idle = [
        {"execution_state": "idle", "last_activity": old},
        {"execution_state": "idle", "last_activity": newer},
    ]
    assert culling.kernel_activity(idle, now) == datetime.datetime(
        2026, 1, 1, 11, tzinfo=datetime.UTC
    )
    assert culling.kernel_activity([*idle, {"execution_state": "busy"}], now) == now
    assert culling.kernel_activity([], now) is None
    with pytest.raises(culling.Unreadable):
        culling.kernel_activity({"message": "not found"}, now)
