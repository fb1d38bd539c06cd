"""A controller on the in-process API server: owned objects wake their owner; retries, requeue, terminal."""

from __future__ import annotations

from helpers import eventually
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import manager, reconciling, running
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import ObjectKey


class Recorder:
    def __init__(self, fail: int = 0, terminal: bool = False, after: float | None = None) -> None:
        self.calls: list[ObjectKey] = []
        self.fail = fail
        self.terminal = terminal
        self.after = after

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        self.calls.append(key)
        if self.terminal:
            raise reconciling.TerminalError("bad spec")
        if self.fail:
            self.fail -= 1
            raise RuntimeError("boom")
        return reconciling.Result(requeue_after=self.after)


POD_SPEC = {"containers": [{"name": "c", "image": "x"}]}
DEPLOYMENT_SPEC = {
    "selector": {"matchLabels": {"app": "d"}},
    "template": {"metadata": {"labels": {"app": "d"}}, "spec": POD_SPEC},
}


async def setup(kube: apiservers.Kube, rec: Recorder) -> tuple[apiservers.Kube, manager.Manager]:
    d = await kube.create(
        kinds.DEPLOYMENTS,
        {"metadata": {"name": "d", "namespace": "ns"}, "spec": DEPLOYMENT_SPEC},
    )
    child = {
        "metadata": {
            "name": "p",
            "namespace": "ns",
            "ownerReferences": [objects.owner_reference(d)],
        },
        "spec": POD_SPEC,
    }
    await kube.create(kinds.PODS, child)
    await kube.create(
        kinds.PODS, {"metadata": {"name": "orphan", "namespace": "ns"}, "spec": POD_SPEC}
    )
    mgr = manager.Manager(kube)
    mgr.add(
        running.Controller(
            "test",
            rec,
            primary=mgr.informer(kinds.DEPLOYMENTS),
            owns=[mgr.informer(kinds.PODS)],
            base_delay=0.001,
        )
    )
    await mgr.start()
    return kube, mgr


async def test_owned_events_map_to_owner_and_dedupe(kube: apiservers.Kube) -> None:
    rec = Recorder()
    kube, mgr = await setup(kube, rec)
    await eventually(lambda: len(rec.calls) >= 1)
    assert set(rec.calls) == {ObjectKey("ns", "d")}
    before = len(rec.calls)
    await kube.patch(kinds.PODS, "p", {"metadata": {"labels": {"x": "1"}}}, namespace="ns")
    await eventually(lambda: len(rec.calls) > before)
    assert set(rec.calls) == {ObjectKey("ns", "d")}
    await mgr.stop()


async def test_failures_retry_with_backoff_until_success(kube: apiservers.Kube) -> None:
    rec = Recorder(fail=3)
    _, mgr = await setup(kube, rec)
    await eventually(lambda: len(rec.calls) >= 4)
    assert mgr.controllers[0].queue.failures(ObjectKey("ns", "d")) == 0
    await mgr.stop()


async def test_terminal_error_is_not_retried(kube: apiservers.Kube) -> None:
    rec = Recorder(terminal=True)
    _, mgr = await setup(kube, rec)
    await eventually(lambda: len(rec.calls) >= 1)
    ctl = mgr.controllers[0]
    await eventually(lambda: not ctl.queue.processing)
    assert len(ctl.queue) == 0
    assert ctl.queue.failures(ObjectKey("ns", "d")) == 0
    await mgr.stop()


async def test_requeue_after_runs_again(kube: apiservers.Kube) -> None:
    rec = Recorder(after=0.01)
    _, mgr = await setup(kube, rec)
    await eventually(lambda: len(rec.calls) >= 3)
    await mgr.stop()
