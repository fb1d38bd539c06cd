"""One pod on this node: its sandbox, its containers in order, its status, its teardown.

`agents.Agent` keeps one `Worker` per pod uid bound to the node and feeds it
every new version of the pod (`update`). `run` prepares the sandbox (address,
dirs, volumes, record), runs the init containers one by one (each must exit
0), then the app containers together (`containers.Runner`). Whenever a runner
reports a change, the record is saved and a status writer renders the pod
status (`statuses`) and PATCHes `pods/{name}/status` if it differs from the
last write. `terminate` stops everything with the grace period and removes
the pod's files; the agent then completes the API deletion. A pod already
Succeeded or Failed in the API is never run again. `activeDeadlineSeconds`
counts from the pod's startTime: when it passes, every container is stopped
(SIGTERM, grace, SIGKILL) and the pod is Failed with reason DeadlineExceeded,
as the kubelet does it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil

import psutil

from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.kits.kube import errors, recording
from pinnace.kits.kube.objects import Object, name_of, namespace_of, uid_of
from pinnace.runtime import (
    addresses,
    containers,
    envs,
    mounting,
    processes,
    records,
    services,
    statuses,
    volumes,
)

log = logging.getLogger(__name__)

TERMINAL = ("Succeeded", "Failed")
FIRST_WRITE_WINDOW = 0.1
"""Seconds a new pod's first status write waits for its containers to be started."""


def _creating(runner: containers.Runner) -> bool:
    waiting = runner.state.get("waiting") or {}
    return waiting.get("reason") in ("ContainerCreating", "PodInitializing") and not waiting.get(
        "message"
    )


