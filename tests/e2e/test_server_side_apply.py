"""`kubectl apply --server-side` against a real `pinnace up`: apply, no-op re-apply,
conflicts between field managers, `--force-conflicts`, CRDs (KServe's included)
and custom resources, and client-side apply / edit beside it."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from tests.e2e.conftest import Platform

import pinnace.api.crds

WORKLOADS = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: main
        image: registry.k8s.io/pause:3.9
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data: {mode: fast}
"""

WIDGETS = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.ssa.pinnace.dev
spec:
  group: ssa.pinnace.dev
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
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
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer}
"""


def widget(size: int, *ports: tuple[str, int]) -> str:
    items = "".join(f"\n    - {{name: {name}, port: {port}}}" for name, port in ports)
    listed = f"\n  ports:{items}" if ports else ""
    return f"""
apiVersion: ssa.pinnace.dev/v1
kind: Widget
metadata: {{name: w}}
spec:
  size: {size}{listed}
"""


def server_side(platform: Platform, manifest: str, *args: str, check: bool = True) -> Any:
    return platform.kubectl("apply", "--server-side", *args, "-f", "-", input=manifest, check=check)


def versions(platform: Platform, namespace: str, *names: str) -> list[str]:
    return [
        platform.kubectl_yaml("get", "-n", namespace, name)["metadata"]["resourceVersion"]
        for name in names
    ]


def managers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"]["managedFields"]}


def test_apply_workloads_and_reapply_is_a_noop(platform: Platform, namespace: str) -> None:
    out = server_side(platform, WORKLOADS, "-n", namespace).stdout
    assert "deployment.apps/web serverside-applied" in out
    assert "service/web serverside-applied" in out
    assert "configmap/web-settings serverside-applied" in out
    names = ("deployment/web", "service/web", "configmap/web-settings")
    # The pause pod runs and becomes Ready: let the rollout's status writes finish first.
    platform.kubectl("rollout", "status", "-n", namespace, "deployment/web", "--timeout=60s")
    before = versions(platform, namespace, *names)
    server_side(platform, WORKLOADS, "-n", namespace)
    assert versions(platform, namespace, *names) == before

    deployment = platform.kubectl_yaml(
        "get", "-n", namespace, "deployment/web", "--show-managed-fields"
    )
    entry = managers(deployment)["kubectl"]
    assert entry["operation"] == "Apply"
    assert entry["apiVersion"] == "apps/v1"
    assert entry["fieldsType"] == "FieldsV1"
    assert entry["time"]
    fields = entry["fieldsV1"]["f:spec"]
    assert "f:replicas" in fields
    container = fields["f:template"]["f:spec"]["f:containers"]['k:{"name":"main"}']
    assert set(container) == {".", "f:name", "f:image", "f:ports"}
    assert 'k:{"containerPort":8080,"protocol":"TCP"}' in container["f:ports"]
    # Defaults the server filled are owned by nobody.
    assert "f:strategy" not in fields
    service = platform.kubectl_yaml("get", "-n", namespace, "service/web", "--show-managed-fields")
    ports = managers(service)["kubectl"]["fieldsV1"]["f:spec"]["f:ports"]
    assert list(ports) == ['k:{"port":80,"protocol":"TCP"}']
    assert service["spec"]["clusterIP"]
    plain = platform.kubectl_yaml("get", "-n", namespace, "service/web")
    assert "managedFields" not in plain["metadata"]


def test_conflict_between_managers_and_force(platform: Platform, namespace: str) -> None:
    replicas = WORKLOADS.split("---")[0]
    server_side(platform, replicas, "-n", namespace, "--field-manager", "a")
    changed = replicas.replace("replicas: 1", "replicas: 3")
    refused = server_side(platform, changed, "-n", namespace, "--field-manager", "b", check=False)
    assert refused.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "a": .spec.replicas' in refused.stderr
    deployment = platform.kubectl_yaml("get", "-n", namespace, "deployment/web")
    assert deployment["spec"]["replicas"] == 1

    server_side(platform, changed, "-n", namespace, "--field-manager", "b", "--force-conflicts")
    deployment = platform.kubectl_yaml(
        "get", "-n", namespace, "deployment/web", "--show-managed-fields"
    )
    assert deployment["spec"]["replicas"] == 3
    owners = managers(deployment)
    assert "f:replicas" in owners["b"]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in owners["a"]["fieldsV1"]["f:spec"]
    # `a` still shares the fields both apply with the same values.
    assert "f:template" in owners["a"]["fieldsV1"]["f:spec"]


def test_client_side_apply_then_server_side(platform: Platform, namespace: str) -> None:
    deployment = WORKLOADS.split("---")[0]
    platform.kubectl("apply", "-n", namespace, "-f", "-", input=deployment)
    again = platform.kubectl("apply", "-n", namespace, "-f", "-", input=deployment).stdout
    assert "unchanged" in again
    scaled = deployment.replace("replicas: 1", "replicas: 2")
    refused = server_side(platform, scaled, "-n", namespace, "--field-manager", "ops", check=False)
    assert (
        'conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas' in refused.stderr
    )
    # kubectl's own manager upgrades from client-side apply without a conflict,
    # and keeps the last-applied annotation in step.
    server_side(platform, scaled, "-n", namespace)
    live = platform.kubectl_yaml("get", "-n", namespace, "deployment/web")
    assert live["spec"]["replicas"] == 2
    last = yaml.safe_load(
        live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    )
    assert last["spec"]["replicas"] == 2


def test_edit_and_patch_are_tracked(platform: Platform, namespace: str) -> None:
    settings = WORKLOADS.split("---")[2]
    server_side(platform, settings, "-n", namespace)
    editor = "sed -i -e 's/mode: fast/mode: slow/'"
    subprocess.run(
        ["kubectl", "edit", "-n", namespace, "configmap/web-settings"],
        env={**platform.env(), "KUBE_EDITOR": editor, "EDITOR": editor},
        check=True,
        capture_output=True,
        timeout=60,
    )
    platform.kubectl("label", "-n", namespace, "configmap/web-settings", "team=ml")
    cm = platform.kubectl_yaml(
        "get", "-n", namespace, "configmap/web-settings", "--show-managed-fields"
    )
    assert cm["data"]["mode"] == "slow"
    owners = managers(cm)
    assert owners["kubectl-edit"]["operation"] == "Update"
    assert owners["kubectl-edit"]["fieldsV1"] == {"f:data": {"f:mode": {}}}
    assert "f:team" in owners["kubectl-label"]["fieldsV1"]["f:metadata"]["f:labels"]
    # The edit took `data.mode` from the applier, so re-applying it is a conflict.
    refused = server_side(platform, settings, "-n", namespace, check=False)
    assert 'conflict with "kubectl-edit" using v1: .data.mode' in refused.stderr


def test_apply_crds_and_custom_resources(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    kserve = Path(pinnace.api.crds.__file__).parent / "inferenceservices.serving.kserve.io.yaml"
    out = platform.kubectl("apply", "--server-side", "-f", str(kserve)).stdout
    assert (
        "customresourcedefinition.apiextensions.k8s.io/inferenceservices.serving.kserve.io" in out
    )
    crd = "crd/inferenceservices.serving.kserve.io"
    before = platform.kubectl_yaml("get", crd)["metadata"]["resourceVersion"]
    platform.kubectl("apply", "--server-side", "-f", str(kserve))
    assert platform.kubectl_yaml("get", crd)["metadata"]["resourceVersion"] == before

    crd_file = tmp_path / "widgets.yaml"
    crd_file.write_text(WIDGETS)
    platform.kubectl("apply", "--server-side", "-f", str(crd_file))
    platform.kubectl("wait", "--for=condition=Established", "crd/widgets.ssa.pinnace.dev")
    server_side(platform, widget(1, ("http", 80)), "-n", namespace, "--field-manager", "a")
    # Another manager adds an item of the list map: merged by key, no conflict.
    server_side(platform, widget(1, ("metrics", 9090)), "-n", namespace, "--field-manager", "b")
    live = platform.kubectl_yaml("get", "-n", namespace, "widget/w", "--show-managed-fields")
    assert [p["name"] for p in live["spec"]["ports"]] == ["http", "metrics"]
    owners = managers(live)
    assert 'k:{"name":"http"}' in owners["a"]["fieldsV1"]["f:spec"]["f:ports"]
    assert 'k:{"name":"metrics"}' in owners["b"]["fieldsV1"]["f:spec"]["f:ports"]
    rv = live["metadata"]["resourceVersion"]
    server_side(platform, widget(1, ("metrics", 9090)), "-n", namespace, "--field-manager", "b")
    assert (
        platform.kubectl_yaml("get", "-n", namespace, "widget/w")["metadata"]["resourceVersion"]
        == rv
    )
    # `a` stops applying its port: it goes, as nobody else owns it.
    server_side(platform, widget(1), "-n", namespace, "--field-manager", "a")
    ports = platform.kubectl_yaml("get", "-n", namespace, "widget/w")["spec"]["ports"]
    assert [p["name"] for p in ports] == ["metrics"]
    refused = server_side(platform, widget(2), "-n", namespace, "--field-manager", "b", check=False)
    assert 'conflict with "a": .spec.size' in refused.stderr


def test_apply_needs_a_field_manager_and_the_right_kind(platform: Platform, namespace: str) -> None:
    def patch(url: str, body: str) -> tuple[int, str]:
        req = urllib.request.Request(
            f"{platform.url}{url}",
            data=body.encode(),
            method="PATCH",
            headers={
                "Content-Type": "application/apply-patch+yaml",
                "Authorization": f"Bearer {platform.token}",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    path = f"/api/v1/namespaces/{namespace}/configmaps/web-settings"
    body = WORKLOADS.split("---")[2]
    code, text = patch(path, body)
    assert code == 422
    assert "fieldManager: Required value: is required for apply patch" in text
    code, text = patch(path + "?fieldManager=x", body.replace("kind: ConfigMap", "kind: Secret"))
    assert (code, "invalid object type: /v1, Kind=Secret" in text) == (400, True)
    code, _ = patch(path + "?fieldManager=x", body)
    assert code == 201
