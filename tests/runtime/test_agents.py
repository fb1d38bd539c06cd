from __future__ import annotations

import psutil

from pinnace.api import kinds
from pinnace.kits.kube.objects import Object
from pinnace.runtime import records

from .clusters import Cluster, eventually, pod_spec, py, status_of

SLEEP = "import time; print('up', flush=True); time.sleep(60)"


def pid_of(pod: Object) -> int:
    return int(status_of(pod)["containerID"].removeprefix("pinnace://"))


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def running(pod: Object) -> bool:
    return "running" in status_of(pod)["state"]


async def test_graceful_delete_stops_processes_and_finishes_the_delete(cluster: Cluster) -> None:
    node = await cluster.start()
    await cluster.create(pod_spec("victim", py("main", SLEEP)))
    pod = await cluster.wait("victim", running)
    pid = pid_of(pod)
    worker = node.agent.find("default", "victim")
    assert worker is not None
    pod_dir = worker.pod_dir
    await cluster.api.delete(kinds.PODS, "victim", namespace="default")
    await cluster.wait_gone("victim")
    assert not alive(pid)
    assert not pod_dir.exists()
    # The agent forgets the worker once its own delete call returns, which can be just after
    # the DELETED event reached us.
    await eventually(lambda: node.agent.find("default", "victim") is None)


async def test_succeeded_pod_deleted_without_grace(cluster: Cluster) -> None:
    node = await cluster.start()
    await cluster.create(pod_spec("done", py("main", "pass"), restartPolicy="Never"))
    await cluster.wait_phase("done", "Succeeded")
    worker = node.agent.find("default", "done")
    assert worker is not None
    pod_dir = worker.pod_dir
    assert pod_dir.exists()
    # A finished pod has nothing to stop: the API server deletes it at once, no grace period...
    await cluster.api.delete(kinds.PODS, "done", namespace="default")
    assert cluster.pod("done") is None
    # ...and the agent, seeing it gone, forgets the pod and removes its files.
    await eventually(lambda: node.agent.find("default", "done") is None and not pod_dir.exists())


async def test_restart_adopts_always_pods_and_restarts_the_others(cluster: Cluster) -> None:
    node = await cluster.start()
    await cluster.create(pod_spec("server", py("main", SLEEP)))
    await cluster.create(pod_spec("task", py("main", SLEEP), restartPolicy="Never"))
    await cluster.create(pod_spec("finished", py("main", "print('once')"), restartPolicy="Never"))
    await cluster.create(pod_spec("doomed", py("main", SLEEP)))
    server_pid = pid_of(await cluster.wait("server", running))
    task_pid = pid_of(await cluster.wait("task", running))
    doomed_pid = pid_of(await cluster.wait("doomed", running))
    await cluster.wait_phase("finished", "Succeeded")

    await node.stop(stop_pods=False)  # as if killed: processes and records stay behind
    # While the agent is away, "doomed" is force-deleted from the API.
    await cluster.api.delete(kinds.PODS, "doomed", namespace="default", grace_period_seconds=0)
    assert alive(server_pid) and alive(task_pid) and alive(doomed_pid)

    node = await cluster.start()
    server = await cluster.wait("server", running)
    assert pid_of(server) == server_pid  # adopted, not started twice
    assert status_of(server)["restartCount"] == 0

    task = await cluster.wait("task", lambda p: running(p) and pid_of(p) != task_pid)
    assert not alive(task_pid)  # killed before its replacement started
    assert status_of(task)["restartCount"] == 1
    assert status_of(task)["lastState"]["terminated"]["reason"] == "ContainerStatusUnknown"

    assert not alive(doomed_pid)
    dirs = [p.name for p in (cluster.data_dir / "pods").iterdir()]
    assert not any(d.startswith("default_doomed_") for d in dirs)

    finished = cluster.pod("finished")
    assert finished is not None and finished["status"]["phase"] == "Succeeded"
    worker = node.agent.find("default", "finished")
    assert worker is not None
    assert worker.runner("main").log_path().read_text() == "once\n"  # type: ignore[union-attr]

    # The adopted process is still supervised: its exit is seen (exit code unknowable).
    psutil.Process(server_pid).kill()
    server = await cluster.wait("server", lambda p: status_of(p)["restartCount"] == 1)
    assert status_of(server)["lastState"]["terminated"]["reason"] == "ContainerStatusUnknown"


async def test_records_keep_the_address(cluster: Cluster) -> None:
    node = await cluster.start()
    await cluster.create(pod_spec("keep", py("main", SLEEP)))
    pod = await cluster.wait("keep", running)
    ip = pod["status"]["podIP"]
    await node.stop(stop_pods=False)
    node = await cluster.start()
    worker = node.agent.find("default", "keep")
    assert worker is not None
    record = records.load(worker.pod_dir)
    assert record is not None and record.ip == ip
    await cluster.create(pod_spec("other", py("main", SLEEP)))
    other = await cluster.wait("other", running)
    assert other["status"]["podIP"] != ip


async def test_clean_shutdown_stops_pods_and_keeps_their_files(cluster: Cluster) -> None:
    node = await cluster.start()
    await cluster.create(pod_spec("svc", py("main", SLEEP)))
    await cluster.create(pod_spec("job", py("main", "print('done')"), restartPolicy="Never"))
    pid = pid_of(await cluster.wait("svc", running))
    await cluster.wait_phase("job", "Succeeded")
    await node.stop()
    assert not alive(pid)
    node = await cluster.start()
    svc = await cluster.wait("svc", lambda p: running(p) and pid_of(p) != pid)
    assert status_of(svc)["restartCount"] == 1
    job = node.agent.find("default", "job")
    assert job is not None
    assert job.runner("main").log_path().read_text() == "done\n"  # type: ignore[union-attr]
