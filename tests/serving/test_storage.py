"""Model URIs fetched once into the cache: local paths, file://, http(s) with archives."""

from __future__ import annotations

import http.server
import io
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pinnace.serving import storage


@pytest.fixture
def source(tmp_path: Path) -> Path:
    directory = tmp_path / "source"
    directory.mkdir()
    (directory / "model.joblib").write_bytes(b"model bytes")
    (directory / "nested").mkdir()
    (directory / "nested" / "vocab.txt").write_text("a b c")
    return directory


@pytest.mark.parametrize("as_uri", [True, False], ids=["file-uri", "plain-path"])
def test_a_local_directory_is_copied_once(source: Path, tmp_path: Path, as_uri: bool) -> None:
    uri = source.as_uri() if as_uri else str(source)
    cache = tmp_path / "cache"
    local = storage.fetch(uri, cache)
    assert (local / "model.joblib").read_bytes() == b"model bytes"
    assert (local / "nested" / "vocab.txt").read_text() == "a b c"
    (source / "model.joblib").write_bytes(b"changed")
    assert storage.fetch(uri, cache) == local
    assert (local / "model.joblib").read_bytes() == b"model bytes"  # the cached copy stays


def test_a_local_file_lands_in_its_own_directory(source: Path, tmp_path: Path) -> None:
    local = storage.fetch((source / "model.joblib").as_uri(), tmp_path / "cache")
    assert [p.name for p in local.iterdir()] == ["model.joblib"]


def test_a_missing_path_and_an_unknown_scheme_are_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(storage.StorageError, match="no such file or directory"):
        storage.fetch((tmp_path / "nope").as_uri(), tmp_path / "cache")
    with pytest.raises(storage.StorageError, match="unsupported storage scheme 'gs'"):
        storage.fetch("gs://bucket/model", tmp_path / "cache")
    assert [p for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock")] == []


class Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        data = b"booster"
        info = tarfile.TarInfo("model.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    Files.files = {"/models/model.onnx": b"onnx graph", "/models/model.tar.gz": archive.getvalue()}
    Files.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_file_downloads_once_even_when_asked_twice_at_once(web: str, tmp_path: Path) -> None:
    uri = f"{web}/models/model.onnx"
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: storage.fetch(uri, tmp_path / "cache"), range(2))
    assert first == second
    assert (first / "model.onnx").read_bytes() == b"onnx graph"
    assert Files.hits == ["/models/model.onnx"]


def test_http_archive_is_unpacked(web: str, tmp_path: Path) -> None:
    local = storage.fetch(f"{web}/models/model.tar.gz", tmp_path / "cache")
    assert [p.name for p in local.iterdir()] == ["model.json"]
    assert (local / "model.json").read_bytes() == b"booster"


def test_http_404_is_a_storage_error_naming_the_uri(web: str, tmp_path: Path) -> None:
    uri = f"{web}/models/missing.bst"
    with pytest.raises(storage.StorageError, match=r"missing\.bst: HTTP Error 404"):
        storage.fetch(uri, tmp_path / "cache")


def test_the_command_prints_the_local_directory(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert storage.main([source.as_uri(), "--cache-dir", str(tmp_path / "c")]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert (printed / "model.joblib").exists()
    assert storage.main(["gs://x/y", "--cache-dir", str(tmp_path / "c")]) == 1
    assert "unsupported storage scheme" in capsys.readouterr().err


def test_into_a_revision_directory_once_through_each_replicas_link(
    web: str, tmp_path: Path
) -> None:
    """The storage-initializer's form: DEST is the revision's (empty) volume dir, which each
    replica sees through its own link; the first fetches, the others find the model there."""
    revision = tmp_path / "models" / "ns" / "iris-predictor-00001"
    revision.mkdir(parents=True)  # hostPath DirectoryOrCreate made it before the pod ran
    links = []
    for replica in ("a", "b"):
        link = tmp_path / replica / "mnt" / "models"
        link.parent.mkdir(parents=True)
        link.symlink_to(revision)
        links.append(link)
    uri = f"{web}/models/model.onnx"
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda link: storage.main([uri, str(link)]), links))
    assert done == [0, 0]
    assert Files.hits == ["/models/model.onnx"]
    assert [p.name for p in revision.iterdir()] == ["model.onnx"]
    assert (links[1] / "model.onnx").read_bytes() == b"onnx graph"
    assert storage.main([f"{web}/models/missing.bst", str(tmp_path / "other")]) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3-compatible endpoint: SeaweedFS (`weed server -s3`) on free ports."""
    weed = Path(sys.executable).with_name("weed")
    names = ("master", "volume", "filer", "s3")
    ports = {f"{n}.port": free_port() for n in names}
    ports |= {f"{n}.port.grpc": free_port() for n in names}
    ports |= {"s3.port.iceberg": free_port(), "s3.port.lance": free_port()}
    process = subprocess.Popen(
        [
            str(weed),
            "server",
            f"-dir={tmp_path_factory.mktemp('weed')}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-filer",
            "-s3",
            *(f"-{name}={port}" for name, port in ports.items()),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        deadline = time.monotonic() + 60
        while True:  # until the gateway answers and a bucket can be made
            assert process.poll() is None, "weed exited"
            assert time.monotonic() < deadline, "SeaweedFS did not start"
            try:
                filesystem(endpoint).mkdir("models")
                break
            except Exception:
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


def filesystem(endpoint: str) -> Any:
    import s3fs

    return s3fs.S3FileSystem(
        key="pinnace", secret="pinnace", client_kwargs={"endpoint_url": endpoint}
    )


@pytest.mark.slow
def test_s3_prefix_and_object(
    seaweedfs: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = filesystem(seaweedfs)
    fs.pipe("models/iris/v1/model.joblib", b"weights")
    fs.pipe("models/iris/v1/extra/labels.txt", b"a,b")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("S3_ENDPOINT", seaweedfs.removeprefix("http://"))
    monkeypatch.setenv("S3_USE_HTTPS", "0")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "pinnace")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "pinnace")
    local = storage.fetch("s3://models/iris/v1", tmp_path / "cache")
    assert (local / "model.joblib").read_bytes() == b"weights"
    assert (local / "extra" / "labels.txt").read_bytes() == b"a,b"
    single = storage.fetch("s3://models/iris/v1/model.joblib", tmp_path / "cache")
    assert [p.name for p in single.iterdir()] == ["model.joblib"]
    with pytest.raises(storage.StorageError, match="no such object or prefix"):
        storage.fetch("s3://models/absent", tmp_path / "cache")
