"""Ids → objects: KFP names everything by a UUID, Kubernetes by namespace and name.

Every KFP id the facade hands out is the object's `metadata.uid`, so an id
from kfp.Client, the UI or a PipelineRun's `pipelineVersionRef` stays valid
for as long as the object lives and names that one object. `GET /runs/{id}`
carries no namespace, so the `Finder` keeps a small index uid → (namespace,
name), filled by every object the facade creates, reads or lists; on a miss
it lists the kind across namespaces with the platform's own client (KFP's
API server resolves ids with its own identity too), then the caller's client
reads the object, so the caller's RBAC still decides. An entry that no
longer matches (deleted, re-created) is dropped and looked up again.
"""

from __future__ import annotations

from collections import OrderedDict

from pinnace.kits.kube import clients, objects
from pinnace.kits.kube import errors as kube_errors
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType
from pinnace.pipelines.restapi import errors

MAX_ENTRIES = 100_000


class Finder:
    def __init__(self, platform: clients.KubeApi, *, max_entries: int = MAX_ENTRIES) -> None:
        self._platform = platform
        self._index: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._max = max_entries

    def remember(self, obj: Object) -> Object:
        uid = objects.uid_of(obj)
        if uid:
            self._index[uid] = (objects.namespace_of(obj), objects.name_of(obj))
            self._index.move_to_end(uid)
            while len(self._index) > self._max:
                self._index.popitem(last=False)
        return obj

    def forget(self, uid: str) -> None:
        self._index.pop(uid, None)

    async def _locate(self, rt: ResourceType, uid: str) -> tuple[str, str] | None:
        token: str | None = None
        while True:
            page = await self._platform.list(rt, limit=500, continue_token=token)
            for item in page.items:
                self.remember(item)
            token = page.continue_token
            if not token:
                break
        return self._index.get(uid)

    async def get(self, caller: clients.KubeApi, rt: ResourceType, uid: str, what: str) -> Object:
        """The object of kind `rt` whose uid is `uid`, read as the caller; else 404 naming `what`."""
        if not uid:
            raise errors.InvalidArgument(f"{what} id is required")
        for attempt in range(2):
            where = self._index.get(uid) if attempt == 0 else await self._locate(rt, uid)
            if where is None:
                continue
            namespace, name = where
            try:
                obj = await caller.get(rt, name, namespace=namespace or None)
            except kube_errors.NotFound:
                self.forget(uid)
                continue
            except kube_errors.ApiError as exc:
                raise errors.from_kube(exc, f"{what} {uid}") from exc
            if objects.uid_of(obj) == uid:
                return obj
            self.forget(uid)
        raise errors.NotFound(f"{what} {uid} not found")
