"""Typed views parse upstream-shaped objects once; phases and reasons come out as Enums."""

from __future__ import annotations

import pytest

from pinnace.api.views import (
    conditions,
    inferenceservices,
    notebooks,
    pipelineruns,
    pods,
    profiles,
    workloads,
)


def test_pod_phase_readiness_and_container_states() -> None:
    pod = pods.Pod.parse(
        {
            "metadata": {"name": "p", "namespace": "ns", "labels": {"app": "a"}},
            "spec": {"nodeName": "node-1"},
            "status": {
                "phase": "Running",
                "podIP": "127.0.0.5",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                    {
                        "name": "c",
                        "ready": False,
                        "restartCount": 3,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
                    }
                ],
            },
        }
    )
    assert pod.phase is pods.Phase.RUNNING and pod.ready and pod.active
    assert pod.meta.label("app") == "a" and pod.node_name == "node-1"
    c = pod.container("c")
    assert c is not None and c.state is not None and c.last_state is not None
    assert c.state.kind is pods.StateKind.WAITING and c.state.reason == "CrashLoopBackOff"
    assert c.last_state.exit_code == 1
    assert pod.restarts == 3


def test_an_empty_pod_is_pending_and_not_ready() -> None:
    pod = pods.Pod.parse({"metadata": {"name": "p"}})
    assert pod.phase is pods.Phase.PENDING and not pod.ready and pod.containers == ()


@pytest.mark.parametrize(
    ("status", "rolled_out"),
    [
        pytest.param(
            {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2},
            True,
            id="done",
        ),
        pytest.param(
            {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2},
            False,
            id="old-generation",
        ),
        pytest.param(
            {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2},
            False,
            id="old-pod-left",
        ),
        pytest.param({}, False, id="no-status"),
    ],
)
def test_deployment_rolled_out(status: dict[str, int], rolled_out: bool) -> None:
    d = workloads.Deployment.parse(
        {"metadata": {"name": "d", "generation": 2}, "spec": {"replicas": 2}, "status": status}
    )
    assert d.rolled_out is rolled_out


def test_deployment_deadline_and_statefulset() -> None:
    d = workloads.Deployment.parse(
        {
            "metadata": {"name": "d"},
            "spec": {"paused": True},
            "status": {
                "conditions": [
                    {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
                ]
            },
        }
    )
    assert d.paused and d.deadline_exceeded and d.replicas == 1
    s = workloads.StatefulSet.parse(
        {"metadata": {"name": "s"}, "spec": {"serviceName": "svc", "minReadySeconds": 5}}
    )
    assert s.service_name == "svc" and s.min_ready_seconds == 5


def test_notebook_upstream_shape() -> None:
    nb = notebooks.Notebook.parse(
        {
            "apiVersion": "kubeflow.org/v1",
            "kind": "Notebook",
            "metadata": {
                "name": "nb",
                "namespace": "user",
                "annotations": {"kubeflow-resource-stopped": "2026-01-01T00:00:00Z"},
            },
            "spec": {"template": {"spec": {"containers": [{"name": "nb", "image": "jupyter:1"}]}}},
            "status": {"readyReplicas": 1, "containerState": {"running": {}}},
        }
    )
    assert nb.image == "jupyter:1" and nb.stopped and nb.status.ready_replicas == 1
    assert nb.status.container_state is not None
    assert nb.status.container_state.kind is pods.StateKind.RUNNING


@pytest.mark.parametrize(
    ("predictor", "fmt", "uri"),
    [
        pytest.param(
            {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://m"}},
            "sklearn",
            "gs://m",
            id="model",
        ),
        pytest.param({"sklearn": {"storageUri": "s3://m"}}, "sklearn", "s3://m", id="legacy"),
    ],
)
def test_inferenceservice_model_both_spellings(
    predictor: dict[str, object], fmt: str, uri: str
) -> None:
    isvc = inferenceservices.InferenceService.parse(
        {
            "metadata": {"name": "m", "namespace": "ns"},
            "spec": {"predictor": {**predictor, "minReplicas": 0, "maxReplicas": 3}},
            "status": {
                "url": "http://m.ns.example.com",
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
    )
    assert isvc.model is not None and isvc.model.format == fmt and isvc.model.storage_uri == uri
    assert isvc.scaling.min_replicas == 0 and isvc.scaling.max_replicas == 3
    assert isvc.ready and isvc.url == "http://m.ns.example.com"


def test_a_custom_predictor_has_no_model() -> None:
    isvc = inferenceservices.InferenceService.parse(
        {"metadata": {"name": "m"}, "spec": {"predictor": {"containers": [{"image": "x"}]}}}
    )
    assert isvc.model is None and not isvc.ready


def test_pipelinerun_state_and_tasks() -> None:
    run = pipelineruns.PipelineRun.parse(
        {
            "metadata": {"name": "r", "namespace": "ns", "generation": 1},
            "spec": {
                "pipelineSpec": {"root": {}},
                "runtimeConfig": {"parameters": {"n": 3}},
                "cancel": True,
            },
            "status": {
                "state": "RUNNING",
                "tasks": [{"taskId": "t1", "name": "train", "state": "SUCCEEDED"}],
            },
        }
    )
    assert run.state is pipelineruns.RunState.RUNNING and not run.state.finished
    assert run.cancel and run.parameters == {"n": 3}
    task = run.task("t1")
    assert task is not None and task.state.finished
    assert pipelineruns.PipelineRun.parse({"metadata": {"name": "x"}}).state == "PENDING"


def test_profile_owner_and_quota() -> None:
    p = profiles.Profile.parse(
        {
            "metadata": {"name": "alice"},
            "spec": {
                "owner": {"kind": "User", "name": "alice@example.com"},
                "resourceQuotaSpec": {"hard": {"cpu": "2"}},
            },
            "status": {"conditions": [{"type": "Ready", "status": "Bogus"}]},
        }
    )
    assert p.namespace == "alice"
    assert p.owner == profiles.Owner(profiles.OwnerKind.USER, "alice@example.com")
    assert p.resource_quota == {"hard": {"cpu": "2"}}
    assert p.conditions[0].status is conditions.Status.UNKNOWN
