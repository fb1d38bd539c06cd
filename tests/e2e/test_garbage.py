"""Owner references and `kubectl delete --cascade=background|foreground|orphan`."""

from __future__ import annotations

import json

import pytest
from tests.e2e.conftest import Platform, wait_for


def _family(platform: Platform, namespace: str, parent: str) -> None:
    platform.kubectl("create", "configmap", parent, "-n", namespace)
    owner = platform.kubectl_yaml("get", "configmap", parent, "-n", namespace)
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": parent,
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": True,
    }
    for i in range(2):
        child = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"{parent}-child-{i}",
                "namespace": namespace,
                "ownerReferences": [ref],
            },
        }
        platform.kubectl("apply", "-f", "-", input=json.dumps(child))


def _children(platform: Platform, namespace: str, parent: str) -> list[str]:
    names = platform.kubectl("get", "configmaps", "-n", namespace, "-o", "name").stdout.split()
    return sorted(n for n in names if n.startswith(f"configmap/{parent}-child-"))


@pytest.mark.parametrize("cascade", ["background", "foreground"])
def test_deleting_an_owner_deletes_its_dependents(
    platform: Platform, namespace: str, cascade: str
) -> None:
    _family(platform, namespace, cascade)
    platform.kubectl(
        "delete",
        "configmap",
        cascade,
        "-n",
        namespace,
        f"--cascade={cascade}",
        "--timeout=60s",
        timeout=90,
    )
    wait_for(lambda: _children(platform, namespace, cascade) == [], what=f"{cascade} cascade")


def test_orphan_cascade_keeps_dependents_and_drops_their_reference(
    platform: Platform, namespace: str
) -> None:
    _family(platform, namespace, "orphaner")
    platform.kubectl(
        "delete",
        "configmap",
        "orphaner",
        "-n",
        namespace,
        "--cascade=orphan",
        "--timeout=60s",
        timeout=90,
    )
    assert _children(platform, namespace, "orphaner") == [
        "configmap/orphaner-child-0",
        "configmap/orphaner-child-1",
    ]

    def unowned() -> bool:
        child = platform.kubectl_yaml("get", "configmap", "orphaner-child-0", "-n", namespace)
        return not child["metadata"].get("ownerReferences")

    wait_for(unowned, what="owner reference removed")
