"""Profiles on a real `pinnace up`, driven with kubectl and the `pinnace profile` CLI."""

from __future__ import annotations

import json
import subprocess

from tests.e2e.conftest import PINNACE, Platform, wait_for

PROFILE = """
apiVersion: kubeflow.org/v1
kind: Profile
metadata:
  name: {name}
spec:
  owner:
    kind: User
    name: {owner}
  resourceQuotaSpec:
    hard:
      pods: "5"
"""


def pinnace(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PINNACE, *args, "--data-dir", str(platform.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_profile_with_kubectl_and_a_contributor(platform: Platform) -> None:
    name, owner = "e2e-user-a", "user-a@example.com"
    platform.kubectl("apply", "-f", "-", input=PROFILE.format(name=name, owner=owner))

    def ready() -> bool:
        got = platform.kubectl("get", "profile", name, "-o", "json", check=False)
        if got.returncode != 0:
            return False
        conds = json.loads(got.stdout).get("status", {}).get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)

    wait_for(ready, what="the profile to be Ready")
    table = platform.kubectl("get", "profile", name).stdout
    assert owner in table and "True" in table  # the printer columns: Owner, Ready
    ns = platform.kubectl_yaml("get", "namespace", name)
    assert ns["metadata"]["labels"]["app.kubernetes.io/part-of"] == "kubeflow-profile"
    sas = platform.kubectl("get", "serviceaccounts", "-n", name, "-o", "name").stdout.split()
    assert {"serviceaccount/default-editor", "serviceaccount/default-viewer"} <= set(sas)
    admin = platform.kubectl_yaml("get", "rolebinding", "namespaceAdmin", "-n", name)
    assert admin["roleRef"]["name"] == "kubeflow-admin"
    assert admin["subjects"][0]["name"] == owner
    quota = platform.kubectl_yaml("get", "resourcequota", "kf-resource-quota", "-n", name)
    assert quota["spec"]["hard"] == {"pods": "5"}
    roles = platform.kubectl("get", "clusterroles", "-o", "name").stdout.split()
    assert {
        f"clusterrole.rbac.authorization.k8s.io/kubeflow-{r}" for r in ("admin", "edit", "view")
    } <= set(roles)

    added = pinnace(
        platform, "profile", "add-contributor", name, "user-b@example.com", "--role", "view"
    )
    assert added.returncode == 0, added.stderr + added.stdout
    binding = "user-user-b-example-com-clusterrole-view"
    rb = platform.kubectl_yaml("get", "rolebinding", binding, "-n", name)
    assert rb["metadata"]["annotations"] == {"user": "user-b@example.com", "role": "view"}
    assert rb["roleRef"]["name"] == "kubeflow-view"
    listed = pinnace(platform, "profile", "contributors", name)
    assert "user-b@example.com\tview" in listed.stdout
    removed = pinnace(platform, "profile", "remove-contributor", name, "user-b@example.com")
    assert removed.returncode == 0, removed.stderr + removed.stdout
    gone = platform.kubectl("get", "rolebinding", binding, "-n", name, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
    again = pinnace(platform, "profile", "remove-contributor", name, "user-b@example.com")
    assert again.returncode == 1 and "not a contributor" in again.stdout
    missing = pinnace(platform, "profile", "add-contributor", "no-such-profile", "x@example.com")
    assert missing.returncode == 1 and "not found" in missing.stdout

    platform.kubectl("delete", "profile", name)
    wait_for(
        lambda: platform.kubectl("get", "namespace", name, check=False).returncode != 0,
        what="the profile's namespace to go",
    )
