"""Deployment → Pods, directly (no ReplicaSets on one machine).

`reconcile(key)` reads the Deployment and its pods from the caches. Pods are
named `<deployment>-<template-hash>-<5 random>`, labelled `pod-template-hash`
and owned by the Deployment; pods of the current hash are "new", the others
"old". With no old pods it scales the new ones to `spec.replicas` (deleting
unscheduled, pending, not-ready and newest pods first). When the template
changed it rolls: RollingUpdate adds new pods within `maxSurge` and removes
old ones while keeping `replicas - maxUnavailable` available (kube's
`reconcileNewReplicaSet` / `reconcileOldReplicaSets` arithmetic); Recreate
removes every old pod before creating new ones. Status carries replicas,
updated/ready/available counts, observedGeneration and the Available and
Progressing conditions so that `kubectl rollout status` works. Expectations
keep a reconcile from acting on a cache that does not yet show its own writes.
"""

from __future__ import annotations

import asyncio
import copy
import math
import secrets
from typing import Any

import orjson

from pinnace.api import kinds
from pinnace.controllers import conditions, expecting, pods, reconciling, statuses
from pinnace.kits import clocks, selectors
from pinnace.kits.kube import clients, errors, informers, objects, recording
from pinnace.kits.kube.objects import Object, ObjectKey

HASH_LABEL = "pod-template-hash"
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.SafeEncodeString alphabet


def template_hash(template: Object) -> str:
    """A stable short hash of the pod template (FNV-1a, encoded like kube's hashes)."""
    h = 0x811C9DC5
    for byte in orjson.dumps(template, option=orjson.OPT_SORT_KEYS):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(_ALPHABET[ord(c) % len(_ALPHABET)] for c in str(h))


