"""Generate the CRDs pinnace registers at start-up: `src/pinnace/api/crds/*.yaml`.

Run: `.venv/bin/python scripts/generate_crds.py` (writes) or with `--check`.

Like controller-gen, this inlines the built-in types a kind embeds (a Notebook's
PodSpec, an InferenceService predictor's PodSpec and Container fields) from
`pinnace.api.schemas` as structural schemas; everything else is spelled here.
Repeated parts are the same Python object, so the YAML shares them with anchors.
The pipeline kinds are ours: see docs/design/pipeline-kinds.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from pinnace.api import schemas

OUT = Path(__file__).resolve().parent.parent / "src/pinnace/api/crds"
S = dict[str, Any]

STRING: S = {"type": "string"}
BOOL: S = {"type": "boolean"}
INT32: S = {"type": "integer", "format": "int32"}
INT64: S = {"type": "integer", "format": "int64"}
DATE_TIME: S = {"type": "string", "format": "date-time"}
STRINGS: S = {"type": "array", "items": STRING}
STRING_MAP: S = {"type": "object", "additionalProperties": STRING}
FREE: S = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
QUANTITY = schemas.inline(
    {"$ref": schemas.REF_PREFIX + "io.k8s.apimachinery.pkg.api.resource.Quantity"}
)


def obj(props: S, required: list[str] | None = None, **extra: Any) -> S:
    out: S = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    out.update(extra)
    return out


def array(items: S, **extra: Any) -> S:
    return {"type": "array", "items": items, **extra}


def builtin(name: str) -> S:
    return schemas.inline({"$ref": schemas.REF_PREFIX + name}, crd=True)


POD_SPEC = builtin("io.k8s.api.core.v1.PodSpec")
CONTAINER = builtin("io.k8s.api.core.v1.Container")
CONTAINER_STATE = builtin("io.k8s.api.core.v1.ContainerState")

STATUS_ENUM: S = {"type": "string", "enum": ["True", "False", "Unknown"]}
CONDITION = obj(
    {
        "type": STRING,
        "status": STATUS_ENUM,
        "reason": STRING,
        "message": STRING,
        "lastTransitionTime": DATE_TIME,
        "observedGeneration": INT64,
    },
    ["type", "status"],
)
CONDITIONS = array(
    CONDITION, **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
)


def column(name: str, type_: str, path: str, description: str = "", priority: int = 0) -> S:
    out: S = {"name": name, "type": type_, "jsonPath": path}
    if description:
        out["description"] = description
    if priority:
        out["priority"] = priority
    return out


AGE = column("Age", "date", ".metadata.creationTimestamp")


def crd(
    *,
    group: str,
    kind: str,
    plural: str,
    versions: list[S],
    scope: str = "Namespaced",
    short_names: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
) -> S:
    names: S = {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()}
    if short_names:
        names["shortNames"] = list(short_names)
    if categories:
        names["categories"] = list(categories)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "names": names, "scope": scope, "versions": versions},
    }


def version(name: str, schema: S, columns: list[S], *, storage: bool = True) -> S:
    return {
        "name": name,
        "served": True,
        "storage": storage,
        "schema": {"openAPIV3Schema": schema},
        "subresources": {"status": {}},
        "additionalPrinterColumns": columns,
    }


def root(spec: S, status: S, *, spec_required: bool = True) -> S:
    props = {"apiVersion": STRING, "kind": STRING, "metadata": {"type": "object"}}
    return obj({**props, "spec": spec, "status": status}, ["spec"] if spec_required else None)


# -- kubeflow.org Notebook, Profile ---------------------------------------------


def notebook() -> S:
    schema = root(
        obj({"template": obj({"spec": POD_SPEC})}),
        obj(
            {
                "conditions": array(
                    obj(
                        {
                            "type": STRING,
                            "status": STRING,
                            "reason": STRING,
                            "message": STRING,
                            "lastProbeTime": DATE_TIME,
                            "lastTransitionTime": DATE_TIME,
                            "observedGeneration": INT64,
                        },
                        ["type", "status"],
                    )
                ),
                "readyReplicas": INT32,
                "containerState": CONTAINER_STATE,
                # pinnace's controllers stamp the generation they acted on (upstream has none).
                "observedGeneration": INT64,
            }
        ),
    )
    columns = [
        column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status'),
        column("Replicas", "integer", ".status.readyReplicas", "Ready replicas (0 or 1)", 1),
        column("Image", "string", ".spec.template.spec.containers[0].image"),
        column(
            "Stopped",
            "date",
            ".metadata.annotations.kubeflow-resource-stopped",
            "When the notebook was stopped (culled or by the user)",
        ),
        AGE,
    ]
    return crd(
        group="kubeflow.org",
        kind="Notebook",
        plural="notebooks",
        versions=[
            version("v1", schema, columns),
            version("v1beta1", schema, columns, storage=False),
        ],
    )


def profile() -> S:
    subject = obj(
        {"kind": STRING, "apiGroup": STRING, "name": STRING, "namespace": STRING}, ["kind", "name"]
    )
    quota = obj(
        {
            "hard": {"type": "object", "additionalProperties": QUANTITY},
            "scopes": STRINGS,
            "scopeSelector": FREE,
        }
    )
    plugin = obj({"apiVersion": STRING, "kind": STRING, "spec": FREE})
    schema = root(
        obj({"owner": subject, "resourceQuotaSpec": quota, "plugins": array(plugin)}),
        obj(
            {
                # upstream's ProfileCondition is type/status/message; the kit's conditions
                # (reason, transition time, observed generation) need the rest kept
                "conditions": array(
                    obj(
                        {
                            "type": STRING,
                            "status": STRING,
                            "reason": STRING,
                            "message": STRING,
                            "lastTransitionTime": DATE_TIME,
                            "observedGeneration": INT64,
                        }
                    )
                ),
                "observedGeneration": INT64,
            }
        ),
        spec_required=False,
    )
    columns = [
        column("Owner", "string", ".spec.owner.name"),
        column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status'),
        AGE,
    ]
    return crd(
        group="kubeflow.org",
        kind="Profile",
        plural="profiles",
        scope="Cluster",
        versions=[version("v1", schema, columns)],
    )


# -- serving.kserve.io InferenceService -------------------------------------------


def _pod_props() -> S:
    return dict(POD_SPEC["properties"])


COMPONENT_EXTENSION: S = {
    "minReplicas": {"type": "integer", "minimum": 0},
    "maxReplicas": {"type": "integer", "minimum": 0},
    "scaleTarget": {"type": "integer"},
    "scaleMetric": {"type": "string", "enum": ["cpu", "memory", "concurrency", "rps"]},
    "scaleMetricType": {"type": "string", "enum": ["Utilization", "AverageValue"]},
    "containerConcurrency": INT64,
    "timeout": INT64,
    "canaryTrafficPercent": {"type": "integer", "minimum": 0, "maximum": 100, "format": "int64"},
    "logger": obj(
        {"url": STRING, "mode": {"type": "string", "enum": ["all", "request", "response"]}}
    ),
    "batcher": obj(
        {
            "maxBatchSize": {"type": "integer"},
            "maxLatency": {"type": "integer"},
            "timeout": {"type": "integer"},
        }
    ),
    "labels": STRING_MAP,
    "annotations": STRING_MAP,
    "deploymentStrategy": FREE,
    "autoScaling": FREE,
}
EXTENSION = obj(
    {
        **{k: v for k, v in CONTAINER["properties"].items()},
        "storageUri": STRING,
        "runtimeVersion": STRING,
        "protocolVersion": {"type": "string", "enum": ["v1", "v2", "grpc-v1", "grpc-v2"]},
        "storage": FREE,
    }
)
MODEL = obj(
    {
        **EXTENSION["properties"],
        "modelFormat": obj({"name": STRING, "version": STRING}, ["name"]),
        "runtime": STRING,
    },
    ["modelFormat"],
)
FRAMEWORKS = (
    "sklearn",
    "xgboost",
    "lightgbm",
    "onnx",
    "tensorflow",
    "pytorch",
    "triton",
    "paddle",
    "pmml",
    "huggingface",
)
COMPONENT_STATUS = obj(
    {
        "url": STRING,
        "restURL": STRING,
        "grpcURL": STRING,
        "address": obj({"url": STRING, "name": STRING}),
        "traffic": array(
            obj(
                {
                    "tag": STRING,
                    "revisionName": STRING,
                    "configurationName": STRING,
                    "latestRevision": BOOL,
                    "percent": INT64,
                    "url": STRING,
                }
            )
        ),
        "latestReadyRevision": STRING,
        "latestCreatedRevision": STRING,
        "previousRolledoutRevision": STRING,
        "latestRolledoutRevision": STRING,
    }
)
KNATIVE_CONDITION = obj(
    {
        "type": STRING,
        "status": STRING,
        "severity": STRING,
        "reason": STRING,
        "message": STRING,
        "lastTransitionTime": DATE_TIME,
    },
    ["type", "status"],
)


def inference_service() -> S:
    predictor = obj(
        {
            **_pod_props(),
            **COMPONENT_EXTENSION,
            "model": MODEL,
            **{name: EXTENSION for name in FRAMEWORKS},
            "workerSpec": FREE,
        }
    )
    transformer = obj({**_pod_props(), **COMPONENT_EXTENSION})
    explainer = obj(
        {**_pod_props(), **COMPONENT_EXTENSION, "art": FREE},
        **{"x-kubernetes-preserve-unknown-fields": True},
    )
    status = obj(
        {
            "url": STRING,
            "address": obj({"url": STRING, "name": STRING, "CACerts": STRING, "audience": STRING}),
            "conditions": array(KNATIVE_CONDITION),
            "components": {"type": "object", "additionalProperties": COMPONENT_STATUS},
            "modelStatus": obj(
                {
                    "transitionStatus": {
                        "type": "string",
                        "enum": [
                            "",
                            "UpToDate",
                            "InProgress",
                            "BlockedByFailedLoad",
                            "InvalidSpec",
                        ],
                    },
                    "states": obj(
                        {"activeModelState": STRING, "targetModelState": STRING},
                        ["activeModelState"],
                    ),
                    "lastFailureInfo": obj(
                        {
                            "reason": STRING,
                            "message": STRING,
                            "location": STRING,
                            "modelRevisionName": STRING,
                            "exitCode": INT32,
                            "time": DATE_TIME,
                        }
                    ),
                    "copies": obj(
                        {"failedCopies": {"type": "integer"}, "totalCopies": {"type": "integer"}},
                        ["failedCopies"],
                    ),
                }
            ),
            "observedGeneration": INT64,
            "annotations": STRING_MAP,
            "deploymentMode": STRING,
        }
    )
    schema = root(
        obj(
            {"predictor": predictor, "transformer": transformer, "explainer": explainer},
            ["predictor"],
        ),
        status,
    )
    traffic = ".status.components.predictor.traffic"
    columns = [
        column("URL", "string", ".status.url"),
        column("Ready", "string", '.status.conditions[?(@.type=="Ready")].status'),
        column("Prev", "integer", traffic + '[?(@.tag=="prev")].percent'),
        column("Latest", "integer", traffic + "[?(@.latestRevision==true)].percent"),
        column("PrevRolledoutRevision", "string", traffic + '[?(@.tag=="prev")].revisionName'),
        column(
            "LatestReadyRevision", "string", traffic + "[?(@.latestRevision==true)].revisionName"
        ),
        AGE,
    ]
    return crd(
        group="serving.kserve.io",
        kind="InferenceService",
        plural="inferenceservices",
        short_names=("isvc",),
        versions=[version("v1beta1", schema, columns)],
    )


def _serving_runtime(kind: str, plural: str, scope: str) -> S:
    """KServe's ServingRuntime / ClusterServingRuntime (`v1alpha1`, one schema for both)."""
    pod = POD_SPEC["properties"]
    fmt = obj(
        {
            "name": STRING,
            "version": STRING,
            "autoSelect": BOOL,
            "priority": {"type": "integer", "format": "int32", "minimum": 1},
        },
        ["name"],
    )
    spec = obj(
        {
            "supportedModelFormats": array(fmt),
            "multiModel": BOOL,
            "disabled": BOOL,
            "protocolVersions": STRINGS,
            "containers": array(CONTAINER),
            **{
                key: pod[key]
                for key in (
                    "volumes",
                    "nodeSelector",
                    "affinity",
                    "tolerations",
                    "imagePullSecrets",
                    "schedulerName",
                    "hostIPC",
                    "hostNetwork",
                    "dnsPolicy",
                )
            },
            "labels": STRING_MAP,
            "annotations": STRING_MAP,
            "grpcEndpoint": STRING,
            "grpcDataEndpoint": STRING,
            "httpDataEndpoint": STRING,
            "replicas": {"type": "integer", "minimum": 0},
            "storageHelper": obj({"disabled": BOOL}),
            "builtInAdapter": FREE,
            "workerSpec": FREE,
        },
        ["containers"],
    )
    columns = [
        column("Disabled", "boolean", ".spec.disabled"),
        column("ModelType", "string", ".spec.supportedModelFormats[*].name"),
        column("Containers", "string", ".spec.containers[*].name"),
        AGE,
    ]
    return crd(
        group="serving.kserve.io",
        kind=kind,
        plural=plural,
        scope=scope,
        versions=[version("v1alpha1", root(spec, {"type": "object"}), columns)],
    )


