"""Pipelines on a real `pinnace up`: IR from the real kfp compiler, submitted with kubectl.

A PipelineRun is applied as YAML, exactly as a user would; the run controller
starts one pod per task (the launcher in each) and the status shows the outcome.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import json
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from kfp import compiler, dsl
from tests.e2e.conftest import Platform, wait_for

BASE = "python:3.11"


@dsl.component(base_image=BASE)
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image=BASE)
def write(count: int, out: dsl.Output[dsl.Dataset]) -> None:
    with open(out.path, "w") as f:
        f.write("x" * count)
    out.metadata["count"] = count


@dsl.component(base_image=BASE)
def measure(data: dsl.Input[dsl.Dataset]) -> str:
    with open(data.path) as f:
        return f"{len(f.read())} bytes, metadata {data.metadata['count']}"


@dsl.pipeline
def chain(a: int = 1, b: int = 2) -> str:
    total = add(a=a, b=b)
    dataset = write(count=total.output)
    return measure(data=dataset.outputs["out"]).output


@dsl.component(base_image=BASE)
def explode(reason: str) -> None:
    raise SystemExit(f"giving up: {reason}")


@dsl.pipeline
def failing() -> None:
    first = add(a=1, b=1)
    explode(reason="on purpose").after(first)


def ir_text(pipeline_func: Any) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(pipeline_func, str(path))
        return path.read_text()


def run_yaml(name: str, namespace: str, ir: str, parameters: dict[str, Any]) -> str:
    params = "".join(f"      {k}: {json.dumps(v)}\n" for k, v in parameters.items())
    return (
        "apiVersion: pipelines.kubeflow.org/v1alpha1\n"
        "kind: PipelineRun\n"
        f"metadata:\n  name: {name}\n  namespace: {namespace}\n"
        "spec:\n"
        f"  runtimeConfig:\n    parameters:\n{params or '      {}'}\n"
        "  pipelineSpec:\n" + textwrap.indent(ir, "    ")
    )


def run_status(platform: Platform, namespace: str, name: str) -> dict[str, Any]:
    obj = platform.kubectl_yaml("get", "pipelinerun", name, "-n", namespace)
    return obj.get("status") or {}


def finished(platform: Platform, namespace: str, name: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        status = run_status(platform, namespace, name)
        return status if status.get("state") in ("SUCCEEDED", "FAILED", "CANCELED") else None

    result: dict[str, Any] = wait_for(done, timeout=60, what=f"run {name} to finish")
    return result


def test_a_compiled_pipeline_runs_to_success_with_its_outputs(
    platform: Platform, namespace: str
) -> None:
    platform.kubectl(
        "apply", "-f", "-", input=run_yaml("chain", namespace, ir_text(chain), {"a": 5})
    )
    status = finished(platform, namespace, "chain")
    assert status["state"] == "SUCCEEDED", status.get("error")
    assert status["outputs"]["parameters"] == {"Output": "7 bytes, metadata 7"}
    tasks = {t["name"]: t for t in status["tasks"]}
    assert [tasks[n]["state"] for n in ("add", "write", "measure")] == ["SUCCEEDED"] * 3
    assert tasks["add"]["inputs"]["parameters"] == {"a": 5, "b": 2}
    (art,) = tasks["write"]["outputs"]["artifacts"]["out"]
    assert art["metadata"] == {"count": 7}
    assert art["uri"].startswith((platform.data_dir / "pipelines" / "artifacts").as_uri())
    assert Path(art["uri"].removeprefix("file://")).read_text() == "x" * 7
    cond = {c["type"]: c for c in status["conditions"]}["Succeeded"]
    assert cond["status"] == "True"
    pods = platform.kubectl_yaml("get", "pods", "-n", namespace)["items"]
    names = sorted(p["metadata"]["name"] for p in pods)
    assert names == sorted(t["podName"] for t in tasks.values())
    for pod in pods:
        (owner,) = pod["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"]) == ("PipelineRun", "chain")
        assert pod["status"]["phase"] == "Succeeded"
    table = platform.kubectl("get", "pipelineruns", "-n", namespace).stdout
    assert "chain" in table and "SUCCEEDED" in table


def test_a_failing_task_fails_the_run_with_its_exit_code_and_log_tail(
    platform: Platform, namespace: str
) -> None:
    platform.kubectl("apply", "-f", "-", input=run_yaml("boom", namespace, ir_text(failing), {}))
    status = finished(platform, namespace, "boom")
    assert status["state"] == "FAILED"
    tasks = {t["name"]: t for t in status["tasks"]}
    assert tasks["add"]["state"] == "SUCCEEDED"
    failed = tasks["explode"]
    assert failed["state"] == "FAILED"
    assert failed["error"]["code"] == 1
    assert "giving up: on purpose" in failed["error"]["message"]
    assert status["error"]["code"] == 1
    assert "task 'explode' failed" in status["error"]["message"]
    assert "giving up: on purpose" in status["error"]["message"]


def apply_refused(platform: Platform, namespace: str, manifest: str) -> str:
    """kubectl apply of `manifest` fails with a 422; nothing is stored. The error text."""
    result = platform.kubectl("apply", "-f", "-", input=manifest, check=False)
    assert result.returncode != 0, result.stdout
    assert "is invalid: " in result.stderr, result.stderr  # kubectl's wording of a 422
    assert platform.kubectl_yaml("get", "pipelineruns", "-n", namespace)["items"] == []
    assert platform.kubectl_yaml("get", "pods", "-n", namespace)["items"] == []
    return result.stderr


def test_an_invalid_pipeline_is_refused_at_apply_naming_the_task_and_field(
    platform: Platform, namespace: str
) -> None:
    ir = ir_text(chain).replace("name: comp-measure\n", "name: comp-missing\n", 1)
    assert "comp-missing" in ir
    error = apply_refused(platform, namespace, run_yaml("bad", namespace, ir, {"a": 1}))
    assert (
        'The PipelineRun "bad" is invalid: '
        "spec.pipelineSpec.root.dag.tasks[measure].componentRef.name: "
        "unknown component 'comp-missing'"
    ) in error, error


def test_a_missing_required_parameter_is_refused_naming_it(
    platform: Platform, namespace: str
) -> None:
    @dsl.pipeline
    def needs(x: int) -> int:
        return add(a=x, b=1).output

    error = apply_refused(platform, namespace, run_yaml("needs", namespace, ir_text(needs), {}))
    assert (
        "spec.runtimeConfig.parameters['x']: required pipeline input (NUMBER_INTEGER) is missing"
    ) in error, error


def test_a_wrongly_typed_parameter_is_refused_naming_it(platform: Platform, namespace: str) -> None:
    error = apply_refused(
        platform, namespace, run_yaml("typed", namespace, ir_text(chain), {"a": "five"})
    )
    assert "spec.runtimeConfig.parameters['a']: expected NUMBER_INTEGER, got str 'five'" in error


def test_a_second_identical_run_starts_no_pod_and_reports_every_task_cached(
    platform: Platform, namespace: str
) -> None:
    ir = ir_text(chain)
    platform.kubectl("apply", "-f", "-", input=run_yaml("first", namespace, ir, {"a": 2}))
    assert finished(platform, namespace, "first")["state"] == "SUCCEEDED"
    before = platform.kubectl_yaml("get", "pods", "-n", namespace)["items"]
    platform.kubectl("apply", "-f", "-", input=run_yaml("second", namespace, ir, {"a": 2}))
    status = finished(platform, namespace, "second")
    assert status["state"] == "SUCCEEDED"
    assert status["outputs"]["parameters"] == {"Output": "4 bytes, metadata 4"}
    assert all(t.get("cached") for t in status["tasks"]), status["tasks"]
    assert platform.kubectl_yaml("get", "pods", "-n", namespace)["items"] == before


@dsl.component(base_image=BASE)
def nap(seconds: int) -> None:
    import time

    time.sleep(seconds)


@dsl.pipeline
def sleepy() -> None:
    nap(seconds=120)


def test_cancel_stops_the_task_process_and_ends_canceled(
    platform: Platform, namespace: str
) -> None:
    platform.kubectl("apply", "-f", "-", input=run_yaml("sleepy", namespace, ir_text(sleepy), {}))

    def running_pod() -> str | None:
        for pod in platform.kubectl_yaml("get", "pods", "-n", namespace)["items"]:
            if pod.get("status", {}).get("phase") == "Running":
                return str(pod["metadata"]["name"])
        return None

    wait_for(running_pod, timeout=30, what="the task pod to run")
    platform.kubectl(
        "patch",
        "pipelinerun",
        "sleepy",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"cancel":true}}',
    )
    status = finished(platform, namespace, "sleepy")
    assert status["state"] == "CANCELED"
    assert [t["state"] for t in status["tasks"]] == ["CANCELED"]
    assert platform.kubectl_yaml("get", "pods", "-n", namespace)["items"] == []
