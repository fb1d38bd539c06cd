"""RBAC on a real `pinnace up`, with kubectl: whoami, can-i, Forbidden, Profiles' bindings.

Without `--auth` every request from this machine is `user@example.com` in
`system:masters`; other users are reached with kubectl's impersonation
(`--as`), which the API server authorizes as kube-apiserver does.
"""

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
"""


def can_i(platform: Platform, *args: str) -> str:
    result = platform.kubectl("auth", "can-i", *args, check=False)
    return result.stdout.strip()


def test_whoami_and_can_i_of_the_default_user(platform: Platform) -> None:
    who = json.loads(platform.kubectl("auth", "whoami", "-o", "json").stdout)
    assert who["status"]["userInfo"]["username"] == "user@example.com"
    assert "system:masters" in who["status"]["userInfo"]["groups"]
    assert can_i(platform, "delete", "nodes") == "yes"


def test_a_profile_owner_and_a_contributor_as_rbac_says(platform: Platform) -> None:
    ns, owner, other = "e2e-auth-a", "user-a@example.com", "user-b@example.com"
    platform.kubectl("apply", "-f", "-", input=PROFILE.format(name=ns, owner=owner))

    def bound() -> bool:
        got = platform.kubectl("get", "rolebinding", "namespaceAdmin", "-n", ns, check=False)
        return got.returncode == 0

    wait_for(bound, what="the profile's namespaceAdmin binding")
    who = json.loads(platform.kubectl("auth", "whoami", "--as", owner, "-o", "json").stdout)
    assert who["status"]["userInfo"]["username"] == owner

    assert can_i(platform, "create", "pods", "-n", ns, "--as", owner) == "yes"
    assert can_i(platform, "create", "rolebindings", "-n", ns, "--as", owner) == "yes"
    assert can_i(platform, "create", "notebooks.kubeflow.org", "-n", ns, "--as", owner) == "yes"
    assert can_i(platform, "list", "pods", "-n", "default", "--as", owner) == "no"
    assert can_i(platform, "list", "pods", "-n", ns, "--as", other) == "no"
    forbidden = platform.kubectl("get", "pods", "-n", ns, "--as", other, check=False)
    assert forbidden.returncode != 0
    assert (
        f'pods is forbidden: User "{other}" cannot list resource "pods" in API group "" '
        f'in the namespace "{ns}"'
    ) in forbidden.stderr

    added = subprocess.run(
        [
            *PINNACE,
            "profile",
            "add-contributor",
            ns,
            other,
            "--role",
            "view",
            "--data-dir",
            str(platform.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    assert can_i(platform, "list", "pods", "-n", ns, "--as", other) == "yes"
    assert can_i(platform, "create", "pods", "-n", ns, "--as", other) == "no"
    assert can_i(platform, "get", "notebooks.kubeflow.org", "-n", ns, "--as", other) == "yes"
    listed = platform.kubectl("get", "pods", "-n", ns, "--as", other)
    assert listed.returncode == 0
    platform.kubectl("delete", "profile", ns, "--wait=false")