def serving_runtime() -> S:
    return _serving_runtime("ServingRuntime", "servingruntimes", "Namespaced")


def cluster_serving_runtime() -> S:
    return _serving_runtime("ClusterServingRuntime", "clusterservingruntimes", "Cluster")


# -- networking.istio.io VirtualService ----------------------------------------------

STRING_MATCH = obj({"exact": STRING, "prefix": STRING, "regex": STRING}, maxProperties=1)
STRING_MATCH_MAP: S = {"type": "object", "additionalProperties": STRING_MATCH}
HEADER_OPS = obj({"set": STRING_MAP, "add": STRING_MAP, "remove": STRINGS})
HEADERS = obj({"request": HEADER_OPS, "response": HEADER_OPS})


def virtual_service() -> S:
    match = obj(
        {
            "name": STRING,
            "uri": STRING_MATCH,
            "scheme": STRING_MATCH,
            "method": STRING_MATCH,
            "authority": STRING_MATCH,
            "headers": STRING_MATCH_MAP,
            "queryParams": STRING_MATCH_MAP,
            "withoutHeaders": STRING_MATCH_MAP,
            "port": {"type": "integer", "minimum": 0, "maximum": 4294967295},
            "sourceLabels": STRING_MAP,
            "gateways": STRINGS,
            "ignoreUriCase": BOOL,
            "sourceNamespace": STRING,
            "statPrefix": STRING,
        }
    )
    destination = obj(
        {
            "host": STRING,
            "subset": STRING,
            "port": obj({"number": {"type": "integer", "minimum": 0, "maximum": 4294967295}}),
        },
        ["host"],
    )
    route = obj({"destination": destination, "weight": INT32, "headers": HEADERS}, ["destination"])
    http = obj(
        {
            "name": STRING,
            "match": array(match),
            "route": array(route),
            "redirect": FREE,
            "directResponse": FREE,
            "delegate": obj({"name": STRING, "namespace": STRING}),
            "rewrite": obj(
                {
                    "uri": STRING,
                    "authority": STRING,
                    "uriRegexRewrite": obj({"match": STRING, "rewrite": STRING}),
                }
            ),
            "timeout": {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"},
            "retries": obj(
                {
                    "attempts": INT32,
                    "perTryTimeout": STRING,
                    "retryOn": STRING,
                    "retryRemoteLocalities": {"type": "boolean", "nullable": True},
                }
            ),
            "fault": FREE,
            "mirror": FREE,
            "mirrors": array(FREE),
            "mirrorPercentage": FREE,
            "corsPolicy": obj(
                {
                    "allowOrigins": array(STRING_MATCH),
                    "allowMethods": STRINGS,
                    "allowHeaders": STRINGS,
                    "exposeHeaders": STRINGS,
                    "maxAge": STRING,
                    "allowCredentials": {"type": "boolean", "nullable": True},
                    "unmatchedPreflights": {
                        "type": "string",
                        "enum": ["UNSPECIFIED", "FORWARD", "IGNORE"],
                    },
                }
            ),
            "headers": HEADERS,
        }
    )
    spec = obj(
        {
            "hosts": STRINGS,
            "gateways": STRINGS,
            "exportTo": STRINGS,
            "http": array(http),
            "tls": array(FREE),
            "tcp": array(FREE),
        }
    )
    schema = root(spec, FREE)
    columns = [
        column(
            "Gateways",
            "string",
            ".spec.gateways",
            "The names of gateways and sidecars that should apply these routes",
        ),
        column(
            "Hosts", "string", ".spec.hosts", "The destination hosts to which traffic is being sent"
        ),
        AGE,
    ]
    return crd(
        group="networking.istio.io",
        kind="VirtualService",
        plural="virtualservices",
        short_names=("vs",),
        categories=("istio-io", "networking-istio-io"),
        versions=[version("v1", schema, columns)],
    )


# -- pipelines.kubeflow.org PipelineRun, RecurringRun (docs/design/pipeline-kinds.md) ----

RUNTIME_STATES = [
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "SKIPPED",
    "FAILED",
    "CANCELING",
    "CANCELED",
    "PAUSED",
]
RUN_TEMPLATE_PROPS: S = {
    "displayName": STRING,
    "description": STRING,
    "experiment": STRING,
    "pipelineSpec": FREE,
    "platformSpec": FREE,
    "pipelineVersionRef": obj({"pipelineId": STRING, "pipelineVersionId": STRING}),
    "runtimeConfig": obj(
        {
            "parameters": FREE,
            "pipelineRoot": STRING,
        }
    ),
    "enableCaching": {"type": "boolean", "nullable": True},
    "serviceAccountName": STRING,
}
STATE: S = {"type": "string", "enum": RUNTIME_STATES}
RUN_ERROR = obj({"code": INT32, "message": STRING})


def pipeline_run() -> S:
    task = obj(
        {
            "taskId": STRING,
            "name": STRING,
            "displayName": STRING,
            "parentTaskId": STRING,
            "state": STATE,
            "startedAt": DATE_TIME,
            "finishedAt": DATE_TIME,
            "podName": STRING,
            "executionId": STRING,
            "cached": BOOL,
            "attempts": INT32,
            "iterationIndex": INT32,
            "inputs": FREE,
            "outputs": FREE,
            "error": RUN_ERROR,
        },
        ["taskId", "name"],
    )
    spec = obj(
        {
            **RUN_TEMPLATE_PROPS,
            "cancel": {"type": "boolean", "default": False},
            "retries": {"type": "integer", "format": "int32", "minimum": 0},
        }
    )
    status = obj(
        {
            "state": STATE,
            "startedAt": DATE_TIME,
            "finishedAt": DATE_TIME,
            "observedGeneration": INT64,
            "conditions": CONDITIONS,
            "error": RUN_ERROR,
            "retries": INT32,
            "pipelineRoot": STRING,
            "outputs": FREE,
            "tasks": array(
                task, **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["taskId"]}
            ),
            "stateHistory": array(
                obj({"state": STATE, "updateTime": DATE_TIME, "error": RUN_ERROR})
            ),
        }
    )
    columns = [
        column("State", "string", ".status.state"),
        column("Display Name", "string", ".spec.displayName", priority=1),
        column("Experiment", "string", ".spec.experiment", priority=1),
        column("Started", "date", ".status.startedAt"),
        column("Finished", "date", ".status.finishedAt"),
        AGE,
    ]
    return crd(
        group="pipelines.kubeflow.org",
        kind="PipelineRun",
        plural="pipelineruns",
        short_names=("plr",),
        categories=("kubeflow", "pipelines"),
        versions=[version("v1alpha1", root(spec, status), columns)],
    )


