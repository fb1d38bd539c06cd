"""`pinnace notebook create|stop|start|delete`: what the Jupyter web app's buttons do, as commands.

Each command reads the data dir's kubeconfig (server and admin token), talks
to the platform's API through the Kubernetes client, and writes the same
objects and annotations the Kubeflow UI writes: `create` the spawner's
workspace claim and Notebook (`pinnace.notebooks.spawning`), `stop`/`start`
the `kubeflow-resource-stopped` annotation, `delete` the Notebook (its
workspace claim stays, as upstream). `create` and `start` wait until the
Notebook is Ready and print its URL on the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import yaml

from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors
from pinnace.notebooks import children, spawning


class Failed(Exception):
    """The command could not do what was asked; the message says why."""


def _client(data_dir: Path) -> tuple[clients.Client, str]:
    path = data_dir / "kubeconfig"
    if not path.exists():
        raise Failed(f"no platform has run on {data_dir} (no kubeconfig)")
    config = yaml.safe_load(path.read_text())
    server = str(config["clusters"][0]["cluster"]["server"])
    token = str(config["users"][0]["user"]["token"])
    return clients.Client.from_url(server, token=token), server


def url(server: str, namespace: str, name: str) -> str:
    return f"{server.rstrip('/')}{children.prefix(namespace, name)}"


def _why(status: dict[str, Any]) -> str:
    waiting = (status.get("containerState") or {}).get("waiting") or {}
    if waiting:
        return f"{waiting.get('reason')}: {waiting.get('message', '')}".strip()
    ready: dict[str, Any] = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {}
    )
    return f"{ready.get('reason', 'not ready')}: {ready.get('message', '')}".strip()


async def _wait_ready(
    client: clients.Client, namespace: str, name: str, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            nb = await client.get(kinds.NOTEBOOKS, name, namespace=namespace)
        except errors.NotFound as exc:
            raise Failed(f"notebook {namespace}/{name} was deleted") from exc
        status = nb.get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        if ready and status.get("readyReplicas") == 1:
            return status
        await asyncio.sleep(0.25)
    raise Failed(f"notebook {namespace}/{name} not ready after {timeout:g}s ({_why(status)})")


async def create(
    data_dir: Path, form: spawning.Form, *, wait: bool = True, timeout: float = 300
) -> str:
    """Create the workspace claim (unless it exists) and the Notebook; its URL."""
    client, server = _client(data_dir)
    async with client:
        claim, notebook = spawning.objects_for(form)
        with contextlib.suppress(errors.AlreadyExists):  # reused, as an "existing volume"
            await client.create(kinds.PERSISTENTVOLUMECLAIMS, claim)
        try:
            await client.create(kinds.NOTEBOOKS, notebook)
        except errors.AlreadyExists as exc:
            raise Failed(f"notebook {form.namespace}/{form.name} already exists") from exc
        except errors.ApiError as exc:
            raise Failed(str(exc)) from exc
        if wait:
            await _wait_ready(client, form.namespace, form.name, timeout)
    return url(server, form.namespace, form.name)


async def _annotate(client: clients.Client, namespace: str, name: str, value: str | None) -> None:
    try:
        await client.patch(
            kinds.NOTEBOOKS,
            name,
            {"metadata": {"annotations": {children.STOPPED_ANNOTATION: value}}},
            namespace=namespace,
        )
    except errors.NotFound as exc:
        raise Failed(f"notebook {namespace}/{name} not found") from exc


async def stop(data_dir: Path, namespace: str, name: str) -> None:
    client, _ = _client(data_dir)
    async with client:
        await _annotate(client, namespace, name, clocks.rfc3339(clocks.SYSTEM.now()))


async def start(
    data_dir: Path, namespace: str, name: str, *, wait: bool = True, timeout: float = 300
) -> str:
    client, server = _client(data_dir)
    async with client:
        await _annotate(client, namespace, name, None)
        if wait:
            await _wait_ready(client, namespace, name, timeout)
    return url(server, namespace, name)


async def delete(data_dir: Path, namespace: str, name: str) -> None:
    client, _ = _client(data_dir)
    async with client:
        try:
            await client.delete(kinds.NOTEBOOKS, name, namespace=namespace)
        except errors.NotFound as exc:
            raise Failed(f"notebook {namespace}/{name} not found") from exc
