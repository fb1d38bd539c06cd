from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pinnace.api import builtins, crds, infos
from pinnace.apiserver import tables, validating

ROOT = Path(__file__).resolve().parents[2]


def info_for(crd_name: str, version: str) -> infos.ResourceInfo:
    return next(i for i in infos.from_crd(crds.crd(crd_name)) if i.version == version)


def test_generated_crds_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_crds.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_crd_is_a_valid_crd_object() -> None:
    names = [c["metadata"]["name"] for c in crds.all_crds()]
    assert names == sorted(names)
    assert len(names) == 11
    assert {
        "inferenceservices.serving.kserve.io",
        "servingruntimes.serving.kserve.io",
        "clusterservingruntimes.serving.kserve.io",
    } <= set(names)
    for crd in crds.all_crds():
        result = validating.validate_object(builtins.CUSTOMRESOURCEDEFINITIONS, crd)
        assert result.unknown == [], crd["metadata"]["name"]
        assert result.causes == [], crd["metadata"]["name"]
        for info in infos.from_crd(crd):
            # upstream's v2beta1 Pipeline has no status (nor subresource); every other kind has
            assert info.has_status is (info.resource.kind != "Pipeline")
            assert info.printer_columns
    with pytest.raises(KeyError):
        crds.crd("nope.example.com")


def test_loader_returns_fresh_objects() -> None:
    first = crds.crd("profiles.kubeflow.org")
    first["spec"]["group"] = "changed"
    assert crds.crd("profiles.kubeflow.org")["spec"]["group"] == "kubeflow.org"


NOTEBOOK: dict[str, Any] = {
    "apiVersion": "kubeflow.org/v1",
    "kind": "Notebook",
    "metadata": {
        "name": "nb",
        "namespace": "user",
        "annotations": {"kubeflow-resource-stopped": "2025-01-01T00:00:00Z"},
    },
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "nb",
                        "image": "kubeflownotebookswg/jupyter-scipy:v1.9.0",
                        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
                        "ports": [{"containerPort": 8888, "name": "notebook-port"}],
                        "volumeMounts": [{"name": "ws", "mountPath": "/home/jovyan"}],
                        "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
                    }
                ],
                "volumes": [{"name": "ws", "persistentVolumeClaim": {"claimName": "nb-ws"}}],
                "serviceAccountName": "default-editor",
            }
        }
    },
    "status": {
        "readyReplicas": 1,
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerState": {"running": {"startedAt": "2025-01-01T00:00:00Z"}},
    },
}

ISVC: dict[str, Any] = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "sklearn-iris", "namespace": "user"},
    "spec": {
        "predictor": {
            "minReplicas": 0,
            "scaleMetric": "concurrency",
            "model": {
                "modelFormat": {"name": "sklearn"},
                "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
                "protocolVersion": "v2",
                "resources": {"limits": {"cpu": "1"}},
            },
        },
        "transformer": {"containers": [{"name": "t", "image": "x"}]},
    },
}

VIRTUAL_SERVICE: dict[str, Any] = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "notebook-user-nb", "namespace": "user"},
    "spec": {
        "hosts": ["*"],
        "gateways": ["kubeflow/kubeflow-gateway"],
        "http": [
            {
                "match": [{"uri": {"prefix": "/notebook/user/nb/"}}],
                "rewrite": {"uri": "/notebook/user/nb/"},
                "route": [
                    {
                        "destination": {
                            "host": "nb.user.svc.cluster.local",
                            "port": {"number": 80},
                        },
                        "weight": 100,
                    }
                ],
                "headers": {"request": {"set": {"X-A": "b"}}},
                "timeout": "300s",
                "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"},
            }
        ],
    },
}

PIPELINE_RUN: dict[str, Any] = {
    "apiVersion": "pipelines.kubeflow.org/v1alpha1",
    "kind": "PipelineRun",
    "metadata": {"name": "run-1", "namespace": "user"},
    "spec": {
        "displayName": "add",
        "experiment": "Default",
        "pipelineSpec": {"pipelineInfo": {"name": "add"}, "root": {"dag": {"tasks": {}}}},
        "runtimeConfig": {"parameters": {"a": 1, "b": [1, 2]}},
        "enableCaching": False,
    },
}

RECURRING_RUN: dict[str, Any] = {
    "apiVersion": "pipelines.kubeflow.org/v1alpha1",
    "kind": "RecurringRun",
    "metadata": {"name": "nightly", "namespace": "user"},
    "spec": {
        "trigger": {"cron": {"expression": "0 0 2 * * *"}},
        "runTemplate": {"pipelineSpec": {"root": {}}},
    },
}

