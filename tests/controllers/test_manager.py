"""The manager on the real API server: late controllers start, metrics, log context,
terminal errors recorded once by the runner, informers released with their CRD."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from helpers import eventually
from prometheus_client import CollectorRegistry, generate_latest

from pinnace.api import kinds
from pinnace.controllers import builtin, conditions, contexts, manager, reconciling, running
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors
from pinnace.kits.kube.objects import Object, ObjectKey


class Counting:
    """A reconciler that records its calls and can be told to fail."""

    def __init__(self, *, fail: Exception | None = None) -> None:
        self.calls: list[tuple[ObjectKey, contexts.Reconcile | None]] = []
        self.fail = fail

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        self.calls.append((key, contexts.current()))
        logging.getLogger("test.reconciler").info("working")
        if self.fail is not None:
            raise self.fail
        return reconciling.DONE


async def until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    async with asyncio.timeout(timeout):
        while not (answer := await check()):  # noqa: ASYNC110 (polling the API)
            await asyncio.sleep(0.01)
    return answer


async def test_a_controller_added_after_start_starts(kube: clients.KubeApi) -> None:
    mgr = manager.Manager(kube)
    builtin.setup_namespaces(mgr)
    await mgr.start()
    try:
        rec = Counting()
        mgr.controller("late", rec, primary=mgr.informer(kinds.CONFIGMAPS))
        await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "ns"}})
        await eventually(lambda: ObjectKey("ns", "c") in [k for k, _ in rec.calls])
    finally:
        await mgr.stop()


async def test_metrics_use_controller_runtime_names(kube: clients.KubeApi) -> None:
    registry = CollectorRegistry()
    mgr = manager.Manager(kube, registry=registry)
    ok, bad = Counting(), Counting(fail=RuntimeError("boom"))
    mgr.controller("good", ok, primary=mgr.informer(kinds.CONFIGMAPS))
    mgr.controller("bad", bad, primary=mgr.informer(kinds.SECRETS), base_delay=0.001)
    await mgr.start()
    try:
        await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "ns"}})
        await kube.create(kinds.SECRETS, {"metadata": {"name": "s", "namespace": "ns"}})
        await eventually(lambda: len(ok.calls) >= 1 and len(bad.calls) >= 3)
    finally:
        await mgr.stop()

    def value(metric: str, **labels: str) -> float:
        found = registry.get_sample_value(metric, labels)
        return found or 0.0

    assert value("controller_runtime_reconcile_total", controller="good", result="success") >= 1
    assert value("controller_runtime_reconcile_total", controller="bad", result="error") >= 3
    assert value("controller_runtime_reconcile_errors_total", controller="bad") >= 3
    assert value("controller_runtime_reconcile_time_seconds_count", controller="good") >= 1
    assert value("workqueue_adds_total", controller="good", name="good") >= 1
    assert value("workqueue_retries_total", controller="bad", name="bad") >= 3
    assert value("workqueue_depth", controller="good", name="good") == 0
    text = generate_latest(registry).decode()
    assert 'controller_runtime_reconcile_total{controller="good",result="success"}' in text


async def test_every_reconcile_runs_in_a_log_context(
    kube: clients.KubeApi, caplog: pytest.LogCaptureFixture
) -> None:
    mgr = manager.Manager(kube)
    rec = Counting()
    mgr.controller("ctx", rec, primary=mgr.informer(kinds.CONFIGMAPS))
    caplog.handler.addFilter(contexts.ContextFilter())
    await mgr.start()
    try:
        with caplog.at_level(logging.INFO, logger="test.reconciler"):
            await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "ns"}})
            await eventually(lambda: ObjectKey("ns", "c") in [k for k, _ in rec.calls])
    finally:
        await mgr.stop()
        caplog.handler.filters.clear()
    ctx = next(c for k, c in rec.calls if k == ObjectKey("ns", "c"))
    assert ctx == contexts.Reconcile("ctx", "ns/c", 1)
    record = next(r for r in caplog.records if r.name == "test.reconciler" and r.key == "ns/c")
    assert record.controller == "ctx" and record.attempt == 1
    assert "[controller=ctx key=ns/c attempt=1]" in record.getMessage()
    assert contexts.current() is None


async def test_a_terminal_error_is_recorded_once_by_the_runner(kube: clients.KubeApi) -> None:
    """Condition on the primary + one Warning Event, then no retries (the clock is manual)."""
    clock = clocks.ManualClock()
    mgr = manager.Manager(kube, clock=clock)
    rec = Counting(fail=reconciling.TerminalError("spec.replicas is odd", reason="OddReplicas"))
    ctl = mgr.controller("dep", rec, primary=mgr.informer(kinds.DEPLOYMENTS))
    await mgr.start()
    try:
        await kube.create(
            kinds.DEPLOYMENTS,
            {
                "metadata": {"name": "d", "namespace": "ns"},
                "spec": {
                    "selector": {"matchLabels": {"a": "b"}},
                    "template": {
                        "metadata": {"labels": {"a": "b"}},
                        "spec": {"containers": [{"name": "c", "image": "i"}]},
                    },
                },
            },
        )

        async def recorded() -> Object | None:
            obj = await kube.get(kinds.DEPLOYMENTS, "d", namespace="ns")
            cond = conditions.find((obj.get("status") or {}).get("conditions"), "Ready")
            return cond if cond else None

        cond = await until(recorded)

        async def idle() -> bool:
            return ctl.queue.idle()

        await until(idle)
        calls = len(rec.calls)
        clock.advance(3600)  # far past any backoff: nothing was scheduled to come back
        await until(idle)
        assert len(rec.calls) == calls
        events = (await kube.list(kinds.EVENTS, namespace="ns")).items
    finally:
        await mgr.stop()
    assert cond["status"] == "False" and cond["reason"] == "OddReplicas"
    assert cond["message"] == "spec.replicas is odd"
    assert cond["lastTransitionTime"] == "2026-01-01T00:00:00Z"  # stamped on the manual clock
    assert [(e["type"], e["reason"]) for e in events] == [("Warning", "OddReplicas")]
    assert events[0]["source"]["component"] == "dep-controller"
    assert ctl.queue.failures(ObjectKey("ns", "d")) == 0


async def test_a_create_in_a_terminating_namespace_is_dropped_by_its_cause(
    kube: clients.KubeApi,
) -> None:
    await kube.create(
        kinds.CONFIGMAPS,
        {"metadata": {"name": "keep", "namespace": "ns", "finalizers": ["x/hold"]}},
    )
    await kube.delete(kinds.NAMESPACES, "ns")
    with pytest.raises(errors.Forbidden) as caught:
        await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "n", "namespace": "ns"}})
    assert running.namespace_terminating(caught.value)
    plain = errors.Forbidden(errors.failure(403, "Forbidden", "... because it is being terminated"))
    assert not running.namespace_terminating(plain)  # the cause decides, not the wording


async def test_the_garbage_collector_stops_watching_a_deleted_crd(
    kube: clients.KubeApi,
) -> None:
    import sites

    clock = clocks.ManualClock()
    mgr = manager.Manager(kube, clock=clock)
    gc = builtin.setup_garbage_collector(mgr)
    await kube.create(kinds.CUSTOMRESOURCEDEFINITIONS, sites.CRD)
    await mgr.start()
    try:

        def watching_sites() -> bool:
            return sites.SITES in gc.watched

        async def discovered() -> bool:
            await gc.discover()
            return watching_sites()

        await until(discovered)
        assert any(i.resource_type == sites.SITES for i in mgr.running_informers())
        await kube.delete(kinds.CUSTOMRESOURCEDEFINITIONS, "sites.example.pinnace.dev")

        async def dropped() -> bool:
            clock.advance(10)  # the rediscovery period
            await asyncio.sleep(0.01)
            return not watching_sites()

        await until(dropped)
        assert not any(i.resource_type == sites.SITES for i in mgr.running_informers())
    finally:
        await mgr.stop()
