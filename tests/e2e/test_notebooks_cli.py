"""`pinnace notebook create|stop|start|delete` against a real `pinnace up`."""

from __future__ import annotations

import subprocess

import httpx
from tests.e2e.conftest import PINNACE, Platform, wait_for


def pinnace(
    platform: Platform, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PINNACE, "notebook", *args, "--data-dir", str(platform.data_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_create_stop_start_delete(platform: Platform, namespace: str) -> None:
    created = pinnace(platform, "create", "cli", "--namespace", namespace, "--memory", "2Gi")
    assert created.returncode == 0, created.stderr
    url = created.stdout.strip()
    assert url == f"{platform.url}/notebook/{namespace}/cli/"
    answer = wait_for(
        lambda: (r := httpx.get(f"{url}api/status", timeout=10)).status_code == 200 and r,
        what="the printed URL answers",
    )
    assert "started" in answer.json()
    nb = platform.kubectl_yaml("get", "notebook", "cli", "-n", namespace)
    limits = nb["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "0.6", "memory": "2.4Gi"}
    platform.kubectl("get", "pvc", "cli-workspace", "-n", namespace)

    again = pinnace(platform, "create", "cli", "--namespace", namespace, "--no-wait")
    assert again.returncode == 1
    assert "already exists" in again.stderr

    stopped = pinnace(platform, "stop", "cli", "--namespace", namespace)
    assert stopped.returncode == 0, stopped.stderr
    wait_for(
        lambda: (
            platform.kubectl("get", "pod", "cli-0", "-n", namespace, check=False).returncode != 0
        ),
        what="the server pod gone",
    )
    nb = platform.kubectl_yaml("get", "notebook", "cli", "-n", namespace)
    assert "kubeflow-resource-stopped" in nb["metadata"]["annotations"]

    started = pinnace(platform, "start", "cli", "--namespace", namespace)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == url

    deleted = pinnace(platform, "delete", "cli", "--namespace", namespace)
    assert deleted.returncode == 0, deleted.stderr
    wait_for(
        lambda: (
            platform.kubectl("get", "statefulset", "cli", "-n", namespace, check=False).returncode
            != 0
        ),
        what="the statefulset deleted",
    )
    platform.kubectl("get", "pvc", "cli-workspace", "-n", namespace)
    missing = pinnace(platform, "stop", "nothere", "--namespace", namespace)
    assert missing.returncode == 1 and "not found" in missing.stderr
