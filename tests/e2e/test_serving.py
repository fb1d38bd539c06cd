"""KServe's InferenceService on a real `pinnace up`: upstream YAML in, predictions out of the gateway.

`kubectl apply` of InferenceServices in both upstream spellings (`predictor.model` with
`modelFormat`, and the older `predictor.sklearn`) for an sklearn, xgboost, lightgbm and
ONNX model trained here; each answers V1 and V2 through the gateway, by Host header and
by path, exactly what the trained model predicts in process; the real tritonclient
through the gateway; a user-made ServingRuntime with its own command; a 20 % canary
with both revisions answering, then its promotion, under a steady client that sees no
failure; a broken storageUri reported in status; bad specs refused by the API with the
field named; `pinnace serve` and `examples/iris` end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import pytest
import yaml
from sklearn.dummy import DummyClassifier
from tests.e2e.conftest import Platform, wait_for
from tests.serving import models as trained_models
from tests.serving.test_storage import filesystem, seaweedfs  # noqa: F401 (the fixture)

READY_TIMEOUT = 300  # model-server cold starts on a busy 2-core machine
ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.8, 2.8, 4.8, 1.4], [6.3, 3.3, 6.0, 2.5]])
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "iris"


def isvc(name: str, namespace: str, predictor: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"predictor": predictor},
    }


def new_form(fmt: str, uri: str) -> dict[str, Any]:
    return {"model": {"modelFormat": {"name": fmt}, "storageUri": uri}}


def apply(platform: Platform, *docs: dict[str, Any]) -> None:
    platform.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))


def wait_ready(platform: Platform, namespace: str, *names: str) -> None:
    for name in names:
        platform.kubectl(
            "wait",
            "--for=condition=Ready",
            f"inferenceservice/{name}",
            "-n",
            namespace,
            f"--timeout={READY_TIMEOUT}s",
            timeout=READY_TIMEOUT + 10,
        )


def host_of(name: str, namespace: str) -> str:
    return f"{name}.{namespace}.example.com"


def v1(platform: Platform, namespace: str, name: str, *, by: str) -> list[Any]:
    body = {"instances": ROWS.tolist()}
    if by == "host":
        url, headers = (
            f"{platform.url}/v1/models/{name}:predict",
            {"Host": host_of(name, namespace)},
        )
    else:
        url, headers = f"{platform.url}/serving/{namespace}/{name}/v1/models/{name}:predict", {}
    response = httpx.post(url, json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    predictions: list[Any] = response.json()["predictions"]
    return predictions


def v2(platform: Platform, namespace: str, name: str, datatype: str, *, by: str) -> list[Any]:
    body = {
        "inputs": [
            {
                "name": "input-0",
                "shape": list(ROWS.shape),
                "datatype": datatype,
                "data": ROWS.flatten().tolist(),
            }
        ]
    }
    path = f"/v2/models/{name}/infer"
    if by == "host":
        url, headers = f"{platform.url}{path}", {"Host": host_of(name, namespace)}
    else:
        url, headers = f"{platform.url}/serving/{namespace}/{name}{path}", {}
    response = httpx.post(url, json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    outputs = response.json()["outputs"]
    # ONNX answers every graph output (skl2onnx's label and probabilities); compare labels
    output = next((o for o in outputs if o["name"] == "label"), outputs[0])
    return list(np.array(output["data"]).reshape(output["shape"]).tolist())


@pytest.fixture(scope="module")
def served(
    platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, trained_models.Trained]]]:
    """One namespace with an InferenceService per format, all Ready (started together)."""
    namespace = "e2e-serving"
    platform.kubectl("create", "namespace", namespace)
    models: dict[str, trained_models.Trained] = {}
    docs = []
    for fmt, train in trained_models.TRAINERS.items():
        directory = tmp_path_factory.mktemp(fmt)
        models[fmt] = train(directory)
        docs.append(isvc(f"{fmt}-iris", namespace, new_form(fmt, directory.as_uri())))
    # the older per-framework spelling, on the same sklearn model
    docs.append(
        isvc(
            "legacy-iris",
            namespace,
            {"sklearn": {"storageUri": models["sklearn"].directory.as_uri()}},
        )
    )
    apply(platform, *docs)
    wait_ready(platform, namespace, *(d["metadata"]["name"] for d in docs))
    yield namespace, models
    platform.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest.mark.parametrize("fmt", list(trained_models.TRAINERS))
@pytest.mark.parametrize("by", ["host", "path"])
def test_every_format_answers_v1_and_v2_as_the_model_predicts(
    platform: Platform, served: tuple[str, dict[str, trained_models.Trained]], fmt: str, by: str
) -> None:
    namespace, models = served
    model = models[fmt]
    expected = model.predict(ROWS)
    name = f"{fmt}-iris"
    for got in (
        v1(platform, namespace, name, by=by),
        v2(platform, namespace, name, model.input_datatype, by=by),
    ):
        # exact, once the JSON numbers are read back in the model's own dtype
        np.testing.assert_array_equal(np.asarray(got, dtype=expected.dtype), expected)


def test_the_older_spelling_serves_through_the_same_runtime(
    platform: Platform, served: tuple[str, dict[str, trained_models.Trained]]
) -> None:
    namespace, models = served
    assert (
        v1(platform, namespace, "legacy-iris", by="host")
        == models["sklearn"].predict(ROWS).tolist()
    )
    obj = platform.kubectl_yaml("get", "inferenceservice", "legacy-iris", "-n", namespace)
    predictor = obj["status"]["components"]["predictor"]
    revision = predictor["latestReadyRevision"]
    deployment = platform.kubectl_yaml(
        "get", "deployment", f"{revision}-deployment", "-n", namespace
    )
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "kserve/sklearnserver:latest"  # auto-selected: kserve-sklearnserver
    assert obj["status"]["url"] == f"http://{host_of('legacy-iris', namespace)}"
    assert obj["status"]["modelStatus"]["transitionStatus"] == "UpToDate"


def test_tritonclient_through_the_gateway(
    platform: Platform, served: tuple[str, dict[str, trained_models.Trained]]
) -> None:
    import tritonclient.http as triton

    namespace, models = served
    base = f"127.0.0.1:{platform.port}/serving/{namespace}/sklearn-iris"
    client = triton.InferenceServerClient(url=base)
    try:
        assert client.is_server_live() and client.is_server_ready()
        assert client.is_model_ready("sklearn-iris")
        assert client.get_server_metadata()["extensions"]
        metadata = client.get_model_metadata("sklearn-iris")
        assert metadata["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]
        expected = models["sklearn"].predict(ROWS).tolist()
        for binary in (True, False):
            tensor = triton.InferInput("input-0", list(ROWS.shape), "FP64")
            tensor.set_data_from_numpy(ROWS.astype(np.float64), binary_data=binary)
            wanted = triton.InferRequestedOutput("output-0", binary_data=binary)
            result = client.infer("sklearn-iris", [tensor], outputs=[wanted])
            assert result.as_numpy("output-0").tolist() == expected
    finally:
        client.close()


class SteadyClient:
    """Requests in a loop on another thread; counts the answers (label → count) and failures."""

    def __init__(self, url: str, host: str) -> None:
        self.url, self.host = url, host
        self.answers: Counter[int] = Counter()
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                try:
                    response = client.post(
                        self.url,
                        json={"instances": [ROWS[0].tolist()]},
                        headers={"Host": self.host},
                    )
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                if response.status_code != 200:
                    self.failures.append(f"{response.status_code} {response.text[:200]}")
                else:
                    self.answers[response.json()["predictions"][0]] += 1

    def __enter__(self) -> SteadyClient:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def test_canary_20_percent_then_promotion_without_a_failed_request(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    features, target = trained_models.iris()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    trained_models.sklearn_model(first)  # ROWS[0] is a setosa: 0
    joblib.dump(
        DummyClassifier(strategy="constant", constant=2).fit(features, target),
        second / "model.joblib",
    )
    apply(platform, isvc("canary", namespace, new_form("sklearn", first.as_uri())))
    wait_ready(platform, namespace, "canary")
    url, host = f"{platform.url}/v1/models/canary:predict", host_of("canary", namespace)

    def predictor() -> dict[str, Any]:
        obj = platform.kubectl_yaml("get", "inferenceservice", "canary", "-n", namespace)
        found: dict[str, Any] = obj["status"]["components"]["predictor"]
        return found

    with SteadyClient(url, host) as steady:
        wait_for(lambda: steady.answers[0] > 5, what="the first revision answering")
        canary = new_form("sklearn", second.as_uri())
        canary["canaryTrafficPercent"] = 20
        apply(platform, isvc("canary", namespace, canary))
        wait_for(
            lambda: (
                {t["revisionName"]: t["percent"] for t in predictor().get("traffic", [])}
                == {"canary-predictor-00001": 80, "canary-predictor-00002": 20}
            ),
            timeout=READY_TIMEOUT,
            interval=0.5,
            what="the 80/20 split",
        )
        wait_for(lambda: steady.answers[2] > 0, what="the canary answering")
        with httpx.Client(timeout=30) as client:
            labels = Counter(
                client.post(
                    url, json={"instances": [ROWS[0].tolist()]}, headers={"Host": host}
                ).json()["predictions"][0]
                for _ in range(400)
            )
        assert set(labels) == {0, 2}
        assert abs(labels[2] / 400 - 0.20) <= 0.07, labels
        apply(platform, isvc("canary", namespace, new_form("sklearn", second.as_uri())))  # promote
        wait_for(
            lambda: predictor().get("latestRolledoutRevision") == "canary-predictor-00002",
            timeout=60,
            what="the promotion",
        )
        after = steady.answers[2]
        wait_for(lambda: steady.answers[2] > after + 20, what="requests after the promotion")
    assert steady.failures == []
    status = predictor()
    assert status["previousRolledoutRevision"] == "canary-predictor-00001"
    assert [(t["revisionName"], t["percent"]) for t in status["traffic"]] == [
        ("canary-predictor-00002", 100)
    ]
    with httpx.Client(timeout=30) as client:
        answers = {
            client.post(url, json={"instances": [ROWS[0].tolist()]}, headers={"Host": host}).json()[
                "predictions"
            ][0]
            for _ in range(50)
        }
    assert answers == {2}


def test_a_user_runtime_with_its_own_command(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    trained = trained_models.sklearn_model(tmp_path)
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "my-server", "namespace": namespace},
        "spec": {
            "supportedModelFormats": [{"name": "my-format", "autoSelect": True}],
            "protocolVersions": ["v1", "v2"],
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "my/server:1.0",
                    "command": [sys.executable, "-m", "pinnace.serving.server"],
                    "args": [
                        "--model_name={{.Name}}",
                        "--model_dir=/mnt/models",
                        "--http_port=9000",
                        "--format=sklearn",
                    ],
                    "ports": [{"containerPort": 9000, "protocol": "TCP"}],
                }
            ],
        },
    }
    apply(
        platform,
        runtime,
        isvc("mine", namespace, new_form("my-format", trained.directory.as_uri())),
    )
    wait_ready(platform, namespace, "mine")
    assert v1(platform, namespace, "mine", by="path") == trained.predict(ROWS).tolist()


def test_a_model_on_s3_with_the_service_accounts_credentials(
    platform: Platform,
    namespace: str,
    tmp_path: Path,
    seaweedfs: str,  # noqa: F811 (the fixture)
) -> None:
    trained = trained_models.sklearn_model(tmp_path)
    filesystem(seaweedfs).put(
        str(trained.directory / "model.joblib"), "models/e2e/iris/model.joblib"
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "s3creds",
            "namespace": namespace,
            "annotations": {
                "serving.kserve.io/s3-endpoint": seaweedfs.removeprefix("http://"),
                "serving.kserve.io/s3-usehttps": "0",
            },
        },
        "type": "Opaque",
        "stringData": {"AWS_ACCESS_KEY_ID": "pinnace", "AWS_SECRET_ACCESS_KEY": "pinnace"},
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "sa", "namespace": namespace},
        "secrets": [{"name": "s3creds"}],
    }
    predictor = {**new_form("sklearn", "s3://models/e2e/iris"), "serviceAccountName": "sa"}
    apply(platform, secret, account, isvc("from-s3", namespace, predictor))
    wait_ready(platform, namespace, "from-s3")
    assert v1(platform, namespace, "from-s3", by="host") == trained.predict(ROWS).tolist()


def test_a_broken_storage_uri_is_a_failed_condition_with_the_reason(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    missing = (tmp_path / "nothing-here").as_uri()
    apply(platform, isvc("broken", namespace, new_form("sklearn", missing)))

    def failed() -> dict[str, Any] | None:
        obj = platform.kubectl_yaml("get", "inferenceservice", "broken", "-n", namespace)
        conditions = (obj.get("status") or {}).get("conditions") or []
        ready = next((c for c in conditions if c["type"] == "Ready"), None)
        return (
            ready
            if ready and ready["status"] == "False" and "nothing-here" in ready["message"]
            else None
        )

    ready = wait_for(failed, timeout=READY_TIMEOUT, interval=0.5, what="the failed condition")
    assert ready["reason"] == "ModelLoadFailed"
    assert "no such file or directory" in ready["message"]
    obj = platform.kubectl_yaml("get", "inferenceservice", "broken", "-n", namespace)
    assert obj["status"]["modelStatus"]["transitionStatus"] == "BlockedByFailedLoad"


@pytest.mark.parametrize(
    ("predictor", "field"),
    [
        pytest.param(
            {**new_form("sklearn", "file:///m"), "canaryTrafficPercent": 150},
            "spec.predictor.canaryTrafficPercent",
            id="canary-over-100",
        ),
        pytest.param(
            {"model": {"modelFormat": {"version": "1"}, "storageUri": "file:///m"}},
            "spec.predictor.model.modelFormat.name",
            id="format-without-name",
        ),
        pytest.param(
            {**new_form("sklearn", "file:///m"), "minReplicas": 3, "maxReplicas": 2},
            "spec.predictor.minReplicas",
            id="min-over-max",
        ),
        pytest.param(
            {**new_form("sklearn", "file:///m"), "minReplicas": -1},
            "spec.predictor.minReplicas",
            id="negative-replicas",
        ),
    ],
)
def test_a_bad_spec_is_refused_with_the_field(
    platform: Platform, namespace: str, predictor: dict[str, Any], field: str
) -> None:
    result = platform.kubectl(
        "apply", "-f", "-", input=yaml.safe_dump(isvc("bad", namespace, predictor)), check=False
    )
    assert result.returncode != 0
    assert field in result.stderr
    assert "Invalid" in result.stderr or "invalid" in result.stderr


def test_pinnace_serve_and_the_iris_example(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    subprocess.run(
        [sys.executable, str(EXAMPLE / "train.py"), "--out", str(out)], check=True, timeout=120
    )
    assert (out / "model.joblib").exists()
    served = subprocess.run(
        [
            sys.executable,
            "-m",
            "pinnace.cli.main",
            "serve",
            str(out),
            "--name",
            "iris",
            "-n",
            namespace,
            "-d",
            str(platform.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=READY_TIMEOUT + 30,
        env=platform.env(),
    )
    assert served.returncode == 0, served.stderr
    assert served.stdout.splitlines()[0] == f"http://{host_of('iris', namespace)}"
    request = json.loads((EXAMPLE / "v1-request.json").read_text())
    response = httpx.post(
        f"{platform.url}/serving/{namespace}/iris/v1/models/iris:predict", json=request, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == [1, 1]
    # the example's own YAML, with the model where this test trained it
    manifest = yaml.safe_load((EXAMPLE / "inferenceservice.yaml").read_text())
    manifest["metadata"]["namespace"] = namespace
    manifest["spec"]["predictor"]["model"]["storageUri"] = out.as_uri()
    apply(platform, manifest)
    name = manifest["metadata"]["name"]
    wait_ready(platform, namespace, name)
    v2_request = json.loads((EXAMPLE / "v2-request.json").read_text())
    response = httpx.post(
        f"{platform.url}/v2/models/{name}/infer",
        json=v2_request,
        headers={"Host": host_of(name, namespace)},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][0]["data"] == [1, 1]
