"""The node agent's Events go through the one recorder: a crash loop is one BackOff Event."""

from __future__ import annotations

from pinnace.api import kinds

from .clusters import Cluster, pod_spec, py, status_of


async def test_a_crash_loop_bumps_one_backoff_event(cluster: Cluster) -> None:
    node = await cluster.start()
    await cluster.create(pod_spec("crash", py("main", "raise SystemExit(1)")))
    await cluster.wait("crash", lambda p: status_of(p)["restartCount"] >= 3)
    await node.services.events.drain()
    events = (await cluster.api.list(kinds.EVENTS, namespace="default")).items
    backoffs = [e for e in events if e["reason"] == "BackOff"]
    assert len(backoffs) == 1, backoffs
    (backoff,) = backoffs
    assert backoff["count"] >= 2
    assert backoff["type"] == "Warning"
    assert backoff["source"] == {"component": "kubelet", "host": "pinnace"}
    assert backoff["involvedObject"]["name"] == "crash"
    assert backoff["message"].startswith("Back-off restarting failed container main in pod crash")
    started = [e for e in events if e["reason"] == "Started"]
    assert len(started) == 1 and started[0]["count"] >= 3
