"""`pinnace lineage ARTIFACT_URI`: which run and task made an artifact, from what, and what used it.

Reads the PipelineRuns (all namespaces, or `--namespace`) through the data
dir's kubeconfig, builds the lineage graph (`pipelines.lineage`) and prints
the artifact's trace: its type and metadata, the execution that produced it
(run, task, state, pod, log artifact) and the inputs that execution read,
every execution that consumed it, cache hits that re-used it, and the
artifacts upstream and downstream of it. `--json` prints the same as JSON.
A local path stands for its `file://` URI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape

from pinnace.api import kinds
from pinnace.kits.kube import clients
from pinnace.pipelines import lineage


class Failed(Exception):
    """The command could not answer; the message says why."""


def _client(data_dir: Path) -> clients.Client:
    path = data_dir / "kubeconfig"
    if not path.exists():
        raise Failed(f"no platform has run on {data_dir} (no kubeconfig)")
    config = yaml.safe_load(path.read_text())
    server = str(config["clusters"][0]["cluster"]["server"])
    token = str(config["users"][0]["user"]["token"])
    return clients.Client.from_url(server, token=token)


def normalize(uri: str) -> str:
    """A URI as status records it: local paths become `file://` URIs."""
    if "://" not in uri:
        return Path(uri).expanduser().resolve().as_uri()
    return uri.rstrip("/")


async def graph(data_dir: Path, namespace: str | None) -> lineage.Graph:
    client = _client(data_dir)
    try:
        found = await client.list(kinds.PIPELINERUNS, namespace=namespace)
    finally:
        await client.close()
    return lineage.build(found.items)


def _execution(ex: lineage.Execution) -> dict[str, Any]:
    out: dict[str, Any] = {
        "run": f"{ex.namespace}/{ex.run}",
        "runId": ex.run_uid,
        "task": ex.task_id,
        "state": ex.state,
    }
    if ex.pod:
        out["pod"] = ex.pod
    if ex.log_uri:
        out["log"] = ex.log_uri
    if ex.cached:
        out["cached"] = True
    return out


def as_dict(g: lineage.Graph, trace: lineage.Trace) -> dict[str, Any]:
    art = trace.artifact
    original = trace.produced_by[0] if trace.produced_by else None
    return {
        "artifact": {
            "uri": art.uri,
            "id": art.id,
            "name": art.name,
            "type": art.schema_title,
            "metadata": dict(art.metadata),
        },
        "producedBy": _execution(original) if original else None,
        "inputs": [
            {"name": e.key, "uri": e.uri, "producedBy": [_execution(p) for p in g.producers(e.uri)]}
            for e in trace.inputs
        ],
        "consumedBy": [{"input": e.key, **_execution(e.execution)} for e in trace.consumed_by],
        "reusedBy": [_execution(p) for p in trace.produced_by[1:]],
        "upstream": [a.uri for a in g.upstream(art.uri)],
        "downstream": [a.uri for a in g.downstream(art.uri)],
    }


def _line(ex: dict[str, Any]) -> str:
    parts = [f"[bold]{escape(ex['run'])}[/] task [bold]{escape(ex['task'])}[/] {ex['state']}"]
    if ex.get("cached"):
        parts.append("(cached)")
    if ex.get("pod"):
        parts.append(f"pod {escape(ex['pod'])}")
    if ex.get("log"):
        parts.append(f"log {escape(ex['log'])}")
    return "  ".join(parts)


def show(data: dict[str, Any], console: Console) -> None:
    art = data["artifact"]
    console.print(f"[bold cyan]{escape(art['uri'])}[/]  {art['type']}  id {art['id']}")
    if art["metadata"]:
        console.print(f"  metadata     {escape(json.dumps(art['metadata'], sort_keys=True))}")
    produced = data["producedBy"]
    console.print(f"  produced by  {_line(produced) if produced else '(outside any run)'}")
    for item in data["inputs"]:
        makers = ", ".join(f"{p['run']}/{p['task']}" for p in item["producedBy"]) or "outside"
        console.print(
            f"    from {escape(item['name'])} ← {escape(item['uri'])}  ({escape(makers)})"
        )
    for ex in data["consumedBy"]:
        console.print(f"  consumed by  {_line(ex)}  as {escape(ex['input'])}")
    for ex in data["reusedBy"]:
        console.print(f"  reused by    {_line(ex)}")
    for label, key in (("upstream", "upstream"), ("downstream", "downstream")):
        for uri in data[key]:
            console.print(f"  {label:<12} {escape(uri)}")


def find(g: lineage.Graph, uri: str) -> lineage.Trace:
    trace = g.trace(normalize(uri))
    if trace is None:
        raise Failed(f"no pipeline run produced or read {normalize(uri)}")
    return trace
