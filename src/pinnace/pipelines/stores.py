"""The artifact store under the pipeline root: URIs for tasks' files, read and written.

The pipeline root is `file://<data dir>/pipelines/artifacts` unless the run
or the platform names another. The run controller lays out where each
task's outputs go (`task_uri`) and reads a finished task's `outputs.json`
(`read_json`); the launcher writes that file and the artifacts beside it.
`file://` URIs are plain files (no import on a task's hot path); any other
scheme goes through fsspec (s3:// with s3fs is the next step, not wired yet).
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

OUTPUTS = "outputs.json"


def default_root(data_dir: Path) -> str:
    return (data_dir / "pipelines" / "artifacts").resolve().as_uri()


def join(uri: str, *parts: str) -> str:
    return "/".join([uri.rstrip("/"), *(p.strip("/") for p in parts if p)])


def local_path(uri: str) -> str | None:
    """The local file a `file://` URI (or a bare absolute path) names; None for remote ones."""
    if uri.startswith("/"):
        return uri
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    return None


def to_uri(path_or_uri: str) -> str:
    """A local path as a `file://` URI; URIs pass through."""
    if path_or_uri.startswith("/"):
        return Path(path_or_uri).as_uri()
    return path_or_uri


def read_text(uri: str) -> str:
    path = local_path(uri)
    if path is not None:
        return Path(path).read_text()
    import fsspec  # remote stores only: fsspec stays off the hot path

    with fsspec.open(uri, "r") as f:
        return str(f.read())


def write_text(uri: str, text: str) -> None:
    """Write atomically for local files (a reader never sees half a file)."""
    path = local_path(uri)
    if path is not None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, target)
        return
    import fsspec  # remote stores only: fsspec stays off the hot path

    with fsspec.open(uri, "w") as f:
        f.write(text)


def read_json(uri: str) -> Any:
    return json.loads(read_text(uri))


def write_json(uri: str, data: Any) -> None:
    write_text(uri, json.dumps(data))