CRON = r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every [0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h)+|(\S+\s+){5}\S+)$"


def recurring_run() -> S:
    trigger = obj(
        {
            "cron": obj(
                {"expression": {"type": "string", "pattern": CRON}, "timezone": STRING},
                ["expression"],
            ),
            "periodic": obj(
                {"intervalSeconds": {"type": "integer", "format": "int64", "minimum": 1}},
                ["intervalSeconds"],
            ),
        },
        minProperties=1,
        maxProperties=1,
    )
    spec = obj(
        {
            "displayName": STRING,
            "description": STRING,
            "trigger": trigger,
            "startTime": DATE_TIME,
            "endTime": DATE_TIME,
            "maxConcurrency": {
                "type": "integer",
                "format": "int64",
                "minimum": 1,
                "maximum": 10,
                "default": 1,
            },
            "noCatchup": {"type": "boolean", "default": False},
            "mode": {"type": "string", "enum": ["ENABLE", "DISABLE"], "default": "ENABLE"},
            "runTemplate": obj(RUN_TEMPLATE_PROPS),
        },
        ["trigger", "runTemplate"],
    )
    status = obj(
        {
            "lastScheduledTime": DATE_TIME,
            "nextScheduledTime": DATE_TIME,
            "active": array(STRING),
            "observedGeneration": INT64,
            "conditions": CONDITIONS,
        }
    )
    columns = [
        column("Mode", "string", ".spec.mode"),
        column("Schedule", "string", ".spec.trigger.cron.expression"),
        column(
            "Interval",
            "integer",
            ".spec.trigger.periodic.intervalSeconds",
            "Seconds between runs",
            1,
        ),
        column("Last Scheduled", "date", ".status.lastScheduledTime"),
        AGE,
    ]
    return crd(
        group="pipelines.kubeflow.org",
        kind="RecurringRun",
        plural="recurringruns",
        short_names=("rr",),
        categories=("kubeflow", "pipelines"),
        versions=[version("v1alpha1", root(spec, status), columns)],
    )


