"""The admin credential and kubeconfig `pinnace up` writes into its data dir.

The token is made once per data dir and kept, so a kubeconfig copied
elsewhere (or a Kopf operator already running) keeps working across restarts.
The gateway accepts it on the Kubernetes API paths.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import yaml

CONTEXT = "pinnace"


def admin_token(data_dir: Path) -> str:
    path = data_dir / "token"
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


def write(data_dir: Path, *, server: str, token: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": server}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": "admin", "namespace": "default"},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }
    path = data_dir / "kubeconfig"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    tmp.replace(path)
    return path


def read(data_dir: Path) -> tuple[str, str] | None:
    """(server URL, admin token) of the kubeconfig `pinnace up` wrote there; None if none."""
    path = data_dir / "kubeconfig"
    if not path.exists():
        return None
    config = yaml.safe_load(path.read_text())
    return str(config["clusters"][0]["cluster"]["server"]), str(config["users"][0]["user"]["token"])
