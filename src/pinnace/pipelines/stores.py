"""The artifact store under the pipeline root: URIs for tasks' files, read, written, staged.

The pipeline root is `file://<data dir>/pipelines/artifacts` unless the run
or the platform names another, such as `s3://bucket/prefix` on an
S3-compatible endpoint (SeaweedFS, MinIO, AWS). The run controller lays out
where each task's outputs go and reads a finished task's `outputs.json`
(`read_json`); the launcher downloads input artifacts (`get`), uploads a
task's directory (`put`) and writes that file. `file://` URIs are plain files
(no import on a task's hot path); any other scheme goes through fsspec, s3://
through s3fs with the endpoint and credentials of an `S3` value: the
controller builds it from the kfp-launcher ConfigMap and its Secret
(`providers`), a task pod gets it as `PINNACE_S3_*` variables (`S3.from_env`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUTPUTS = "outputs.json"

ENV_ENDPOINT = "PINNACE_S3_ENDPOINT"
ENV_REGION = "PINNACE_S3_REGION"
ENV_ACCESS_KEY = "PINNACE_S3_ACCESS_KEY_ID"
ENV_SECRET_KEY = "PINNACE_S3_SECRET_ACCESS_KEY"
ENV_NAMES = (ENV_ENDPOINT, ENV_REGION, ENV_ACCESS_KEY, ENV_SECRET_KEY)
"""What a task pod carries for an s3:// root; the launcher keeps them from the user's command."""


@dataclass(frozen=True, slots=True)
class S3:
    """Where an s3:// root lives and how to sign in; empty fields take boto's defaults."""

    endpoint: str = ""
    """`http(s)://host:port`; empty: AWS."""
    region: str = ""
    access_key: str = ""
    secret_key: str = ""

    def options(self) -> dict[str, Any]:
        """fsspec's storage options for s3fs."""
        client: dict[str, Any] = {}
        if self.endpoint:
            client["endpoint_url"] = self.endpoint
        if self.region:
            client["region_name"] = self.region
        options: dict[str, Any] = {"client_kwargs": client}
        if self.access_key or self.secret_key:
            options |= {"key": self.access_key, "secret": self.secret_key}
        return options

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> S3 | None:
        if not any(environ.get(name) for name in ENV_NAMES):
            return None
        return cls(
            endpoint=environ.get(ENV_ENDPOINT, ""),
            region=environ.get(ENV_REGION, ""),
            access_key=environ.get(ENV_ACCESS_KEY, ""),
            secret_key=environ.get(ENV_SECRET_KEY, ""),
        )


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


def is_local(uri: str) -> bool:
    return local_path(uri) is not None


def to_uri(path_or_uri: str) -> str:
    """A local path as a `file://` URI; URIs pass through."""
    if path_or_uri.startswith("/"):
        return Path(path_or_uri).as_uri()
    return path_or_uri


def _options(uri: str, s3: S3 | None) -> dict[str, Any]:
    if s3 is not None and uri.startswith("s3://"):
        return s3.options()
    return {}


def filesystem(uri: str, s3: S3 | None = None) -> Any:
    """The fsspec filesystem of a remote URI (imported only for remote stores)."""
    import fsspec

    protocol = urllib.parse.urlparse(uri).scheme
    return fsspec.filesystem(protocol, **_options(uri, s3))


def read_text(uri: str, s3: S3 | None = None) -> str:
    path = local_path(uri)
    if path is not None:
        return Path(path).read_text()
    import fsspec  # remote stores only: fsspec stays off the hot path

    with fsspec.open(uri, "r", **_options(uri, s3)) as f:
        return str(f.read())


def write_text(uri: str, text: str, s3: S3 | None = None) -> None:
    """Write atomically for local files (a reader never sees half a file); S3 puts are atomic."""
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

    with fsspec.open(uri, "w", **_options(uri, s3)) as f:
        f.write(text)


def read_json(uri: str, s3: S3 | None = None) -> Any:
    return json.loads(read_text(uri, s3))


def write_json(uri: str, data: Any, s3: S3 | None = None) -> None:
    write_text(uri, json.dumps(data), s3)


def get(uri: str, target: Path, s3: S3 | None = None) -> bool:
    """Download the object or every object under the prefix `uri` to `target`; False: none."""
    path = local_path(uri)
    if path is not None:
        source = Path(path)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        else:
            return False
        return True
    fs = filesystem(uri, s3)
    key = uri.split("://", 1)[1].rstrip("/")
    if fs.isfile(key):
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get(key, str(target))
        return True
    if fs.isdir(key):
        target.mkdir(parents=True, exist_ok=True)
        fs.get(key + "/", str(target) + "/", recursive=True)
        return True
    return False


def put(source: Path, uri: str, s3: S3 | None = None) -> None:
    """Upload a local file, or a directory's tree, to `uri`."""
    path = local_path(uri)
    if path is not None:
        if source.is_dir():
            shutil.copytree(source, path, dirs_exist_ok=True)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, path)
        return
    fs = filesystem(uri, s3)
    key = uri.split("://", 1)[1].rstrip("/")
    if source.is_dir():
        fs.put(str(source) + "/", key + "/", recursive=True)
    else:
        fs.put_file(str(source), key)


def remove(uri: str, s3: S3 | None = None) -> None:
    """Delete the object or prefix `uri` and everything under it; absent is fine."""
    path = local_path(uri)
    if path is not None:
        target = Path(path)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
        return
    fs = filesystem(uri, s3)
    key = uri.split("://", 1)[1].rstrip("/")
    if fs.exists(key):
        fs.rm(key, recursive=True)
