"""A task's view of the artifact store as local files: inputs fetched, outputs published.

The launcher (`launching`) gives kfp's executor and the placeholders local
paths only. On a `file://` root an artifact's path is its file in the store,
read and written in place. On a remote root (s3://) each URI has a mirror
path under the task's work directory, `<work>/store/<scheme>/<bucket>/<key>`
(the layout of kfp's own `/s3/<bucket>/<key>` mounts), so any path the
component reports back — an output artifact, a `dsl.get_uri()` file beside
the executor output — maps back to its URI. Inputs are downloaded before the
command runs (`fetch`); when it has succeeded the task's directory is
uploaded in one tree (`publish`), and the launcher writes `outputs.json`
last. A missing input object is left missing, as a missing file is locally
(metrics-only artifacts have no file).
"""

from __future__ import annotations

from pathlib import Path

from pinnace.pipelines import stores


class StagingError(Exception):
    """An artifact could not be downloaded or uploaded; names the URI."""


class Stage:
    def __init__(self, work: Path, s3: stores.S3 | None = None) -> None:
        self.mirror = work / "store"
        self.s3 = s3

    def local(self, uri: str) -> str:
        """The local path standing for `uri` (the store's own file on a local root)."""
        path = stores.local_path(uri)
        if path is not None:
            return path
        scheme, sep, rest = uri.partition("://")
        if not sep or not rest.strip("/"):
            raise StagingError(f"artifact {uri!r}: not a URI with a path")
        return str(self.mirror / scheme / rest.strip("/"))

    def uri(self, path: str) -> str:
        """The URI a local path stands for (the inverse of `local`)."""
        try:
            relative = Path(path).resolve().relative_to(self.mirror.resolve())
        except ValueError:
            return stores.to_uri(path)
        scheme, _, rest = relative.as_posix().partition("/")
        return f"{scheme}://{rest}"

    def fetch(self, uri: str) -> str:
        """Download a remote input (object or prefix) to its mirror path; the local path."""
        local = self.local(uri)
        if stores.is_local(uri):
            return local
        target = Path(local)
        if target.exists():  # the same input bound twice
            return local
        try:
            stores.get(uri, target, self.s3)
        except Exception as exc:  # botocore's and fsspec's errors have no common base
            raise StagingError(f"cannot download {uri}: {type(exc).__name__}: {exc}") from exc
        return local

    def publish(self, uri: str) -> None:
        """Upload the mirror of `uri` (a task's directory) to the store; local roots: done."""
        if stores.is_local(uri):
            return
        source = Path(self.local(uri))
        if not source.exists():
            return
        try:
            stores.put(source, uri, self.s3)
        except Exception as exc:
            raise StagingError(f"cannot upload to {uri}: {type(exc).__name__}: {exc}") from exc

    def upload(self, source: Path, uri: str) -> None:
        """Upload one local file to `uri` (the task's log)."""
        try:
            stores.put(source, uri, self.s3)
        except Exception as exc:
            raise StagingError(f"cannot upload to {uri}: {type(exc).__name__}: {exc}") from exc