def scaled(value: Any, total: int, *, round_up: bool) -> int:
    """An int-or-percent (`25%`) against `total`."""
    if value is None:
        value = "25%"
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        exact = float(text[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(text)


def surge_and_unavailable(deploy: Object, replicas: int) -> tuple[int, int]:
    rolling = ((deploy.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    surge = scaled(rolling.get("maxSurge"), replicas, round_up=True)
    unavailable = scaled(rolling.get("maxUnavailable"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


class DeploymentController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        deployments: informers.Informer,
        pods: informers.Informer,
        recorder: recording.EventRecorder,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.deployments = deployments
        self.pods = pods
        self.recorder = recorder
        self.clock = clock
        self.expectations = expecting.Expectations(clock=clock)

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        deploy = self.deployments.get(key)
        if deploy is None:
            self.expectations.forget(key)
            return reconciling.DONE
        if objects.is_deleting(deploy):
            return reconciling.DONE
        spec = deploy.get("spec") or {}
        try:
            selector = selectors.from_label_selector(spec.get("selector"))
        except selectors.SelectorError as exc:
            await self._write_status(deploy, [], invalid=str(exc))
            raise reconciling.TerminalError(
                str(exc), reason="InvalidSelector", condition=None
            ) from exc
        owned = [
            p
            for p in self.pods.owned_by(objects.uid_of(deploy))
            if objects.controller_uid(p) == objects.uid_of(deploy)
        ]
        waits: list[float] = []
        if not self.expectations.pending(key, self.pods.get):
            waits.append(await self._manage(deploy, owned, selector))
            owned = [
                p
                for p in self.pods.owned_by(objects.uid_of(deploy))
                if objects.controller_uid(p) == objects.uid_of(deploy)
            ]
        waits.append(await self._write_status(deploy, owned))
        return reconciling.Result.after(*waits)

    # -- scaling and rolling -----------------------------------------------------------------

    async def _manage(
        self, deploy: Object, owned: list[Object], selector: selectors.LabelSelector
    ) -> float:
        spec = deploy.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        template = spec.get("template") or {}
        current = template_hash(template)
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock.now()
        finished = [p for p in owned if not objects.is_deleting(p) and not pods.is_active(p)]
        active = [p for p in owned if pods.is_active(p)]
        new = [p for p in active if objects.labels_of(p).get(HASH_LABEL) == current]
        old = [p for p in active if objects.labels_of(p).get(HASH_LABEL) != current]
        to_delete: list[Object] = list(finished)
        to_create = 0
        strategy = (spec.get("strategy") or {}).get("type") or "RollingUpdate"
        if spec.get("paused"):
            to_create = max(0, replicas - len(new) - len(old))
        elif not old:
            if len(new) < replicas:
                to_create = replicas - len(new)
            else:
                to_delete += sorted(new, key=pods.deletion_rank)[: len(new) - replicas]
        elif strategy == "Recreate":
            to_delete += old
        else:
            surge, unavailable = surge_and_unavailable(deploy, replicas)
            if len(new) > replicas:
                to_delete += sorted(new, key=pods.deletion_rank)[: len(new) - replicas]
            else:
                room = replicas + surge - len(new) - len(old)
                to_create = max(0, min(room, replicas - len(new)))
            avail = [p for p in active if pods.is_available(p, min_ready, now)]
            new_unavailable = sum(1 for p in new if not pods.is_available(p, min_ready, now))
            min_available = replicas - unavailable
            budget = len(new) + len(old) - min_available - new_unavailable
            if budget > 0:
                unhealthy = [p for p in old if not pods.is_available(p, min_ready, now)]
                cleanup = sorted(unhealthy, key=pods.deletion_rank)[:budget]
                to_delete += cleanup
                healthy_old = [p for p in old if p not in cleanup and p in avail]
                scale_down = min(len(avail) - min_available, budget - len(cleanup))
                if scale_down > 0:
                    to_delete += sorted(healthy_old, key=pods.deletion_rank)[:scale_down]
        if strategy == "Recreate" and old:
            to_create = 0
        elif strategy == "Recreate" and any(
            objects.is_deleting(p) and objects.labels_of(p).get(HASH_LABEL) != current
            for p in owned
        ):
            to_create = 0  # wait until the old pods are gone
        await self._delete(deploy, to_delete)
        await self._create(deploy, template, current, to_create)
        waits = [
            w
            for p in active
            if (w := pods.available_in(p, min_ready, now) or 0.0) > 0 and p not in to_delete
        ]
        return min(waits) + 0.05 if waits else 0.0

    async def _create(self, deploy: Object, template: Object, current: str, count: int) -> None:
        if count <= 0:
            return
        key = objects.key_of(deploy)
        names = [f"{objects.name_of(deploy)}-{current}-{_suffix()}" for _ in range(count)]
        self.expectations.expect(key, creates=[ObjectKey(key.namespace, n) for n in names])
        results = await asyncio.gather(
            *(self._create_one(deploy, template, current, n) for n in names),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]

    async def _create_one(self, deploy: Object, template: Object, current: str, name: str) -> None:
        key = objects.key_of(deploy)
        meta = copy.deepcopy(template.get("metadata") or {})
        meta.update(
            name=name,
            namespace=key.namespace,
            labels={**(meta.get("labels") or {}), HASH_LABEL: current},
            ownerReferences=[objects.owner_reference(deploy)],
        )
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
        try:
            await self.client.create(kinds.PODS, body)
        except errors.ApiError as exc:
            self.expectations.observed(key, ObjectKey(key.namespace, name))
            await self.recorder.warning(deploy, "FailedCreate", f"Error creating: {exc.message}")
            raise
        # off the reconcile's path: past ten, these fold into one combined Event, one patch at a time
        self.recorder.emit(deploy, "SuccessfulCreate", f"Created pod: {name}")

    async def _delete(self, deploy: Object, victims: list[Object]) -> None:
        if not victims:
            return
        key = objects.key_of(deploy)
        self.expectations.expect(key, deletes=[objects.key_of(p) for p in victims])

        async def one(pod: Object) -> None:
            name = objects.name_of(pod)
            try:
                await self.client.delete(
                    kinds.PODS, name, namespace=key.namespace, precondition_uid=objects.uid_of(pod)
                )
            except (errors.NotFound, errors.Conflict):
                self.expectations.observed(key, objects.key_of(pod))
                return
            self.recorder.emit(deploy, "SuccessfulDelete", f"Deleted pod: {name}")

        await asyncio.gather(*(one(p) for p in victims))

    # -- status ------------------------------------------------------------------------------

    async def _write_status(
        self, deploy: Object, owned: list[Object], *, invalid: str | None = None
    ) -> float:
        spec = deploy.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock.now()
        stamp = clocks.rfc3339(now)
        current = template_hash(spec.get("template") or {})
        active = [p for p in owned if pods.is_active(p)]
        updated = [p for p in active if objects.labels_of(p).get(HASH_LABEL) == current]
        available = sum(1 for p in active if pods.is_available(p, min_ready, now))
        old_status = deploy.get("status") or {}
        status: Object = {
            "observedGeneration": objects.meta(deploy).get("generation", 1),
            "replicas": len(active),
            "updatedReplicas": len(updated),
            "readyReplicas": sum(1 for p in active if pods.is_ready(p)),
            "availableReplicas": available,
            "unavailableReplicas": max(0, replicas - available),
        }
        status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
        _, unavailable = surge_and_unavailable(deploy, replicas)
        conds = old_status.get("conditions")
        if available >= replicas - unavailable:
            conds = conditions.set_condition(
                conds,
                "Available",
                "True",
                reason="MinimumReplicasAvailable",
                message="Deployment has minimum availability.",
                now=stamp,
                update_time_field="lastUpdateTime",
            )
        else:
            conds = conditions.set_condition(
                conds,
                "Available",
                "False",
                reason="MinimumReplicasUnavailable",
                message="Deployment does not have minimum availability.",
                now=stamp,
                update_time_field="lastUpdateTime",
            )
        wait = 0.0
        name = objects.name_of(deploy)
        complete = len(updated) == replicas == len(active) and available >= replicas
        progressed = any(
            status.get(k, 0) != old_status.get(k, 0)
            for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
        )
        deadline = int(spec.get("progressDeadlineSeconds") or 600)
        prog = conditions.find(conds, "Progressing")
        if invalid is not None:
            conds = conditions.set_condition(
                conds,
                "ReplicaFailure",
                "True",
                reason="InvalidSelector",
                message=invalid,
                now=stamp,
                update_time_field="lastUpdateTime",
            )
        elif complete:
            conds = conditions.set_condition(
                conds,
                "Progressing",
                "True",
                reason="NewReplicaSetAvailable",
                message=f'Deployment "{name}" has successfully progressed.',
                now=stamp,
                update_time_field="lastUpdateTime",
            )
        elif progressed or prog is None or prog.get("reason") == "NewReplicaSetAvailable":
            conds = conditions.set_condition(
                conds,
                "Progressing",
                "True",
                reason="ReplicaSetUpdated",
                message=f'Deployment "{name}" is progressing.',
                now=stamp,
                update_time_field="lastUpdateTime",
            )
            conds = _touch(conds, "Progressing", stamp)
            wait = float(deadline)
        elif prog.get("reason") != "ProgressDeadlineExceeded":
            since = clocks.parse_rfc3339(str(prog.get("lastUpdateTime") or stamp))
            left = deadline - (now - since).total_seconds()
            if left <= 0:
                conds = conditions.set_condition(
                    conds,
                    "Progressing",
                    "False",
                    reason="ProgressDeadlineExceeded",
                    message=f'Deployment "{name}" has timed out progressing.',
                    now=stamp,
                    update_time_field="lastUpdateTime",
                )
            else:
                wait = left
        status["conditions"] = conds
        await statuses.write(self.client, kinds.DEPLOYMENTS, deploy, status)
        return wait


def _touch(conds: list[Object], type_: str, stamp: str) -> list[Object]:
    return [{**c, "lastUpdateTime": stamp} if c.get("type") == type_ else c for c in conds]


def _suffix() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(5))
