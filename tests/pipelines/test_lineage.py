"""Lineage from PipelineRun objects on the real API server: producers, inputs, consumers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.pipelines import lineage

from . import lineages
from .lineages import DATA, METRICS, MODEL


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    """The in-process API server with the PipelineRun kind."""
    async with apiservers.serve(tmp_path, crd_names=lineages.CRDS) as running:
        yield running


async def graph_of(kube: apiservers.Kube) -> lineage.Graph:
    await lineages.store(kube)
    return lineage.build((await kube.list(kinds.PIPELINERUNS, namespace=lineages.NS)).items)


async def test_an_artifact_traces_to_its_producer_inputs_and_consumers(
    kube: apiservers.Kube,
) -> None:
    graph = await graph_of(kube)
    trace = graph.trace(MODEL)
    assert trace is not None
    assert trace.artifact.schema_title == "system.Model"
    assert trace.artifact.metadata == {"framework": "counting"}
    assert trace.artifact.created_at == "2026-01-01T00:00:02Z", (
        "the original's, not the cache hit's"
    )
    original, reused = trace.produced_by
    assert (original.ref, original.cached, original.pod) == (
        "ns/first/train",
        False,
        "first-train-1",
    )
    assert original.log_uri.endswith("/logs/first-train-1.log")
    assert (reused.ref, reused.cached) == ("ns/second/train", True)
    assert [(e.key, e.uri) for e in trace.inputs] == [("data", DATA)]
    assert sorted((e.execution.ref, e.key) for e in trace.consumed_by) == [
        ("ns/first/evaluate", "model"),
        ("ns/first/for-loop-1/0/inspect", "m"),
    ]


async def test_dags_and_loops_are_not_executions(kube: apiservers.Kube) -> None:
    graph = await graph_of(kube)
    refs = {e.ref for e in graph.executions}
    assert "ns/first/for-loop-1" not in refs and "ns/first/for-loop-1/0" not in refs
    assert "ns/first/for-loop-1/0/inspect" in refs
    assert [
        e.execution.ref for e in graph.events if e.uri == MODEL and e.type.value == "OUTPUT"
    ] == [
        "ns/first/train",
        "ns/second/train",
    ]


async def test_upstream_and_downstream_follow_the_graph_transitively(
    kube: apiservers.Kube,
) -> None:
    graph = await graph_of(kube)
    assert [a.uri for a in graph.upstream(MODEL)] == [DATA]
    assert graph.upstream(DATA) == ()
    assert {a.uri for a in graph.downstream(DATA)} == {MODEL, METRICS}
    assert graph.downstream(METRICS) == ()


async def test_ids_are_stable_and_unknown_uris_have_no_trace(kube: apiservers.Kube) -> None:
    graph = await graph_of(kube)
    model = graph.find(MODEL)
    assert model is not None
    assert graph.by_id(model.id) == model
    assert model.id == lineage.artifact_id(MODEL) and model.id.isdigit()
    assert graph.trace("s3://bucket/none") is None
    assert graph.find(MODEL + "/") == model
