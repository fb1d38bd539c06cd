"""Pod lifecycle through the real platform: init containers, memory limits, liveness restarts."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import Platform, wait_for


def _apply(platform: Platform, namespace: str, name: str, spec: dict[str, Any]) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    platform.kubectl("apply", "-f", "-", input=json.dumps(pod))


def _status(platform: Platform, namespace: str, name: str) -> dict[str, Any]:
    return platform.kubectl_yaml("get", "pod", name, "-n", namespace).get("status", {})  # type: ignore[no-any-return]


def test_init_container_prepares_a_shared_volume(platform: Platform, namespace: str) -> None:
    write = "import os; open(os.path.join(os.environ['WORK'], 'msg'), 'w').write('prepared')"
    read = "import os; print(open(os.path.join(os.environ['WORK'], 'msg')).read())"
    env = [{"name": "WORK", "value": "/work"}]
    mounts = [{"name": "work", "mountPath": "/work"}]
    _apply(
        platform,
        namespace,
        "init",
        {
            "restartPolicy": "Never",
            "volumes": [{"name": "work", "emptyDir": {}}],
            "initContainers": [
                {
                    "name": "prepare",
                    "image": "python:3.11",
                    "command": ["python3", "-c", write],
                    "env": env,
                    "volumeMounts": mounts,
                }
            ],
            "containers": [
                {
                    "name": "main",
                    "image": "python:3.11",
                    "command": ["python3", "-c", read],
                    "env": env,
                    "volumeMounts": mounts,
                }
            ],
        },
    )
    wait_for(
        lambda: _status(platform, namespace, "init").get("phase") == "Succeeded",
        what="init pod Succeeded",
    )
    assert platform.kubectl("logs", "init", "-c", "main", "-n", namespace).stdout == "prepared\n"
    status = _status(platform, namespace, "init")
    assert status["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert {c["type"]: c["status"] for c in status["conditions"]}["Initialized"] == "True"


def test_memory_limit_is_oomkilled(platform: Platform, namespace: str) -> None:
    hog = "import time\nblocks = []\nwhile True:\n    blocks.append(bytearray(8 << 20))\n    time.sleep(0.01)\n"
    _apply(
        platform,
        namespace,
        "hog",
        {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "main",
                    "image": "python:3.11",
                    "command": ["python3", "-c", hog],
                    "resources": {"limits": {"memory": "64Mi"}},
                }
            ],
        },
    )
    wait_for(
        lambda: _status(platform, namespace, "hog").get("phase") == "Failed",
        timeout=60,
        what="hog Failed",
    )
    terminated = _status(platform, namespace, "hog")["containerStatuses"][0]["state"]["terminated"]
    assert terminated["reason"] == "OOMKilled" and terminated["exitCode"] == 137
    assert "OOMKilled" in platform.kubectl("get", "pod", "hog", "-n", namespace).stdout


def test_failing_liveness_probe_restarts_the_container(platform: Platform, namespace: str) -> None:
    _apply(
        platform,
        namespace,
        "sick",
        {
            "containers": [
                {
                    "name": "main",
                    "image": "python:3.11",
                    "command": ["python3", "-c", "import time; time.sleep(3600)"],
                    "livenessProbe": {
                        "exec": {"command": ["python3", "-c", "raise SystemExit(1)"]},
                        "periodSeconds": 1,
                        "failureThreshold": 2,
                    },
                }
            ],
        },
    )

    def restarted() -> bool:
        statuses = _status(platform, namespace, "sick").get("containerStatuses") or []
        return bool(statuses) and statuses[0]["restartCount"] >= 1

    wait_for(restarted, timeout=60, what="liveness restart")
    described = platform.kubectl("describe", "pod", "sick", "-n", namespace).stdout
    assert "Unhealthy" in described and "Liveness probe failed" in described
