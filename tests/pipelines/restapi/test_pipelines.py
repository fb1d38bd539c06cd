from __future__ import annotations

import copy
import json

import yaml

from pinnace.api import kinds

from . import pipelines_ir
from .conftest import Api


async def _upload(api: Api, name: str = "My Chain", content: bytes | None = None) -> dict:
    files = {"uploadfile": ("chain.yaml", content or pipelines_ir.chain_yaml())}
    return await api.ok("POST", "/pipelines/upload", params={"name": name}, files=files)  # type: ignore[no-any-return]


async def test_upload_makes_a_pipeline_and_its_first_version(api: Api) -> None:
    made = await _upload(api)
    assert (made["display_name"], made["namespace"]) == ("My Chain", "kubeflow")
    (pipeline,) = api.kube.objects(kinds.PIPELINES, "kubeflow")
    (version,) = api.kube.objects(kinds.PIPELINEVERSIONS, "kubeflow")
    assert pipeline["metadata"]["uid"] == made["pipeline_id"]
    assert version["spec"]["pipelineSpec"] == pipelines_ir.chain()
    assert version["spec"]["pipelineName"] == pipeline["metadata"]["name"]
    assert version["metadata"]["ownerReferences"][0]["uid"] == made["pipeline_id"]
    assert await api.ok("GET", f"/pipelines/{made['pipeline_id']}") == made
    listed = await api.ok(
        "GET",
        "/pipelines",
        params={
            "filter": json.dumps(
                {"predicates": [{"operation": 1, "key": "display_name", "stringValue": "My Chain"}]}
            )
        },
    )
    assert [p["pipeline_id"] for p in listed["pipelines"]] == [made["pipeline_id"]]


async def test_versions_upload_list_get_delete(api: Api) -> None:
    made = await _upload(api, "chain")
    pid = made["pipeline_id"]
    v2 = await api.ok(
        "POST",
        "/pipelines/upload_version",
        params={"pipelineid": pid, "name": "v2"},
        files={"uploadfile": ("chain.yaml", pipelines_ir.chain_yaml())},
    )
    assert (v2["pipeline_id"], v2["name"]) == (pid, "v2")
    assert v2["pipeline_spec"] == pipelines_ir.chain()
    names = sorted(o["metadata"]["name"] for o in api.kube.objects(kinds.PIPELINEVERSIONS))
    assert names == ["chain", "chain-v2"]  # upstream's <pipeline>-<version>
    listed = await api.ok("GET", f"/pipelines/{pid}/versions", params={"sort_by": "name desc"})
    assert [v["name"] for v in listed["pipeline_versions"]] == ["v2", "chain"]
    got = await api.ok("GET", f"/pipelines/{pid}/versions/{v2['pipeline_version_id']}")
    assert got == v2
    status, body = await api.call("DELETE", f"/pipelines/{pid}")
    assert (status, body["code"]) == (400, 9)  # versions left: KFP needs cascade
    await api.ok("DELETE", f"/pipelines/{pid}/versions/{v2['pipeline_version_id']}")
    assert len(api.kube.objects(kinds.PIPELINEVERSIONS)) == 1
    await api.ok("DELETE", f"/pipelines/{pid}", params={"cascade": "true"})
    assert api.kube.objects(kinds.PIPELINES) == []
    assert api.kube.objects(kinds.PIPELINEVERSIONS) == []


async def test_an_applied_upstream_version_belongs_to_its_pipeline_by_name(api: Api) -> None:
    pipeline = {
        "apiVersion": "pipelines.kubeflow.org/v2beta1",
        "kind": "Pipeline",
        "metadata": {"name": "hello"},
        "spec": {"description": "by kubectl"},
    }
    version = {
        "apiVersion": "pipelines.kubeflow.org/v2beta1",
        "kind": "PipelineVersion",
        "metadata": {"name": "hello-v1"},
        "spec": {"pipelineName": "hello", "pipelineSpec": pipelines_ir.chain()},
    }
    created = await api.kube.create(kinds.PIPELINES, pipeline, namespace="kubeflow")
    applied = await api.kube.create(kinds.PIPELINEVERSIONS, version, namespace="kubeflow")
    pid = created["metadata"]["uid"]
    listed = await api.ok("GET", f"/pipelines/{pid}/versions")
    (only,) = listed["pipeline_versions"]
    assert (only["pipeline_version_id"], only["name"]) == (applied["metadata"]["uid"], "hello-v1")
    assert only["pipeline_id"] == pid
    got = await api.ok("GET", f"/pipelines/{pid}")
    assert (got["display_name"], got["description"]) == ("hello", "by kubectl")


async def test_invalid_ir_is_refused_and_nothing_is_created(api: Api) -> None:
    broken = copy.deepcopy(pipelines_ir.chain())
    task = next(iter(broken["root"]["dag"]["tasks"].values()))
    task["componentRef"]["name"] = "comp-missing"
    status, body = await api.call(
        "POST",
        "/pipelines/upload",
        params={"name": "broken"},
        files={"uploadfile": ("b.yaml", yaml.safe_dump(broken).encode())},
    )
    assert (status, body["code"]) == (400, 3)
    assert "comp-missing" in body["message"]
    assert "componentRef.name" in body["message"]
    status, body = await api.call(
        "POST",
        "/pipelines/upload",
        params={"name": "junk"},
        files={"uploadfile": ("j.yaml", b"a: [unclosed")},
    )
    assert (status, body["code"]) == (400, 3)
    status, body = await api.call("POST", "/pipelines/upload", params={"name": "nofile"})
    assert (status, body["code"]) == (400, 3)
    assert "uploadfile" in body["message"]
    assert api.kube.objects(kinds.PIPELINES) == []
    assert api.kube.objects(kinds.PIPELINEVERSIONS) == []


async def test_create_with_first_version_in_one_call(api: Api) -> None:
    made = await api.ok(
        "POST",
        "/pipelines/create",
        json={
            "pipeline": {"display_name": "p"},
            "pipeline_version": {"display_name": "first", "pipeline_spec": pipelines_ir.chain()},
        },
    )
    listed = await api.ok("GET", f"/pipelines/{made['pipeline_id']}/versions")
    assert [v["display_name"] for v in listed["pipeline_versions"]] == ["first"]
    by_name = await api.ok("GET", "/pipelines/names/p")
    assert by_name["pipeline_id"] == made["pipeline_id"]


async def test_a_taken_name_is_409_and_unknown_ids_404(api: Api) -> None:
    await _upload(api, "same")
    files = {"uploadfile": ("chain.yaml", pipelines_ir.chain_yaml())}
    status, body = await api.call("POST", "/pipelines/upload", params={"name": "same"}, files=files)
    assert (status, body["code"]) == (409, 6)
    assert len(api.kube.objects(kinds.PIPELINEVERSIONS)) == 1
    status, body = await api.call("GET", "/pipelines/00000000-0000-0000-0000-000000000000")
    assert (status, body["code"]) == (404, 5)
