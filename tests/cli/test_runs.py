"""`pinnace run`'s pieces: the PipelineRun it makes, the refusal of a bad one, following a run."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import asyncio
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl
from rich.console import Console
from tests.pipelines import builders
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.cli import compiling, platform, runs
from pinnace.kits.kube.objects import Object

NS = "ns"


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline(name="My Flow_v2")
def flow(x: int, msg: str = "hi") -> int:
    return add(a=x, b=1).output


IR = builders.compiled(flow)
SOURCE = compiling.Source(IR, {}, "flow.py:flow")


def test_the_manifest_carries_the_ir_the_parameters_and_the_switches() -> None:
    request = runs.Request(Path("flow.py"), namespace=NS, experiment="exp", no_cache=True)
    run = runs.manifest(request, SOURCE, {"x": 1})
    assert run["metadata"] == {"namespace": NS, "generateName": "my-flow-v2-"}
    spec = run["spec"]
    assert spec["pipelineSpec"] is IR
    assert spec["runtimeConfig"] == {"parameters": {"x": 1}}
    assert (spec["experiment"], spec["enableCaching"]) == ("exp", False)
    assert "platformSpec" not in spec
    named = runs.manifest(runs.Request(Path("f.py"), name="mine"), SOURCE, {})
    assert named["metadata"]["name"] == "mine"
    assert "enableCaching" not in named["spec"], "absent: each task's cachingOptions decide"


def test_prepare_types_the_parameters_and_refuses_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    import yaml

    path.write_text(yaml.safe_dump(IR))
    run = runs.prepare(runs.Request(path, parameters=("x=4", "msg=5")))
    assert run["spec"]["runtimeConfig"]["parameters"] == {"x": 4, "msg": "5"}
    with pytest.raises(runs.Refused, match=r"-p x \(NUMBER_INTEGER\): expected an integer"):
        runs.prepare(runs.Request(path, parameters=("x=four",)))
    broken = dict(IR, root=[])
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(runs.Refused, match=r"invalid pipeline: root: expected an object"):
        runs.prepare(runs.Request(path))


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    async with apiservers.serve(tmp_path, validators=platform.VALIDATORS) as running:
        await platform.install_crds(running)
        yield running


def run_object(name: str, **params: Any) -> Object:
    request = runs.Request(Path("flow.py"), namespace=NS, name=name)
    return runs.manifest(request, SOURCE, params)


async def test_a_run_the_server_refuses_names_each_field(kube: apiservers.Kube) -> None:
    with pytest.raises(runs.Refused) as caught:
        await runs.create(kube, run_object("bad", x="one", y=2))
    assert str(caught.value).splitlines() == [
        'PipelineRun "bad" is invalid:',
        "  spec.runtimeConfig.parameters['y']: the pipeline has no such input",
        "  spec.runtimeConfig.parameters['x']: expected NUMBER_INTEGER, got str 'one'",
    ]
    assert kube.objects(kinds.PIPELINERUNS, NS) == []
    with pytest.raises(runs.Refused, match='namespaces "elsewhere" not found'):
        await runs.create(
            kube, {**run_object("x", x=1), "metadata": {"name": "x", "namespace": "elsewhere"}}
        )


async def set_status(kube: apiservers.Kube, name: str, status: dict[str, Any]) -> None:
    await kube.patch(
        kinds.PIPELINERUNS, name, {"status": status}, namespace=NS, subresource="status"
    )


async def test_follow_sees_each_change_until_the_run_ends(kube: apiservers.Kube) -> None:
    await runs.create(kube, run_object("r", x=1))
    seen: list[str] = []
    changed = asyncio.Event()

    def update(run: Object) -> None:
        seen.append((run.get("status") or {}).get("state") or "PENDING")
        changed.set()

    following = asyncio.ensure_future(runs.follow(kube, NS, "r", update, print))
    for state in ("RUNNING", "SUCCEEDED"):
        await asyncio.wait_for(changed.wait(), 10)
        changed.clear()
        task = {"taskId": "add", "name": "add", "state": state}
        await set_status(kube, "r", {"state": state, "tasks": [task]})
    final = await asyncio.wait_for(following, 10)
    assert final["status"]["state"] == "SUCCEEDED"
    assert seen == ["PENDING", "RUNNING", "SUCCEEDED"]


async def test_follow_of_a_deleted_run_is_refused(kube: apiservers.Kube) -> None:
    await runs.create(kube, run_object("gone", x=1))
    started = asyncio.Event()
    following = asyncio.ensure_future(
        runs.follow(kube, NS, "gone", lambda run: started.set(), print)
    )
    await asyncio.wait_for(started.wait(), 10)
    await kube.delete(kinds.PIPELINERUNS, "gone", namespace=NS)
    with pytest.raises(runs.Refused, match="was deleted"):
        await asyncio.wait_for(following, 10)


@pytest.mark.parametrize(
    ("state", "code", "expected"),
    [
        pytest.param("SUCCEEDED", runs.OK, ["outputs:", "  Output = 2"], id="succeeded"),
        pytest.param(
            "FAILED", runs.FAILED, ["task add failed with exit code 2:", "  | boom"], id="failed"
        ),
        pytest.param("CANCELED", runs.FAILED, ["the run ended CANCELED"], id="canceled"),
    ],
)
def test_the_summary_shows_the_dag_and_the_outcome(
    state: str, code: int, expected: list[str]
) -> None:
    task: dict[str, Any] = {"taskId": "add", "name": "add", "displayName": "add", "state": state}
    if state == "FAILED":
        task.update(podName="p", error={"code": 2, "message": "boom"})
    run = {
        "metadata": {"name": "r", "namespace": NS},
        "status": {"state": state, "tasks": [task], "outputs": {"parameters": {"Output": 2}}},
    }
    out = io.StringIO()
    console = Console(file=out, soft_wrap=True)
    assert runs.summary(run, time.monotonic(), console) == code
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"pipelinerun {NS}/r {state} in ")
    assert lines[1] == f"  add  {state}" + ("  (exit 2)" if state == "FAILED" else "")
    assert lines[2:] == expected
