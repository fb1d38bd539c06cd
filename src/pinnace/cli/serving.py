"""`pinnace serve MODEL`: a local model file or directory (or a model URI) as an InferenceService.

The command reads the data dir's kubeconfig, writes the InferenceService a user would
write (`spec.predictor.model: {modelFormat: {name}, storageUri}`; the format from the
file's suffix unless `--format` names it), or updates the spec of an existing one of
that name (a new revision), then waits until it is Ready and prints its URL and a
curl line for V1 and for V2, both through the gateway. A failure — no runtime, a model
that does not load — ends the wait with the InferenceService's own reason.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import urllib.parse
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors
from pinnace.serving import routing, storage

console = Console(stderr=True)
DEFAULT_DATA_DIR = Path(os.environ.get("PINNACE_DATA_DIR", "~/.pinnace"))
SCHEMES = (*storage.SCHEMES, "pvc")


class Failed(Exception):
    """The command could not do what was asked; the message says why."""


def _client(data_dir: Path) -> tuple[clients.Client, str]:
    path = data_dir / "kubeconfig"
    if not path.exists():
        raise Failed(f"no platform has run on {data_dir} (no kubeconfig): run `pinnace up`")
    config = yaml.safe_load(path.read_text())
    server = str(config["clusters"][0]["cluster"]["server"])
    token = str(config["users"][0]["user"]["token"])
    return clients.Client.from_url(server, token=token), server


def storage_uri(model: str) -> str:
    """A local path as `file://` (absolute); a URI as it is."""
    if urllib.parse.urlsplit(model).scheme in SCHEMES:
        return model
    path = Path(model).expanduser().resolve()
    if not path.exists():
        raise Failed(f"{model}: no such file or directory")
    return path.as_uri()


def model_format(model: str, given: str | None) -> str:
    if given:
        return given
    uri = storage_uri(model)
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != "file":
        raise Failed(f"{model}: name the model's format with --format (sklearn, xgboost, ...)")
    from pinnace.serving import formats

    try:
        return formats.detect(Path(urllib.parse.unquote(parts.path))).value
    except ValueError as exc:
        raise Failed(f"{exc} (or name it with --format)") from exc


def default_name(model: str) -> str:
    stem = Path(urllib.parse.urlsplit(model).path.rstrip("/")).stem or "model"
    name = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")[:45].strip("-")
    return name if name and name[0].isalpha() else f"model-{name}".strip("-")


def inference_service(name: str, namespace: str, fmt: str, uri: str) -> dict[str, Any]:
    return {
        "apiVersion": kinds.INFERENCESERVICES.api_version,
        "kind": kinds.INFERENCESERVICES.kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"predictor": {"model": {"modelFormat": {"name": fmt}, "storageUri": uri}}},
    }


def _condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == type_), {})


async def _wait_ready(
    client: clients.Client, namespace: str, name: str, generation: int, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    obj: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            obj = await client.get(kinds.INFERENCESERVICES, name, namespace=namespace)
        except errors.NotFound as exc:
            raise Failed(f"inferenceservice {namespace}/{name} was deleted") from exc
        status = obj.get("status") or {}
        ready = _condition(obj, "Ready")
        current = int(status.get("observedGeneration") or 0) >= generation
        if current and ready.get("status") == "True":
            return obj
        if current and ready.get("status") == "False":
            failed = (status.get("modelStatus") or {}).get("transitionStatus") in (
                "BlockedByFailedLoad",
                "InvalidSpec",
            )
            if failed:
                raise Failed(f"{namespace}/{name}: {ready.get('reason')}: {ready.get('message')}")
        await asyncio.sleep(0.25)
    ready = _condition(obj, "Ready")
    raise Failed(
        f"inferenceservice {namespace}/{name} not ready after {timeout:g}s "
        f"({ready.get('reason', 'no status yet')}: {ready.get('message', '')})"
    )


async def serve(
    data_dir: Path,
    model: str,
    *,
    name: str,
    namespace: str,
    fmt: str,
    wait: bool = True,
    timeout: float = 300,
) -> dict[str, Any]:
    """Create (or update) the InferenceService; with `wait`, its Ready object."""
    client, _ = _client(data_dir)
    body = inference_service(name, namespace, fmt, storage_uri(model))
    async with client:
        try:
            obj = await client.create(kinds.INFERENCESERVICES, body)
        except errors.AlreadyExists:
            obj = await client.patch(
                kinds.INFERENCESERVICES, name, {"spec": body["spec"]}, namespace=namespace
            )
        except errors.ApiError as exc:
            raise Failed(str(exc)) from exc
        if wait:
            generation = int(obj["metadata"].get("generation") or 1)
            obj = await _wait_ready(client, namespace, name, generation, timeout)
    return obj


def usage(server: str, obj: dict[str, Any]) -> str:
    """The URL and a curl line for V1 and V2, by Host and by path."""
    name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
    url = str((obj.get("status") or {}).get("url") or "")
    host = urllib.parse.urlsplit(url).netloc
    path = f"{server.rstrip('/')}{routing.prefix(namespace, name)}"
    return "\n".join(
        [
            url,
            f"  V1: curl -H 'Host: {host}' {server}/v1/models/{name}:predict"
            " -d '{\"instances\": [[...]]}'",
            f'  V2: curl {path}v2/models/{name}/infer -d \'{{"inputs": [{{"name": "input-0",'
            ' "shape": [1, N], "datatype": "FP32", "data": [...]}]}\'',
        ]
    )


def command(
    model: Annotated[str, typer.Argument(help="A model file or directory, or a model URI.")],
    name: Annotated[str | None, typer.Option(help="The InferenceService's name.")] = None,
    format_: Annotated[
        str | None,
        typer.Option("--format", help="sklearn, xgboost, lightgbm, onnx (default: by suffix)."),
    ] = None,
    namespace: Annotated[str, typer.Option("--namespace", "-n")] = "default",
    wait: Annotated[bool, typer.Option(help="Wait until it is Ready.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 300,
    data_dir: Annotated[Path, typer.Option("--data-dir", "-d")] = DEFAULT_DATA_DIR,
) -> None:
    """Serve a model as an InferenceService; print its URL and how to call it."""
    data = data_dir.expanduser()
    try:
        fmt = model_format(model, format_)
        isvc_name = name or default_name(model)
        _, server = _client(data)
        obj = asyncio.run(
            serve(
                data,
                model,
                name=isvc_name,
                namespace=namespace,
                fmt=fmt,
                wait=wait,
                timeout=timeout,
            )
        )
    except Failed as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if wait:
        print(usage(server, obj))
    else:
        print(f"inferenceservice {namespace}/{isvc_name} created")
