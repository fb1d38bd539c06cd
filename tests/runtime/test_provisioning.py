from __future__ import annotations

import asyncio

from pinnace.api import kinds
from pinnace.kits.kube.objects import Object

from .clusters import Cluster, pod_spec, py


def claim(name: str) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}},
    }


async def bound(cluster: Cluster, name: str) -> Object:
    for _ in range(200):
        for obj in cluster.api.objects(kinds.PERSISTENTVOLUMECLAIMS, "default"):
            if obj["metadata"]["name"] == name and obj.get("status", {}).get("phase") == "Bound":
                return obj
        await asyncio.sleep(0.02)
    raise AssertionError("claim never bound")


async def test_claims_bind_and_outlive_pods(cluster: Cluster) -> None:
    await cluster.start()
    created = await cluster.api.create(kinds.PERSISTENTVOLUMECLAIMS, claim("ws"))
    pvc = await bound(cluster, "ws")
    assert pvc["spec"]["volumeName"] == f"pvc-{created['metadata']['uid']}"
    assert pvc["status"]["capacity"] == {"storage": "5Gi"}
    claim_dir = cluster.data_dir / "volumes" / "default" / "ws"
    assert claim_dir.is_dir()

    mounts = [{"name": "ws", "mountPath": "/home/jovyan-test"}]
    pod = pod_spec(
        "writer",
        py(
            "main",
            "open('notes.txt', 'w').write('kept')",
            volumeMounts=mounts,
            workingDir="/home/jovyan-test",
        ),
        volumes=[{"name": "ws", "persistentVolumeClaim": {"claimName": "ws"}}],
        restartPolicy="Never",
    )
    await cluster.create(pod)
    await cluster.wait_phase("writer", "Succeeded")
    await cluster.api.delete(kinds.PODS, "writer", namespace="default")
    await cluster.wait_gone("writer")
    assert (claim_dir / "notes.txt").read_text() == "kept"

    await cluster.api.delete(kinds.PERSISTENTVOLUMECLAIMS, "ws", namespace="default")
    for _ in range(100):
        if not claim_dir.exists():
            break
        await asyncio.sleep(0.02)
    released = list((cluster.data_dir / "volumes" / ".released").iterdir())
    assert [(p / "notes.txt").read_text() for p in released] == ["kept"]
