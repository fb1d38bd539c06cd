"""The Notebook and workspace claim the Jupyter web app's spawner form would create.

`pinnace notebook create` (`pinnace.cli.notebooks`) calls `objects_for(...)`
and creates what it returns through the API, so a notebook made from the
command line is the upstream YAML a Kubeflow user would get from the UI
(spawner_ui_config.yaml defaults): image `jupyter-scipy`, CPU 0.5 and memory
1Gi requested with limits = 1.2 times the request, a `<name>-workspace` claim of 5Gi
(ReadWriteOnce) at `/home/jovyan`, a Memory emptyDir at `/dev/shm`, the
`default-editor` service account. From there the Notebook controller takes
over as for any other Notebook.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass

from pinnace.kits.kube.objects import Object
from pinnace.notebooks import children

DEFAULT_IMAGE = "kubeflownotebookswg/jupyter-scipy:v1.9.0"
LIMIT_FACTOR = decimal.Decimal("1.2")
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")


@dataclass(frozen=True, slots=True)
class Form:
    """The spawner's fields that the CLI exposes."""

    name: str
    namespace: str = "default"
    image: str = DEFAULT_IMAGE
    cpu: str = "0.5"
    memory: str = "1Gi"
    workspace_size: str = "5Gi"


def limit(quantity: str) -> str:
    """`quantity` times the spawner's limit factor (1.2), in the same unit."""
    match = _QUANTITY.match(quantity.strip())
    if match is None:
        raise ValueError(f"not a quantity: {quantity!r}")
    number, unit = match.groups()
    scaled = (decimal.Decimal(number) * LIMIT_FACTOR).normalize()
    return f"{scaled:f}{unit}"


def workspace_name(name: str) -> str:
    return f"{name}-workspace"


def objects_for(form: Form) -> tuple[Object, Object]:
    """(the workspace claim, the Notebook)."""
    claim: Object = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": workspace_name(form.name), "namespace": form.namespace},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": form.workspace_size}},
        },
    }
    requests = {"cpu": form.cpu, "memory": form.memory}
    notebook: Object = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Notebook",
        "metadata": {
            "name": form.name,
            "namespace": form.namespace,
            "labels": {"app": form.name},
            "annotations": {"notebooks.kubeflow.org/server-type": "jupyter"},
        },
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": form.name,
                            "image": form.image,
                            "imagePullPolicy": "IfNotPresent",
                            "resources": {
                                "requests": requests,
                                "limits": {k: limit(v) for k, v in requests.items()},
                            },
                            "volumeMounts": [
                                {"mountPath": children.HOME, "name": workspace_name(form.name)},
                                {"mountPath": "/dev/shm", "name": "dshm"},
                            ],
                        }
                    ],
                    "serviceAccountName": "default-editor",
                    "volumes": [
                        {
                            "name": workspace_name(form.name),
                            "persistentVolumeClaim": {"claimName": workspace_name(form.name)},
                        },
                        {"name": "dshm", "emptyDir": {"medium": "Memory"}},
                    ],
                }
            }
        },
    }
    return claim, notebook