# -- pipelines.kubeflow.org/v2beta1 Pipeline, PipelineVersion (KFP's KEP-11551 shapes) --------

NAME_PATTERN = r"^[a-z0-9]([a-z0-9\.\-]*[a-z0-9])?$"


def pipeline() -> S:
    """Upstream's Pipeline (`spec.description`); `spec.displayName` is ours (KFP's display_name)."""
    schema = root(obj({"description": STRING, "displayName": STRING}), FREE, spec_required=False)
    schema["properties"].pop("status")
    columns = [column("Display Name", "string", ".spec.displayName", priority=1), AGE]
    out = crd(
        group="pipelines.kubeflow.org",
        kind="Pipeline",
        plural="pipelines",
        categories=("kubeflow", "pipelines"),
        versions=[version("v2beta1", schema, columns)],
    )
    out["spec"]["versions"][0].pop("subresources")
    return out


def pipeline_version() -> S:
    """Upstream's PipelineVersion: the IR in `spec.pipelineSpec`, its Pipeline by `pipelineName`."""
    spec = obj(
        {
            "description": STRING,
            "codeSourceURL": STRING,
            "pipelineName": STRING,
            "versionName": {"type": "string", "maxLength": 253, "pattern": NAME_PATTERN},
            "displayName": STRING,
            "pipelineSpec": {"x-kubernetes-preserve-unknown-fields": True},
            "platformSpec": {"x-kubernetes-preserve-unknown-fields": True},
            "pipelineSpecURI": STRING,
            "tags": STRING_MAP,
        },
        ["pipelineSpec"],
    )
    condition = obj(
        {
            "type": {"type": "string", "maxLength": 316},
            "status": STATUS_ENUM,
            "reason": STRING,
            "message": {"type": "string", "maxLength": 32768},
        },
        ["type", "status", "message"],
    )
    status = obj({"conditions": array(condition)})
    columns = [
        column("Pipeline", "string", ".spec.pipelineName"),
        column("Display Name", "string", ".spec.displayName", priority=1),
        AGE,
    ]
    return crd(
        group="pipelines.kubeflow.org",
        kind="PipelineVersion",
        plural="pipelineversions",
        categories=("kubeflow", "pipelines"),
        versions=[version("v2beta1", root(spec, status), columns)],
    )