class Worker:
    def __init__(
        self,
        svc: services.Services,
        pod: Object,
        *,
        pool: addresses.Pool,
        record: records.PodRecord | None = None,
        strays: list[psutil.Process] | None = None,
    ) -> None:
        self.svc = svc
        self._pod = pod
        self.pool = pool
        self.uid = uid_of(pod)
        self.pod_dir = svc.layout.pod_dir(pod)
        status = pod.get("status") or {}
        self.finished = status.get("phase") in TERMINAL and record is None
        if record is None:
            ip = "" if self.finished else pool.allocate()
            now = clocks.rfc3339(svc.clock.now())
            record = records.PodRecord(self.uid, namespace_of(pod), name_of(pod), ip, now)
        else:
            pool.claim(record.ip)
        self.record = record
        self._strays = strays or []
        spec = pod.get("spec") or {}
        hostname = str(spec.get("hostname") or name_of(pod))
        env = {**svc.base_env, "HOSTNAME": hostname, "POD_IP": record.ip}
        self.sandbox = containers.Sandbox(self.pod_dir, record.ip, record, env)
        self.init_runners = [
            containers.Runner(svc, self, self.sandbox, c, init=True)
            for c in spec.get("initContainers") or []
        ]
        self.runners = [
            containers.Runner(svc, self, self.sandbox, c, init=False)
            for c in spec.get("containers") or []
        ]
        self._conditions = statuses.Conditions(status.get("conditions") or ())
        self._written: Object | None = None
        self._dirty = asyncio.Event()
        self._settled = asyncio.Event()
        """Set once no container is merely being created: the first status write waits for it."""
        self._tasks: list[asyncio.Task[None]] = []
        self.terminating = False
        self.deadline_exceeded = False

    @property
    def pod(self) -> Object:
        return self._pod

    def update(self, pod: Object) -> None:
        self._pod = pod

    def runner(self, name: str) -> containers.Runner | None:
        for runner in (*self.init_runners, *self.runners):
            if runner.name == name:
                return runner
        return None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.finished:
            return
        self._tasks = [loop.create_task(self._run()), loop.create_task(self._write_status())]
        deadline = (self.pod.get("spec") or {}).get("activeDeadlineSeconds")
        if deadline:
            self._tasks.append(loop.create_task(self._enforce_deadline(float(deadline))))

    async def _enforce_deadline(self, seconds: float) -> None:
        started = clocks.parse_rfc3339(self.record.start_time)
        left = seconds - (self.svc.clock.now() - started).total_seconds()
        if left > 0:
            await self.svc.clock.sleep(left)
        policy = str((self.pod.get("spec") or {}).get("restartPolicy") or "Always")
        init = [r.status() for r in self.init_runners]
        if statuses.phase(init, [r.status() for r in self.runners], policy) in TERMINAL:
            return
        self.deadline_exceeded = True
        self.svc.events.emit(
            self.pod,
            "DeadlineExceeded",
            f"Pod was active on the node longer than the specified deadline ({seconds:g}s)",
            type_=recording.WARNING,
        )
        runners = [*self.init_runners, *self.runners]
        await asyncio.gather(*(r.stop(r.grace) for r in runners))
        self.changed()

    async def _run(self) -> None:
        records.save(self.pod_dir, self.record)
        for proc in self._strays:  # escaped an earlier run's process groups: not adoptable
            if not any(proc.pid == i.pid for i in self.record.identities()):
                with contextlib.suppress(psutil.Error):
                    proc.kill()
        for runner in self.runners:
            if not runner.record.final_state and not runner.record.process:
                runner.state = {
                    "waiting": {
                        "reason": "PodInitializing" if self.init_runners else "ContainerCreating"
                    }
                }
        self.changed()
        await self._prepare_volumes()
        for runner in self.init_runners:
            final = await runner.run()
            if final is None or final.get("exitCode") != 0:
                self.changed()
                return  # stopped, or failed with restartPolicy Never: the pod is Failed
        for runner in self.runners:
            if "waiting" in runner.state and not runner.record.last_state:
                runner.state = {"waiting": {"reason": "ContainerCreating"}}
        self.changed()
        await asyncio.gather(*(runner.run() for runner in self.runners))
        self.changed()

    async def _prepare_volumes(self) -> None:
        facts = envs.Facts(self.record.ip, self.svc.host_ip, self.svc.allocatable)
        while True:
            try:
                self.sandbox.volume_dirs = await volumes.prepare(
                    self.pod, layout=self.svc.layout, lookup=self.svc.lookup, facts=facts
                )
                return
            except volumes.MountError as exc:
                waiting = {"waiting": {"reason": "ContainerCreating", "message": str(exc)}}
                first = self.init_runners[:1] or self.runners
                if any(r.state != waiting for r in first):
                    for runner in first:
                        runner.state = waiting
                    self.changed()
                    self.svc.events.emit(
                        self.pod,
                        "FailedMount",
                        f"MountVolume.SetUp failed: {exc}",
                        type_=recording.WARNING,
                    )
                await self.svc.clock.sleep(self.svc.config_retry)

    async def terminate(self, grace: float, *, remove: bool = True) -> None:
        """Stop every container (SIGTERM, `grace`, SIGKILL), then remove the pod's files
        (unless `remove` is False: the agent shuts down and the pod runs again next start)."""
        self.terminating = True
        all_runners = [*self.init_runners, *self.runners]
        await asyncio.gather(*(r.stop(grace) for r in all_runners))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for identity in self.record.identities():
            processes.kill_leftovers(identity)
        if not remove:
            return
        mounting.unlink_host(self.record.host_links)
        for runner in all_runners:
            self.svc.indexer.forget(runner.log_path())
        shutil.rmtree(self.pod_dir, ignore_errors=True)
        records.forget(self.pod_dir)
        if self.record.ip:
            self.pool.release(self.record.ip)

    async def detach(self) -> None:
        """Stop supervising without stopping the processes (the agent is shutting down)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for runner in (*self.init_runners, *self.runners):
            if runner.process is not None:
                runner.process.close()

    # -- status -----------------------------------------------------------------------------

    def changed(self) -> None:
        if self.terminating:
            return
        records.save(self.pod_dir, self.record)
        if not self._settled.is_set() and not any(map(_creating, self.all_runners())):
            self._settled.set()
        self._dirty.set()

    def all_runners(self) -> list[containers.Runner]:
        return [*self.init_runners, *self.runners]

    def render(self) -> Object:
        init_statuses = [r.status() for r in self.init_runners]
        container_statuses = [r.status() for r in self.runners]
        policy = str((self.pod.get("spec") or {}).get("restartPolicy") or "Always")
        pod_phase = statuses.phase(init_statuses, container_statuses, policy)
        status: Object = {
            "phase": pod_phase,
            "conditions": self._conditions.render(
                init_statuses=init_statuses,
                statuses=container_statuses,
                pod_phase=pod_phase,
                now=self.svc.clock.now(),
            ),
            "hostIP": self.svc.host_ip,
            "hostIPs": [{"ip": self.svc.host_ip}],
            "podIP": self.record.ip,
            "podIPs": [{"ip": self.record.ip}],
            "startTime": self.record.start_time,
            "containerStatuses": container_statuses,
        }
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        if self.deadline_exceeded:
            status["phase"] = "Failed"
            status["reason"] = "DeadlineExceeded"
            status["message"] = "Pod was active on the node longer than the specified deadline"
        return status

    async def _write_status(self) -> None:
        if self._written is None:
            # A container about to start: write its first status once it runs (or waits on
            # something, or the window passes), one status write fewer per pod start.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), FIRST_WRITE_WINDOW)
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            status = self.render()
            if status == self._written:
                continue
            try:
                await self.svc.api.patch(
                    kinds.PODS,
                    name_of(self.pod),
                    {"status": status},
                    namespace=namespace_of(self.pod),
                    subresource="status",
                )
                self._written = status
            except errors.NotFound:
                return
            except (errors.ApiError, errors.TransportError) as exc:
                log.warning("pod %s: status write failed: %s", name_of(self.pod), exc)
                await self.svc.clock.sleep(1.0)
                self._dirty.set()
