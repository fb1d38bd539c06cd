"""kubectl's validation path through `/openapi/v2`: unknown kinds and not-yet-known CRD kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.apiserver.kubectl_server import Kubectl, Served, write_kubeconfig

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
"""

pytestmark = pytest.mark.slow


async def _apply(kubectl: Kubectl, tmp_path: Path, name: str, text: str) -> tuple[int, str]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return await kubectl("apply", "-f", str(path))


async def test_kubectl_apply_validates_through_the_server(tmp_path: Path) -> None:
    async with Served(tmp_path / "data") as served:
        kubectl = Kubectl(write_kubeconfig(tmp_path / "kubeconfig", served.url), tmp_path)
        code, out = await _apply(
            kubectl, tmp_path, "gadget", "apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n"
        )
        assert code != 0 and 'no matches for kind "Gadget" in version "v1"' in out
        code, out = await _apply(kubectl, tmp_path, "crd", CRD)
        assert code == 0, out
        assert "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created" in out
        widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 2, colour: red}\n"
        code, out = await _apply(kubectl, tmp_path, "widget", widget)
        assert code != 0 and 'strict decoding error: unknown field "spec.colour"' in out
        code, out = await _apply(kubectl, tmp_path, "widget", widget.replace(", colour: red", ""))
        assert code == 0 and "widget.example.com/w created" in out, out
