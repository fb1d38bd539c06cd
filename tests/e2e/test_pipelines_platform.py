"""Task environments and kfp-kubernetes platform features on a real `pinnace up`.

Pipelines compiled by the real kfp compiler with the real `kfp-kubernetes`
helpers are applied with kubectl (the IR and its platform-spec document in
one PipelineRun): secrets and config maps as env vars and volumes, an
existing PVC shared by two tasks, a `dsl.WorkspaceConfig` workspace,
`packages_to_install` from a local wheel, a timeout, a memory limit.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import importlib.metadata
import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
from kfp import compiler, dsl, kubernetes
from tests.e2e.conftest import Platform, wait_for
from tests.pipelines import wheels

BASE = "python:3.11"
PACKAGE = "pinnace-tiny-probe"


@dsl.component(base_image=BASE)
def read_config(secret_dir: str, config_dir: str) -> str:
    import os

    with open(os.path.join(secret_dir, "password")) as f:
        secret_file = f.read()
    with open(os.path.join(config_dir, "greeting")) as f:
        config_file = f.read()
    names = ("PASSWORD", "GREETING", "FOO", "POD_NAME")
    return ",".join([*(os.environ[n] for n in names), secret_file, config_file])


@dsl.component(base_image=BASE)
def write_note(data_dir: str, workspace_path: str) -> None:
    import os

    with open(os.path.join(data_dir, "note"), "w") as f:
        f.write("on the claim")
    with open(os.path.join(workspace_path, "shared.txt"), "w") as f:
        f.write("in the workspace")


@dsl.component(base_image=BASE)
def read_note(data_dir: str, workspace_path: str) -> str:
    import os

    with open(os.path.join(data_dir, "note")) as f:
        note = f.read()
    with open(os.path.join(workspace_path, "shared.txt")) as f:
        return f"{note} + {f.read()}"


@dsl.component(base_image=BASE, packages_to_install=[f"{PACKAGE}==1.0"])
def probe() -> str:
    import pinnace_tiny_probe

    return str(pinnace_tiny_probe.VALUE)


@dsl.component(base_image=BASE)
def nap(seconds: int) -> None:
    import time

    time.sleep(seconds)


@dsl.component(base_image=BASE)
def hog(megabytes: int) -> None:
    import time

    block = bytearray(megabytes * 2**20)
    block[::4096] = b"x" * len(block[::4096])
    time.sleep(30)


def compiled(pipeline_func: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(pipeline_func, str(path))
        from pinnace.pipelines import loading

        return loading.documents(path.read_text())


def apply_run(platform: Platform, namespace: str, name: str, pipeline_func: Any) -> None:
    spec, platform_spec = compiled(pipeline_func)
    run = {
        "apiVersion": "pipelines.kubeflow.org/v1alpha1",
        "kind": "PipelineRun",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"pipelineSpec": spec, "platformSpec": platform_spec},
    }
    platform.kubectl("apply", "-f", "-", input=json.dumps(run))


def finished(platform: Platform, namespace: str, name: str, timeout: float = 120) -> Any:
    def done() -> Any:
        obj = platform.kubectl_yaml("get", "pipelinerun", name, "-n", namespace)
        status = obj.get("status") or {}
        return status if status.get("state") in ("SUCCEEDED", "FAILED", "CANCELED") else None

    return wait_for(done, timeout=timeout, interval=0.3, what=f"run {name} to finish")


def tasks_of(status: dict[str, Any]) -> dict[str, Any]:
    return {t["name"]: t for t in status.get("tasks") or []}


@pytest.fixture
def paths() -> str:
    """A private prefix for mount paths (the runtime links free mount paths on the host)."""
    return f"/tmp/pinnace-e2e-{uuid.uuid4().hex[:10]}"


def test_secrets_config_maps_a_claim_and_a_workspace_reach_the_tasks(
    platform: Platform, namespace: str, paths: str
) -> None:
    platform.kubectl(
        "create", "secret", "generic", "creds", "--from-literal=password=hunter2", "-n", namespace
    )
    platform.kubectl(
        "create", "configmap", "settings", "--from-literal=greeting=hello", "-n", namespace
    )
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    platform.kubectl("apply", "-f", "-", input=json.dumps(claim))
    # A real directory at a mount path: the runtime cannot link it on the host, so the task
    # sees its volume only because the launcher points the path at the pod's own view.
    decoy = Path(paths) / "secret"
    decoy.mkdir(parents=True)
    (decoy / "password").write_text("decoy")
    config = dsl.PipelineConfig(workspace=dsl.WorkspaceConfig(size="1Gi"))

    @dsl.pipeline(pipeline_config=config)
    def features() -> None:
        cfg = read_config(secret_dir=f"{paths}/secret", config_dir=f"{paths}/config")
        kubernetes.use_secret_as_env(
            cfg, secret_name="creds", secret_key_to_env={"password": "PASSWORD"}
        )
        kubernetes.use_secret_as_volume(cfg, secret_name="creds", mount_path=f"{paths}/secret")
        kubernetes.use_config_map_as_env(
            cfg, config_map_name="settings", config_map_key_to_env={"greeting": "GREETING"}
        )
        kubernetes.use_config_map_as_volume(
            cfg, config_map_name="settings", mount_path=f"{paths}/config"
        )
        kubernetes.use_field_path_as_env(cfg, env_name="POD_NAME", field_path="metadata.name")
        kubernetes.add_pod_label(cfg, "team", "ml")
        kubernetes.add_node_selector(cfg, "disk", "ssd")
        cfg.set_env_variable("FOO", "bar")
        write = write_note(data_dir=f"{paths}/data", workspace_path=dsl.WORKSPACE_PATH_PLACEHOLDER)
        kubernetes.mount_pvc(write, pvc_name="data", mount_path=f"{paths}/data")
        read = read_note(
            data_dir=f"{paths}/data", workspace_path=dsl.WORKSPACE_PATH_PLACEHOLDER
        ).after(write)
        kubernetes.mount_pvc(read, pvc_name="data", mount_path=f"{paths}/data")

    apply_run(platform, namespace, "features", features)
    status = finished(platform, namespace, "features")
    assert status["state"] == "SUCCEEDED", status.get("error")
    tasks = tasks_of(status)
    pod_name = tasks["read-config"]["podName"]
    assert tasks["read-config"]["outputs"]["parameters"]["Output"] == (
        f"hunter2,hello,bar,{pod_name},hunter2,hello"
    )
    assert tasks["read-note"]["outputs"]["parameters"]["Output"] == (
        "on the claim + in the workspace"
    )
    claim_dir = platform.data_dir / "volumes" / namespace / "data"
    assert (claim_dir / "note").read_text() == "on the claim"
    workspace = platform.kubectl_yaml("get", "pvc", "features-kfp-workspace", "-n", namespace)
    assert workspace["metadata"]["ownerReferences"][0]["name"] == "features"
    pod = platform.kubectl_yaml("get", "pod", pod_name, "-n", namespace)
    assert pod["metadata"]["labels"]["team"] == "ml"
    assert pod["metadata"]["annotations"]["pipelines.kubeflow.org/ignored"] == "nodeSelector"


def test_packages_to_install_come_from_a_cached_env_not_the_platforms(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    links = tmp_path / "wheels"
    wheels.build(links, PACKAGE, "1.0", 'VALUE = "installed for the task"\n')

    @dsl.pipeline
    def installs() -> None:
        for _ in range(2):
            task = probe()
            task.set_env_variable("PIP_FIND_LINKS", str(links))
            task.set_env_variable("PIP_NO_INDEX", "1")
            task.set_caching_options(False)

    apply_run(platform, namespace, "installs", installs)
    status = finished(platform, namespace, "installs")
    assert status["state"] == "SUCCEEDED", status.get("error")
    outputs = [t["outputs"]["parameters"]["Output"] for t in status["tasks"]]
    assert outputs == ["installed for the task"] * 2
    envs = [p for p in (platform.data_dir / "pipelines" / "envs").iterdir() if p.is_dir()]
    assert [p for p in envs if (p / "pinnace_tiny_probe").exists()], envs
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version(PACKAGE)
    assert not list(Path(sys.prefix).glob("lib/python*/site-packages/pinnace_tiny_probe*"))


def test_a_task_over_its_timeout_or_its_memory_limit_fails_the_run_saying_why(
    platform: Platform, namespace: str
) -> None:
    @dsl.pipeline
    def slow() -> None:
        task = nap(seconds=120)
        kubernetes.set_timeout(task, 2)

    @dsl.pipeline
    def greedy() -> None:
        hog(megabytes=400).set_memory_limit("150M")

    apply_run(platform, namespace, "slow", slow)
    apply_run(platform, namespace, "greedy", greedy)
    slow_status = finished(platform, namespace, "slow")
    assert slow_status["state"] == "FAILED"
    assert "DeadlineExceeded" in tasks_of(slow_status)["nap"]["error"]["message"]
    greedy_status = finished(platform, namespace, "greedy")
    assert greedy_status["state"] == "FAILED"
    error = tasks_of(greedy_status)["hog"]["error"]
    assert error["code"] == 137 and "OOMKilled" in error["message"], error


def test_a_platform_feature_pinnace_cannot_honour_is_refused_at_apply(
    platform: Platform, namespace: str
) -> None:
    @dsl.pipeline
    def timed() -> None:
        kubernetes.set_timeout(nap(seconds=1), 5)

    spec, platform_spec = compiled(timed)
    executor = platform_spec["platforms"]["kubernetes"]["deploymentSpec"]["executors"]["exec-nap"]
    executor["activeDeadlineSeconds"] = "-1"
    run = {
        "apiVersion": "pipelines.kubeflow.org/v1alpha1",
        "kind": "PipelineRun",
        "metadata": {"name": "refused", "namespace": namespace},
        "spec": {"pipelineSpec": spec, "platformSpec": platform_spec},
    }
    done = platform.kubectl("apply", "-f", "-", input=json.dumps(run), check=False)
    assert done.returncode != 0
    field = "spec.platformSpec.platforms.kubernetes.deploymentSpec.executors['exec-nap']"
    assert f"{field}.activeDeadlineSeconds" in done.stderr, done.stderr
    assert "task 'nap'" in done.stderr, done.stderr
    listed = platform.kubectl("get", "pipelineruns", "-n", namespace, "-o", "name").stdout
    assert "refused" not in listed


def test_a_claim_made_by_create_pvc_is_shared_and_then_deleted(
    platform: Platform, namespace: str, paths: str
) -> None:
    @dsl.pipeline
    def scratch() -> str:
        pvc = kubernetes.CreatePVC(
            pvc_name_suffix="-scratch", access_modes=["ReadWriteOnce"], size="1Gi"
        )
        write = write_note(data_dir=f"{paths}/vol", workspace_path=f"{paths}/vol")
        kubernetes.mount_pvc(write, pvc_name=pvc.outputs["name"], mount_path=f"{paths}/vol")
        read = read_note(data_dir=f"{paths}/vol", workspace_path=f"{paths}/vol").after(write)
        kubernetes.mount_pvc(read, pvc_name=pvc.outputs["name"], mount_path=f"{paths}/vol")
        kubernetes.DeletePVC(pvc_name=pvc.outputs["name"]).after(read)
        return read.output

    apply_run(platform, namespace, "scratch", scratch)
    status = finished(platform, namespace, "scratch")
    assert status["state"] == "SUCCEEDED", status.get("error")
    assert status["outputs"]["parameters"]["Output"] == "on the claim + in the workspace"
    tasks = tasks_of(status)
    assert tasks["createpvc"]["outputs"]["parameters"] == {"name": "scratch-scratch"}
    assert "podName" not in tasks["createpvc"] and "podName" not in tasks["deletepvc"]
    claims = platform.kubectl_yaml("get", "pvc", "-n", namespace)["items"]
    assert [c["metadata"]["name"] for c in claims] == []
