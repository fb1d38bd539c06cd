"""Create, read, update, patch and delete through the REST surface, as clients send them."""

from __future__ import annotations

from typing import Any

import pytest
from tests.apiserver.conftest import Running

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def _cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def _deployment(name: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "python:3.11"}]},
            },
        },
    }


async def test_create_sets_server_metadata_and_get_returns_it(running: Running) -> None:
    r = await running.http.post(CM, json=_cm("a", k="v"))
    assert r.status_code == 201
    meta = r.json()["metadata"]
    assert meta["namespace"] == "default" and meta["uid"] and meta["generation"] == 1
    got = (await running.http.get(f"{CM}/a")).json()
    assert (
        got["data"] == {"k": "v"} and got["metadata"]["resourceVersion"] == meta["resourceVersion"]
    )


async def test_post_without_content_type_is_json(running: Running) -> None:
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"raw"}}'
    r = await running.http.post(CM, content=body, headers={"content-type": ""})
    assert r.status_code == 201


async def test_duplicate_create_is_already_exists(running: Running) -> None:
    await running.http.post(CM, json=_cm("dup"))
    r = await running.http.post(CM, json=_cm("dup"))
    assert r.status_code == 409
    assert r.json()["reason"] == "AlreadyExists"
    assert r.json()["message"] == 'configmaps "dup" already exists'


async def test_generate_name_makes_a_unique_name(running: Running) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}}
    names = {(await running.http.post(CM, json=body)).json()["metadata"]["name"] for _ in range(5)}
    assert len(names) == 5 and all(n.startswith("gen-") and len(n) == 9 for n in names)


async def test_stale_update_is_a_conflict_and_changes_nothing(running: Running) -> None:
    created = (await running.http.post(CM, json=_cm("c", k="1"))).json()
    fresh = {**created, "data": {"k": "2"}}
    assert (await running.http.put(f"{CM}/c", json=fresh)).status_code == 200
    stale = {**created, "data": {"k": "3"}}
    r = await running.http.put(f"{CM}/c", json=stale)
    assert r.status_code == 409 and r.json()["reason"] == "Conflict"
    assert "the object has been modified" in r.json()["message"]
    assert (await running.http.get(f"{CM}/c")).json()["data"] == {"k": "2"}


async def test_noop_update_keeps_resource_version(running: Running) -> None:
    created = (await running.http.post(CM, json=_cm("same", k="1"))).json()
    r = await running.http.patch(
        f"{CM}/same",
        json={"data": {"k": "1"}},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert r.json()["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_generation_moves_on_spec_changes_only(running: Running) -> None:
    await running.http.post(DEPLOY, json=_deployment("g"))
    merge = {"content-type": "application/merge-patch+json"}
    r = await running.http.patch(
        f"{DEPLOY}/g", json={"metadata": {"labels": {"x": "y"}}}, headers=merge
    )
    assert r.json()["metadata"]["generation"] == 1
    r = await running.http.patch(f"{DEPLOY}/g", json={"spec": {"replicas": 4}}, headers=merge)
    assert r.json()["metadata"]["generation"] == 2
    r = await running.http.patch(
        f"{DEPLOY}/g/status", json={"status": {"replicas": 4}}, headers=merge
    )
    assert r.json()["metadata"]["generation"] == 2 and r.json()["status"]["replicas"] == 4


async def test_status_subresource_splits_spec_and_status(running: Running) -> None:
    await running.http.post(DEPLOY, json=_deployment("s"))
    merge = {"content-type": "application/merge-patch+json"}
    r = await running.http.patch(
        f"{DEPLOY}/s", json={"spec": {"replicas": 2}, "status": {"replicas": 9}}, headers=merge
    )
    assert r.json()["spec"]["replicas"] == 2 and "replicas" not in r.json().get("status", {})
    r = await running.http.patch(
        f"{DEPLOY}/s/status",
        json={"spec": {"replicas": 7}, "status": {"replicas": 2}},
        headers=merge,
    )
    assert r.json()["spec"]["replicas"] == 2 and r.json()["status"]["replicas"] == 2


async def test_json_patch_failed_test_is_422(running: Running) -> None:
    await running.http.post(CM, json=_cm("jp", k="1"))
    ops = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "1"},
        {"op": "replace", "path": "/data/k", "value": "2"},
    ]
    r = await running.http.patch(
        f"{CM}/jp", json=ops, headers={"content-type": "application/json-patch+json"}
    )
    assert r.status_code == 422
    assert (await running.http.get(f"{CM}/jp")).json()["data"] == {"k": "1"}


