from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml

from pinnace.api import builtins, crds, infos, openapi
from pinnace.apiserver import app, server


def test_builtin_document() -> None:
    doc = openapi.document("apps", "v1", builtins.BUILTINS)
    comps = doc["components"]["schemas"]
    assert "io.k8s.api.apps.v1.Deployment" in comps
    assert "io.k8s.api.core.v1.PodSpec" in comps
    assert "io.k8s.api.autoscaling.v1.Scale" in comps
    assert "io.k8s.api.core.v1.ConfigMap" not in comps
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert any(p["name"] == "fieldValidation" for p in patch["parameters"])
    # a $ref with siblings is served as allOf
    containers = comps["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    owner_refs = comps["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
    assert owner_refs["ownerReferences"]["x-kubernetes-patch-merge-key"] == "uid"


def test_custom_document_and_index(widget_crd: dict[str, Any]) -> None:
    crd_infos = infos.from_crd(widget_crd)
    doc = openapi.document("example.com", "v1", crd_infos)
    widget = doc["components"]["schemas"]["com.example.v1.Widget"]
    assert widget["x-kubernetes-group-version-kind"] == [
        {"group": "example.com", "version": "v1", "kind": "Widget"}
    ]
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in doc["components"]["schemas"]
    assert "/apis/example.com/v1/widgets/{name}" in doc["paths"]
    root = openapi.index({openapi.gv_path("example.com", "v1"): doc})
    url = root["paths"]["apis/example.com/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/example.com/v1?hash=")
    assert openapi.gv_path("", "v1") == "api/v1"


# --- every served document parses as OpenAPI 3.0 the way kube-openapi reads it ---

_NUMBER = (int, float)
_KEYWORD_TYPES: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "format": (str,),
    "description": (str,),
    "title": (str,),
    "pattern": (str,),
    "$ref": (str,),
    "required": (list,),
    "enum": (list,),
    "allOf": (list,),
    "anyOf": (list,),
    "oneOf": (list,),
    "not": (dict,),
    "items": (dict,),
    "properties": (dict,),
    "additionalProperties": (dict, bool),
    "nullable": (bool,),
    "uniqueItems": (bool,),
    "readOnly": (bool,),
    "exclusiveMaximum": (bool,),
    "exclusiveMinimum": (bool,),
    "maximum": _NUMBER,
    "minimum": _NUMBER,
    "multipleOf": _NUMBER,
    "maxLength": (int,),
    "minLength": (int,),
    "maxItems": (int,),
    "minItems": (int,),
    "maxProperties": (int,),
    "minProperties": (int,),
    "default": (object,),
    "example": (object,),
}
"""OpenAPI 3.0 Schema Object keywords and the JSON types kube-openapi's `spec.Schema` decodes."""


def _has_type(value: Any, allowed: tuple[type, ...]) -> bool:
    if allowed == (object,):
        return True
    if isinstance(value, bool):  # a bool is an int to Python, not to JSON
        return bool in allowed
    return isinstance(value, allowed)


def _schema_problems(node: Any, where: str, names: set[str]) -> list[str]:
    """Every way `node` is not an OpenAPI 3.0 schema kube-openapi can decode."""
    if not isinstance(node, dict):
        return [f"{where}: a schema must be an object, got {type(node).__name__}"]
    problems: list[str] = []
    for key, value in node.items():
        allowed = _KEYWORD_TYPES.get(key)
        if allowed is None:
            if not key.startswith("x-"):
                problems.append(f"{where}: unknown keyword {key!r}")
            continue
        if not _has_type(value, allowed):
            problems.append(f"{where}.{key}: {type(value).__name__} is not {allowed}")
            continue
        if key == "$ref":
            if len(node) > 1:
                problems.append(f"{where}: $ref with siblings (kube-openapi serves allOf)")
            if value.removeprefix("#/components/schemas/") not in names:
                problems.append(f"{where}: dangling $ref {value}")
        elif key == "required" and not all(isinstance(v, str) for v in value):
            problems.append(f"{where}.required: not a list of strings")
        elif key == "properties":
            for name, sub in value.items():
                problems += _schema_problems(sub, f"{where}.properties[{name!r}]", names)
        elif key in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(value):
                problems += _schema_problems(sub, f"{where}.{key}[{i}]", names)
        elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
            problems += _schema_problems(value, f"{where}.{key}", names)
    return problems


