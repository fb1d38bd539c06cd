from __future__ import annotations

import json
from typing import Any

import pytest

from pinnace.api import kinds

from . import pipelines_ir
from .conftest import Api


def _run(**extra: Any) -> dict[str, Any]:
    return {
        "display_name": "My run",
        "pipeline_spec": pipelines_ir.chain(),
        "runtime_config": {"parameters": {"a": 3}},
        **extra,
    }


async def test_create_makes_a_pipelinerun_in_the_experiments_namespace(api: Api) -> None:
    await api.kube.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
    exp = await api.ok("POST", "/experiments", json={"display_name": "exp", "namespace": "team"})
    made = await api.ok(
        "POST",
        "/runs",
        json=_run(
            experiment_id=exp["experiment_id"],
            runtime_config={"parameters": {"a": 3}, "pipeline_root": "file:///tmp/r"},
            service_account="runner",
        ),
    )
    (stored,) = api.kube.objects(kinds.PIPELINERUNS, "team")
    assert stored["metadata"]["uid"] == made["run_id"]
    assert stored["metadata"]["name"].startswith("my-run-")
    spec = stored["spec"]
    assert spec["pipelineSpec"] == pipelines_ir.chain()
    assert spec["runtimeConfig"] == {"parameters": {"a": 3}, "pipelineRoot": "file:///tmp/r"}
    assert (spec["experiment"], spec["displayName"]) == ("exp", "My run")
    assert spec["serviceAccountName"] == "runner"
    assert made["experiment_id"] == exp["experiment_id"]
    assert made["state"] == "PENDING"
    got = await api.ok("GET", f"/runs/{made['run_id']}")
    assert (got["experiment_id"], got["namespace"]) == (exp["experiment_id"], "team")


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        pytest.param({}, ["runtimeConfig.parameters['a']", "required"], id="missing"),
        pytest.param(
            {"a": "three"}, ["runtimeConfig.parameters['a']", "NUMBER_INTEGER"], id="type"
        ),
        pytest.param({"a": 1, "b": 2}, ["runtimeConfig.parameters['b']"], id="unknown"),
    ],
)
async def test_bad_arguments_are_400_and_nothing_is_created(
    api: Api, parameters: dict[str, Any], words: list[str]
) -> None:
    status, body = await api.call(
        "POST", "/runs", json=_run(runtime_config={"parameters": parameters})
    )
    assert (status, body["code"]) == (400, 3), body
    for word in words:
        assert word in body["message"]
    assert api.kube.objects(kinds.PIPELINERUNS) == []


async def test_invalid_ir_names_the_task_and_field(api: Api) -> None:
    spec = json.loads(json.dumps(pipelines_ir.chain()))
    task_name, task = next(iter(spec["root"]["dag"]["tasks"].items()))
    task["componentRef"]["name"] = "comp-nope"
    status, body = await api.call("POST", "/runs", json=_run(pipeline_spec=spec))
    assert (status, body["code"]) == (400, 3)
    assert f"task {task_name!r}" in body["message"]
    assert "componentRef.name" in body["message"]
    status, body = await api.call("POST", "/runs", json={"display_name": "nothing"})
    assert (status, body["code"]) == (400, 3)
    assert "pipeline_spec" in body["message"]
    assert api.kube.objects(kinds.PIPELINERUNS) == []


async def test_status_and_task_details_come_from_the_object(api: Api) -> None:
    made = await api.ok("POST", "/runs", json=_run())
    (stored,) = api.kube.objects(kinds.PIPELINERUNS, "kubeflow")
    status = {
        "state": "FAILED",
        "startedAt": "2026-01-01T00:00:00Z",
        "finishedAt": "2026-01-01T00:00:05Z",
        "error": {"code": 1, "message": "task 'add-2' failed: exit code 3"},
        "stateHistory": [
            {"state": "RUNNING", "updateTime": "2026-01-01T00:00:00Z"},
            {"state": "FAILED", "updateTime": "2026-01-01T00:00:05Z"},
        ],
        "tasks": [
            {"taskId": "loop", "name": "for-loop-1", "state": "FAILED"},
            {
                "taskId": "loop/0/add",
                "name": "add",
                "parentTaskId": "loop",
                "state": "FAILED",
                "podName": "p-0",
                "attempts": 2,
                "startedAt": "2026-01-01T00:00:01Z",
                "finishedAt": "2026-01-01T00:00:04Z",
                "error": {"code": 3, "message": "exit code 3"},
            },
        ],
    }
    await api.kube.patch(
        kinds.PIPELINERUNS,
        stored["metadata"]["name"],
        {"status": status},
        namespace="kubeflow",
        subresource="status",
    )
    got = await api.ok("GET", f"/runs/{made['run_id']}")
    assert (got["state"], got["finished_at"]) == ("FAILED", "2026-01-01T00:00:05Z")
    assert got["error"] == {"code": 1, "message": "task 'add-2' failed: exit code 3"}
    assert [h["state"] for h in got["state_history"]] == ["RUNNING", "FAILED"]
    loop, add = got["run_details"]["task_details"]
    assert loop["child_tasks"] == [{"task_id": "loop/0/add", "pod_name": "p-0"}]
    assert (add["parent_task_id"], add["pod_name"], add["attempts"]) == ("loop", "p-0", 2)
    assert (add["start_time"], add["end_time"]) == ("2026-01-01T00:00:01Z", "2026-01-01T00:00:04Z")
    assert add["error"] == {"code": 3, "message": "exit code 3"}
    assert add["run_id"] == made["run_id"]


