"""Execution caching: a key over what determines a task's outputs, and the cache's entries.

The engine (`advancing`) computes `key()` for a task whose caching is on (its
`cachingOptions`, unless the run's `spec.enableCaching` overrides it; the
platform's `Settings.caching` can turn it off everywhere): the component's
interface, the executor's image, command, args and env, and the resolved input
values and artifact URIs. A hit reuses the earlier outputs without starting a
pod (the task shows `cached: true`); a miss runs the task and the controller
(`pipelineruns`) stores its outputs under `entry_uri` — per namespace, under
the platform's pipeline root — once it has succeeded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pinnace.pipelines import specs, stores


def key(
    comp: specs.Component,
    container: specs.Container,
    parameters: Mapping[str, Any],
    artifacts: Mapping[str, list[dict[str, Any]]],
) -> str:
    body = {
        "inputs": sorted(comp.inputs.parameters) + sorted(comp.inputs.artifacts),
        "outputs": {
            "parameters": {k: p.type.value for k, p in comp.outputs.parameters.items()},
            "artifacts": {k: a.schema_title for k, a in comp.outputs.artifacts.items()},
        },
        "image": container.image,
        "command": list(container.command),
        "args": list(container.args),
        "env": [list(e) for e in container.env],
        "parameters": dict(parameters),
        "artifacts": {k: [a.get("uri") for a in v] for k, v in artifacts.items()},
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def entry_uri(root: str, namespace: str, cache_key: str) -> str:
    return stores.join(root, ".cache", namespace, f"{cache_key}.json")
