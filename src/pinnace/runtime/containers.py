"""One container of a pod: start, supervise, probe, restart with backoff, stop.

`pods.Worker` makes a `Runner` per container and awaits `run()` (init
containers one after another, app containers together). A run resolves the
environment (`envs`) and mounts (`mounting`), spawns the process
(`processes`), watches memory (`limiting`), indexes its log (`logs`), runs its
probes (`probing`), and when the process exits decides with the pod's
restartPolicy whether to start it again after a CrashLoopBackOff delay
(`backoffs`). Every change lands in the pod record and is reported through
`Owner.changed()`; `status()` renders the containerStatus. A process left by
an earlier agent is adopted when the policy is Always (its exit code will not
matter), otherwise killed and started again: see docs/design/runtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from pinnace.kits import clocks
from pinnace.kits.kube import recording
from pinnace.kits.kube.objects import Object, name_of, namespace_of, uid_of
from pinnace.runtime import (
    backoffs,
    envs,
    expanding,
    images,
    layouts,
    limiting,
    logs,
    mounting,
    probing,
    processes,
    quantities,
    records,
    services,
    volumes,
)

log = logging.getLogger(__name__)

UNKNOWN_EXIT = 137


@dataclass
class Sandbox:
    """The pod-level things a container runs in, prepared by `pods.Worker`."""

    pod_dir: Path
    ip: str
    record: records.PodRecord
    env: dict[str, str]
    volume_dirs: dict[str, Path] = field(default_factory=dict)


class Runner:
    def __init__(
        self,
        svc: services.Services,
        owner: services.Owner,
        sandbox: Sandbox,
        spec: Object,
        *,
        init: bool,
    ) -> None:
        self.svc, self.owner, self.sandbox, self.spec, self.init = svc, owner, sandbox, spec, init
        self.name = str(spec.get("name") or "")
        self.record = sandbox.record.container(self.name)
        self.state: Object = {"waiting": {"reason": "PodInitializing"}}
        if self.record.final_state:
            self.state = {"terminated": self.record.final_state}
        self.ready = False
        self.started = False
        self.process: processes.Process | None = None
        self.backoff = backoffs.Backoff(svc.backoff)
        self._stop = asyncio.Event()
        self._oom = False
        self._probes: list[asyncio.Task[Any]] = []
        self._env: dict[str, str] = {}
        self._cwd = sandbox.pod_dir
        self._venv = svc.environments.default

    # -- reading --------------------------------------------------------------------------

    @property
    def policy(self) -> str:
        return str((self.owner.pod.get("spec") or {}).get("restartPolicy") or "Always")

    @property
    def grace(self) -> float:
        spec = self.owner.pod.get("spec") or {}
        value = spec.get("terminationGracePeriodSeconds")
        return 30.0 if value is None else float(value)

    def log_path(self, previous: bool = False) -> Path:
        restart = self.record.restart_count - (1 if previous else 0)
        return logs.log_path(layouts.container_dir(self.sandbox.pod_dir, self.name), restart)

    def running(self) -> bool:
        return self.process is not None and not self.process.done()

    def status(self) -> Object:
        out: Object = {
            "name": self.name,
            "state": self.state,
            "lastState": self.record.last_state or {},
            "ready": self.ready,
            "restartCount": self.record.restart_count,
            "image": str(self.spec.get("image") or ""),
            "imageID": self.svc.environments.image_id(str(self.spec.get("image") or "")),
            "started": self.started,
        }
        if "running" in self.state and self.record.process is not None:
            out["containerID"] = f"pinnace://{self.record.process.pid}"
        elif "terminated" in self.state and self.state["terminated"].get("containerID"):
            out["containerID"] = self.state["terminated"]["containerID"]
        return out

    # -- running --------------------------------------------------------------------------

    def should_restart(self, exit_code: int) -> bool:
        if self.init:
            return exit_code != 0 and self.policy != "Never"
        return self.policy == "Always" or (self.policy == "OnFailure" and exit_code != 0)

    async def run(self) -> Object | None:
        """Run until the container is done for good; its final terminated state (None if
        stopped)."""
        if self.record.final_state:
            return self.record.final_state
        adopted = self._recover()
        while not self._stop.is_set():
            began = self.svc.clock.monotonic()
            if adopted is not None:
                outcome: processes.Process | Object | None = adopted
                adopted = None
            else:
                outcome = await self._start()
            if outcome is None:
                break  # stopped while waiting for config
            if isinstance(outcome, processes.Process):
                terminated = await self._supervise(outcome)
            else:
                terminated = outcome
            if self._stop.is_set() or not self.should_restart(int(terminated["exitCode"])):
                self.state = {"terminated": terminated}
                if not self._stop.is_set():
                    self.record.final_state = terminated
                self.owner.changed()
                return terminated
            self.record.last_state = {"terminated": terminated}
            delay = self.backoff.delay(self.svc.clock.monotonic() - began)
            if delay > 0:
                pod = self.owner.pod
                message = (
                    f"back-off {delay:g}s restarting failed container={self.name} "
                    f"pod={name_of(pod)}_{namespace_of(pod)}({uid_of(pod)})"
                )
                self.state = {"waiting": {"reason": "CrashLoopBackOff", "message": message}}
                self.owner.changed()
                self.svc.events.emit(
                    pod,
                    "BackOff",
                    f"Back-off restarting failed container {self.name} in pod "
                    f"{name_of(pod)}_{namespace_of(pod)}({uid_of(pod)})",
                    type_=recording.WARNING,
                )
                await self._sleep(delay)
        return None

    async def stop(self, grace: float) -> None:
        """Stop for good: no restart; the process group gets SIGTERM, then SIGKILL."""
        self._stop.set()
        if self.process is not None:
            await self.process.stop(grace)

    def _recover(self) -> processes.Process | None:
        """Deal with a process recorded by an earlier agent: adopt it or kill what is left."""
        identity = self.record.process
        if identity is None:
            return None
        if not self.init and self.policy == "Always":
            adopted = processes.adopt(identity)
            if adopted is not None:
                log.info("adopted %s pid %d", self.name, identity.pid)
                return adopted
        processes.kill_leftovers(identity)
        self.record.last_state = {
            "terminated": {
                "exitCode": UNKNOWN_EXIT,
                "reason": "ContainerStatusUnknown",
                "message": "the node agent restarted; the container was stopped and started again",
                "startedAt": self.record.started_at,
                "finishedAt": clocks.rfc3339(self.svc.clock.now()),
                "containerID": f"pinnace://{identity.pid}",
            }
        }
        self.record.process = None
        return None

    async def _sleep(self, seconds: float) -> None:
        stop = asyncio.ensure_future(self._stop.wait())
        sleep = asyncio.ensure_future(self.svc.clock.sleep(seconds))
        await asyncio.wait({stop, sleep}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stop, sleep):
            task.cancel()

    async def _start(self) -> processes.Process | Object | None:
        """Spawn the next run; a terminated state if it cannot start; None if stopped."""
        pod = self.owner.pod
        while True:
            try:
                launch = await self._launch(pod)
                break
            except (envs.ConfigError, volumes.MountError) as exc:
                reason = (
                    "CreateContainerConfigError"
                    if isinstance(exc, envs.ConfigError)
                    else "ContainerCreating"
                )
                waiting = {"waiting": {"reason": reason, "message": str(exc)}}
                if self.state != waiting:
                    self.state = waiting
                    self.owner.changed()
                    self.svc.events.emit(pod, "Failed", f"Error: {exc}", type_=recording.WARNING)
                await self._sleep(self.svc.config_retry)
                if self._stop.is_set():
                    return None
        if self._stop.is_set():
            return None
        if self.record.started_at is not None:
            self.record.restart_count += 1  # it ran before: this is a restart
        started_at = clocks.rfc3339(self.svc.clock.now())
        self.record.started_at = started_at
        launch = processes.Launch(launch.argv, launch.env, launch.cwd, self.log_path())
        try:
            process = await self._spawn(launch)
        except processes.StartError as exc:
            return {
                "exitCode": 128,
                "reason": "StartError",
                "message": str(exc),
                "startedAt": started_at,
                "finishedAt": started_at,
            }
        self.record.process = process.identity
        self.owner.changed()  # saves the record before anything else can happen
        if self.svc.forks is not None:
            self.svc.forks.acknowledge(process, self._venv)
        self.svc.events.emit(pod, "Started", f"Started container {self.name}")
        return process

    async def _spawn(self, launch: processes.Launch) -> processes.Process:
        """A warm child of the venv's fork server when the entry point is warmed, else a spawn."""
        if self.svc.forks is not None:
            process = await self.svc.forks.spawn(launch, self._venv)
            if process is not None:
                return process
        return processes.spawn(launch)

    async def _launch(self, pod: Object) -> processes.Launch:
        facts = envs.Facts(self.sandbox.ip, self.svc.host_ip, self.svc.allocatable)
        pod_dir = self.sandbox.pod_dir
        image = str(self.spec.get("image") or "")
        self._venv = self.svc.environments.venv_for(image)
        # The image's ENV (HOME of a notebook image, say) sits above the platform's defaults.
        base = {**self.sandbox.env, **self.svc.environments.environ(image)}
        env = await envs.resolve(pod, self.spec, facts=facts, lookup=self.svc.lookup, base=base)
        env[processes.MARKER] = str(pod_dir)
        mounts = mounting.plan(self.spec, self.sandbox.volume_dirs, pod_dir=pod_dir)
        try:
            argv = self.svc.environments.argv(
                image, list(self.spec.get("command") or []), list(self.spec.get("args") or [])
            )
        except images.NoEntrypoint as exc:
            raise envs.ConfigError(str(exc)) from exc
        argv = [mounting.rewrite(expanding.expand(str(a), env), mounts) for a in argv]
        env = {k: mounting.rewrite(v, mounts) for k, v in env.items()}
        if self.svc.host_links and mounts:
            links, problems = mounting.link_host(mounts, data_dir=self.svc.layout.data_dir)
            for link in links:
                if link not in self.sandbox.record.host_links:
                    self.sandbox.record.host_links.append(link)
            for problem in problems:
                self.svc.events.emit(pod, "MountPathUnavailable", problem, type_=recording.WARNING)
        cwd = mounting.working_dir(self.spec, mounts, pod_dir=pod_dir)
        self._env, self._cwd = env, cwd
        return processes.Launch(argv, env, cwd, self.log_path())

    async def _supervise(self, process: processes.Process) -> Object:
        """Watch one run to its end; returns its terminated state."""
        self.process = process
        self._oom = False
        if self._stop.is_set():  # stopped while a fork server was starting it
            self._probes.append(asyncio.ensure_future(process.stop(self.grace)))
        started_at = self.record.started_at or clocks.rfc3339(self.svc.clock.now())
        self.state = {"running": {"startedAt": started_at}}
        path = self.log_path()
        self.svc.indexer.note(path)
        self.svc.indexer.active.add(path)
        watched: limiting.Watched | None = None
        limit = ((self.spec.get("resources") or {}).get("limits") or {}).get("memory")
        if limit is not None:
            watched = self.svc.memory.watch(process, quantities.to_bytes(limit), self._on_oom)
        self._start_probes()
        self.owner.changed()
        try:
            code = await process.wait()
        finally:  # exited, or the agent detaches (then the process keeps running)
            for task in self._probes:
                task.cancel()
            self._probes = []
            if watched is not None:
                self.svc.memory.unwatch(watched)
            self.svc.indexer.active.discard(path)
        if watched is not None:
            for proc in watched.survivors():
                with contextlib.suppress(psutil.Error):
                    proc.kill()
        process.signal_group(signal.SIGKILL)  # what is left of the group goes with it
        self.svc.indexer.note(path)
        self.process = None
        self.ready = False
        self.started = False
        self.record.process = None
        terminated: Object = {
            "exitCode": UNKNOWN_EXIT if code is None else code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": started_at,
            "finishedAt": clocks.rfc3339(self.svc.clock.now()),
            "containerID": f"pinnace://{process.pid}",
        }
        if self._oom:
            terminated.update(exitCode=137, reason="OOMKilled")
        elif code is None:
            terminated["reason"] = "ContainerStatusUnknown"
            terminated["message"] = "adopted after a node agent restart: exit code unknown"
        return terminated

    def _on_oom(self) -> None:
        self._oom = True

    # -- probes ---------------------------------------------------------------------------

    def _start_probes(self) -> None:
        if self.init:
            self.started = True
            return
        if self.spec.get("startupProbe"):
            self._probe("startup")
            return
        self._after_startup()

    def _after_startup(self) -> None:
        self.started = True
        if self.spec.get("livenessProbe"):
            self._probe("liveness")
        if self.spec.get("readinessProbe"):
            self._probe("readiness")
        else:
            self.ready = True

    def _probe(self, kind: probing.Kind) -> None:
        assert self.process is not None
        spec: dict[str, Any] = self.spec[f"{kind}Probe"]
        target = probing.Target(self.sandbox.ip, self.spec, self._env, self._cwd)
        prober = probing.Prober(
            kind,
            spec,
            probing.make_check(spec, target),
            on_change=self._on_probe,
            clock=self.svc.clock,
        )
        self._probes.append(asyncio.get_running_loop().create_task(prober.run()))

    def _on_probe(self, prober: probing.Prober) -> None:
        pod = self.owner.pod
        if prober.kind == "readiness":
            if self.ready != prober.ok:
                self.ready = prober.ok
                self.owner.changed()
            if not prober.ok:
                message = f"Readiness probe failed: {prober.message}"
                self.svc.events.emit(pod, "Unhealthy", message, type_=recording.WARNING)
            return
        if prober.kind == "startup" and prober.ok:
            self._after_startup()
            self.owner.changed()
            return
        label = "Liveness" if prober.kind == "liveness" else "Startup"
        self.svc.events.emit(
            pod, "Unhealthy", f"{label} probe failed: {prober.message}", type_=recording.WARNING
        )
        self.svc.events.emit(
            pod,
            "Killing",
            f"Container {self.name} failed {prober.kind} probe, will be restarted",
        )
        if self.process is not None:
            grace = self.spec[f"{prober.kind}Probe"].get("terminationGracePeriodSeconds")
            task = asyncio.get_running_loop().create_task(
                self.process.stop(self.grace if grace is None else float(grace))
            )
            self._probes.append(task)