async def test_list_filters_sorts_and_pages(api: Api) -> None:
    exp = await api.ok("POST", "/experiments", json={"display_name": "e"})
    ids = []
    for n in range(5):
        extra = {"experiment_id": exp["experiment_id"]} if n % 2 == 0 else {}
        ids.append(
            (await api.ok("POST", "/runs", json=_run(display_name=f"r{n}", **extra)))["run_id"]
        )
    by_experiment = await api.ok("GET", "/runs", params={"experiment_id": exp["experiment_id"]})
    assert sorted(r["display_name"] for r in by_experiment["runs"]) == ["r0", "r2", "r4"]

    seen: list[str] = []
    token = ""
    while True:
        page = await api.ok(
            "GET",
            "/runs",
            params={"page_size": 2, "page_token": token, "sort_by": "display_name desc"},
        )
        assert page["total_size"] == 5
        seen += [r["display_name"] for r in page["runs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == ["r4", "r3", "r2", "r1", "r0"]

    matching = await api.ok(
        "GET",
        "/runs",
        params={
            "filter": json.dumps(
                {
                    "predicates": [
                        {
                            "operation": "IN",
                            "key": "display_name",
                            "string_values": {"values": ["r1", "r3"]},
                        }
                    ]
                }
            )
        },
    )
    assert sorted(r["display_name"] for r in matching["runs"]) == ["r1", "r3"]
    status, body = await api.call(
        "GET", "/runs", params={"page_token": token or "bm9wZQ==", "sort_by": "created_at"}
    )
    assert (status, body["code"]) == (400, 3)


async def test_terminate_archive_delete(api: Api) -> None:
    made = await api.ok("POST", "/runs", json=_run())
    rid = made["run_id"]
    await api.ok("POST", f"/runs/{rid}:terminate")
    (stored,) = api.kube.objects(kinds.PIPELINERUNS, "kubeflow")
    assert stored["spec"]["cancel"] is True
    await api.ok("POST", f"/runs/{rid}:archive")
    assert (await api.ok("GET", f"/runs/{rid}"))["storage_state"] == "ARCHIVED"
    archived = await api.ok(
        "GET",
        "/runs",
        params={
            "filter": json.dumps(
                {
                    "predicates": [
                        {"operation": "EQUALS", "key": "storage_state", "string_value": "ARCHIVED"}
                    ]
                }
            )
        },
    )
    assert [r["run_id"] for r in archived["runs"]] == [rid]
    await api.ok("POST", f"/runs/{rid}:unarchive")
    assert (await api.ok("GET", f"/runs/{rid}"))["storage_state"] == "AVAILABLE"
    status, body = await api.call("POST", f"/runs/{rid}:retry")
    assert (status, body["code"]) == (400, 9)
    await api.ok("DELETE", f"/runs/{rid}")
    assert api.kube.objects(kinds.PIPELINERUNS) == []
    status, body = await api.call("GET", f"/runs/{rid}")
    assert (status, body["code"]) == (404, 5)


async def test_a_run_of_a_version_copies_its_ir(api: Api) -> None:
    files = {"uploadfile": ("chain.yaml", pipelines_ir.chain_yaml())}
    pipeline = await api.ok("POST", "/pipelines/upload", params={"name": "chain"}, files=files)
    versions = await api.ok("GET", f"/pipelines/{pipeline['pipeline_id']}/versions")
    (version,) = versions["pipeline_versions"]
    ref = {
        "pipeline_id": pipeline["pipeline_id"],
        "pipeline_version_id": version["pipeline_version_id"],
    }
    body = _run(pipeline_version_reference=ref)
    del body["pipeline_spec"]
    made = await api.ok("POST", "/runs", json=body)
    assert made["pipeline_version_reference"] == ref
    (stored,) = api.kube.objects(kinds.PIPELINERUNS, "kubeflow")
    assert stored["spec"]["pipelineSpec"] == pipelines_ir.chain()
    assert stored["spec"]["pipelineVersionRef"] == {
        "pipelineId": ref["pipeline_id"],
        "pipelineVersionId": ref["pipeline_version_id"],
    }
    only_pipeline = {**body, "pipeline_version_reference": {"pipeline_id": pipeline["pipeline_id"]}}
    latest = await api.ok("POST", "/runs", json=only_pipeline)
    assert latest["pipeline_version_reference"] == ref  # the newest version


async def test_an_id_found_after_a_restart_of_the_facade(api: Api) -> None:
    made = await api.ok("POST", "/runs", json=_run())
    api.app.context.finder.forget(made["run_id"])  # as after a restart: the index is empty
    got = await api.ok("GET", f"/runs/{made['run_id']}")
    assert got["run_id"] == made["run_id"]


async def test_retry_of_a_failed_run_asks_the_controller_for_another_round(api: Api) -> None:
    made = await api.ok("POST", "/runs", json=_run())
    (stored,) = api.kube.objects(kinds.PIPELINERUNS, "kubeflow")
    name = stored["metadata"]["name"]
    await api.kube.patch(
        kinds.PIPELINERUNS,
        name,
        {"status": {"state": "FAILED"}},
        namespace="kubeflow",
        subresource="status",
    )
    await api.ok("POST", f"/runs/{made['run_id']}:retry")
    await api.ok("POST", f"/runs/{made['run_id']}:retry")  # not taken up yet: still one round
    (stored,) = api.kube.objects(kinds.PIPELINERUNS, "kubeflow")
    assert (stored["spec"]["retries"], stored["spec"]["cancel"]) == (1, False)
