"""KFP's artifacts endpoints over the lineage of stored runs (list, get, artifact_tasks)."""

from __future__ import annotations

import json

from tests.pipelines import lineages
from tests.pipelines.lineages import DATA, METRICS, MODEL

from pinnace.pipelines import lineage

from .conftest import Api


async def test_list_answers_every_artifact_of_the_namespace_in_kfps_shape(api: Api) -> None:
    await lineages.store(api.kube)
    body = await api.ok("GET", "/artifacts", params={"namespace": "ns"})
    by_uri = {a["uri"]: a for a in body["artifacts"]}
    assert set(by_uri) == {DATA, MODEL, METRICS}
    assert body["total_size"] == 3 and body["next_page_token"] == ""
    model = by_uri[MODEL]
    assert model == {
        "artifact_id": lineage.artifact_id(MODEL),
        "name": "model",
        "uri": MODEL,
        "storage_provider": "s3",
        "storage_path": "v2/ns/first/u1/train/model",
        "namespace": "ns",
        "artifact_type": "system.Model",
        "metadata": {"framework": "counting"},
        "created_at": "2026-01-01T00:00:02Z",
        "last_updated_at": "2026-01-01T00:00:02Z",
    }


async def test_list_pages_and_orders_by_artifacts_proto_fields(api: Api) -> None:
    await lineages.store(api.kube)
    params = {
        "namespace": "ns",
        "max_result_size": "2",
        "order_by_field": "CREATE_TIME",
        "order_by": "desc",
    }
    first = await api.ok("GET", "/artifacts", params=params)
    ties = sorted([MODEL, METRICS], key=lineage.artifact_id)  # same created_at: by id
    assert [a["uri"] for a in first["artifacts"]] == ties
    assert first["next_page_token"]
    rest = await api.ok(
        "GET", "/artifacts", params={**params, "next_page_token": first["next_page_token"]}
    )
    assert [a["uri"] for a in rest["artifacts"]] == [DATA]
    status, error = await api.call("GET", "/artifacts", params={"order_by_field": "SIZE"})
    assert status == 400 and "order_by_field" in error["message"]


async def test_get_finds_an_artifact_by_id_and_404s_an_unknown_one(api: Api) -> None:
    await lineages.store(api.kube)
    body = await api.ok("GET", f"/artifacts/{lineage.artifact_id(DATA)}")
    assert (body["uri"], body["metadata"]) == (DATA, {"rows": 6})
    status, error = await api.call("GET", "/artifacts/12345")
    assert status == 404 and error["code"] == 5 and "12345" in error["message"]


async def test_artifact_tasks_answer_who_produced_and_consumed(api: Api) -> None:
    uids = await lineages.store(api.kube)
    model_id = lineage.artifact_id(MODEL)
    body = await api.ok(
        "GET", "/artifact_tasks", params={"namespace": "ns", "artifact_ids": model_id}
    )
    edges = {(e["run_id"], e["task_id"], e["type"], e["key"]) for e in body["artifact_tasks"]}
    assert edges == {
        (uids["first"], "train", "OUTPUT", "model"),
        (uids["second"], "train", "OUTPUT", "model"),
        (uids["first"], "evaluate", "TASK_OUTPUT_INPUT", "model"),
        (uids["first"], "for-loop-1/0/inspect", "TASK_OUTPUT_INPUT", "m"),
    }
    outputs = await api.ok(
        "GET",
        "/artifact_tasks",
        params=[
            ("namespace", "ns"),
            ("run_ids", uids["first"]),
            ("type", "OUTPUT"),
            ("task_ids", "train"),
        ],
    )
    assert sorted(e["key"] for e in outputs["artifact_tasks"]) == ["metrics", "model"]
    assert json.dumps(outputs).count(uids["second"]) == 0
    status, error = await api.call("GET", "/artifact_tasks", params={"type": "SIDEWAYS"})
    assert status == 400 and "type" in error["message"]
