"""The InferenceService controller against the real in-process API server.

The test plays the Deployment controller and the node agent: it writes the revisions'
Deployment status (available or not) and, for failures, a pod's status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.notebooks.support import get, until
from tests.support import apiservers

from pinnace import serving
from pinnace.api import kinds
from pinnace.controllers import builtin, manager, running
from pinnace.kits.kube import clients, objects
from pinnace.kits.kube.objects import Object

CRDS = (
    "inferenceservices.serving.kserve.io",
    "servingruntimes.serving.kserve.io",
    "clusterservingruntimes.serving.kserve.io",
    "virtualservices.networking.istio.io",
)
R1, R2, R3 = (f"iris-predictor-0000{n}" for n in (1, 2, 3))


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    async with apiservers.serve(tmp_path / "api", crd_names=CRDS) as running_:
        yield running_


@pytest.fixture
async def mgr(kube: apiservers.Kube, tmp_path: Path) -> AsyncIterator[manager.Manager]:
    m = manager.Manager(kube)
    serving.setup(m, data_dir=tmp_path / "data")
    builtin.setup_garbage_collector(m)
    await m.start()
    yield m
    await m.stop()


def isvc(name: str = "iris", **predictor: Any) -> Object:
    body = predictor or {
        "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "file:///models/iris"}
    }
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"predictor": body},
    }


async def deployment(kube: clients.Client, revision: str) -> Object:
    found: Object = await until(
        lambda: get(kube, kinds.DEPLOYMENTS, f"{revision}-deployment"), timeout=10
    )
    return found


async def available(kube: clients.Client, revision: str) -> None:
    """Play the Deployment controller: every replica of the revision is available."""
    dep = await deployment(kube, revision)
    n = dep["spec"]["replicas"]
    status = {
        "observedGeneration": dep["metadata"]["generation"],
        "replicas": n,
        "readyReplicas": n,
        "availableReplicas": n,
        "updatedReplicas": n,
    }
    await kube.patch(
        kinds.DEPLOYMENTS,
        objects.name_of(dep),
        {"status": status},
        namespace="ns",
        subresource="status",
    )


async def status_where(kube: clients.Client, check: Any, name: str = "iris") -> Object:
    async def look() -> Object | None:
        obj = await get(kube, kinds.INFERENCESERVICES, name)
        return obj if obj and check(obj.get("status") or {}) else None

    found: Object = await until(look, timeout=10)
    return found


def condition(status: Object, type_: str) -> Object:
    return next(c for c in status.get("conditions") or [] if c["type"] == type_)


def is_(type_: str, value: str, reason: str | None = None) -> Any:
    def check(status: Object) -> bool:
        conds = [c for c in status.get("conditions") or [] if c["type"] == type_]
        return bool(conds) and conds[0]["status"] == value and reason in (None, conds[0]["reason"])

    return check


def weights(vs: Object) -> dict[str, int]:
    route = vs["spec"]["http"][0]["route"]
    return {d["destination"]["host"].split(".")[0]: d.get("weight", 100) for d in route}


async def routed(kube: clients.Client, expected: dict[str, int]) -> tuple[Object, Object]:
    async def look() -> tuple[Object, Object] | None:
        host = await get(kube, kinds.VIRTUALSERVICES, "iris")
        path = await get(kube, kinds.VIRTUALSERVICES, "serving-ns-iris")
        if host and path and weights(host) == expected and weights(path) == expected:
            return host, path
        return None

    found: tuple[Object, Object] = await until(look, timeout=10)
    return found


async def test_a_model_becomes_a_revision_routes_and_a_ready_status(
    kube: clients.Client, mgr: manager.Manager, tmp_path: Path
) -> None:
    owner = await kube.create(kinds.INFERENCESERVICES, isvc())
    dep = await deployment(kube, R1)
    assert objects.controller_uid(dep) == objects.uid_of(owner)
    pod = dep["spec"]["template"]["spec"]
    server = pod["containers"][0]
    assert server["name"] == "kserve-container"
    assert server["image"] == "kserve/sklearnserver:latest"  # the built-in runtime's
    assert "--model_name=iris" in server["args"]
    (init,) = pod["initContainers"]
    assert init["args"] == ["file:///models/iris", "/mnt/models"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == "kserve-provision-location"]
    assert volume["hostPath"]["path"] == str(tmp_path / "data/serving/models/ns" / R1)
    service = await until(lambda: get(kube, kinds.SERVICES, R1))
    assert service["spec"]["selector"] == {"serving.knative.dev/revision": R1}

    pending = await status_where(kube, is_("PredictorReady", "Unknown"))
    assert pending["status"]["modelStatus"]["transitionStatus"] == "InProgress"
    assert await get(kube, kinds.VIRTUALSERVICES, "iris") is None  # nothing ready to route to

    await available(kube, R1)
    ready = (await status_where(kube, is_("Ready", "True")))["status"]
    assert ready["url"] == "http://iris.ns.example.com"
    assert ready["address"]["url"] == "http://iris-predictor.ns.svc.cluster.local"
    predictor = ready["components"]["predictor"]
    assert predictor["latestCreatedRevision"] == predictor["latestReadyRevision"] == R1
    assert predictor["latestRolledoutRevision"] == R1
    assert predictor["traffic"] == [
        {"tag": "latest", "revisionName": R1, "percent": 100, "latestRevision": True}
    ]
    assert ready["modelStatus"]["states"] == {
        "activeModelState": "Loaded",
        "targetModelState": "Loaded",
    }
    host, path = await routed(kube, {R1: 100})
    assert host["spec"]["hosts"] == ["iris.ns.example.com"]
    assert path["spec"]["http"][0]["match"] == [{"uri": {"prefix": "/serving/ns/iris/"}}]
    assert path["spec"]["http"][0]["rewrite"] == {"uri": "/"}

    # steady state: another pass writes nothing
    ctl = next(
        c
        for c in mgr.controllers
        if isinstance(c, running.Controller) and c.name == "inferenceservice"
    )
    await until(lambda: _idle(ctl))
    before = await get(kube, kinds.INFERENCESERVICES, "iris")
    ctl.queue.add(objects.key_of(owner))
    await until(lambda: _idle(ctl))
    after = await get(kube, kinds.INFERENCESERVICES, "iris")
    assert before and after
    assert after["status"] == before["status"]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


async def _idle(ctl: running.Controller) -> bool:
    return ctl.queue.idle()


async def test_canary_promotion_rollback_and_old_revisions_go(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    await kube.create(kinds.INFERENCESERVICES, isvc())
    await available(kube, R1)
    await status_where(kube, is_("Ready", "True"))

    def model(uri: str, **extra: Any) -> Object:
        return {
            "spec": {
                "predictor": {
                    "model": {"modelFormat": {"name": "sklearn"}, "storageUri": uri},
                    **extra,
                }
            }
        }

    await kube.patch(
        kinds.INFERENCESERVICES,
        "iris",
        model("file:///v2", canaryTrafficPercent=20),
        namespace="ns",
    )
    await deployment(kube, R2)
    starting = await status_where(
        kube,
        lambda s: s.get("components", {}).get("predictor", {}).get("latestCreatedRevision") == R2,
    )
    assert condition(starting["status"], "PredictorReady")["status"] == "Unknown"
    await routed(kube, {R1: 100})  # R2 is not ready: no traffic
    await available(kube, R2)
    await routed(kube, {R1: 80, R2: 20})
    canary = (await status_where(kube, is_("Ready", "True")))["status"]["components"]["predictor"]
    assert {(t["revisionName"], t["percent"], t["tag"]) for t in canary["traffic"]} == {
        (R1, 80, "prev"),
        (R2, 20, "latest"),
    }
    assert canary["latestRolledoutRevision"] == R1

    await kube.patch(
        kinds.INFERENCESERVICES,
        "iris",
        {"spec": {"predictor": {"canaryTrafficPercent": 0}}},
        namespace="ns",
    )
    await routed(kube, {R1: 100})  # rollback

    await kube.patch(
        kinds.INFERENCESERVICES,
        "iris",
        {"spec": {"predictor": {"canaryTrafficPercent": None}}},
        namespace="ns",
    )
    await routed(kube, {R2: 100})  # promotion
    promoted = await status_where(
        kube,
        lambda s: s.get("components", {}).get("predictor", {}).get("latestRolledoutRevision") == R2,
    )
    assert promoted["status"]["components"]["predictor"]["previousRolledoutRevision"] == R1

    await kube.patch(kinds.INFERENCESERVICES, "iris", model("file:///v3"), namespace="ns")
    await available(kube, R3)
    await routed(kube, {R3: 100})

    async def r1_gone() -> bool:
        return (
            await get(kube, kinds.DEPLOYMENTS, f"{R1}-deployment") is None
            and await get(kube, kinds.SERVICES, R1) is None
        )

    await until(r1_gone, timeout=10)
    assert await get(kube, kinds.DEPLOYMENTS, f"{R2}-deployment") is not None  # previous, kept


async def test_the_older_framework_form_and_replicas(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    await kube.create(
        kinds.INFERENCESERVICES,
        isvc(sklearn={"storageUri": "file:///m"}, minReplicas=2, maxReplicas=3),
    )
    dep = await deployment(kube, R1)
    assert dep["spec"]["replicas"] == 2
    assert (
        dep["spec"]["template"]["spec"]["containers"][0]["image"] == "kserve/sklearnserver:latest"
    )
    await kube.patch(
        kinds.INFERENCESERVICES, "iris", {"spec": {"predictor": {"minReplicas": 3}}}, namespace="ns"
    )

    async def three() -> bool:
        found = await get(kube, kinds.DEPLOYMENTS, f"{R1}-deployment")
        return bool(found) and found["spec"]["replicas"] == 3

    await until(three)  # scaling edits the revision, it makes no new one
    assert await get(kube, kinds.DEPLOYMENTS, f"{R2}-deployment") is None


async def test_a_user_runtime_with_its_own_command(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    await kube.create(
        kinds.SERVINGRUNTIMES,
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "ServingRuntime",
            "metadata": {"name": "my-server", "namespace": "ns"},
            "spec": {
                "supportedModelFormats": [{"name": "custom"}],
                "containers": [
                    {
                        "name": "kserve-container",
                        "image": "python:3.11",
                        "command": ["python", "serve.py"],
                        "args": ["--name={{.Name}}", "--ns={{.Namespace}}"],
                        "ports": [{"containerPort": 9000}],
                    }
                ],
            },
        },
    )
    await kube.create(
        kinds.INFERENCESERVICES,
        isvc(
            model={"modelFormat": {"name": "custom"}, "runtime": "my-server", "args": ["--extra"]}
        ),
    )
    dep = await deployment(kube, R1)
    server = dep["spec"]["template"]["spec"]["containers"][0]
    assert server["command"] == ["python", "serve.py"]
    assert server["args"] == ["--name=iris", "--ns=ns", "--extra"]
    assert server["readinessProbe"]["tcpSocket"] == {"port": 9000}
    assert "initContainers" not in dep["spec"]["template"]["spec"]  # no storageUri
    service = await until(lambda: get(kube, kinds.SERVICES, R1))
    assert service["spec"]["ports"][0]["targetPort"] == 9000


async def test_no_runtime_is_a_failed_condition_until_one_appears(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    await kube.create(
        kinds.INFERENCESERVICES,
        isvc(model={"modelFormat": {"name": "tensorflow"}, "storageUri": "file:///tf"}),
    )
    refused = (await status_where(kube, is_("Ready", "False", "NoSupportingRuntime")))["status"]
    assert "tensorflow" in condition(refused, "Ready")["message"]
    assert refused["modelStatus"]["transitionStatus"] == "InvalidSpec"
    assert await get(kube, kinds.DEPLOYMENTS, f"{R1}-deployment") is None
    await kube.create(
        kinds.CLUSTERSERVINGRUNTIMES,
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "ClusterServingRuntime",
            "metadata": {"name": "tf"},
            "spec": {
                "supportedModelFormats": [{"name": "tensorflow", "autoSelect": True}],
                "containers": [{"name": "kserve-container", "image": "tf", "command": ["tf"]}],
            },
        },
    )
    dep = await deployment(kube, R1)  # the new runtime woke the InferenceService
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "tf"


async def test_a_model_that_fails_to_load_is_reported(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    await kube.create(kinds.INFERENCESERVICES, isvc())
    dep = await deployment(kube, R1)
    labels = dep["spec"]["template"]["metadata"]["labels"]
    await kube.create(
        kinds.PODS,
        {
            "metadata": {"name": "p1", "namespace": "ns", "labels": labels},
            "spec": {"containers": [{"name": "kserve-container", "image": "x"}]},
        },
    )
    terminated = {"terminated": {"exitCode": 1, "reason": "Error"}}
    await kube.patch(
        kinds.PODS,
        "p1",
        {
            "status": {
                "phase": "Pending",
                "initContainerStatuses": [
                    {
                        "name": "storage-initializer",
                        "ready": False,
                        "restartCount": 0,
                        "image": "i",
                        "imageID": "",
                        "state": terminated,
                    }
                ],
            }
        },
        namespace="ns",
        subresource="status",
    )
    failed = (await status_where(kube, is_("PredictorReady", "False", "ModelLoadFailed")))["status"]
    info = failed["modelStatus"]["lastFailureInfo"]
    assert info["location"] == "p1/storage-initializer"
    assert info["exitCode"] == 1
    assert failed["modelStatus"]["transitionStatus"] == "BlockedByFailedLoad"
    assert condition(failed, "Ready")["status"] == "False"


async def test_s3_credentials_of_the_service_account_reach_the_initializer(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    await kube.create(
        kinds.SECRETS,
        {
            "metadata": {
                "name": "s3creds",
                "namespace": "ns",
                "annotations": {
                    "serving.kserve.io/s3-endpoint": "127.0.0.1:8333",
                    "serving.kserve.io/s3-usehttps": "0",
                },
            },
            "stringData": {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
        },
    )
    await kube.create(
        kinds.SERVICEACCOUNTS,
        {"metadata": {"name": "sa", "namespace": "ns"}, "secrets": [{"name": "s3creds"}]},
    )
    model = {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://models/iris"}
    await kube.create(kinds.INFERENCESERVICES, isvc(model=model, serviceAccountName="sa"))
    dep = await deployment(kube, R1)
    (init,) = dep["spec"]["template"]["spec"]["initContainers"]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in init["env"]}
    assert env == {
        "AWS_ACCESS_KEY_ID": {"secretKeyRef": {"name": "s3creds", "key": "AWS_ACCESS_KEY_ID"}},
        "AWS_SECRET_ACCESS_KEY": {
            "secretKeyRef": {"name": "s3creds", "key": "AWS_SECRET_ACCESS_KEY"}
        },
        "S3_ENDPOINT": "127.0.0.1:8333",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:8333",
        "S3_USE_HTTPS": "0",
    }
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "sa"