# KServe's config/runtimes/kserve-sklearnserver.yaml, unchanged but for the image tag.
SKLEARN_RUNTIME = {
    "apiVersion": "serving.kserve.io/v1alpha1",
    "kind": "ClusterServingRuntime",
    "metadata": {"name": "kserve-sklearnserver"},
    "spec": {
        "annotations": {
            "prometheus.kserve.io/port": "8080",
            "prometheus.kserve.io/path": "/metrics",
        },
        "supportedModelFormats": [
            {"name": "sklearn", "version": "1", "autoSelect": True, "priority": 1}
        ],
        "protocolVersions": ["v1", "v2"],
        "containers": [
            {
                "name": "kserve-container",
                "image": "kserve/sklearnserver:latest",
                "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080"],
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "runAsNonRoot": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "resources": {
                    "requests": {"cpu": "1", "memory": "2Gi"},
                    "limits": {"cpu": "1", "memory": "2Gi"},
                },
            }
        ],
    },
}
# upstream kubeflow/pipelines' PipelineVersion (backend/src/crd/kubernetes/v2beta1), as GitOps applies it
PIPELINE_VERSION: dict[str, Any] = {
    "apiVersion": "pipelines.kubeflow.org/v2beta1",
    "kind": "PipelineVersion",
    "metadata": {"name": "hello-v1", "namespace": "user"},
    "spec": {
        "pipelineName": "hello",
        "versionName": "v1",
        "displayName": "Hello v1",
        "description": "first",
        "codeSourceURL": "https://example.com/hello",
        "tags": {"team": "a"},
        "pipelineSpec": {"pipelineInfo": {"name": "hello"}, "root": {"dag": {"tasks": {}}}},
        "platformSpec": {"platforms": {"kubernetes": {}}},
    },
    "status": {
        "conditions": [
            {"type": "PipelineVersionStatus", "status": "True", "reason": "READY", "message": ""}
        ]
    },
}
PIPELINE: dict[str, Any] = {
    "apiVersion": "pipelines.kubeflow.org/v2beta1",
    "kind": "Pipeline",
    "metadata": {"name": "hello", "namespace": "user"},
    "spec": {"description": "says hello"},
}


@pytest.mark.parametrize(
    ("crd_name", "version", "obj"),
    [
        pytest.param("notebooks.kubeflow.org", "v1", NOTEBOOK, id="notebook-v1"),
        pytest.param("notebooks.kubeflow.org", "v1beta1", NOTEBOOK, id="notebook-v1beta1"),
        pytest.param("inferenceservices.serving.kserve.io", "v1beta1", ISVC, id="isvc"),
        pytest.param(
            "clusterservingruntimes.serving.kserve.io", "v1alpha1", SKLEARN_RUNTIME, id="csr"
        ),
        pytest.param(
            "servingruntimes.serving.kserve.io",
            "v1alpha1",
            {**SKLEARN_RUNTIME, "kind": "ServingRuntime"},
            id="sr",
        ),
        pytest.param("virtualservices.networking.istio.io", "v1", VIRTUAL_SERVICE, id="vs"),
        pytest.param("pipelineruns.pipelines.kubeflow.org", "v1alpha1", PIPELINE_RUN, id="run"),
        pytest.param(
            "recurringruns.pipelines.kubeflow.org", "v1alpha1", RECURRING_RUN, id="recurring"
        ),
        pytest.param("pipelines.pipelines.kubeflow.org", "v2beta1", PIPELINE, id="pipeline"),
        pytest.param(
            "pipelineversions.pipelines.kubeflow.org", "v2beta1", PIPELINE_VERSION, id="version"
        ),
    ],
)
def test_upstream_shaped_objects_validate(crd_name: str, version: str, obj: dict[str, Any]) -> None:
    result = validating.validate_object(info_for(crd_name, version), obj)
    assert result.unknown == []
    assert result.causes == []


def test_defaults_and_errors_of_pipeline_kinds() -> None:
    info = info_for("recurringruns.pipelines.kubeflow.org", "v1alpha1")
    result = validating.validate_object(info, RECURRING_RUN)
    assert result.obj["spec"]["mode"] == "ENABLE"
    assert result.obj["spec"]["maxConcurrency"] == 1
    assert result.obj["spec"]["noCatchup"] is False
    bad = {
        **RECURRING_RUN,
        "spec": {
            "trigger": {"cron": {"expression": "0 2 * * *"}, "periodic": {"intervalSeconds": 0}},
            "mode": "PAUSE",
            "runTemplate": {},
        },
    }
    fields = sorted(c.field for c in validating.validate_object(info, bad).causes)
    assert fields == [
        "spec.mode",
        "spec.trigger",
        "spec.trigger.cron.expression",
        "spec.trigger.periodic.intervalSeconds",
    ]
    run = info_for("pipelineruns.pipelines.kubeflow.org", "v1alpha1")
    result = validating.validate_object(run, {**PIPELINE_RUN, "status": {"state": "DONE"}})
    assert [c.reason for c in result.causes] == ["FieldValueNotSupported"]


def test_notebook_unknown_field_and_columns() -> None:
    info = info_for("notebooks.kubeflow.org", "v1")
    bad = {
        **NOTEBOOK,
        "spec": {"template": {"spec": {"containers": [{"name": "a", "imagee": "x"}]}}},
    }
    assert validating.validate_object(info, bad).unknown == [
        "spec.template.spec.containers[0].imagee"
    ]
    # date columns are ages, as the apiextensions table convertor renders them
    row = tables.row_for(info, NOTEBOOK, now=datetime(2025, 1, 3, tzinfo=UTC))
    columns = [c["name"] for c in tables.columns_for(info)]
    assert columns == ["Name", "Ready", "Replicas", "Image", "Stopped", "Age"]
    assert row["cells"][:5] == [
        "nb",
        "True",
        1,
        "kubeflownotebookswg/jupyter-scipy:v1.9.0",
        "2d",
    ]