def experiment() -> S:
    """Ours (KFP keeps experiments in MySQL): docs/design/kfp-api.md."""
    spec = obj({"displayName": STRING, "description": STRING})
    columns = [
        column("Display Name", "string", ".spec.displayName"),
        AGE,
    ]
    return crd(
        group="pipelines.kubeflow.org",
        kind="Experiment",
        plural="experiments",
        categories=("kubeflow", "pipelines"),
        versions=[version("v1alpha1", root(spec, FREE, spec_required=False), columns)],
    )


CRDS = {
    "notebooks.kubeflow.org": notebook,
    "profiles.kubeflow.org": profile,
    "inferenceservices.serving.kserve.io": inference_service,
    "servingruntimes.serving.kserve.io": serving_runtime,
    "clusterservingruntimes.serving.kserve.io": cluster_serving_runtime,
    "virtualservices.networking.istio.io": virtual_service,
    "pipelineruns.pipelines.kubeflow.org": pipeline_run,
    "recurringruns.pipelines.kubeflow.org": recurring_run,
    "experiments.pipelines.kubeflow.org": experiment,
    "pipelines.pipelines.kubeflow.org": pipeline,
    "pipelineversions.pipelines.kubeflow.org": pipeline_version,
}


def share(node: Any, seen: dict[str, Any]) -> Any:
    """Equal subtrees (of some size) become one object, so YAML writes them once (anchors)."""
    if isinstance(node, list):
        return [share(v, seen) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: share(v, seen) for k, v in node.items()}
    key = json.dumps(node, sort_keys=True)
    if len(key) < 400:
        return node
    return seen.setdefault(key, node)


def render(name: str) -> str:
    header = f"# Generated by scripts/generate_crds.py; do not edit. CRD {name}.\n"
    return header + yaml.safe_dump(share(CRDS[name](), {}), sort_keys=False, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for name in CRDS:
        path = OUT / f"{name}.yaml"
        text = render(name)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
            print(f"wrote {path} ({len(text) // 1024} KiB)")
    if stale:
        print(f"stale: {', '.join(stale)}; rerun {Path(__file__).name}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
