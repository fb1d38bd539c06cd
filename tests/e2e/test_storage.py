"""StatefulSet storage: volumeClaimTemplates → Bound PVCs whose data outlives the pods."""

from __future__ import annotations

import json

from tests.e2e.conftest import Platform, wait_for

WRITER = """
import os, time
path = os.path.join(os.environ["DATA"], "starts")
with open(path, "a") as f:
    f.write(os.environ["POD_NAME"] + "\\n")
print(open(path).read().count("\\n"), flush=True)
time.sleep(3600)
"""


def _statefulset(namespace: str) -> str:
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "store", "namespace": namespace},
            "spec": {
                "replicas": 1,
                "serviceName": "store",
                "selector": {"matchLabels": {"app": "store"}},
                "template": {
                    "metadata": {"labels": {"app": "store"}},
                    "spec": {
                        "terminationGracePeriodSeconds": 1,
                        "containers": [
                            {
                                "name": "main",
                                "image": "python:3.11",
                                "command": ["python3", "-c", WRITER],
                                "env": [
                                    {"name": "DATA", "value": "/data"},
                                    {
                                        "name": "POD_NAME",
                                        "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                                    },
                                ],
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            }
                        ],
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        }
    )


def test_statefulset_claims_outlive_pods(platform: Platform, namespace: str) -> None:
    platform.kubectl("apply", "-f", "-", input=_statefulset(namespace))
    wait_for(
        lambda: (
            platform.kubectl(
                "get", "pvc", "data-store-0", "-n", namespace, "-o", "jsonpath={.status.phase}"
            ).stdout
            == "Bound"
        ),
        what="claim bound",
    )
    wait_for(
        lambda: platform.kubectl("logs", "store-0", "-n", namespace, check=False).stdout == "1\n",
        what="first start wrote",
    )
    first_uid = platform.kubectl_yaml("get", "pod", "store-0", "-n", namespace)["metadata"]["uid"]
    platform.kubectl("delete", "pod", "store-0", "-n", namespace)

    def recreated() -> bool:
        pod = platform.kubectl("get", "pod", "store-0", "-n", namespace, "-o", "json", check=False)
        return pod.returncode == 0 and json.loads(pod.stdout)["metadata"]["uid"] != first_uid

    wait_for(recreated, what="store-0 recreated")
    wait_for(
        lambda: platform.kubectl("logs", "store-0", "-n", namespace, check=False).stdout == "2\n",
        what="second start saw the first one's data",
    )
    table = platform.kubectl("get", "pvc", "-n", namespace).stdout.splitlines()
    assert table[0].split()[:3] == ["NAME", "STATUS", "VOLUME"]
    assert table[1].split()[:2] == ["data-store-0", "Bound"]
