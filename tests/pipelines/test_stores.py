"""The artifact store on both kinds of root: local files and a real S3 endpoint (SeaweedFS)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support import objectstores

from pinnace.pipelines import stores


def s3_of(endpoint: str) -> stores.S3:
    return stores.S3(endpoint=endpoint, access_key=objectstores.KEY, secret_key=objectstores.SECRET)


def tree(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    (source / "nested").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "nested" / "b.txt").write_text("beta")
    return source


def test_local_roots_copy_trees_and_remove_them(tmp_path: Path) -> None:
    root = (tmp_path / "root").as_uri()
    stores.put(tree(tmp_path), stores.join(root, "task"))
    assert stores.read_text(stores.join(root, "task", "nested", "b.txt")) == "beta"
    assert stores.get(stores.join(root, "task"), tmp_path / "back")
    assert (tmp_path / "back" / "a.txt").read_text() == "alpha"
    assert not stores.get(stores.join(root, "absent"), tmp_path / "none")
    stores.remove(stores.join(root, "task"))
    assert not (tmp_path / "root" / "task").exists()
    stores.remove(stores.join(root, "task"))  # absent is fine


@pytest.mark.slow
def test_s3_roots_read_write_stage_and_remove(seaweedfs: str, bucket: str, tmp_path: Path) -> None:
    s3 = s3_of(seaweedfs)
    root = f"s3://{bucket}/pipelines"
    stores.write_json(stores.join(root, "run", stores.OUTPUTS), {"parameters": {"x": 1}}, s3)
    assert stores.read_json(stores.join(root, "run", stores.OUTPUTS), s3) == {
        "parameters": {"x": 1}
    }
    stores.put(tree(tmp_path), stores.join(root, "run", "task"), s3)
    stores.put(tmp_path / "src" / "a.txt", stores.join(root, "single"), s3)
    fs = objectstores.filesystem(seaweedfs)
    assert sorted(fs.find(f"{bucket}/pipelines")) == [
        f"{bucket}/pipelines/run/outputs.json",
        f"{bucket}/pipelines/run/task/a.txt",
        f"{bucket}/pipelines/run/task/nested/b.txt",
        f"{bucket}/pipelines/single",
    ]
    assert stores.get(stores.join(root, "run", "task"), tmp_path / "prefix", s3)
    assert (tmp_path / "prefix" / "nested" / "b.txt").read_text() == "beta"
    assert stores.get(stores.join(root, "single"), tmp_path / "object", s3)
    assert (tmp_path / "object").read_text() == "alpha"
    assert not stores.get(stores.join(root, "absent"), tmp_path / "absent", s3)
    stores.remove(stores.join(root, "run"), s3)
    assert fs.find(f"{bucket}/pipelines", refresh=True) == [f"{bucket}/pipelines/single"]


def test_s3_settings_round_trip_through_a_pod_environment() -> None:
    s3 = stores.S3(endpoint="http://h:9000", region="r", access_key="a", secret_key="s")
    env = {
        stores.ENV_ENDPOINT: s3.endpoint,
        stores.ENV_REGION: s3.region,
        stores.ENV_ACCESS_KEY: s3.access_key,
        stores.ENV_SECRET_KEY: s3.secret_key,
    }
    assert stores.S3.from_env(env) == s3
    assert stores.S3.from_env({"PATH": "/bin"}) is None
    assert s3.options() == {
        "client_kwargs": {"endpoint_url": "http://h:9000", "region_name": "r"},
        "key": "a",
        "secret": "s",
    }
