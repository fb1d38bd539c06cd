"""The pod side of the node agent: follow the pods bound to this node, one worker each.

An informer lists and watches pods with `spec.nodeName=<node>`. Before it
delivers anything, the agent reads every pod record in the data dir and scans
for processes carrying a pod marker (`processes.MARKER`): a pod the API still
has gets its record back (its worker adopts or restarts its containers), and
the records and processes of pods the API no longer has are killed and removed.
Then each pod uid gets one `pods.Worker`, level-triggered: a pod seen again
only updates its worker. A pod with `metadata.deletionTimestamp` is stopped
with its `deletionGracePeriodSeconds`, then deleted for good with
`gracePeriodSeconds=0` and a uid precondition; a pod that vanished (a forced
delete) is stopped at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path

import psutil

from pinnace.api import kinds
from pinnace.kits.kube import errors, informers
from pinnace.kits.kube.objects import Object, is_deleting, meta, name_of, namespace_of, uid_of
from pinnace.runtime import addresses, mounting, pods, processes, records, services

log = logging.getLogger(__name__)

FORCED_GRACE = 2.0
"""Seconds a pod that vanished from the API gets to stop (kubelet's minimum)."""


class Agent:
    def __init__(self, svc: services.Services, *, pool: addresses.Pool) -> None:
        self.svc = svc
        self.pool = pool
        self.workers: dict[str, pods.Worker] = {}
        self._records: dict[str, tuple[Path, records.PodRecord]] = {}
        self._strays: dict[str, list[psutil.Process]] = {}
        self._ending: dict[str, asyncio.Task[None]] = {}
        self._gone: set[str] = set()
        """Uids torn down already: a late event must not start them again."""
        self.informer = informers.Informer(
            svc.api,
            kinds.PODS,
            field_selector=f"spec.nodeName={svc.node_name}",
            clock=svc.clock,
        )

    async def start(self) -> None:
        """Load records, sync with the API, clean up what it no longer has, then run."""
        found = records.load_all(self.svc.layout.pods_dir)
        orphans: list[Path] = []
        for pod_dir, record in found.items():
            if record is None:
                orphans.append(pod_dir)
                continue
            self._records[record.uid] = (pod_dir, record)
            self.pool.claim(record.ip)
        self._strays = {}
        for pod_dir_text, procs in processes.marked(self.svc.layout.pods_dir).items():
            self._strays[pod_dir_text] = procs
        self.informer.add_handler(self._on_event)
        self.informer.start()
        await self.informer.wait_synced()
        known = {uid_of(p) for p in self.informer.list()}
        for uid, (pod_dir, record) in list(self._records.items()):
            if uid not in known:
                del self._records[uid]
                self._clean(pod_dir, record)
        for pod_dir in orphans:
            self._clean(pod_dir, None)
        known_dirs = {str(self.svc.layout.pod_dir(p)) for p in self.informer.list()}
        for pod_dir_text, procs in self._strays.items():
            if pod_dir_text not in known_dirs:
                for proc in procs:
                    with contextlib.suppress(psutil.Error):
                        proc.kill()

    def _clean(self, pod_dir: Path, record: records.PodRecord | None) -> None:
        log.info("removing leftovers of a pod that no longer exists: %s", pod_dir.name)
        if record is not None:
            for identity in record.identities():
                processes.kill_leftovers(identity)
            mounting.unlink_host(record.host_links)
            self.pool.release(record.ip)
        for proc in self._strays.pop(str(pod_dir), []):
            with contextlib.suppress(psutil.Error):
                proc.kill()
        shutil.rmtree(pod_dir, ignore_errors=True)
        records.forget(pod_dir)

    async def stop(self, *, stop_pods: bool = True) -> None:
        """Stop following pods; stop their containers too unless `stop_pods` is False."""
        await self.informer.stop()
        for task in self._ending.values():
            task.cancel()
        if stop_pods:
            await asyncio.gather(
                *(w.terminate(_grace(w.pod), remove=False) for w in self.workers.values()),
                return_exceptions=True,
            )
        else:
            await asyncio.gather(*(w.detach() for w in self.workers.values()))
        self.workers.clear()

    def find(self, namespace: str, name: str) -> pods.Worker | None:
        for worker in self.workers.values():
            if namespace_of(worker.pod) == namespace and name_of(worker.pod) == name:
                return worker
        return None

    # -- events -----------------------------------------------------------------------------

    def _on_event(self, kind: str, pod: Object, old: Object | None) -> None:
        if old is not None and uid_of(old) != uid_of(pod):
            self._vanished(old)  # same name, new pod: the old one is gone
        if kind == "DELETED":
            self._vanished(pod)
        else:
            self._sync(pod)

    def _sync(self, pod: Object) -> None:
        uid = uid_of(pod)
        if uid in self._gone:
            return
        worker = self.workers.get(uid)
        if worker is None:
            _, record = self._records.pop(uid, (None, None))
            strays = self._strays.pop(str(self.svc.layout.pod_dir(pod)), [])
            worker = pods.Worker(self.svc, pod, pool=self.pool, record=record, strays=strays)
            self.workers[uid] = worker
            worker.start()
        else:
            worker.update(pod)
        if is_deleting(pod) and uid not in self._ending:
            self._ending[uid] = asyncio.get_running_loop().create_task(self._finish(worker))

    def _vanished(self, pod: Object) -> None:
        uid = uid_of(pod)
        worker = self.workers.get(uid)
        if worker is not None and uid not in self._ending:
            grace = min(_grace(pod), FORCED_GRACE)
            self._ending[uid] = asyncio.get_running_loop().create_task(
                self._finish(worker, grace=grace, delete=False)
            )

    async def _finish(
        self, worker: pods.Worker, *, grace: float | None = None, delete: bool = True
    ) -> None:
        pod = worker.pod
        try:
            await worker.terminate(_grace(pod) if grace is None else grace)
            if delete:
                with contextlib.suppress(errors.NotFound, errors.Conflict):
                    await self.svc.api.delete(
                        kinds.PODS,
                        name_of(pod),
                        namespace=namespace_of(pod),
                        grace_period_seconds=0,
                        precondition_uid=worker.uid,
                    )
        except Exception:
            log.exception("pod %s/%s: teardown failed", namespace_of(pod), name_of(pod))
        finally:
            self._gone.add(worker.uid)
            self.workers.pop(worker.uid, None)
            self._ending.pop(worker.uid, None)


def _grace(pod: Object) -> float:
    m = meta(pod)
    if m.get("deletionGracePeriodSeconds") is not None:
        return float(m["deletionGracePeriodSeconds"])
    value = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
    return 30.0 if value is None else float(value)
