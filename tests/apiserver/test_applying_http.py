"""Server-side apply over HTTP on the real API server: status codes, Status bodies,
create-on-apply, no-op re-apply, dry run, subresources and managedFields of updates."""

from __future__ import annotations

from typing import Any

import yaml
from tests.apiserver.conftest import Running

APPLY = {"content-type": "application/apply-patch+yaml"}
CM = "/api/v1/namespaces/default/configmaps/settings"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments/web"

SETTINGS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, labels: {app: demo}}
data: {mode: fast}
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: main, image: "pause:1"}]
status: {replicas: 7}
"""


def owners(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"]["managedFields"]}


async def test_apply_creates_then_reapplying_changes_nothing(running: Running) -> None:
    created = await running.http.patch(CM + "?fieldManager=a", content=SETTINGS, headers=APPLY)
    assert created.status_code == 201
    rv = created.json()["metadata"]["resourceVersion"]
    again = await running.http.patch(CM + "?fieldManager=a", content=SETTINGS, headers=APPLY)
    assert again.status_code == 200
    assert again.json()["metadata"]["resourceVersion"] == rv
    assert (await running.http.get(CM)).json()["metadata"]["resourceVersion"] == rv


async def test_conflict_is_a_409_status_with_causes(running: Running) -> None:
    await running.http.patch(CM + "?fieldManager=a", content=SETTINGS, headers=APPLY)
    changed = SETTINGS.replace("fast", "slow")
    refused = await running.http.patch(CM + "?fieldManager=b", content=changed, headers=APPLY)
    assert refused.status_code == 409
    body = refused.json()
    assert body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "a": .data.mode'
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "a"', "field": ".data.mode"}
    ]
    forced = await running.http.patch(
        CM + "?fieldManager=b&force=true", content=changed, headers=APPLY
    )
    assert forced.status_code == 200
    assert forced.json()["data"] == {"mode": "slow"}


async def test_bad_apply_requests_are_4xx(running: Running) -> None:
    missing = await running.http.patch(CM, content=SETTINGS, headers=APPLY)
    assert missing.status_code == 422
    assert missing.json()["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
        "is required for apply patch"
    )
    renamed = await running.http.patch(
        CM + "?fieldManager=a",
        content=SETTINGS.replace("name: settings", "name: other"),
        headers=APPLY,
    )
    assert renamed.status_code == 400
    assert "does not match the name on the URL" in renamed.json()["message"]
    unknown = await running.http.patch(
        CM + "?fieldManager=a&fieldValidation=Strict",
        content=SETTINGS + "bogus: 1\n",
        headers=APPLY,
    )
    assert unknown.status_code == 400
    assert 'unknown field "bogus"' in unknown.json()["message"]
    forced_merge = await running.http.patch(
        CM + "?force=true",
        json={"data": {"a": "b"}},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert forced_merge.status_code == 422
    assert "force: Forbidden: may not be specified for non-apply patch" in forced_merge.text


async def test_dry_run_apply_stores_nothing(running: Running) -> None:
    dry = await running.http.patch(
        CM + "?fieldManager=a&dryRun=All", content=SETTINGS, headers=APPLY
    )
    assert dry.status_code == 201
    assert (await running.http.get(CM)).status_code == 404


async def test_status_goes_through_the_status_subresource(running: Running) -> None:
    created = await running.http.patch(
        DEPLOY + "?fieldManager=a", content=DEPLOYMENT, headers=APPLY
    )
    assert created.status_code == 201
    assert "replicas" not in (created.json().get("status") or {})
    status = await running.http.patch(
        DEPLOY + "/status?fieldManager=ctrl&force=true", content=DEPLOYMENT, headers=APPLY
    )
    assert status.status_code == 200
    obj = status.json()
    assert obj["status"]["replicas"] == 7
    entry = owners(obj)["ctrl"]
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {"f:replicas": {}}}
    assert "f:status" not in owners(obj)["a"]["fieldsV1"]


async def test_updates_are_tracked_and_can_reset(running: Running) -> None:
    created = await running.http.post(
        "/api/v1/namespaces/default/configmaps?fieldManager=maker",
        json=yaml.safe_load(SETTINGS),
    )
    assert owners(created.json())["maker"]["operation"] == "Update"
    obj = created.json()
    obj["data"]["mode"] = "slow"
    put = await running.http.put(CM, json=obj, headers={"user-agent": "editor/1.0 (linux)"})
    assert owners(put.json())["editor"]["fieldsV1"] == {"f:data": {"f:mode": {}}}
    reset = put.json()
    reset["metadata"]["managedFields"] = []
    cleared = await running.http.put(CM, json=reset)
    assert cleared.status_code == 200
    assert "managedFields" not in cleared.json()["metadata"]
