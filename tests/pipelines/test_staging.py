"""A task on a remote root: inputs downloaded, outputs and the log uploaded (SeaweedFS)."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import os
import sys
from pathlib import Path

import pytest
from kfp import dsl
from tests.support import objectstores

from pinnace.pipelines import launches, launching, loading, staging, stores

from . import builders
from .builders import BASE


@dsl.component(base_image=BASE)
def train(
    data: dsl.Input[dsl.Dataset],
    model: dsl.Output[dsl.Model],
    metrics: dsl.Output[dsl.Metrics],
    page: dsl.Output[dsl.Markdown],
) -> str:
    import os

    with open(data.path) as f:
        print("training on", f.read())
    os.makedirs(model.path)
    with open(os.path.join(model.path, "weights.txt"), "w") as f:
        f.write("w1")
    model.metadata["framework"] = "none"
    metrics.log_metric("accuracy", 0.9)
    with open(page.path, "w") as f:
        f.write("# done")
    return ",".join(sorted(k for k in os.environ if k.startswith("PINNACE_S3")))


def test_a_stage_maps_remote_uris_to_mirror_paths_and_back(tmp_path: Path) -> None:
    stage = staging.Stage(tmp_path)
    local = stage.local("s3://bucket/a/b.txt")
    assert local == str(tmp_path / "store" / "s3" / "bucket" / "a" / "b.txt")
    assert stage.uri(local) == "s3://bucket/a/b.txt"
    assert stage.local("file:///data/x") == "/data/x"
    assert stage.uri("/data/x") == "file:///data/x"
    with pytest.raises(staging.StagingError, match="not a URI with a path"):
        stage.local("s3://")


@pytest.mark.slow
def test_a_lightweight_task_runs_against_an_s3_root(
    seaweedfs: str, bucket: str, tmp_path: Path
) -> None:
    fs = objectstores.filesystem(seaweedfs)
    fs.pipe(f"{bucket}/inputs/data", b"7 rows")

    @dsl.pipeline
    def p(data: dsl.Input[dsl.Dataset]) -> None:
        train(data=data)

    (executor,) = loading.load(builders.compiled(p)).executors.values()
    task = f"s3://{bucket}/root/ns/run/uid/train"
    launch = launches.Launch(
        run="run",
        namespace="ns",
        task="train",
        task_id="train",
        command=executor.container.command,
        args=executor.container.args,
        outputs_uri=stores.join(task, stores.OUTPUTS),
        task_root=task,
        artifacts={"data": (launches.Artifact(uri=f"s3://{bucket}/inputs/data"),)},
        output_parameters={"Output": "STRING"},
        output_artifacts={
            name: launches.OutputArtifact(uri=stores.join(task, name), schema_title=title)
            for name, title in (
                ("model", "system.Model"),
                ("metrics", "system.Metrics"),
                ("page", "system.Markdown"),
            )
        },
        log_uri=stores.join(task, "logs", "pod.log"),
    )
    environ = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        stores.ENV_ENDPOINT: seaweedfs,
        stores.ENV_ACCESS_KEY: objectstores.KEY,
        stores.ENV_SECRET_KEY: objectstores.SECRET,
    }
    assert launching.launch(launch, environ=environ) == 0

    outputs = launches.Outputs.from_dict(
        json_of(fs, f"{bucket}/root/ns/run/uid/train/outputs.json")
    )
    assert outputs.parameters == {"Output": ""}, "the command never sees the store's credentials"
    (model,) = outputs.artifacts["model"]
    assert (model.uri, dict(model.metadata)) == (f"{task}/model", {"framework": "none"})
    (metrics,) = outputs.artifacts["metrics"]
    assert metrics.uri == f"{task}/metrics" and metrics.metadata == {"accuracy": 0.9}
    assert fs.cat(f"{bucket}/root/ns/run/uid/train/model/weights.txt") == b"w1"
    assert fs.cat(f"{bucket}/root/ns/run/uid/train/page") == b"# done"
    assert b"training on 7 rows" in fs.cat(f"{bucket}/root/ns/run/uid/train/logs/pod.log")
    assert fs.exists(f"{bucket}/root/ns/run/uid/train/executor_output.json")


def json_of(fs: object, key: str) -> dict[str, object]:
    import json

    data: dict[str, object] = json.loads(fs.cat(key))  # type: ignore[attr-defined]
    return data
