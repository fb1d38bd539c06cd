"""The real `kfp.Client` against a real `pinnace up`: the KFP REST API through the gateway.

`kfp.Client(host=".../pipeline")` is used exactly as a KFP user would: runs from
pipeline functions and from uploaded versions, experiments, listing, terminate,
recurring runs, and a bad run answered with KFP's error body. kubectl sees the
same objects (Pipeline/PipelineVersion v2beta1, Experiment, PipelineRun), and an
upstream-shaped PipelineVersion applied with kubectl runs through the client.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import kfp_server_api
import pytest
import yaml
from kfp import client as kfp_client
from kfp import compiler, dsl
from tests.e2e.conftest import Platform, wait_for

BASE = "python:3.11"

pytestmark = pytest.mark.filterwarnings(
    # kfp.Client warns on every construction that it needs KFP >= 2.0.0-beta.2
    "ignore:This client only works with Kubeflow Pipeline:FutureWarning"
)


@dsl.component(base_image=BASE)
def make_text(words: int, out: dsl.Output[dsl.Dataset]) -> None:
    with open(out.path, "w") as f:
        f.write(" ".join(["word"] * words))
    out.metadata["words"] = words


@dsl.component(base_image=BASE)
def count_words(text: dsl.Input[dsl.Dataset]) -> int:
    with open(text.path) as f:
        return len(f.read().split())


@dsl.component(base_image=BASE)
def double(x: int) -> int:
    return 2 * x


@dsl.pipeline(name="words")
def words(n: int = 3) -> int:
    text = make_text(words=n)
    counted = count_words(text=text.outputs["out"])
    return double(x=counted.output).output


@dsl.component(base_image=BASE)
def nap(seconds: int) -> None:
    import time

    time.sleep(seconds)


@dsl.pipeline(name="sleepy")
def sleepy() -> None:
    nap(seconds=300)


@dsl.component(base_image=BASE)
def fail_once(marker: str) -> str:
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        raise SystemExit("failing the first time")
    return "second time lucky"


@dsl.pipeline(name="flaky")
def flaky(marker: str) -> str:
    first = double(x=1)
    return fail_once(marker=marker).after(first).output


def compiled(func: Any) -> Path:
    path = Path(tempfile.mkdtemp()) / "pipeline.yaml"
    compiler.Compiler().compile(func, str(path))
    return path


@pytest.fixture
def kfp(platform: Platform) -> kfp_client.Client:
    return kfp_client.Client(host=f"{platform.url}/pipeline")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_run_from_a_pipeline_function_to_succeeded(
    platform: Platform, kfp: kfp_client.Client
) -> None:
    experiment = unique("exp")
    result = kfp.create_run_from_pipeline_func(
        words, arguments={"n": 4}, experiment_name=experiment, run_name="count words"
    )
    run = kfp.wait_for_run_completion(result.run_id, timeout=120, sleep_duration=0.2)
    assert run.state == "SUCCEEDED", run.error
    tasks = {t.display_name: t for t in run.run_details.task_details}
    assert {"make-text", "count-words", "double"} <= set(tasks)
    assert all(tasks[name].state == "SUCCEEDED" for name in ("make-text", "count-words", "double"))
    assert tasks["make-text"].pod_name and tasks["make-text"].start_time is not None
    assert run.finished_at is not None and run.created_at is not None

    found = kfp.get_experiment(experiment_name=experiment)
    listed = kfp.list_runs(experiment_id=found.experiment_id)
    assert [r.run_id for r in listed.runs] == [result.run_id]
    assert listed.runs[0].display_name == "count words"
    # the same run is a PipelineRun in the default namespace, outputs in its status
    objects = platform.kubectl_yaml("get", "pipelineruns", "-n", "kubeflow")["items"]
    (obj,) = [o for o in objects if o["metadata"]["uid"] == result.run_id]
    assert obj["status"]["outputs"]["parameters"]["Output"] == 8


def test_upload_a_pipeline_and_run_a_version(
    platform: Platform, kfp: kfp_client.Client, namespace: str
) -> None:
    path = compiled(words)
    name = unique("Words")
    pipeline = kfp.upload_pipeline(str(path), pipeline_name=name, namespace=namespace)
    assert kfp.get_pipeline(pipeline.pipeline_id).display_name == name
    version = kfp.upload_pipeline_version(
        str(path), "v2", pipeline_id=pipeline.pipeline_id, description="second"
    )
    versions = kfp.list_pipeline_versions(pipeline.pipeline_id)
    assert sorted(v.display_name for v in versions.pipeline_versions) == sorted([name, "v2"])
    experiment = kfp.create_experiment(unique("exp"), namespace=namespace)
    run = kfp.run_pipeline(
        experiment.experiment_id,
        "from a version",
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
        params={"n": 5},
    )
    done = kfp.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.2)
    assert done.state == "SUCCEEDED", done.error
    assert done.pipeline_version_reference.pipeline_version_id == version.pipeline_version_id
    assert platform.kubectl_yaml("get", "pipelineversions", "-n", namespace)["items"]
    assert kfp.list_runs(namespace=namespace).total_size == 1
    kfp.delete_run(run.run_id)
    assert kfp.list_runs(namespace=namespace).total_size == 0


def test_experiments(kfp: kfp_client.Client, namespace: str) -> None:
    first = kfp.create_experiment("first", description="one", namespace=namespace)
    kfp.create_experiment("second", namespace=namespace)
    again = kfp.create_experiment("first", namespace=namespace)  # found by its filter, not made
    assert again.experiment_id == first.experiment_id
    assert kfp.get_experiment(experiment_name="first", namespace=namespace).description == "one"
    listed = kfp.list_experiments(namespace=namespace, sort_by="display_name desc")
    assert [e.display_name for e in listed.experiments] == ["second", "first"]
    kfp.archive_experiment(first.experiment_id)
    assert kfp.get_experiment(first.experiment_id).storage_state == "ARCHIVED"
    kfp.unarchive_experiment(first.experiment_id)
    assert kfp.get_experiment(first.experiment_id).storage_state == "AVAILABLE"
    kfp.delete_experiment(first.experiment_id)
    with pytest.raises(kfp_server_api.ApiException) as err:
        kfp.get_experiment(first.experiment_id)
    assert err.value.status == 404


def test_terminate_stops_the_run(
    platform: Platform, kfp: kfp_client.Client, namespace: str
) -> None:
    experiment = kfp.create_experiment(unique("exp"), namespace=namespace)
    result = kfp.create_run_from_pipeline_func(sleepy, experiment_id=experiment.experiment_id)

    def running() -> bool:
        run = kfp.get_run(result.run_id)
        return any(t.state == "RUNNING" for t in run.run_details.task_details or [])

    wait_for(running, timeout=60, what="the nap task running")
    kfp.terminate_run(result.run_id)
    # kfp's wait_for_run_completion does not count CANCELED as finished: poll get_run
    wait_for(lambda: kfp.get_run(result.run_id).state == "CANCELED", timeout=60, what="CANCELED")
    pods = platform.kubectl_yaml("get", "pods", "-n", namespace)["items"]
    assert all(p["status"].get("phase") != "Running" for p in pods)


def test_bad_input_gets_kfps_error_body(kfp: kfp_client.Client, namespace: str) -> None:
    experiment = kfp.create_experiment(unique("exp"), namespace=namespace)
    with pytest.raises(kfp_server_api.ApiException) as err:
        kfp.create_run_from_pipeline_func(
            words, arguments={"n": "many"}, experiment_id=experiment.experiment_id
        )
    assert err.value.status == 400
    body = json.loads(err.value.body)
    assert body["code"] == 3
    assert "runtimeConfig.parameters['n']" in body["message"]
    assert kfp.list_runs(namespace=namespace).total_size == 0
    with pytest.raises(kfp_server_api.ApiException) as err:
        kfp.get_run("00000000-0000-0000-0000-000000000000")
    assert err.value.status == 404
    assert json.loads(err.value.body)["code"] == 5


def test_kubectl_applied_pipeline_version_runs(
    platform: Platform, kfp: kfp_client.Client, namespace: str
) -> None:
    ir = yaml.safe_load(compiled(words).read_text())
    manifests = [
        {
            "apiVersion": "pipelines.kubeflow.org/v2beta1",
            "kind": "Pipeline",
            "metadata": {"name": "words-gitops", "namespace": namespace},
            "spec": {"description": "applied with kubectl"},
        },
        {
            "apiVersion": "pipelines.kubeflow.org/v2beta1",
            "kind": "PipelineVersion",
            "metadata": {"name": "words-gitops-v1", "namespace": namespace},
            "spec": {"pipelineName": "words-gitops", "pipelineSpec": ir},
        },
    ]
    listing = {"apiVersion": "v1", "kind": "List", "items": manifests}
    platform.kubectl("apply", "-f", "-", input=json.dumps(listing))  # JSON: the IR has key `n`
    pipeline = next(
        p for p in kfp.list_pipelines(namespace=namespace).pipelines if p.name == "words-gitops"
    )
    (version,) = kfp.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions
    assert version.name == "words-gitops-v1"
    experiment = kfp.create_experiment(unique("exp"), namespace=namespace)
    run = kfp.run_pipeline(
        experiment.experiment_id,
        "gitops",
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
        params={"n": 1},
    )
    done = kfp.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.2)
    assert done.state == "SUCCEEDED", done.error
    assert done.pipeline_version_reference.pipeline_version_id == version.pipeline_version_id


def test_recurring_runs_crud(platform: Platform, kfp: kfp_client.Client, namespace: str) -> None:
    experiment = kfp.create_experiment(unique("exp"), namespace=namespace)
    made = kfp.create_recurring_run(
        experiment.experiment_id,
        "every hour",
        pipeline_package_path=str(compiled(words)),
        interval_second=3600,
        max_concurrency=2,
        params={"n": 2},
    )
    got = kfp.get_recurring_run(made.recurring_run_id)
    assert got.trigger.periodic_schedule.interval_second == "3600"
    assert (got.max_concurrency, got.status) == ("2", "ENABLED")
    (obj,) = platform.kubectl_yaml("get", "recurringruns", "-n", namespace)["items"]
    assert obj["spec"]["trigger"] == {"periodic": {"intervalSeconds": 3600}}
    kfp.disable_recurring_run(made.recurring_run_id)
    assert kfp.get_recurring_run(made.recurring_run_id).status == "DISABLED"
    kfp.enable_recurring_run(made.recurring_run_id)
    listed = kfp.list_recurring_runs(experiment_id=experiment.experiment_id)
    assert [r.recurring_run_id for r in listed.recurring_runs] == [made.recurring_run_id]
    kfp.delete_recurring_run(made.recurring_run_id)
    wait_for(
        lambda: not platform.kubectl_yaml("get", "recurringruns", "-n", namespace)["items"],
        what="the RecurringRun gone",
    )


def test_a_recurring_run_fires_on_its_interval(kfp: kfp_client.Client, namespace: str) -> None:
    experiment = kfp.create_experiment(unique("exp"), namespace=namespace)
    made = kfp.create_recurring_run(
        experiment.experiment_id,
        "every second",
        pipeline_package_path=str(compiled(words)),
        interval_second=1,
        no_catchup=True,
        params={"n": 1},
    )

    def fired() -> list[Any]:
        runs = kfp.list_runs(experiment_id=experiment.experiment_id).runs or []
        return [r for r in runs if r.recurring_run_id == made.recurring_run_id]

    first = wait_for(fired, timeout=60, what="a run started by the schedule")[0]
    done = kfp.wait_for_run_completion(first.run_id, timeout=120, sleep_duration=0.2)
    assert done.state == "SUCCEEDED", done.error
    assert done.scheduled_at is not None
    kfp.disable_recurring_run(made.recurring_run_id)


def test_retry_resumes_a_failed_run(
    platform: Platform, kfp: kfp_client.Client, namespace: str, tmp_path: Path
) -> None:
    experiment = kfp.create_experiment(unique("exp"), namespace=namespace)
    result = kfp.create_run_from_pipeline_func(
        flaky,
        arguments={"marker": str(tmp_path / "marker")},
        experiment_id=experiment.experiment_id,
        enable_caching=False,
    )
    failed = kfp.wait_for_run_completion(result.run_id, timeout=120, sleep_duration=0.2)
    assert failed.state == "FAILED"
    # kfp.Client has no retry method: its generated RunServiceApi has the call
    kfp._run_api.run_service_retry_run(run_id=result.run_id)
    wait_for(lambda: kfp.get_run(result.run_id).state != "FAILED", what="the retry taken up")
    done = kfp.wait_for_run_completion(result.run_id, timeout=120, sleep_duration=0.2)
    assert done.state == "SUCCEEDED", done.error
    assert {t.display_name: t.state for t in done.run_details.task_details} == {
        "double": "SUCCEEDED",
        "fail-once": "SUCCEEDED",
    }
    (run,) = platform.kubectl_yaml("get", "pipelineruns", "-n", namespace)["items"]
    attempts = {t["name"]: t["attempts"] for t in run["status"]["tasks"]}
    assert attempts == {"double": 1, "fail-once": 2}  # what succeeded did not run again
