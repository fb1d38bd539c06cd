"""The garbage collector: ownerReferences made real (kube's garbagecollector, condensed).

On start it discovers every kind that can be listed, watched and deleted
(re-discovering periodically, so new CRDs join and the kinds of deleted CRDs
leave: their informers are released instead of relisting a 404 forever),
watches each through a shared informer, and keeps a graph: object uid → (kind, object) and owner uid →
dependent uids. Work items are object uids (the queue key is
`ObjectKey("", uid)`); `reconcile` applies the three deletion modes:

- background: an object all of whose owners are gone (verified with a live
  GET when the graph does not know the owner) is deleted; dangling references
  next to live owners are removed;
- `foregroundDeletion` finalizer on an owner: its dependents are deleted
  (in foreground too), and once no dependent with `blockOwnerDeletion` is
  left, the finalizer is removed so the API server can finish the delete;
- `orphan` finalizer: the owner's reference is stripped from every
  dependent, then the finalizer is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from pinnace.controllers import metrics, reconciling, running
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.kits.kube.resources import ResourceType

log = logging.getLogger(__name__)

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
IGNORED = frozenset({"events", "events.events.k8s.io"})

InformerFor = Callable[[ResourceType], informers.Informer]
Release = Callable[[informers.Informer], Awaitable[None]]


async def _stop(inf: informers.Informer) -> None:
    await inf.stop()


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


class GarbageCollector:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        informer_for: InformerFor,
        release: Release = _stop,
        clock: clocks.Clock = clocks.SYSTEM,
        rediscover: float = 10.0,
        workers: int = 2,
        meter: metrics.ControllerMetrics | None = None,
    ) -> None:
        self.client = client
        self._informer_for = informer_for
        self._release = release
        self._clock = clock
        self._rediscover = rediscover
        self.controller = running.Controller(
            "garbage-collector", self, workers=workers, clock=clock, meter=meter
        )
        self._watched: dict[ResourceType, informers.Informer] = {}
        self._handlers: dict[ResourceType, informers.Handler] = {}
        self._kinds: dict[tuple[str, str], ResourceType] = {}
        self._nodes: dict[str, tuple[ResourceType, Object]] = {}
        self._dependents: dict[str, set[str]] = {}
        self._loop: asyncio.Task[None] | None = None

    @property
    def watched(self) -> frozenset[ResourceType]:
        """The kinds followed now."""
        return frozenset(self._watched)

    # -- lifecycle (the manager calls these) ------------------------------------------------

    async def start(self) -> None:
        await self.discover()
        await asyncio.gather(*(inf.wait_synced() for inf in self._watched.values()))
        await self.controller.start()
        self._loop = asyncio.get_running_loop().create_task(self._rediscover_loop())

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        await self.controller.stop()

    async def _rediscover_loop(self) -> None:
        while True:
            await self._clock.sleep(self._rediscover)
            try:
                await self.discover()
            except (errors.ApiError, errors.TransportError) as exc:
                log.warning("garbage collector: discovery failed: %s", exc)

    async def discover(self) -> None:
        """Watch every deletable kind not watched yet; drop the kinds that went away."""
        served = await self.client.server_resources()
        self._kinds.update({(r.type.group, r.type.kind): r.type for r in served})
        for res in served:
            rt = res.type
            if rt in self._watched or rt.group_resource in IGNORED:
                continue
            if not {"list", "watch", "delete"} <= res.verbs:
                continue
            inf = self._informer_for(rt)
            handler = self._handlers[rt] = self._handler(rt)
            inf.add_handler(handler)
            inf.start()
            self._watched[rt] = inf
        gone = set(self._watched) - {r.type for r in served}
        for rt in gone:
            await self._forget_kind(rt)

    async def _forget_kind(self, rt: ResourceType) -> None:
        """A kind no longer served (its CRD was deleted): its objects went with it."""
        inf = self._watched.pop(rt)
        inf.remove_handler(self._handlers.pop(rt))
        await self._release(inf)
        for uid in [u for u, (kind, _) in self._nodes.items() if kind == rt]:
            _, obj = self._nodes.pop(uid)
            self._unlink(uid, obj)
            for dep in self._dependents.get(uid, set()):
                self.controller.queue.add(ObjectKey("", dep))
        log.info(
            "garbage collector: %s is no longer served; stopped watching it", rt.group_resource
        )

    # -- the graph -----------------------------------------------------------------------------

    def _handler(self, rt: ResourceType) -> informers.Handler:
        def handle(kind: str, obj: Object, old: Object | None) -> None:
            uid = objects.uid_of(obj)
            if old is not None:
                self._unlink(uid, old)
            if kind == "DELETED":
                self._nodes.pop(uid, None)
            else:
                self._nodes[uid] = (rt, obj)
                for owner in _owner_uids(obj):
                    self._dependents.setdefault(owner, set()).add(uid)
            wake = {uid}
            if kind == "DELETED" or objects.is_deleting(obj):
                wake |= self._dependents.get(uid, set())
                wake |= set(_owner_uids(obj))
            for u in wake:
                self.controller.queue.add(ObjectKey("", u))

        return handle

    def _unlink(self, uid: str, old: Object) -> None:
        for owner in _owner_uids(old):
            deps = self._dependents.get(owner)
            if deps is not None:
                deps.discard(uid)
                if not deps:
                    del self._dependents[owner]

    def dependents(self, uid: str) -> list[tuple[ResourceType, Object]]:
        return [self._nodes[d] for d in self._dependents.get(uid, ()) if d in self._nodes]

    # -- reconcile -------------------------------------------------------------------------------

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        node = self._nodes.get(key.name)
        if node is None:
            return reconciling.DONE
        rt, obj = node
        finalizers = objects.meta(obj).get("finalizers") or []
        if objects.is_deleting(obj):
            if ORPHAN in finalizers:
                await self._orphan(obj)
                await self._remove_finalizer(rt, obj, ORPHAN)
            elif FOREGROUND in finalizers:
                await self._foreground(rt, obj)
            return reconciling.DONE
        await self._check_owners(rt, obj)
        return reconciling.DONE

    async def _check_owners(self, rt: ResourceType, obj: Object) -> None:
        refs = objects.meta(obj).get("ownerReferences") or []
        if not refs:
            return
        dangling, waiting, solid = [], [], []
        for ref in refs:
            owner = await self._owner(ref, objects.namespace_of(obj))
            if owner is None:
                dangling.append(ref)
            elif objects.is_deleting(owner) and FOREGROUND in (
                objects.meta(owner).get("finalizers") or []
            ):
                waiting.append(ref)
            else:
                solid.append(ref)
        name, ns = objects.name_of(obj), objects.namespace_of(obj) or None
        if not solid and not waiting:
            with contextlib.suppress(errors.NotFound, errors.Conflict):
                await self.client.delete(
                    rt,
                    name,
                    namespace=ns,
                    propagation_policy="Background",
                    precondition_uid=objects.uid_of(obj),
                )
            return
        if dangling:
            keep = [r for r in refs if r not in dangling]
            await self._set_owner_refs(rt, obj, keep)
            return
        if not solid and any(r.get("blockOwnerDeletion") for r in waiting):
            with contextlib.suppress(errors.NotFound, errors.Conflict):
                await self.client.delete(
                    rt,
                    name,
                    namespace=ns,
                    propagation_policy="Foreground",
                    precondition_uid=objects.uid_of(obj),
                )

    async def _owner(self, ref: Object, namespace: str) -> Object | None:
        """The live owner a reference points to, or None when it is gone."""
        uid = str(ref.get("uid") or "")
        known = self._nodes.get(uid)
        if known is not None:
            return known[1]
        rt = self._kinds.get((_group(str(ref.get("apiVersion") or "")), str(ref.get("kind"))))
        if rt is None:
            return ref  # a kind discovery does not know: cannot tell, keep the dependent
        try:
            owner = await self.client.get(
                rt, str(ref.get("name")), namespace=namespace if rt.namespaced else None
            )
        except errors.NotFound:
            return None
        return owner if objects.uid_of(owner) == uid else None

    async def _foreground(self, rt: ResourceType, owner: Object) -> None:
        uid = objects.uid_of(owner)
        blocking = 0
        for dep_rt, dep in self.dependents(uid):
            ref = next(
                r for r in objects.meta(dep).get("ownerReferences") or [] if r.get("uid") == uid
            )
            if ref.get("blockOwnerDeletion"):
                blocking += 1
            if not objects.is_deleting(dep):
                with contextlib.suppress(errors.NotFound, errors.Conflict):
                    await self.client.delete(
                        dep_rt,
                        objects.name_of(dep),
                        namespace=objects.namespace_of(dep) or None,
                        propagation_policy="Foreground",
                        precondition_uid=objects.uid_of(dep),
                    )
        if blocking == 0:
            await self._remove_finalizer(rt, owner, FOREGROUND)

    async def _orphan(self, owner: Object) -> None:
        uid = objects.uid_of(owner)
        for dep_rt, dep in self.dependents(uid):
            keep = [
                r for r in objects.meta(dep).get("ownerReferences") or [] if r.get("uid") != uid
            ]
            await self._set_owner_refs(dep_rt, dep, keep)

    async def _set_owner_refs(self, rt: ResourceType, obj: Object, refs: list[Object]) -> None:
        patch = {
            "metadata": {
                "ownerReferences": refs or None,
                "resourceVersion": objects.resource_version_of(obj),
            }
        }
        with contextlib.suppress(errors.NotFound):
            await self.client.patch(
                rt, objects.name_of(obj), patch, namespace=objects.namespace_of(obj) or None
            )

    async def _remove_finalizer(self, rt: ResourceType, obj: Object, finalizer: str) -> None:
        fins = [f for f in objects.meta(obj).get("finalizers") or [] if f != finalizer]
        patch = {
            "metadata": {
                "finalizers": fins or None,
                "resourceVersion": objects.resource_version_of(obj),
            }
        }
        with contextlib.suppress(errors.NotFound):
            await self.client.patch(
                rt, objects.name_of(obj), patch, namespace=objects.namespace_of(obj) or None
            )


def _owner_uids(obj: Object) -> list[str]:
    return [str(r["uid"]) for r in objects.meta(obj).get("ownerReferences") or [] if r.get("uid")]
