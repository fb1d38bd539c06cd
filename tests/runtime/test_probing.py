from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.runtime import probing

from .clusters import Cluster, condition, pod_spec, py, status_of


class Script:
    """A check whose answers are scripted."""

    def __init__(self, *answers: bool) -> None:
        self.answers = list(answers)

    async def __call__(self) -> tuple[bool, str]:
        return self.answers.pop(0), "scripted"


async def run_checks(prober: probing.Prober, n: int) -> list[bool]:
    seen = []
    for _ in range(n):
        await prober.probe_once()
        seen.append(prober.ok)
    return seen


@pytest.mark.parametrize(
    ("kind", "spec", "answers", "expected"),
    [
        pytest.param(
            "readiness",
            {},
            [True, False, False, False, True],
            [True, True, True, False, True],
            id="readiness-failure-threshold-3",
        ),
        pytest.param(
            "readiness",
            {"successThreshold": 2},
            [True, True, False],
            [False, True, True],
            id="readiness-success-threshold-2",
        ),
        pytest.param(
            "liveness",
            {"failureThreshold": 2},
            [False, True, False, False],
            [True, True, True, False],
            id="liveness-consecutive-failures",
        ),
        pytest.param(
            "startup", {"failureThreshold": 1}, [False], [False], id="startup-starts-failed"
        ),
    ],
)
async def test_thresholds(
    kind: probing.Kind, spec: dict[str, int], answers: list[bool], expected: list[bool]
) -> None:
    changes: list[bool] = []
    prober = probing.Prober(kind, spec, Script(*answers), on_change=lambda p: changes.append(p.ok))
    assert await run_checks(prober, len(answers)) == expected


async def test_initial_delay_and_period_with_a_manual_clock() -> None:
    clock = clocks.ManualClock()
    calls: list[float] = []

    async def check() -> tuple[bool, str]:
        calls.append(clock.monotonic())
        return True, ""

    prober = probing.Prober(
        "readiness",
        {"initialDelaySeconds": 5, "periodSeconds": 2},
        check,
        on_change=lambda p: None,
        clock=clock,
    )
    task = asyncio.create_task(prober.run())
    for _ in range(10):
        for _ in range(10):
            await asyncio.sleep(0)
        clock.advance(1)
    task.cancel()
    assert calls[:3] == [5.0, 7.0, 9.0]


async def test_timeout_is_a_failure() -> None:
    async def slow() -> tuple[bool, str]:
        await asyncio.sleep(5)
        return True, ""

    prober = probing.Prober(
        "liveness", {"timeoutSeconds": 0.05, "failureThreshold": 1}, slow, on_change=lambda p: None
    )
    assert await prober.probe_once() is False
    assert "timed out" in prober.message


async def test_checks_against_real_sockets(tmp_path: Path) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        ok = b"GET /healthz " in request and b"X-Probe: yes" in request
        writer.write(b"HTTP/1.1 200 OK\r\n\r\n" if ok else b"HTTP/1.1 500 Oops\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.1.200.1", 0)
    port = server.sockets[0].getsockname()[1]
    container = {"name": "c", "ports": [{"name": "http", "containerPort": port}]}
    target = probing.Target("127.1.200.1", container, {"PATH": os.environ["PATH"]}, tmp_path)
    good = {
        "httpGet": {
            "path": "/healthz",
            "port": "http",
            "httpHeaders": [{"name": "X-Probe", "value": "yes"}],
        }
    }
    assert (await probing.make_check(good, target)())[0] is True
    assert (await probing.make_check({"httpGet": {"path": "/x", "port": port}}, target)())[
        0
    ] is False
    assert (await probing.make_check({"tcpSocket": {"port": port}}, target)())[0] is True
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectionRefusedError):
        await probing.make_check({"tcpSocket": {"port": port}}, target)()
    (tmp_path / "ok").touch()
    exec_ok = {
        "exec": {"command": [sys.executable, "-c", "import os; assert os.path.exists('ok')"]}
    }
    assert (await probing.make_check(exec_ok, target)())[0] is True
    exec_bad = {"exec": {"command": ["false"]}}
    assert (await probing.make_check(exec_bad, target)())[0] is False


SERVER = """
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if os.path.exists('ready') else 503); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer((os.environ['POD_IP'], 8080), H).serve_forever()
"""


async def test_readiness_gates_ready_and_two_pods_share_a_port(cluster: Cluster) -> None:
    await cluster.start()
    probe = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1}  # the API's least
    for name in ("web-a", "web-b"):
        await cluster.create(
            pod_spec(
                name, py("main", SERVER, readinessProbe=probe, ports=[{"containerPort": 8080}])
            )
        )
    for name in ("web-a", "web-b"):
        pod = await cluster.wait_phase(name, "Running")
        assert condition(pod, "Ready") == "False"
    assert cluster.node is not None
    worker = cluster.node.agent.find("default", "web-a")
    assert worker is not None
    (worker.pod_dir / "_work" / "ready").touch()
    pod = await cluster.wait("web-a", lambda p: condition(p, "Ready") == "True")
    assert status_of(pod)["ready"] is True
    assert condition(pod, "ContainersReady") == "True"
    other = cluster.pod("web-b")
    assert other is not None and condition(other, "Ready") == "False"
    assert pod["status"]["podIP"] != other["status"]["podIP"]


async def test_liveness_failure_restarts_the_container(cluster: Cluster) -> None:
    await cluster.start()
    probe = {"exec": {"command": ["false"]}, "periodSeconds": 1, "failureThreshold": 1}
    await cluster.create(
        pod_spec("sick", py("main", "import time; time.sleep(60)", livenessProbe=probe))
    )
    pod = await cluster.wait("sick", lambda p: status_of(p)["restartCount"] >= 1)
    last = status_of(pod)["lastState"]["terminated"]
    assert last["exitCode"] == 143  # SIGTERM'd with its grace period
    events = [e["reason"] for e in cluster.api.objects(kinds.EVENTS, "default")]
    assert "Unhealthy" in events and "Killing" in events


async def test_startup_probe_holds_back_started(cluster: Cluster) -> None:
    await cluster.start()
    probe = {
        "exec": {"command": ["test", "-e", "started"]},
        "periodSeconds": 1,
        "failureThreshold": 100,
    }
    await cluster.create(
        pod_spec("slow", py("main", "import time; time.sleep(60)", startupProbe=probe))
    )
    pod = await cluster.wait_phase("slow", "Running")
    assert status_of(pod)["started"] is False
    assert cluster.node is not None
    worker = cluster.node.agent.find("default", "slow")
    assert worker is not None
    (worker.pod_dir / "_work" / "started").touch()
    pod = await cluster.wait("slow", lambda p: status_of(p)["started"] is True)
    assert status_of(pod)["ready"] is True
