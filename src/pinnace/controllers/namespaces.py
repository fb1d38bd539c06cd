"""Namespace lifecycle: a `default` ServiceAccount in every namespace, and cleanup on delete.

Deleting a Namespace makes the API server set its deletionTimestamp,
`status.phase: Terminating` and keep `spec.finalizers: ["kubernetes"]`. This
controller then deletes every namespaced object in it — every kind discovery
lists with the `list` and `delete` verbs, CRDs included — and requeues until
none is left (pods may take their grace period, objects may wait on their own
finalizers). Then it PUTs `namespaces/{name}/finalize` with the `kubernetes`
finalizer removed and the API server removes the Namespace.
"""

from __future__ import annotations

import asyncio
import contextlib

from pinnace.api import kinds
from pinnace.controllers import reconciling
from pinnace.kits.kube import clients, errors, informers, objects, recording
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.kits.kube.resources import ResourceType

FINALIZER = "kubernetes"
DEFAULT_SERVICE_ACCOUNT = "default"


class NamespaceController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        namespaces: informers.Informer,
        service_accounts: informers.Informer,
        recorder: recording.EventRecorder,
        poll: float = 1.0,
    ) -> None:
        self.client = client
        self.namespaces = namespaces
        self.service_accounts = service_accounts
        self.recorder = recorder
        self.poll = poll

    def namespace_of_account(self, account: Object) -> list[ObjectKey]:
        """ServiceAccount mapper: a removed `default` account must be recreated."""
        if objects.name_of(account) != DEFAULT_SERVICE_ACCOUNT:
            return []
        return [ObjectKey("", objects.namespace_of(account))]

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        ns = self.namespaces.get(key)
        if ns is None:
            return reconciling.DONE
        if not objects.is_deleting(ns):
            await self._ensure_service_account(key.name)
            return reconciling.DONE
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return reconciling.DONE
        remaining = await self._delete_contents(key.name)
        if remaining:
            return reconciling.Result(requeue_after=self.poll)
        fresh = await self.client.get(kinds.NAMESPACES, key.name)
        spec = fresh.get("spec") or {}
        fresh["spec"] = {
            **spec,
            "finalizers": [f for f in spec.get("finalizers") or [] if f != FINALIZER],
        }
        with contextlib.suppress(errors.NotFound):
            await self.client.replace(kinds.NAMESPACES, fresh, subresource="finalize")
        return reconciling.DONE

    async def _ensure_service_account(self, namespace: str) -> None:
        if self.service_accounts.get(ObjectKey(namespace, DEFAULT_SERVICE_ACCOUNT)) is not None:
            return
        body = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": namespace},
        }
        # Forbidden: the namespace started terminating meanwhile
        with contextlib.suppress(errors.AlreadyExists, errors.Forbidden):
            await self.client.create(kinds.SERVICEACCOUNTS, body)

    async def _delete_contents(self, namespace: str) -> int:
        """Delete every object in the namespace; the number of objects still present."""
        kinds_found = [
            r.type
            for r in await self.client.server_resources()
            if r.type.namespaced and {"list", "delete"} <= r.verbs
        ]
        counts = await asyncio.gather(*(self._delete_kind(rt, namespace) for rt in kinds_found))
        return sum(counts)

    async def _delete_kind(self, rt: ResourceType, namespace: str) -> int:
        try:
            listed = await self.client.list(rt, namespace=namespace)
        except errors.NotFound:
            return 0  # the kind went away (its CRD was deleted) meanwhile
        for obj in listed.items:
            if objects.is_deleting(obj):
                continue
            with contextlib.suppress(errors.NotFound):
                await self.client.delete(
                    rt, objects.name_of(obj), namespace=namespace, propagation_policy="Background"
                )
        return len(listed.items)
