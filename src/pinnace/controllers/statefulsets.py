"""StatefulSet → ordered pods `<name>-0 … <name>-N-1` with stable PVCs.

`reconcile(key)` reads the set and its pods from the caches. Each ordinal's
pod gets `hostname=<pod name>`, `subdomain=spec.serviceName`, the labels
`statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index` and
`controller-revision-hash`, and one PVC per volumeClaimTemplate named
`<claim>-<set>-<ordinal>`, created before the pod and kept on scale down
(retention policy Retain). OrderedReady (the default) creates the next ordinal
only when all lower ones are Running and Ready, and removes the highest ordinal
first, one at a time; Parallel does both at once. A RollingUpdate replaces
outdated pods from the highest ordinal down to `partition`, one at a time,
when all pods are healthy. Names are deterministic, so a write the cache has
not caught up with ends in 409/404 and is simply done. A pod Ready for less
than `minReadySeconds` is not yet available: the reconcile asks to be
requeued when it will be, so `availableReplicas` catches up on time.
"""

from __future__ import annotations

import asyncio
import copy

from pinnace.api import kinds
from pinnace.controllers import deployments, pods, reconciling, statuses
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects, recording
from pinnace.kits.kube.objects import Object, ObjectKey

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"


def ordinal_of(set_name: str, pod: Object) -> int | None:
    prefix, _, index = objects.name_of(pod).rpartition("-")
    if prefix != set_name or not index.isdigit():
        return None
    return int(index)


def claim_name(claim: Object, set_name: str, ordinal: int) -> str:
    return f"{objects.name_of(claim)}-{set_name}-{ordinal}"


def healthy(pod: Object) -> bool:
    return pods.is_active(pod) and pods.phase(pod) == "Running" and pods.is_ready(pod)


