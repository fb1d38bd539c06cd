"""`kubectl logs` with -c, --tail, -f and --previous against pods run as processes."""

from __future__ import annotations

import json
import subprocess
import time

from tests.e2e.conftest import Platform, wait_for

COUNTER = (
    "import time\nfor i in range(5):\n    print(f'line {i}', flush=True)\n    time.sleep(0.3)\n"
)
CRASHER = "import os, sys\nprint('attempt', os.getpid(), flush=True)\nsys.exit(3)\n"


def _pod(namespace: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "talker", "namespace": namespace},
            "spec": {
                "restartPolicy": "OnFailure",
                "containers": [
                    {
                        "name": "counter",
                        "image": "python:3.11",
                        "command": ["python3", "-c", COUNTER],
                    },
                    {
                        "name": "crasher",
                        "image": "python:3.11",
                        "command": ["python3", "-c", CRASHER],
                    },
                ],
            },
        }
    )


def test_logs_options(platform: Platform, namespace: str) -> None:
    platform.kubectl("apply", "-f", "-", input=_pod(namespace))
    wait_for(
        lambda: (
            platform.kubectl(
                "get", "pod", "talker", "-n", namespace, "-o", "jsonpath={.status.phase}"
            ).stdout
            == "Running"
        ),
        what="talker running",
    )
    started = time.monotonic()
    followed = subprocess.run(
        ["kubectl", "logs", "-f", "talker", "-c", "counter", "-n", namespace],
        capture_output=True,
        text=True,
        env=platform.env(),
        timeout=60,
    )
    assert followed.returncode == 0, followed.stderr
    assert followed.stdout.splitlines() == [f"line {i}" for i in range(5)]
    assert time.monotonic() - started > 0.5, "-f must follow the container until it exits"

    tail = platform.kubectl("logs", "talker", "-c", "counter", "-n", namespace, "--tail=2").stdout
    assert tail.splitlines() == ["line 3", "line 4"]

    defaulted = platform.kubectl("logs", "talker", "-n", namespace)
    assert 'Defaulted container "counter"' in defaulted.stderr
    assert defaulted.stdout.splitlines()[0] == "line 0"

    def crasher_restarted() -> dict[str, object] | None:
        pod = platform.kubectl_yaml("get", "pod", "talker", "-n", namespace)
        status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == "crasher")
        return status if status["restartCount"] >= 1 else None  # type: ignore[no-any-return]

    restarted = wait_for(crasher_restarted, timeout=60, what="crasher restarted")
    assert restarted["lastState"]["terminated"]["exitCode"] == 3  # type: ignore[index]
    previous = platform.kubectl(
        "logs", "talker", "-c", "crasher", "--previous", "-n", namespace
    ).stdout
    assert previous.startswith("attempt ")
