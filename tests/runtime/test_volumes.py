from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType
from pinnace.runtime import envs, layouts, mounting, volumes

FACTS = envs.Facts(pod_ip="127.1.0.7", host_ip="127.0.0.1")
STORE: dict[tuple[str, str, str], Object] = {
    ("configmaps", "ns", "cfg"): {"data": {"a.txt": "A", "b.txt": "B"}},
    ("secrets", "ns", "sec"): {"data": {"token": base64.b64encode(b"t0k").decode()}},
    ("persistentvolumeclaims", "ns", "ws"): {"spec": {}},
}


async def lookup(rt: ResourceType, namespace: str, name: str) -> Object | None:
    return STORE.get((rt.plural, namespace, name))


def make_pod(volumes_: list[Object], mounts: list[Object], **container: object) -> Object:
    return {
        "metadata": {"name": "p", "namespace": "ns", "uid": "u1", "labels": {"a": "b"}},
        "spec": {
            "volumes": volumes_,
            "containers": [{"name": "main", "volumeMounts": mounts, **container}],
        },
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_volume_kinds(tmp_path: Path) -> None:
    layout = layouts.Layout(tmp_path)
    pod = make_pod(
        [
            {"name": "scratch", "emptyDir": {}},
            {
                "name": "cfg",
                "configMap": {"name": "cfg", "items": [{"key": "a.txt", "path": "sub/a"}]},
            },
            {"name": "sec", "secret": {"secretName": "sec", "defaultMode": 0o400}},
            {"name": "ws", "persistentVolumeClaim": {"claimName": "ws"}},
            {
                "name": "info",
                "downwardAPI": {
                    "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                },
            },
        ],
        [],
    )
    dirs = await volumes.prepare(pod, layout=layout, lookup=lookup, facts=FACTS)
    assert dirs["scratch"].is_dir()
    assert (dirs["cfg"] / "sub" / "a").read_text() == "A"
    assert not (dirs["cfg"] / "b.txt").exists()
    assert (dirs["sec"] / "token").read_text() == "t0k"
    assert mode(dirs["sec"] / "token") == 0o400
    assert dirs["ws"] == tmp_path / "volumes" / "ns" / "ws"
    assert (dirs["info"] / "labels").read_text() == 'a="b"'
    volumes.remove_pod_volumes(layout.pod_dir(pod))
    assert not dirs["scratch"].exists()
    assert dirs["ws"].is_dir()


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        pytest.param({"configMap": {"name": "none"}}, 'configmap "none" not found', id="cm"),
        pytest.param({"secret": {"secretName": "none"}}, 'secret "none" not found', id="secret"),
        pytest.param(
            {"persistentVolumeClaim": {"claimName": "x"}}, "persistentvolumeclaim", id="pvc"
        ),
    ],
)
async def test_missing_sources(tmp_path: Path, volume: Object, message: str) -> None:
    pod = make_pod([{"name": "v", **volume}], [])
    with pytest.raises(volumes.MountError, match=message):
        await volumes.prepare(pod, layout=layouts.Layout(tmp_path), lookup=lookup, facts=FACTS)


async def test_optional_missing_configmap_is_empty(tmp_path: Path) -> None:
    pod = make_pod([{"name": "v", "configMap": {"name": "none", "optional": True}}], [])
    dirs = await volumes.prepare(pod, layout=layouts.Layout(tmp_path), lookup=lookup, facts=FACTS)
    assert list(dirs["v"].iterdir()) == []


async def test_mount_views_rewriting_and_host_links(tmp_path: Path) -> None:
    layout = layouts.Layout(tmp_path / "data")
    host = tmp_path / "host"
    taken = host / "taken"
    taken.mkdir(parents=True)
    pod = make_pod(
        [
            {"name": "ws", "persistentVolumeClaim": {"claimName": "ws"}},
            {"name": "out", "emptyDir": {}},
        ],
        [
            {"name": "ws", "mountPath": f"{host}/home/jovyan"},
            {"name": "out", "mountPath": f"{host}/outputs", "subPath": "task1"},
            {"name": "out", "mountPath": str(taken)},
        ],
        workingDir=f"{host}/home/jovyan",
    )
    pod_dir = layout.pod_dir(pod)
    dirs = await volumes.prepare(pod, layout=layout, lookup=lookup, facts=FACTS)
    container = pod["spec"]["containers"][0]
    mounts = mounting.plan(container, dirs, pod_dir=pod_dir)
    view = layouts.view_dir(pod_dir, "main")
    assert os.readlink(view / str(host)[1:] / "home" / "jovyan") == str(dirs["ws"])
    assert (dirs["out"] / "task1").is_dir()

    assert mounting.rewrite(f"{host}/outputs/x.txt", mounts) == f"{view}{host}/outputs/x.txt"
    assert mounting.rewrite(f"--out={host}/outputs", mounts) == f"--out={view}{host}/outputs"
    assert mounting.rewrite(f"{host}/outputsX", mounts) == f"{host}/outputsX"
    cwd = mounting.working_dir(container, mounts, pod_dir=pod_dir)
    assert cwd.resolve() == dirs["ws"].resolve()
    assert mounting.working_dir({"name": "main"}, mounts, pod_dir=pod_dir) == pod_dir / "_work"

    links, problems = mounting.link_host(mounts, data_dir=layout.data_dir)
    assert [link for link, _ in links] == [f"{host}/home/jovyan", f"{host}/outputs"]
    assert problems == [f"{taken} exists on the host; the volume is at {view}{taken}"]
    (host / "outputs" / "f").write_text("x")
    assert (dirs["out"] / "task1" / "f").read_text() == "x"
    mounting.unlink_host(links)
    assert not (host / "outputs").exists()
    assert taken.is_dir()


async def test_dev_shm_is_left_to_the_host_without_a_warning(tmp_path: Path) -> None:
    layout = layouts.Layout(tmp_path / "data")
    pod = make_pod(
        [{"name": "dshm", "emptyDir": {"medium": "Memory"}}],
        [{"name": "dshm", "mountPath": "/dev/shm"}],
    )
    dirs = await volumes.prepare(pod, layout=layout, lookup=lookup, facts=FACTS)
    mounts = mounting.plan(pod["spec"]["containers"][0], dirs, pod_dir=layout.pod_dir(pod))
    assert mounting.link_host(mounts, data_dir=layout.data_dir) == ([], [])