class StatefulSetController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        statefulsets: informers.Informer,
        pods: informers.Informer,
        recorder: recording.EventRecorder,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.statefulsets = statefulsets
        self.pods = pods
        self.recorder = recorder
        self.clock = clock

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        sts = self.statefulsets.get(key)
        if sts is None or objects.is_deleting(sts):
            return reconciling.DONE
        spec = sts.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        parallel = spec.get("podManagementPolicy") == "Parallel"
        revision = f"{key.name}-{deployments.template_hash(spec.get('template') or {})}"
        by_ordinal: dict[int, Object] = {}
        for pod in self.pods.owned_by(objects.uid_of(sts)):
            ordinal = ordinal_of(key.name, pod)
            if ordinal is not None and objects.controller_uid(pod) == objects.uid_of(sts):
                by_ordinal[ordinal] = pod
        await self._step(sts, by_ordinal, replicas, revision, parallel)
        return reconciling.Result.after(await self._write_status(sts, revision))

    async def _step(
        self,
        sts: Object,
        by_ordinal: dict[int, Object],
        replicas: int,
        revision: str,
        parallel: bool,
    ) -> None:
        # 1. replace finished pods, create missing ordinals (in order unless Parallel)
        creates: list[int] = []
        for ordinal in range(replicas):
            pod = by_ordinal.get(ordinal)
            if pod is not None and not objects.is_deleting(pod) and not pods.is_active(pod):
                await self._delete(sts, pod)
                if not parallel:
                    return
                continue
            if pod is None:
                creates.append(ordinal)
                if not parallel:
                    break
            elif not parallel and not healthy(pod):
                break
        if creates:
            await asyncio.gather(*(self._create(sts, o, revision) for o in creates))
            return
        # 2. scale down from the highest ordinal
        condemned = sorted((o for o in by_ordinal if o >= replicas), reverse=True)
        if condemned:
            if parallel:
                await asyncio.gather(*(self._delete(sts, by_ordinal[o]) for o in condemned))
                return
            live = [by_ordinal[o] for o in by_ordinal if o < replicas]
            if any(objects.is_deleting(by_ordinal[o]) for o in condemned):
                return
            if all(healthy(p) for p in live):
                await self._delete(sts, by_ordinal[condemned[0]])
            return
        # 3. rolling update, highest ordinal first, down to the partition
        strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        current = [by_ordinal[o] for o in range(replicas) if o in by_ordinal]
        if len(current) < replicas or not all(healthy(p) for p in current):
            return
        for ordinal in range(replicas - 1, partition - 1, -1):
            pod = by_ordinal[ordinal]
            if objects.labels_of(pod).get(REVISION_LABEL) != revision:
                await self._delete(sts, pod)
                return

    async def _create(self, sts: Object, ordinal: int, revision: str) -> None:
        key = objects.key_of(sts)
        spec = sts.get("spec") or {}
        template = spec.get("template") or {}
        name = f"{key.name}-{ordinal}"
        pod_spec = copy.deepcopy(template.get("spec") or {})
        claims = spec.get("volumeClaimTemplates") or []
        volumes = [
            v
            for v in pod_spec.get("volumes") or []
            if v.get("name") not in {objects.name_of(c) for c in claims}
        ]
        for claim in claims:
            await self._ensure_claim(sts, claim, ordinal)
            volumes.append(
                {
                    "name": objects.name_of(claim),
                    "persistentVolumeClaim": {"claimName": claim_name(claim, key.name, ordinal)},
                }
            )
        if volumes:
            pod_spec["volumes"] = volumes
        pod_spec["hostname"] = name
        if spec.get("serviceName"):
            pod_spec["subdomain"] = spec["serviceName"]
        meta = copy.deepcopy(template.get("metadata") or {})
        meta.update(
            name=name,
            namespace=key.namespace,
            labels={
                **(meta.get("labels") or {}),
                POD_NAME_LABEL: name,
                POD_INDEX_LABEL: str(ordinal),
                REVISION_LABEL: revision,
            },
            ownerReferences=[objects.owner_reference(sts)],
        )
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
        try:
            await self.client.create(kinds.PODS, body)
        except errors.AlreadyExists:
            return
        except errors.ApiError as exc:
            await self.recorder.warning(
                sts,
                "FailedCreate",
                f"create Pod {name} in StatefulSet {key.name} failed error: {exc.message}",
            )
            raise
        await self.recorder.event(
            sts, "SuccessfulCreate", f"create Pod {name} in StatefulSet {key.name} successful"
        )

    async def _ensure_claim(self, sts: Object, claim: Object, ordinal: int) -> None:
        key = objects.key_of(sts)
        name = claim_name(claim, key.name, ordinal)
        match = ((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        meta = copy.deepcopy(claim.get("metadata") or {})
        meta.update(
            name=name, namespace=key.namespace, labels={**(meta.get("labels") or {}), **match}
        )
        body = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta,
            "spec": copy.deepcopy(claim.get("spec") or {}),
        }
        try:
            await self.client.create(kinds.PERSISTENTVOLUMECLAIMS, body)
        except errors.AlreadyExists:
            return
        await self.recorder.event(
            sts,
            "SuccessfulCreate",
            f"create Claim {name} Pod {key.name}-{ordinal} in StatefulSet {key.name} success",
        )

    async def _delete(self, sts: Object, pod: Object) -> None:
        name = objects.name_of(pod)
        try:
            await self.client.delete(
                kinds.PODS,
                name,
                namespace=objects.namespace_of(pod),
                precondition_uid=objects.uid_of(pod),
            )
        except (errors.NotFound, errors.Conflict):
            return
        await self.recorder.event(
            sts,
            "SuccessfulDelete",
            f"delete Pod {name} in StatefulSet {objects.name_of(sts)} successful",
        )

    async def _write_status(self, sts: Object, revision: str) -> float:
        """Write the status; the seconds until a ready pod becomes available (0: none waits)."""
        spec = sts.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock.now()
        owned = [
            p
            for p in self.pods.owned_by(objects.uid_of(sts))
            if ordinal_of(objects.name_of(sts), p) is not None and pods.is_active(p)
        ]
        old = sts.get("status") or {}
        updated = sum(1 for p in owned if objects.labels_of(p).get(REVISION_LABEL) == revision)
        current_rev = old.get("currentRevision") or revision
        if updated == replicas == len(owned):
            current_rev = revision
        status: Object = {
            "observedGeneration": objects.meta(sts).get("generation", 1),
            "replicas": len(owned),
            "readyReplicas": sum(1 for p in owned if pods.is_ready(p)),
            "currentReplicas": sum(
                1 for p in owned if objects.labels_of(p).get(REVISION_LABEL) == current_rev
            ),
            "updatedReplicas": updated,
            "availableReplicas": sum(1 for p in owned if pods.is_available(p, min_ready, now)),
            "currentRevision": current_rev,
            "updateRevision": revision,
            "collisionCount": int(old.get("collisionCount") or 0),
        }
        if old.get("conditions"):
            status["conditions"] = old["conditions"]
        await statuses.write(self.client, kinds.STATEFULSETS, sts, status)
        waits = [w for p in owned if (w := pods.available_in(p, min_ready, now) or 0.0) > 0]
        # stamps have second precision: wake a little after the pod turns available
        return min(waits) + 0.05 if waits else 0.0
