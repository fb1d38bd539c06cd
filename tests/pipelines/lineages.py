"""PipelineRuns with the status the run controller writes, for lineage tests.

`store(kube)` creates two runs in `ns` on the real API server and writes
their status through the status subresource, as the controller does:

    first:  make-data ─data→ train ─model→ evaluate        (+ metrics, a loop over model)
            └──────────────data──────────────┘
    second: train served from the cache (same data in, same model out)
"""

from __future__ import annotations

from typing import Any

from tests.support import apiservers

from pinnace.api import kinds

NS = "ns"
CRDS = ("pipelineruns.pipelines.kubeflow.org",)
ROOT = "s3://bucket/v2/ns"
DATA = f"{ROOT}/first/u1/make-data/data"
MODEL = f"{ROOT}/first/u1/train/model"
METRICS = f"{ROOT}/first/u1/train/metrics"


def art(uri: str, name: str, title: str, **metadata: Any) -> dict[str, Any]:
    return {
        "uri": uri,
        "name": name,
        "schemaTitle": title,
        "schemaVersion": "0.0.1",
        "metadata": metadata,
    }


def task(
    task_id: str, *, pod: str = "", inputs: Any = None, outputs: Any = None, **more: Any
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "taskId": task_id,
        "name": task_id.rsplit("/", 1)[-1],
        "state": "SUCCEEDED",
        "finishedAt": more.pop("finishedAt", "2026-01-01T00:00:00Z"),
        **more,
    }
    if pod:
        rec["podName"] = pod
        rec["logUri"] = f"{ROOT}/logs/{pod}.log"
    if inputs:
        rec["inputs"] = {"artifacts": inputs}
    if outputs:
        rec["outputs"] = {"parameters": {}, "artifacts": outputs}
    return rec


FIRST = [
    task(
        "make-data",
        pod="first-make-data-1",
        outputs={"data": [art(DATA, "data", "system.Dataset", rows=6)]},
        finishedAt="2026-01-01T00:00:01Z",
    ),
    task(
        "train",
        pod="first-train-1",
        inputs={"data": [DATA]},
        outputs={
            "model": [art(MODEL, "model", "system.Model", framework="counting")],
            "metrics": [art(METRICS, "metrics", "system.Metrics", accuracy=0.75)],
        },
        finishedAt="2026-01-01T00:00:02Z",
    ),
    task(
        "evaluate",
        pod="first-evaluate-1",
        inputs={"model": [MODEL], "data": [DATA]},
        finishedAt="2026-01-01T00:00:03Z",
    ),
    task("for-loop-1", outputs={"model": [art(MODEL, "model", "system.Model")]}),
    task("for-loop-1/0", parentTaskId="for-loop-1"),
    task(
        "for-loop-1/0/inspect",
        pod="first-inspect-1",
        parentTaskId="for-loop-1/0",
        inputs={"m": [MODEL]},
    ),
]
SECOND = [
    task(
        "make-data",
        cached=True,
        outputs={"data": [art(DATA, "data", "system.Dataset", rows=6)]},
        finishedAt="2026-01-02T00:00:01Z",
    ),
    task(
        "train",
        cached=True,
        inputs={"data": [DATA]},
        outputs={"model": [art(MODEL, "model", "system.Model", framework="counting")]},
        finishedAt="2026-01-02T00:00:02Z",
    ),
]


async def store(kube: apiservers.Kube, namespace: str = NS) -> dict[str, str]:
    """Create both runs with their status; run name → uid."""
    uids = {}
    for name, tasks in (("first", FIRST), ("second", SECOND)):
        run = await kube.create(
            kinds.PIPELINERUNS,
            {
                "apiVersion": "pipelines.kubeflow.org/v1alpha1",
                "kind": "PipelineRun",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"pipelineSpec": {"pipelineInfo": {"name": "p"}, "root": {}}},
            },
            namespace=namespace,
        )
        run["status"] = {"state": "SUCCEEDED", "pipelineRoot": "s3://bucket/v2", "tasks": tasks}
        await kube.replace(kinds.PIPELINERUNS, run, subresource="status")
        uids[name] = run["metadata"]["uid"]
    return uids