async def test_merge_patch_with_a_list_body_is_400_not_500(running: Running) -> None:
    await running.http.post(CM, json=_cm("mp"))
    r = await running.http.patch(
        f"{CM}/mp",
        json=[{"op": "add", "path": "/data", "value": {}}],
        headers={"content-type": "application/merge-patch+json"},
    )
    assert r.status_code == 400


async def test_strategic_merge_patch_merges_containers_by_name(running: Running) -> None:
    deployment = _deployment("smp")
    deployment["spec"]["template"]["spec"]["containers"].append(
        {"name": "side", "image": "busybox"}
    )
    await running.http.post(DEPLOY, json=deployment)
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox:2"}]}}}
    }
    r = await running.http.patch(
        f"{DEPLOY}/smp",
        json=patch,
        headers={"content-type": "application/strategic-merge-patch+json"},
    )
    assert r.status_code == 200, r.text
    containers = r.json()["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [
        ("main", "python:3.11"),
        ("side", "busybox:2"),
    ]


@pytest.mark.parametrize(
    ("body", "code", "reason"),
    [
        pytest.param(b"{not json", 400, "BadRequest", id="malformed-json"),
        pytest.param(b"[1, 2]", 400, "BadRequest", id="not-an-object"),
        pytest.param(
            b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}',
            400,
            "BadRequest",
            id="wrong-kind",
        ),
        pytest.param(
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}',
            422,
            "Invalid",
            id="invalid-name",
        ),
        pytest.param(
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}', 422, "Invalid", id="no-name"
        ),
        pytest.param(
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"a":"b c"}}}',
            422,
            "Invalid",
            id="bad-label",
        ),
    ],
)
async def test_bad_input_is_a_clear_4xx_and_stores_nothing(
    running: Running, body: bytes, code: int, reason: str
) -> None:
    before = (await running.http.get(CM)).json()
    r = await running.http.post(CM, content=body, headers={"content-type": "application/json"})
    assert r.status_code == code, r.text
    status = r.json()
    assert status["kind"] == "Status" and status["reason"] == reason and status["message"]
    after = (await running.http.get(CM)).json()
    assert after["items"] == before["items"]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


async def test_invalid_name_names_the_field(running: Running) -> None:
    r = await running.http.post(CM, json=_cm("Bad_Name"))
    causes = r.json()["details"]["causes"]
    assert causes[0]["field"] == "metadata.name"
    assert r.json()["message"].startswith(
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"'
    )


async def test_strict_field_validation_rejects_unknown_fields(running: Running) -> None:
    body = {**_cm("strict"), "bogus": 1}
    r = await running.http.post(f"{CM}?fieldValidation=Strict", json=body)
    assert r.status_code == 400
    assert 'unknown field "bogus"' in r.json()["message"]
    r = await running.http.post(f"{CM}?fieldValidation=Warn", json=body)
    assert r.status_code == 201 and 'unknown field \\"bogus\\"' in r.headers["warning"]
    assert "bogus" not in r.json()


async def test_oversized_body_is_413_and_server_keeps_serving(running: Running) -> None:
    big = _cm("big", blob="x" * (4 * 1024 * 1024))
    r = await running.http.post(CM, json=big)
    assert r.status_code == 413 and r.json()["reason"] == "RequestEntityTooLarge"
    assert (await running.http.get("/version")).status_code == 200


async def test_unknown_kind_is_404(running: Running) -> None:
    r = await running.http.get("/apis/example.com/v1/namespaces/default/gizmos")
    assert (
        r.status_code == 404
        and r.json()["message"] == "the server could not find the requested resource"
    )


async def test_create_in_missing_namespace_is_404(running: Running) -> None:
    r = await running.http.post("/api/v1/namespaces/nope/configmaps", json=_cm("x"))
    assert r.status_code == 404 and r.json()["message"] == 'namespaces "nope" not found'


