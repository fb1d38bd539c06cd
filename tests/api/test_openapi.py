from __future__ import annotations

from typing import Any

from pinnace.api import builtins, infos, openapi


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
