"""`pinnace status`: ask the platform behind a data dir's kubeconfig how it is doing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table


def _get(url: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            body = response.read()
            return response.status, json.loads(body) if body.startswith(b"{") else body.decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def show(data_dir: Path, console: Console) -> int:
    path = data_dir / "kubeconfig"
    if not path.exists():
        console.print(f"no platform has run on {data_dir} (no kubeconfig)")
        return 1
    config = yaml.safe_load(path.read_text())
    server = config["clusters"][0]["cluster"]["server"]
    token = config["users"][0]["user"]["token"]
    try:
        code, _ = _get(f"{server}/healthz", token)
    except OSError as exc:
        console.print(f"[red]down[/]: {server} does not answer ({exc.__class__.__name__})")
        return 1
    if code != 200:
        console.print(f"[yellow]starting[/]: {server}/healthz answered {code}")
        return 1
    _, version = _get(f"{server}/version", token)
    _, nodes = _get(f"{server}/api/v1/nodes", token)
    _, pods = _get(f"{server}/api/v1/pods", token)
    console.print(f"[green]up[/] at {server} ({version.get('gitVersion')}), kubeconfig {path}")
    table = Table("node", "ready")
    for node in nodes.get("items", []):
        ready = next(
            (
                c["status"]
                for c in node.get("status", {}).get("conditions", [])
                if c["type"] == "Ready"
            ),
            "?",
        )
        table.add_row(node["metadata"]["name"], ready)
    console.print(table)
    phases: dict[str, int] = {}
    for pod in pods.get("items", []):
        phase = pod.get("status", {}).get("phase", "Unknown")
        phases[phase] = phases.get(phase, 0) + 1
    console.print("pods: " + (", ".join(f"{n} {p}" for p, n in sorted(phases.items())) or "none"))
    return 0