async def test_label_and_field_selectors_and_paging(running: Running) -> None:
    for i in range(7):
        body = _cm(f"p{i}")
        body["metadata"]["labels"] = {"team": "a" if i % 2 else "b", "tier": str(i)}
        await running.http.post(CM, json=body)
    names = lambda r: [o["metadata"]["name"] for o in r.json()["items"]]  # noqa: E731
    assert names(await running.http.get(CM, params={"labelSelector": "team=a"})) == [
        "p1",
        "p3",
        "p5",
    ]
    assert names(
        await running.http.get(CM, params={"labelSelector": "team in (a),tier notin (3)"})
    ) == ["p1", "p5"]
    assert names(await running.http.get(CM, params={"fieldSelector": "metadata.name=p4"})) == ["p4"]
    assert (await running.http.get(CM, params={"fieldSelector": "spec.bogus=1"})).status_code == 400
    page = await running.http.get(CM, params={"limit": 3})
    seen = names(page)
    while page.json()["metadata"].get("continue"):
        page = await running.http.get(
            CM, params={"limit": 3, "continue": page.json()["metadata"]["continue"]}
        )
        seen += names(page)
    assert seen == [f"p{i}" for i in range(7)]


async def test_cross_namespace_list(running: Running) -> None:
    await running.http.post(
        "/api/v1/namespaces",
        json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}},
    )
    await running.http.post(CM, json=_cm("here"))
    await running.http.post("/api/v1/namespaces/other/configmaps", json=_cm("there"))
    items = (await running.http.get("/api/v1/configmaps")).json()["items"]
    assert {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in items} == {
        ("default", "here"),
        ("other", "there"),
    }


async def test_scale_subresource(running: Running) -> None:
    await running.http.post(DEPLOY, json=_deployment("sc", replicas=2))
    scale = (await running.http.get(f"{DEPLOY}/sc/scale")).json()
    assert (
        scale["kind"] == "Scale"
        and scale["spec"]["replicas"] == 2
        and scale["status"]["selector"] == "app=sc"
    )
    r = await running.http.patch(
        f"{DEPLOY}/sc/scale",
        json={"spec": {"replicas": 5}},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert r.json()["spec"]["replicas"] == 5
    assert (await running.http.get(f"{DEPLOY}/sc")).json()["spec"]["replicas"] == 5


async def test_table_answer_for_kubectl(running: Running) -> None:
    await running.http.post(CM, json=_cm("t", a="1", b="2"))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    table = (await running.http.get(CM, headers={"accept": accept})).json()
    assert table["kind"] == "Table"
    columns = [c["name"] for c in table["columnDefinitions"]]
    assert columns[:2] == ["Name", "Data"]
    assert table["rows"][0]["cells"][:2] == ["t", 2]


async def test_events_without_api_version_are_accepted(running: Running) -> None:
    # Kopf posts events with generateName and neither apiVersion nor kind.
    event = {
        "metadata": {"generateName": "kopf-event-"},
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "name": "x",
            "namespace": "default",
        },
        "reason": "Logging",
        "message": "hello",
        "type": "Normal",
        "source": {"component": "kopf"},
    }
    r = await running.http.post("/api/v1/namespaces/default/events", json=event)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "Event" and r.json()["metadata"]["name"].startswith("kopf-event-")
    found = await running.http.get(
        "/api/v1/namespaces/default/events",
        params={"fieldSelector": "involvedObject.name=x,involvedObject.kind=ConfigMap"},
    )
    assert [e["message"] for e in found.json()["items"]] == ["hello"]


async def test_statefulset_mounts_may_name_claim_templates(running: Running) -> None:
    sts = _deployment("db")
    sts["kind"] = "StatefulSet"
    sts["spec"]["serviceName"] = "db"
    sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "data", "mountPath": "/data"}
    ]
    sts["spec"]["volumeClaimTemplates"] = [
        {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
    ]
    r = await running.http.post("/apis/apps/v1/namespaces/default/statefulsets", json=sts)
    assert r.status_code == 201, r.text
    sts["metadata"]["name"] = "db2"
    sts["spec"]["volumeClaimTemplates"] = []
    r = await running.http.post("/apis/apps/v1/namespaces/default/statefulsets", json=sts)
    assert r.status_code == 422
    assert (
        r.json()["details"]["causes"][0]["field"]
        == "spec.template.spec.containers[0].volumeMounts[0].name"
    )


async def test_table_rows_carry_whole_objects_when_asked(running: Running) -> None:
    await running.http.post(CM, json=_cm("whole", a="1"))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    table = (
        await running.http.get(CM, params={"includeObject": "Object"}, headers={"accept": accept})
    ).json()
    assert table["rows"][0]["object"]["data"] == {"a": "1"}
    table = (await running.http.get(CM, headers={"accept": accept})).json()
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    bad = await running.http.get(
        CM, params={"includeObject": "Everything"}, headers={"accept": accept}
    )
    assert bad.status_code == 400
