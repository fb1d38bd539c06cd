"""S3 mode on a real `pinnace up`: the pipeline root in a SeaweedFS bucket, checked afterwards.

As on a KFP cluster, the namespace holds the kfp-launcher ConfigMap
(`defaultPipelineRoot`, `providers`) and the Secret it names; a multi-step
pipeline with every artifact type runs with no `pipelineRoot` of its own, and
the test then lists and reads the objects in the bucket: each task's
outputs.json, its artifacts, its executor output and its log. The same run's
lineage is then asked for through `pinnace lineage` and the KFP artifacts API
on the gateway.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import httpx
import pytest
from kfp import dsl
from tests.e2e.conftest import Platform
from tests.e2e.test_pipelines import BASE, finished, ir_text, run_yaml
from tests.support import objectstores


@dsl.component(base_image=BASE)
def make_data(rows: int, data: dsl.Output[dsl.Dataset]) -> None:
    with open(data.path, "w") as f:
        f.write("\n".join(str(i) for i in range(rows)))
    data.metadata["rows"] = rows
    print(f"made {rows} rows")


@dsl.component(base_image=BASE)
def train(
    data: dsl.Input[dsl.Dataset],
    model: dsl.Output[dsl.Model],
    metrics: dsl.Output[dsl.Metrics],
    confusion: dsl.Output[dsl.ClassificationMetrics],
    sliced: dsl.Output[dsl.SlicedClassificationMetrics],
    report: dsl.Output[dsl.HTML],
    notes: dsl.Output[dsl.Markdown],
) -> None:
    import os

    with open(data.path) as f:
        rows = len(f.read().split())
    os.makedirs(model.path)
    with open(os.path.join(model.path, "weights.json"), "w") as f:
        f.write(f'{{"rows": {rows}}}')
    model.metadata["framework"] = "counting"
    metrics.log_metric("accuracy", 0.75)
    confusion.log_confusion_matrix(["cat", "dog"], [[3, 1], [0, 4]])
    # kfp 2.17 never initialises `_sliced_metrics`, and its bulk loaders call methods that
    # do not exist; the per-row methods work once the dict is there.
    sliced._sliced_metrics = {}
    sliced.set_confusion_matrix_categories("all", ["cat", "dog"])
    sliced.log_confusion_matrix_row("all", "cat", [3, 1])
    with open(report.path, "w") as f:
        f.write("<h1>trained</h1>")
    with open(notes.path, "w") as f:
        f.write("# trained")
    print(f"trained on {rows} rows")


@dsl.component(base_image=BASE)
def evaluate(model: dsl.Input[dsl.Model], data: dsl.Input[dsl.Dataset]) -> str:
    import json
    import os

    with open(os.path.join(model.path, "weights.json")) as f:
        weights = json.load(f)
    return f"{weights['rows']} rows, {data.metadata['rows']} in metadata"


@dsl.pipeline
def s3_pipeline(rows: int = 5) -> str:
    data = make_data(rows=rows)
    trained = train(data=data.outputs["data"])
    return evaluate(model=trained.outputs["model"], data=data.outputs["data"]).output


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with objectstores.seaweedfs(tmp_path_factory.mktemp("weed")) as endpoint:
        yield endpoint


def configure(platform: Platform, namespace: str, endpoint: str, bucket: str) -> None:
    providers = textwrap.dedent(
        f"""\
        s3:
          default:
            endpoint: {endpoint}
            region: us-east-1
            credentials:
              fromEnv: false
              secretRef:
                secretName: artifact-store
                accessKeyKey: accesskey
                secretKeyKey: secretkey
        """
    )
    manifest = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "artifact-store", "namespace": namespace},
                "stringData": {"accesskey": objectstores.KEY, "secretkey": objectstores.SECRET},
            },
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "kfp-launcher", "namespace": namespace},
                "data": {"defaultPipelineRoot": f"s3://{bucket}/v2", "providers": providers},
            },
        ],
    }
    platform.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def test_a_multi_step_pipeline_keeps_its_artifacts_and_logs_in_the_bucket(
    platform: Platform, namespace: str, seaweedfs: str
) -> None:
    fs = objectstores.filesystem(seaweedfs)
    bucket = "artifacts"
    fs.mkdir(bucket)
    configure(platform, namespace, seaweedfs, bucket)
    platform.kubectl(
        "apply", "-f", "-", input=run_yaml("s3", namespace, ir_text(s3_pipeline), {"rows": 6})
    )
    status = finished(platform, namespace, "s3")
    assert status["state"] == "SUCCEEDED", status.get("error")
    assert status["pipelineRoot"] == f"s3://{bucket}/v2"
    assert status["outputs"]["parameters"] == {"Output": "6 rows, 6 in metadata"}
    tasks = {t["name"]: t for t in status["tasks"]}
    arts = {k: v[0] for k, v in tasks["train"]["outputs"]["artifacts"].items()}
    assert {k: a["schemaTitle"] for k, a in arts.items()} == {
        "model": "system.Model",
        "metrics": "system.Metrics",
        "confusion": "system.ClassificationMetrics",
        "sliced": "system.SlicedClassificationMetrics",
        "report": "system.HTML",
        "notes": "system.Markdown",
    }
    assert arts["metrics"]["metadata"] == {"accuracy": 0.75}
    assert arts["confusion"]["metadata"]["confusionMatrix"]["rows"] == [
        {"row": [3, 1]},
        {"row": [0, 4]},
    ]
    (one,) = arts["sliced"]["metadata"]["evaluationSlices"]
    assert one["slice"] == "all" and "confusionMatrix" in one["sliceClassificationMetrics"]
    assert arts["model"]["metadata"] == {"framework": "counting"}
    uid = platform.kubectl_yaml("get", "pipelinerun", "s3", "-n", namespace)["metadata"]["uid"]
    prefix = f"{bucket}/v2/{namespace}/s3/{uid}"
    assert arts["model"]["uri"] == f"s3://{prefix}/train/model"

    keys = set(fs.find(prefix, refresh=True))
    for task in ("make-data", "train", "evaluate"):
        assert f"{prefix}/{task}/outputs.json" in keys, sorted(keys)
        assert f"{prefix}/{task}/executor_output.json" in keys
        log = f"{prefix}/{task}/logs/{tasks[task]['podName']}.log"
        assert tasks[task]["logUri"] == f"s3://{log}"
        assert log in keys
    assert fs.cat(f"{prefix}/make-data/data").decode().split() == [str(i) for i in range(6)]
    assert json.loads(fs.cat(f"{prefix}/train/model/weights.json")) == {"rows": 6}
    assert fs.cat(f"{prefix}/train/report") == b"<h1>trained</h1>"
    assert fs.cat(f"{prefix}/train/notes") == b"# trained"
    assert b"trained on 6 rows" in fs.cat(f"{prefix}/train/logs/{tasks['train']['podName']}.log")
    outputs = json.loads(fs.cat(f"{prefix}/evaluate/outputs.json"))
    assert outputs["parameters"] == {"Output": "6 rows, 6 in metadata"}


def test_lineage_of_an_s3_run_through_the_cli_and_the_kfp_api(
    platform: Platform, namespace: str, seaweedfs: str
) -> None:
    fs = objectstores.filesystem(seaweedfs)
    bucket = "lineage"
    fs.mkdir(bucket)
    configure(platform, namespace, seaweedfs, bucket)
    platform.kubectl(
        "apply", "-f", "-", input=run_yaml("lin", namespace, ir_text(s3_pipeline), {"rows": 2})
    )
    status = finished(platform, namespace, "lin")
    assert status["state"] == "SUCCEEDED", status.get("error")
    tasks = {t["name"]: t for t in status["tasks"]}
    model = tasks["train"]["outputs"]["artifacts"]["model"][0]["uri"]
    data = tasks["make-data"]["outputs"]["artifacts"]["data"][0]["uri"]

    def lineage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pinnace.cli.main",
                "lineage",
                *args,
                "--data-dir",
                str(platform.data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = lineage(model, "--json", "-n", namespace)
    assert done.returncode == 0, done.stderr
    trace = json.loads(done.stdout)
    assert trace["artifact"]["type"] == "system.Model"
    assert trace["artifact"]["metadata"] == {"framework": "counting"}
    assert (trace["producedBy"]["run"], trace["producedBy"]["task"]) == (
        f"{namespace}/lin",
        "train",
    )
    assert trace["producedBy"]["log"] == tasks["train"]["logUri"]
    assert [(i["name"], i["uri"]) for i in trace["inputs"]] == [("data", data)]
    assert [i["producedBy"][0]["task"] for i in trace["inputs"]] == ["make-data"]
    assert [(c["task"], c["input"]) for c in trace["consumedBy"]] == [("evaluate", "model")]
    assert trace["upstream"] == [data]
    text = lineage(model)
    assert text.returncode == 0 and "produced by" in text.stdout and "evaluate" in text.stdout
    missing = lineage(f"s3://{bucket}/nothing")
    assert missing.returncode == 1 and "no pipeline run produced or read" in missing.stderr

    api = f"{platform.url}/pipeline/apis/v2beta1"
    listed = httpx.get(f"{api}/artifacts", params={"namespace": namespace}, timeout=30)
    assert listed.status_code == 200, listed.text
    by_uri = {a["uri"]: a for a in listed.json()["artifacts"]}
    assert by_uri[model]["artifact_type"] == "system.Model"
    assert by_uri[model]["storage_provider"] == "s3"
    one = httpx.get(f"{api}/artifacts/{by_uri[data]['artifact_id']}", timeout=30)
    assert one.status_code == 200 and one.json()["metadata"] == {"rows": 2}
    edges = httpx.get(
        f"{api}/artifact_tasks",
        params={"namespace": namespace, "artifact_ids": by_uri[data]["artifact_id"]},
        timeout=30,
    ).json()["artifact_tasks"]
    assert sorted((e["task_id"], e["type"]) for e in edges) == [
        ("evaluate", "TASK_OUTPUT_INPUT"),
        ("make-data", "OUTPUT"),
        ("train", "TASK_OUTPUT_INPUT"),
    ]
