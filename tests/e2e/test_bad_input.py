"""Bad input through real clients: a clear Kubernetes-style error, nothing stored, still serving."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from tests.e2e.conftest import Platform


def _request(
    platform: Platform, method: str, path: str, body: bytes, content_type: str = "application/json"
) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        platform.url + path,
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {platform.token}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _count(platform: Platform, namespace: str) -> int:
    return len(platform.kubectl("get", "configmaps", "-n", namespace, "-o", "name").stdout.split())


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        pytest.param(
            b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {',
            "application/json",
            400,
            id="truncated-json",
        ),
        pytest.param(
            b"apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed",
            "application/yaml",
            400,
            id="broken-yaml",
        ),
        pytest.param(
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"UPPER"}}',
            "application/json",
            422,
            id="invalid-dns-name",
        ),
        pytest.param(
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' + b"a" * 300 + b'"}}',
            "application/json",
            422,
            id="name-too-long",
        ),
        pytest.param(
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"x":"'
            + b"x" * (4 << 20)
            + b'"}}',
            "application/json",
            413,
            id="oversized",
        ),
    ],
)
def test_bad_bodies(
    platform: Platform, namespace: str, body: bytes, content_type: str, code: int
) -> None:
    before = _count(platform, namespace)
    status, answer = _request(
        platform, "POST", f"/api/v1/namespaces/{namespace}/configmaps", body, content_type
    )
    assert status == code
    assert answer["kind"] == "Status" and answer["status"] == "Failure" and answer["message"]
    assert _count(platform, namespace) == before
    assert platform.kubectl("version").returncode == 0


def test_kubectl_reports_bad_manifests(platform: Platform, namespace: str) -> None:
    unknown_kind = platform.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        input="apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n",
        check=False,
    )
    assert unknown_kind.returncode != 0 and 'no matches for kind "Gadget"' in unknown_kind.stderr
    unknown_field = platform.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        check=False,
        input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: strict}\ndata: {a: b}\nbogus: 1\n",
    )
    assert unknown_field.returncode != 0 and 'unknown field "bogus"' in unknown_field.stderr
    bad_name = platform.kubectl("create", "configmap", "Not_Valid", "-n", namespace, check=False)
    assert bad_name.returncode != 0 and 'Invalid value: "Not_Valid"' in bad_name.stderr
    bad_cr = platform.kubectl(
        "apply",
        "-n",
        namespace,
        "-f",
        "-",
        check=False,
        input="apiVersion: kubeflow.org/v1\nkind: Notebook\nmetadata: {name: nb}\nspec: {template: {spec: {containers: [{name: nb, image: x, ports: [{containerPort: notanumber}]}]}}}\n",
    )
    assert (
        bad_cr.returncode != 0 and "Invalid" in bad_cr.stderr and "containerPort" in bad_cr.stderr
    )
    assert _count(platform, namespace) == 0
    assert platform.kubectl("get", "notebooks", "-n", namespace, "-o", "name").stdout.strip() == ""


def test_stale_resource_version_is_a_conflict(platform: Platform, namespace: str) -> None:
    platform.kubectl("create", "configmap", "versioned", "-n", namespace, "--from-literal=a=1")
    current = platform.kubectl_yaml("get", "configmap", "versioned", "-n", namespace)
    platform.kubectl("patch", "configmap", "versioned", "-n", namespace, "-p", '{"data":{"a":"2"}}')
    current["data"]["a"] = "3"
    status, answer = _request(
        platform,
        "PUT",
        f"/api/v1/namespaces/{namespace}/configmaps/versioned",
        json.dumps(current).encode(),
    )
    assert status == 409 and answer["reason"] == "Conflict"
    assert platform.kubectl_yaml("get", "configmap", "versioned", "-n", namespace)["data"] == {
        "a": "2"
    }


def test_wrong_token_is_401(platform: Platform) -> None:
    request = urllib.request.Request(
        platform.url + "/api/v1/namespaces", headers={"Authorization": "Bearer not-the-token"}
    )
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(request, timeout=5)
    assert denied.value.code == 401
    assert json.loads(denied.value.read())["reason"] == "Unauthorized"
