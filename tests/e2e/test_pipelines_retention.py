"""Retention on a real `pinnace up`: artifacts go with their run; old runs and finished pods go.

The first test uses the shared platform (defaults: a deleted run's artifacts are
deleted, pods are kept an hour); the second starts its own with short limits
(`--task-pod-ttl 1s --run-max-age 8s`) and watches a finished run's pods go,
then the run itself and its directory.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import Platform, wait_for
from tests.e2e.test_pipelines import chain, finished, ir_text, run_yaml


def artifact_dir(status: dict[str, Any]) -> Path:
    """The run's directory `<root>/<ns>/<run>/<uid>`, from an artifact's URI."""
    tasks = {t["name"]: t for t in status["tasks"]}
    (art,) = tasks["write"]["outputs"]["artifacts"]["out"]
    path = Path(art["uri"].removeprefix("file://"))
    assert path.read_text() == "x" * 3
    return path.parent.parent  # <run dir>/<task id>/<output>


def listed(platform: Platform, kind: str, namespace: str) -> list[str]:
    items = platform.kubectl_yaml("get", kind, "-n", namespace)["items"]
    return [i["metadata"]["name"] for i in items]


def test_deleting_a_run_deletes_its_artifacts(platform: Platform, namespace: str) -> None:
    platform.kubectl("apply", "-f", "-", input=run_yaml("gone", namespace, ir_text(chain), {}))
    platform.kubectl("apply", "-f", "-", input=run_yaml("kept", namespace, ir_text(chain), {}))
    gone, kept = finished(platform, namespace, "gone"), finished(platform, namespace, "kept")
    assert gone["state"] == kept["state"] == "SUCCEEDED"
    gone_dir, kept_dir = artifact_dir(gone), artifact_dir(kept)
    run = platform.kubectl_yaml("get", "pipelinerun", "gone", "-n", namespace)
    assert "pipelines.kubeflow.org/artifacts" in run["metadata"]["finalizers"]
    assert listed(platform, "pods", namespace)  # the default TTL keeps finished pods an hour

    platform.kubectl("delete", "pipelinerun", "gone", "-n", namespace)  # waits for the finalizer
    assert not gone_dir.exists()
    assert kept_dir.is_dir()
    assert listed(platform, "pipelineruns", namespace) == ["kept"]


@pytest.fixture
def short_lived(tmp_path: Path) -> Any:
    running = Platform.launch(
        tmp_path / "data", args=("--task-pod-ttl", "1s", "--run-max-age", "8s")
    )
    yield running
    assert running.stop() == 0, running.log.read_text()[-3000:]


def test_finished_pods_then_old_runs_are_removed(short_lived: Platform) -> None:
    platform = short_lived
    platform.kubectl("create", "namespace", "team")
    platform.kubectl("apply", "-f", "-", input=run_yaml("brief", "team", ir_text(chain), {}))
    status = finished(platform, "team", "brief")
    assert status["state"] == "SUCCEEDED"
    run_dir = artifact_dir(status)

    wait_for(lambda: not listed(platform, "pods", "team"), timeout=20, what="the pods to go")
    left = platform.kubectl_yaml("get", "pipelinerun", "brief", "-n", "team")["status"]
    assert [t["state"] for t in left["tasks"]] == ["SUCCEEDED"] * 3  # the DAG view's data stays
    wait_for(lambda: not listed(platform, "pipelineruns", "team"), timeout=20, what="the run to go")
    assert not run_dir.exists()
