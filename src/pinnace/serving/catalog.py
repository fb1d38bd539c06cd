"""The built-in ClusterServingRuntimes, created when the controller manager starts.

`setup` adds an `Installer` to the manager; on start it creates each runtime below that
is missing, and brings one it made earlier (label `app.kubernetes.io/managed-by:
pinnace`) back to this spec; a runtime of that name the user made is left alone. The
bodies are KServe's `config/runtimes/kserve-*.yaml` without resources (pinnace's node
would count each `cpu: "1"` request against the machine's cores): no `command`, so the
image table of `pinnace.runtime.images` starts pinnace's model server for the format,
and KServe's args (`--model_name={{.Name}} --model_dir=/mnt/models --http_port=8080`),
which `revisions` fills in. ONNX, which KServe serves through Triton, gets
`pinnace-onnxserver` (onnxruntime in pinnace's server).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "pinnace"
ARGS = ("--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080")

BUILTINS: tuple[tuple[str, str, str, str], ...] = (
    # name, image, format, format version
    ("kserve-sklearnserver", "kserve/sklearnserver:latest", "sklearn", "1"),
    ("kserve-xgbserver", "kserve/xgbserver:latest", "xgboost", "1"),
    ("kserve-lgbserver", "kserve/lgbserver:latest", "lightgbm", "2"),
    ("pinnace-onnxserver", "pinnace/onnxserver:latest", "onnx", "1"),
)


def runtime(name: str, image: str, fmt: str, version: str) -> Object:
    """One built-in ClusterServingRuntime body."""
    return {
        "apiVersion": kinds.CLUSTERSERVINGRUNTIMES.api_version,
        "kind": kinds.CLUSTERSERVINGRUNTIMES.kind,
        "metadata": {"name": name, "labels": {MANAGED_BY: MANAGER}},
        "spec": {
            "annotations": {
                "prometheus.kserve.io/port": "8080",
                "prometheus.kserve.io/path": "/metrics",
            },
            "supportedModelFormats": [
                {"name": fmt, "version": version, "autoSelect": True, "priority": 1}
            ],
            "protocolVersions": ["v1", "v2"],
            "containers": [{"name": "kserve-container", "image": image, "args": list(ARGS)}],
        },
    }


def builtin_runtimes() -> list[Object]:
    return [runtime(*row) for row in BUILTINS]


class Installer:
    """A manager runnable: the built-in runtimes exist once the manager has started."""

    def __init__(self, client: clients.KubeApi) -> None:
        self.client = client

    async def start(self) -> None:
        for body in builtin_runtimes():
            await self._install(body)

    async def stop(self) -> None:
        return None

    async def _install(self, body: Object) -> None:
        rt, name = kinds.CLUSTERSERVINGRUNTIMES, objects.name_of(body)
        try:
            current = await self.client.get(rt, name)
        except errors.NotFound:
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create(rt, body)
            return
        if objects.labels_of(current).get(MANAGED_BY) != MANAGER:
            log.info("ClusterServingRuntime %s is the user's; the built-in is not installed", name)
            return
        if current.get("spec") != body["spec"]:
            replaced: dict[str, Any] = {
                **body,
                "metadata": {
                    **body["metadata"],
                    "resourceVersion": objects.resource_version_of(current),
                },
            }
            await self.client.replace(rt, replaced)