def _document_problems(doc: dict[str, Any]) -> list[str]:
    assert doc["openapi"].startswith("3.0.")
    components = doc["components"]["schemas"]
    names = set(components)
    problems: list[str] = []
    for name, schema in components.items():
        problems += _schema_problems(schema, name, names)
    for path, item in doc["paths"].items():
        declared = {p["name"] for p in item.get("parameters", ()) if p["in"] == "path"}
        for param in ("name", "namespace"):
            if "{" + param + "}" in path and param not in declared:
                problems.append(f"{path}: path parameter {param} not declared")
        for verb, op in item.items():
            if verb == "parameters":
                continue
            assert isinstance(op["x-kubernetes-group-version-kind"], dict), path
            bodies = [op.get("requestBody", {}), *op["responses"].values()]
            for body in bodies:
                for media in body.get("content", {}).values():
                    problems += _schema_problems(media["schema"], f"{path} {verb}", names)
    return problems


def _all_documents() -> dict[str, dict[str, Any]]:
    served = list(builtins.BUILTINS)
    for crd in crds.all_crds():
        served += infos.from_crd(crd)
    versions = {(i.group, i.version) for i in served}
    return {openapi.gv_path(g, v): openapi.document(g, v, served) for g, v in sorted(versions)}


@pytest.mark.parametrize("key", sorted(_all_documents()))
def test_every_document_is_decodable_openapi_3(key: str) -> None:
    doc = _all_documents()[key]
    assert _document_problems(doc) == []


def test_jsonschemaprops_fields_named_like_keywords_are_fields() -> None:
    doc = openapi.document("apiextensions.k8s.io", "v1", builtins.BUILTINS)
    props_name = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"
    props = doc["components"]["schemas"][props_name]
    assert "allOf" not in props and "$ref" not in props
    fields = props["properties"]
    assert fields["$ref"] == {"type": "string"}
    assert fields["allOf"]["items"] == {"$ref": "#/components/schemas/" + props_name}
    assert fields["anyOf"]["type"] == "array"
    assert fields["not"] == {"$ref": "#/components/schemas/" + props_name}


# --- real kubectl against an API server started here ---

_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def kubectl(tmp_path: Path) -> AsyncIterator[Kubectl]:
    api = server.ApiServer(tmp_path / "data")
    await api.start()
    port = _free_port()
    config = uvicorn.Config(
        app.build(api), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    while not srv.started:  # noqa: ASYNC110 - uvicorn offers no started event
        await asyncio.sleep(0.01)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "t", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "t", "user": {}}],
                "contexts": [{"name": "t", "context": {"cluster": "t", "user": "t"}}],
                "current-context": "t",
            }
        )
    )
    yield Kubectl(kubeconfig, home=tmp_path)
    srv.should_exit = True
    await task
    await api.stop()


class Kubectl:
    """Runs the real kubectl without blocking the event loop that serves it."""

    def __init__(self, kubeconfig: Path, *, home: Path) -> None:
        binary = shutil.which("kubectl")
        assert binary is not None, "kubectl is not on PATH: `make install` provides it"
        self.binary = binary
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home)}

    async def __call__(self, *args: str, input: str | None = None) -> str:
        proc = await asyncio.create_subprocess_exec(
            self.binary,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
        )
        out, err = await asyncio.wait_for(proc.communicate(input and input.encode()), 30)
        assert proc.returncode == 0, f"kubectl {' '.join(args)}:\n{out.decode()}{err.decode()}"
        return out.decode()


async def test_kubectl_apply_create_replace_crd_with_strict_validation(kubectl: Kubectl) -> None:
    assert "created" in await kubectl("apply", "-f", "-", input=_CRD)
    assert "unchanged" in await kubectl("apply", "-f", "-", input=_CRD)
    await kubectl("delete", "crd", "gadgets.example.com")
    assert "created" in await kubectl("create", "-f", "-", input=_CRD)
    assert "replaced" in await kubectl("replace", "-f", "-", input=_CRD)
    explained = await kubectl("explain", "pods.spec.containers")
    assert "KIND:       Pod" in explained and "<[]Container>" in explained
    notebooks = crds.crd("notebooks.kubeflow.org")
    await kubectl("apply", "-f", "-", input=json.dumps(notebooks))
    assert "FIELD: spec <Object>" in await kubectl("explain", "notebooks.spec")
