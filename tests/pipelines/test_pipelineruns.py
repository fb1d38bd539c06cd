"""The PipelineRun controller on the real in-process API server; the test plays pods' part.

Only the pipelines controller runs (no scheduler, no node agent): the test finishes
each task pod itself — writing the outputs file the launcher would write and the
pod status the node agent would — and asserts on the pods and status the
controller produces.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl
from tests.controllers.helpers import real_apiserver

from pinnace import pipelines
from pinnace.api import kinds
from pinnace.cli import platform as cli_platform
from pinnace.controllers import manager
from pinnace.kits.kube import clients, objects
from pinnace.pipelines import launches, pipelineruns, stores

from . import builders
from .builders import BASE

NS = "ns"


@dsl.component(base_image=BASE)
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline
def chain(x: int = 1) -> int:
    first = add(a=x, b=1)
    return add(a=first.output, b=10).output


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[clients.Client]:
    async with real_apiserver(tmp_path / "api") as client:
        await cli_platform.install_crds(client)
        await client.create(kinds.NAMESPACES, {"metadata": {"name": NS}})
        mgr = manager.Manager(client)
        settings = pipelineruns.Settings(pipeline_root=(tmp_path / "root").as_uri())
        pipelines.setup(mgr, settings=settings)
        await mgr.start()
        try:
            yield client
        finally:
            await mgr.stop()


async def until(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.01)


async def submit(client: clients.Client, name: str, ir: dict[str, Any], **params: Any) -> None:
    await client.create(
        kinds.PIPELINERUNS,
        {
            "apiVersion": "pipelines.kubeflow.org/v1alpha1",
            "kind": "PipelineRun",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"pipelineSpec": ir, "runtimeConfig": {"parameters": params}},
        },
        namespace=NS,
    )


async def run_status(client: clients.Client, name: str) -> dict[str, Any]:
    run = await client.get(kinds.PIPELINERUNS, name, namespace=NS)
    return dict(run.get("status") or {})


async def state_is(client: clients.Client, name: str, state: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        status = await run_status(client, name)
        return status if status.get("state") == state else None

    result: dict[str, Any] = await until(probe)
    return result


async def pods(client: clients.Client) -> list[dict[str, Any]]:
    return list((await client.list(kinds.PODS, namespace=NS)).items)


def launch_of(pod: dict[str, Any]) -> launches.Launch:
    (env,) = [e for e in pod["spec"]["containers"][0]["env"] if e["name"] == launches.ENV]
    return launches.Launch.from_json(env["value"])


async def finish(
    client: clients.Client, pod: dict[str, Any], code: int = 0, **outputs: Any
) -> None:
    """Play the launcher (outputs file) and the node agent (terminated status)."""
    if code == 0:
        stores.write_json(
            launch_of(pod).outputs_uri, launches.Outputs(parameters=outputs).to_dict()
        )
    terminated = {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}
    status = {
        "phase": "Succeeded" if code == 0 else "Failed",
        "containerStatuses": [{"name": "main", "state": {"terminated": terminated}}],
    }
    await client.patch(
        kinds.PODS, objects.name_of(pod), {"status": status}, namespace=NS, subresource="status"
    )


async def test_a_chain_advances_pod_by_pod_to_success(kube: clients.Client) -> None:
    await submit(kube, "chain", builders.compiled(chain), x=5)
    (first,) = await until(lambda: pods(kube))
    assert first["metadata"]["ownerReferences"][0]["name"] == "chain"
    assert first["metadata"]["labels"]["pipelines.kubeflow.org/run"] == "chain"
    assert first["spec"]["restartPolicy"] == "Never"
    assert first["spec"]["containers"][0]["command"] == [
        "python",
        "-m",
        "pinnace.pipelines.launcher",
    ]
    assert first["spec"]["containers"][0]["image"] == BASE
    assert launch_of(first).parameters == {"a": 5, "b": 1}
    running = await state_is(kube, "chain", "RUNNING")
    assert [t["state"] for t in running["tasks"]] == ["RUNNING"]

    await finish(kube, first, Output=6)

    async def second() -> dict[str, Any] | None:
        found = [p for p in await pods(kube) if p["metadata"]["name"] != first["metadata"]["name"]]
        return found[0] if found else None

    pod2 = await until(second)
    assert launch_of(pod2).parameters == {"a": 6, "b": 10}
    await finish(kube, pod2, Output=16)
    status = await state_is(kube, "chain", "SUCCEEDED")
    assert status["outputs"]["parameters"] == {"Output": 16}
    assert [t["state"] for t in status["tasks"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert status["observedGeneration"] == 1 and status["finishedAt"]
    (cond,) = status["conditions"]
    assert (cond["type"], cond["status"]) == ("Succeeded", "True")
    assert [h["state"] for h in status["stateHistory"]] == ["RUNNING", "SUCCEEDED"]


async def test_a_failed_pod_fails_the_run_with_its_exit_code(kube: clients.Client) -> None:
    await submit(kube, "fails", builders.compiled(chain))
    (pod,) = await until(lambda: pods(kube))
    await finish(kube, pod, code=3)
    status = await state_is(kube, "fails", "FAILED")
    assert status["error"]["code"] == 3
    assert "task 'add' failed" in status["error"]["message"]
    assert len(await pods(kube)) == 1, "nothing starts after a failure"


async def test_an_invalid_run_fails_before_any_pod(kube: clients.Client) -> None:
    ir = builders.compiled(chain)
    ir["root"]["dag"]["tasks"]["add"]["componentRef"]["name"] = "comp-gone"
    await submit(kube, "bad", ir)
    status = await state_is(kube, "bad", "FAILED")
    assert (
        "task 'add': componentRef.name: unknown component 'comp-gone'" in status["error"]["message"]
    )
    assert await pods(kube) == []


async def test_cancel_deletes_the_running_pods_and_ends_canceled(kube: clients.Client) -> None:
    await submit(kube, "stop", builders.compiled(chain))
    await until(lambda: pods(kube))
    await kube.patch(kinds.PIPELINERUNS, "stop", {"spec": {"cancel": True}}, namespace=NS)
    # an unscheduled pod goes at once (no node to stop it), so CANCELING is brief here
    status = await state_is(kube, "stop", "CANCELED")
    assert [t["state"] for t in status["tasks"]] == ["CANCELED"]
    assert await pods(kube) == []
    assert [h["state"] for h in status["stateHistory"]][-1] == "CANCELED"


async def test_retry_runs_the_failed_task_again_and_keeps_what_succeeded(
    kube: clients.Client,
) -> None:
    await submit(kube, "again", builders.compiled(chain), x=1)
    (first,) = await until(lambda: pods(kube))
    await finish(kube, first, Output=2)

    async def second() -> dict[str, Any] | None:
        found = [p for p in await pods(kube) if p["metadata"]["name"] != first["metadata"]["name"]]
        return found[0] if found else None

    failing = await until(second)
    await finish(kube, failing, code=1)
    await state_is(kube, "again", "FAILED")
    await kube.patch(kinds.PIPELINERUNS, "again", {"spec": {"retries": 1}}, namespace=NS)

    async def third() -> dict[str, Any] | None:
        seen = {first["metadata"]["name"], failing["metadata"]["name"]}
        found = [p for p in await pods(kube) if p["metadata"]["name"] not in seen]
        return found[0] if found else None

    retried = await until(third)
    assert retried["metadata"]["labels"]["pipelines.kubeflow.org/attempt"] == "1"
    assert launch_of(retried).parameters == {"a": 2, "b": 10}
    running = await state_is(kube, "again", "RUNNING")  # pods are made before status is written
    assert running["retries"] == 1
    assert "finishedAt" not in running
    await finish(kube, retried, Output=12)
    status = await state_is(kube, "again", "SUCCEEDED")
    assert status["outputs"]["parameters"] == {"Output": 12}
    assert [t["attempts"] for t in status["tasks"]] == [1, 2]
    assert len(await pods(kube)) == 3, "the task that succeeded did not run again"
    assert [h["state"] for h in status["stateHistory"]] == [
        "RUNNING",
        "FAILED",
        "RUNNING",
        "SUCCEEDED",
    ]
