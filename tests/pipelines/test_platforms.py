"""The kfp-kubernetes platform spec → task pods: env, volumes, claims, metadata, deadlines."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import tempfile
from pathlib import Path
from typing import Any

import pytest
from kfp import compiler, dsl, kubernetes

from pinnace.kits.kube.objects import Object
from pinnace.pipelines import checks, launches, launching, loading, platforms, pods, specs
from pinnace.pipelines.states import State

from .builders import BASE, Simulation


@dsl.component(base_image=BASE)
def show(msg: str) -> str:
    return msg


@dsl.component(base_image=BASE)
def claim_name() -> str:
    return "made-claim"


@dsl.component(base_image=BASE)
def at(path: str) -> str:
    return path


def compiled(pipeline_func: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The IR and its platform-spec document, as kfp's compiler writes them."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(pipeline_func, str(path))
        return loading.documents(path.read_text())


def load(pipeline_func: Any) -> specs.Pipeline:
    return loading.load(*compiled(pipeline_func))


RUN: Object = {
    "apiVersion": "pipelines.kubeflow.org/v1alpha1",
    "kind": "PipelineRun",
    "metadata": {"name": "run", "namespace": "ns", "uid": "uid-1"},
}


def pod_of(sim: Simulation, task: str) -> Object:
    """The manifest of the first pod the engine asked for for `task`."""
    for _ in range(10):
        plan = sim.step()
        for req in plan.creates:
            if req.task == task:
                return pods.manifest(req, RUN)
    raise AssertionError(f"no pod for {task}")


def responses(launch: launches.Launch) -> tuple[int, dict[str, Any]]:
    return 0, {"Output": "made-claim" if launch.task == "claim-name" else ""}


def test_secrets_config_maps_claims_and_metadata_reach_the_pod() -> None:
    @dsl.pipeline
    def p(claim: str = "from-input") -> None:
        made = claim_name()
        t = show(msg="hi").after(made)
        kubernetes.use_secret_as_env(t, secret_name="s1", secret_key_to_env={"password": "PASS"})
        kubernetes.use_secret_as_volume(t, secret_name="s1", mount_path="/mnt/secret")
        kubernetes.use_config_map_as_env(t, config_map_name="c1", config_map_key_to_env={"k": "K"})
        kubernetes.use_config_map_as_volume(t, config_map_name="c1", mount_path="/mnt/cfg")
        kubernetes.mount_pvc(t, pvc_name="data", mount_path="/data")
        kubernetes.mount_pvc(t, pvc_name=claim, mount_path="/in")
        kubernetes.mount_pvc(t, pvc_name=made.output, mount_path="/made")
        kubernetes.empty_dir_mount(t, volume_name="scratch", mount_path="/scratch")
        kubernetes.use_field_path_as_env(t, env_name="POD", field_path="metadata.name")
        kubernetes.add_pod_label(t, "team", "ml")
        kubernetes.add_pod_annotation(t, "note", "yes")
        kubernetes.add_node_selector(t, "disk", "ssd")
        kubernetes.add_toleration(t, key="gpu", operator="Exists")
        kubernetes.set_timeout(t, 30)
        t.set_env_variable("FOO", "bar")
        t.set_memory_limit("100M").set_cpu_limit("1")

    pipeline = load(p)
    assert checks.validate(pipeline) == []
    sim = Simulation(pipeline, responses, arguments=checks.arguments(pipeline, {}))
    pod = pod_of(sim, "show")
    spec = pod["spec"]
    (container,) = spec["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["PASS"]["valueFrom"] == {"secretKeyRef": {"name": "s1", "key": "password"}}
    assert env["K"]["valueFrom"] == {"configMapKeyRef": {"name": "c1", "key": "k"}}
    assert env["POD"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["FOO"]["value"] == "bar"
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
    assert mounts["/mnt/secret"]["secret"] == {"secretName": "s1"}
    assert mounts["/mnt/cfg"]["configMap"] == {"name": "c1"}
    assert mounts["/data"]["persistentVolumeClaim"] == {"claimName": "data"}
    assert mounts["/in"]["persistentVolumeClaim"] == {"claimName": "from-input"}
    assert mounts["/made"]["persistentVolumeClaim"] == {"claimName": "made-claim"}
    assert mounts["/scratch"]["emptyDir"] == {}
    assert spec["activeDeadlineSeconds"] == 30
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "100M"}
    meta = pod["metadata"]
    assert meta["labels"]["team"] == "ml"
    assert meta["annotations"]["note"] == "yes"
    assert meta["annotations"][platforms.ANNOTATION_IGNORED] == "nodeSelector,tolerations"
    assert "nodeSelector" not in spec and "tolerations" not in spec


def test_a_task_without_platform_settings_gets_a_plain_pod() -> None:
    @dsl.pipeline
    def p() -> None:
        show(msg="hi")

    pod = pod_of(Simulation(load(p)), "show")
    assert "volumes" not in pod["spec"] and "activeDeadlineSeconds" not in pod["spec"]
    assert "volumeMounts" not in pod["spec"]["containers"][0]


def test_a_workspace_is_one_claim_mounted_into_every_task_of_the_run() -> None:
    config = dsl.PipelineConfig(workspace=dsl.WorkspaceConfig(size="1Gi"))

    @dsl.pipeline(pipeline_config=config)
    def p() -> None:
        at(path=dsl.WORKSPACE_PATH_PLACEHOLDER)
        show(msg="other")

    pipeline = load(p)
    platform = platforms.parse(pipeline)
    assert platform.workspace == platforms.Workspace(size="1Gi")
    sim = Simulation(pipeline)
    plan = sim.step()
    assert {r.task for r in plan.creates} == {"at", "show"}
    for req in plan.creates:
        pod = pods.manifest(req, RUN)
        (volume,) = pod["spec"]["volumes"]
        assert volume["persistentVolumeClaim"] == {"claimName": "run-kfp-workspace"}
        (mount,) = pod["spec"]["containers"][0]["volumeMounts"]
        assert mount["mountPath"] == "/kfp-workspace"
    claim = platforms.workspace_manifest(RUN, platform.workspace)
    assert claim["metadata"]["name"] == "run-kfp-workspace"
    assert claim["metadata"]["ownerReferences"][0]["uid"] == "uid-1"
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    # The placeholder stays for the launcher, which knows where the mount really is.
    (at_req,) = [r for r in plan.creates if r.task == "at"]
    assert at_req.launch.parameters["path"] == "{{$.workspace_path}}"
    assert at_req.launch.mounts == ("/kfp-workspace",)
    env = {
        e["name"]: e.get("value")
        for e in pods.manifest(at_req, RUN)["spec"]["containers"][0]["env"]
    }
    assert env["PINNACE_MOUNT_0"] == "/kfp-workspace"


VIEWS = {"/kfp-workspace": "/pods/x/_root/kfp-workspace", "/mnt/s": "/pods/x/_root/mnt/s"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("{{$.workspace_path}}", "/pods/x/_root/kfp-workspace", id="placeholder"),
        pytest.param(
            "{{$.workspace_path}}/m", "/pods/x/_root/kfp-workspace/m", id="placeholder-path"
        ),
        pytest.param("/kfp-workspace/model", "/pods/x/_root/kfp-workspace/model", id="path"),
        pytest.param("--key=/mnt/s/password", "--key=/pods/x/_root/mnt/s/password", id="flag"),
        pytest.param("/mnt/south", "/mnt/south", id="not-under-the-mount"),
        pytest.param(3, 3, id="not-a-string"),
    ],
)
def test_the_launcher_points_values_under_mounts_at_the_real_mount(
    value: Any, expected: Any
) -> None:
    assert launching.in_mounts(value, VIEWS) == expected


def test_the_launcher_reads_the_views_the_runtime_rewrote_from_the_pod_env() -> None:
    launch = launches.Launch(
        run="r",
        namespace="ns",
        task="t",
        task_id="t",
        command=(),
        args=(),
        outputs_uri="",
        mounts=("/mnt/s", "/data"),
    )
    env = {"PINNACE_MOUNT_0": "/pods/x/_root/mnt/s"}  # a cluster would leave /data as it is
    assert launching.mount_views(launch, env) == {"/mnt/s": "/pods/x/_root/mnt/s", "/data": "/data"}


def test_unsupported_platform_fields_fail_validation_naming_task_and_field() -> None:
    @dsl.pipeline
    def p() -> None:
        t = show(msg="hi")
        kubernetes.set_timeout(t, 5)

    spec, platform = compiled(p)
    assert checks.validate(loading.load(spec, platform)) == []
    executors = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    executors["exec-show"]["activeDeadlineSeconds"] = "-4"
    executors["exec-show"]["hostNetworkMagic"] = True
    problems = [str(p) for p in checks.validate(loading.load(spec, platform))]
    assert any("task 'show'" in p and "activeDeadlineSeconds" in p for p in problems), problems
    assert any("task 'show'" in p and "hostNetworkMagic: not supported" in p for p in problems)


def test_create_pvc_and_delete_pvc_run_without_pods_and_the_claim_reaches_consumers() -> None:
    @dsl.pipeline
    def p() -> None:
        pvc = kubernetes.CreatePVC(
            pvc_name_suffix="-scratch", access_modes=["ReadWriteOnce"], size="1Gi"
        )
        t = show(msg="hi")
        kubernetes.mount_pvc(t, pvc_name=pvc.outputs["name"], mount_path="/vol")
        kubernetes.DeletePVC(pvc_name=pvc.outputs["name"]).after(t)

    sim = Simulation(load(p))
    plans = []
    for _ in range(10):
        plans.append(sim.step())
        if plans[-1].state.terminal:
            break
    assert plans[-1].state is State.SUCCEEDED
    claims = [c for plan in plans for c in plan.claims]
    (claim,) = claims
    assert claim["metadata"] == {"name": "run-scratch", "namespace": "ns"}
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1Gi"}},
    }
    assert [d for plan in plans for d in plan.claim_deletes] == ["run-scratch"]
    requests = [r for plan in plans for r in plan.creates]
    assert [r.task for r in requests] == ["show"]  # the stubs start no pod
    pod = pods.manifest(requests[0], RUN)
    (volume,) = pod["spec"]["volumes"]
    assert volume["persistentVolumeClaim"] == {"claimName": "run-scratch"}
    assert sim.records["createpvc"]["outputs"]["parameters"] == {"name": "run-scratch"}
    # The claim is created before the consumer's pod: it comes in an earlier (or the same) pass.
    first_claim = next(i for i, plan in enumerate(plans) if plan.claims)
    first_pod = next(i for i, plan in enumerate(plans) if plan.creates)
    assert first_claim <= first_pod


def test_create_pvc_from_a_snapshot_fails_the_task_naming_the_input() -> None:
    @dsl.pipeline
    def p() -> None:
        kubernetes.CreatePVC(
            pvc_name="copy",
            access_modes=["ReadWriteOnce"],
            size="1Gi",
            data_source={
                "apiGroup": "snapshot.storage.k8s.io",
                "kind": "VolumeSnapshot",
                "name": "s",
            },
        )

    sim = Simulation(load(p))
    plan = sim.finish()
    assert plan.state is State.FAILED
    assert not plan.claims
    message = sim.records["createpvc"]["error"]["message"]
    assert "task 'createpvc'" in message and "data_source" in message, message
