"""`kill -9` of `pinnace up`, then a restart on the same data dir: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import psutil
from tests.e2e.conftest import Platform, wait_for

COUNTER = """
import os, time
with open(os.environ["MARK"], "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(3600)
"""


def _processes_running(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if marker in " ".join(proc.info["cmdline"] or []):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_kill_dash_nine_and_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    mark = tmp_path / "starts.txt"
    first = Platform.launch(data)
    try:
        first.kubectl("create", "namespace", "keep")
        for i in range(20):
            first.kubectl("create", "configmap", f"cm-{i}", "-n", "keep", f"--from-literal=i={i}")
        script = COUNTER + "# restart-marker-" + tmp_path.name
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "sleeper", "namespace": "keep"},
            "spec": {
                "containers": [
                    {
                        "name": "main",
                        "image": "python:3.11",
                        "command": ["python3", "-c", script],
                        "env": [{"name": "MARK", "value": str(mark)}],
                    }
                ]
            },
        }
        first.kubectl("apply", "-f", "-", input=json.dumps(pod))
        wait_for(
            lambda: mark.exists() and len(mark.read_text().split()) == 1, what="sleeper started"
        )
        rv_before = first.kubectl_yaml("get", "configmap", "cm-19", "-n", "keep")["metadata"][
            "resourceVersion"
        ]
    finally:
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)

    second = Platform.launch(data, first.port)
    try:
        names = second.kubectl("get", "configmaps", "-n", "keep", "-o", "name").stdout.split()
        assert sorted(names) == sorted(f"configmap/cm-{i}" for i in range(20))
        assert (
            second.kubectl_yaml("get", "configmap", "cm-19", "-n", "keep")["metadata"][
                "resourceVersion"
            ]
            == rv_before
        )
        wait_for(
            lambda: (
                second.kubectl(
                    "get", "pod", "sleeper", "-n", "keep", "-o", "jsonpath={.status.phase}"
                ).stdout
                == "Running"
            ),
            what="sleeper running again",
        )
        # No condition marks "no second sleeper will start": look again two seconds later.
        time.sleep(2)
        alive = _processes_running("restart-marker-" + tmp_path.name)
        assert len(alive) == 1, f"expected exactly one sleeper process, found {len(alive)}"
        starts = mark.read_text().split()
        assert len(starts) in (1, 2)
        assert str(alive[0].pid) == starts[-1]
    finally:
        assert second.stop() == 0
    assert _processes_running("restart-marker-" + tmp_path.name) == [], (
        "pods must stop with the platform"
    )
