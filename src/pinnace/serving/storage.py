"""KServe's storage-initializer role: a model URI fetched once into a local cache directory.

    python -m pinnace.serving.storage URI [--cache-dir DIR]     # prints the local path
    python -m pinnace.serving.storage URI DEST                  # KServe's initializer args

`pinnace.serving.server` calls `fetch` when `--model-dir` is a URI, before it loads the
model; a later controller can run the same command once per revision, before any
replica starts, so replicas never download (KServe's #280 asks for exactly that).
Schemes:

- a plain path or `file://` — copied into the cache (a revision keeps the model it was
  made from, even if the source changes later);
- `http://` / `https://` — one file, by streaming GET; a `.tar`, `.tar.gz`/`.tgz` or
  `.zip` is unpacked, as KServe does;
- `s3://bucket/prefix` — every object under the prefix, through s3fs (imported only
  for this scheme), with the endpoint from `AWS_ENDPOINT_URL` or `S3_ENDPOINT` (plus
  `S3_USE_HTTPS=0`) and credentials from the usual `AWS_*` variables, as KServe reads
  them from a Secret.

With DEST (the InferenceService controller's storage-initializer init container:
`[URI, /mnt/models]`, DEST a per-revision directory every replica mounts) the model
lands in DEST itself, once: the first replica fetches, the others find it there.

Each URI lands in `<cache>/<sha256(uri)[:16]>/` (or DEST); it is written to a temporary
directory and renamed into place when complete, under a file lock, so two processes
fetching the same URI download it once and a crash leaves no half model behind. A
failed fetch raises `StorageError` naming the URI.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

DEFAULT_CACHE = Path(os.environ.get("PINNACE_MODEL_CACHE", "~/.cache/pinnace/models")).expanduser()
SCHEMES = ("file", "http", "https", "s3")


class StorageError(Exception):
    """A model URI could not be fetched (unknown scheme, missing, refused, unreadable)."""


def is_uri(value: str) -> bool:
    return urllib.parse.urlsplit(value).scheme in SCHEMES


def fetch(uri: str, cache_dir: Path = DEFAULT_CACHE, *, timeout: float = 300.0) -> Path:
    """The local directory holding the model at `uri`, downloading it unless cached."""
    scheme = urllib.parse.urlsplit(uri).scheme
    if scheme not in ("", *SCHEMES):
        raise StorageError(f"{uri}: unsupported storage scheme {scheme!r}")
    target = cache_dir / hashlib.sha256(uri.encode()).hexdigest()[:16]
    if target.is_dir():
        return target
    return _fetch_to(uri, target, timeout)


def fetch_into(uri: str, dest: Path, *, timeout: float = 300.0) -> Path:
    """Fetch `uri` into the directory `dest` itself (an empty or missing dir), unless done.

    `dest` may be a link (a pod's view of its volume): the lock and the staging dir sit
    beside the real directory, so every replica mounting it shares them.
    """
    scheme = urllib.parse.urlsplit(uri).scheme
    if scheme not in ("", *SCHEMES):
        raise StorageError(f"{uri}: unsupported storage scheme {scheme!r}")
    target = dest.resolve()
    if _filled(target):
        return target
    return _fetch_to(uri, target, timeout)


def _filled(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def _fetch_to(uri: str, target: Path, timeout: float) -> Path:
    scheme = urllib.parse.urlsplit(uri).scheme
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent / f".{target.name}.lock"):
        if _filled(target):  # another process fetched it while we waited
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=parent))
        try:
            if scheme in ("", "file"):
                _copy_local(uri, staging)
            elif scheme in ("http", "https"):
                _download(uri, staging, timeout)
            else:
                _copy_s3(uri, staging)
            if target.is_dir():
                target.rmdir()  # empty: the volume's directory, made before we ran
            staging.rename(target)
        except StorageError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        except Exception as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StorageError(f"{uri}: {type(exc).__name__}: {exc}") from exc
    return target


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_local(uri: str, staging: Path) -> None:
    parts = urllib.parse.urlsplit(uri)
    source = Path(urllib.parse.unquote(parts.path) if parts.scheme else uri)
    if source.is_dir():
        shutil.copytree(source, staging, dirs_exist_ok=True)
    elif source.is_file():
        shutil.copy2(source, staging / source.name)
    else:
        raise StorageError(f"{uri}: no such file or directory")


def _download(uri: str, staging: Path, timeout: float) -> None:
    name = Path(urllib.parse.unquote(urllib.parse.urlsplit(uri).path)).name or "model"
    path = staging / name
    try:
        with urllib.request.urlopen(uri, timeout=timeout) as response, path.open("wb") as out:
            shutil.copyfileobj(response, out, 1024 * 1024)
    except OSError as exc:  # URLError and HTTPError are OSErrors
        raise StorageError(f"{uri}: {exc}") from exc
    _unpack(path, staging)


def _unpack(path: Path, staging: Path) -> None:
    name = path.name
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        with tarfile.open(path) as archive:
            archive.extractall(staging, filter="data")
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            archive.extractall(staging)
    else:
        return
    path.unlink()


def _copy_s3(uri: str, staging: Path) -> None:
    try:
        import s3fs
    except ImportError as exc:
        raise StorageError(f"{uri}: s3:// needs the s3fs package") from exc
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("S3_ENDPOINT")
    if endpoint and "://" not in endpoint:
        https = os.environ.get("S3_USE_HTTPS", "1") not in ("0", "false")
        endpoint = f"{'https' if https else 'http'}://{endpoint}"
    filesystem = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": endpoint} if endpoint else {}, skip_instance_cache=True
    )
    path = uri.removeprefix("s3://").rstrip("/")
    try:
        if filesystem.isdir(path):
            filesystem.get(path + "/", str(staging) + "/", recursive=True)
        elif filesystem.isfile(path):
            filesystem.get(path, str(staging / Path(path).name))
        else:
            raise StorageError(f"{uri}: no such object or prefix")
    except FileNotFoundError as exc:
        raise StorageError(f"{uri}: no such object or prefix") from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pinnace.serving.storage",
        description="Fetch a model URI into the local cache once; print its local directory.",
    )
    parser.add_argument("uri")
    parser.add_argument("dest", nargs="?", type=Path, help="fetch into this directory itself")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    try:
        if args.dest is not None:
            print(fetch_into(args.uri, args.dest))
        else:
            print(fetch(args.uri, args.cache_dir))
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
