from __future__ import annotations

import json

from pinnace.api import kinds

from .conftest import Api


def _name_filter(name: str) -> str:
    # exactly what kfp.Client.create_experiment sends
    return json.dumps(
        {"predicates": [{"operation": 1, "key": "display_name", "stringValue": name}]}
    )


async def test_create_get_and_filter_by_display_name(api: Api) -> None:
    made = await api.ok("POST", "/experiments", json={"display_name": "Default"})
    await api.ok("POST", "/experiments", json={"display_name": "other", "description": "d"})
    assert made["namespace"] == "kubeflow"
    assert made["storage_state"] == "AVAILABLE"
    stored = api.kube.objects(kinds.EXPERIMENTS, "kubeflow")
    assert sorted(o["spec"]["displayName"] for o in stored) == ["Default", "other"]

    got = await api.ok("GET", f"/experiments/{made['experiment_id']}")
    assert got == made
    listed = await api.ok("GET", "/experiments", params={"filter": _name_filter("Default")})
    assert [e["experiment_id"] for e in listed["experiments"]] == [made["experiment_id"]]
    assert listed["total_size"] == 1
    everything = await api.ok("GET", "/experiments", params={"sort_by": "display_name desc"})
    assert [e["display_name"] for e in everything["experiments"]] == ["other", "Default"]


async def test_same_display_name_twice_is_already_exists(api: Api) -> None:
    await api.ok("POST", "/experiments", json={"display_name": "e"})
    status, body = await api.call("POST", "/experiments", json={"display_name": "e"})
    assert status == 409
    assert body["code"] == 6
    assert "already exists" in body["message"]


async def test_archive_archives_its_runs_unarchive_only_the_experiment(api: Api) -> None:
    made = await api.ok("POST", "/experiments", json={"display_name": "e"})
    run = {
        "apiVersion": "pipelines.kubeflow.org/v1alpha1",
        "kind": "PipelineRun",
        "metadata": {"name": "r"},
        "spec": {"experiment": "e", "pipelineSpec": {"root": {}}},
    }
    await api.kube.create(kinds.PIPELINERUNS, run, namespace="kubeflow")
    eid = made["experiment_id"]
    await api.ok("POST", f"/experiments/{eid}:archive")
    assert (await api.ok("GET", f"/experiments/{eid}"))["storage_state"] == "ARCHIVED"
    (stored,) = api.kube.objects(kinds.PIPELINERUNS, "kubeflow")
    assert stored["metadata"]["labels"]["pipelines.kubeflow.org/storage-state"] == "ARCHIVED"
    await api.ok("POST", f"/experiments/{eid}:unarchive")
    assert (await api.ok("GET", f"/experiments/{eid}"))["storage_state"] == "AVAILABLE"
    (stored,) = api.kube.objects(kinds.PIPELINERUNS, "kubeflow")
    assert stored["metadata"]["labels"]["pipelines.kubeflow.org/storage-state"] == "ARCHIVED"


async def test_delete_then_404(api: Api) -> None:
    made = await api.ok("POST", "/experiments", json={"display_name": "gone"})
    await api.ok("DELETE", f"/experiments/{made['experiment_id']}")
    assert api.kube.objects(kinds.EXPERIMENTS, "kubeflow") == []
    status, body = await api.call("GET", f"/experiments/{made['experiment_id']}")
    assert status == 404
    assert body["code"] == 5
    assert made["experiment_id"] in body["message"]


async def test_bad_input(api: Api) -> None:
    status, body = await api.call("POST", "/experiments", json={"description": "no name"})
    assert (status, body["code"]) == (400, 3)
    assert "display_name" in body["message"]
    status, body = await api.call("POST", "/experiments", content=b"{not json")
    assert (status, body["code"]) == (400, 3)
    status, body = await api.call("GET", "/experiments", params={"filter": "{"})
    assert (status, body["code"]) == (400, 3)
    assert body["message"].startswith("filter")
    assert api.kube.objects(kinds.EXPERIMENTS, "kubeflow") == []


async def test_a_request_without_identity_is_401(api: Api) -> None:
    status, body = await api.call(
        "GET", "/experiments", headers={"kubeflow-userid": "", "kubeflow-groups": ""}
    )
    assert (status, body["code"]) == (401, 16)
