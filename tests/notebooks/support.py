"""Helpers shared by the notebook tests: an upstream-shaped Notebook and polling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pinnace.kits.kube import clients, errors
from pinnace.kits.kube.objects import Object


async def until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll an async `check` until it answers something truthy; return that."""
    async with asyncio.timeout(timeout):
        while not (answer := await check()):  # noqa: ASYNC110 (polling the API)
            await asyncio.sleep(0.01)
    return answer


async def get(kube: clients.Client, rt: Any, name: str, namespace: str = "ns") -> Object | None:
    try:
        return await kube.get(rt, name, namespace=namespace)
    except errors.NotFound:
        return None


def notebook(name: str = "nb", *, api_version: str = "kubeflow.org/v1", **meta: Any) -> Object:
    """An upstream-shaped Notebook, as the Jupyter web app writes it: no command."""
    return {
        "apiVersion": api_version,
        "kind": "Notebook",
        "metadata": {"name": name, "namespace": "ns", **meta},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": "kubeflownotebookswg/jupyter-scipy:v1.9.0",
                            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
                            "volumeMounts": [
                                {"name": "workspace", "mountPath": "/home/jovyan"},
                                {"name": "dshm", "mountPath": "/dev/shm"},
                            ],
                        }
                    ],
                    "serviceAccountName": "default-editor",
                    "volumes": [
                        {
                            "name": "workspace",
                            "persistentVolumeClaim": {"claimName": f"{name}-workspace"},
                        },
                        {"name": "dshm", "emptyDir": {"medium": "Memory"}},
                    ],
                }
            }
        },
    }
