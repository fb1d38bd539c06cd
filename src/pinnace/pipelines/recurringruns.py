"""The RecurringRun controller: a schedule's due slots become PipelineRuns (KFP's scheduledworkflow).

Wired by `pinnace.pipelines.setup` on the shared manager: a RecurringRun, or
a PipelineRun it owns, changing enqueues the schedule's key, and `reconcile`
1. parses the trigger (`schedules.Trigger`; a bad one is a terminal
   `InvalidTrigger` condition and Event);
2. reads the runs it owns from the PipelineRun cache: those not finished are
   `active`, and the latest slot among them (label `scheduled-epoch`) or in
   `status.lastScheduledTime` is the last slot that ran — so a slot whose
   status write was lost is still known from its run;
3. while the schedule is ENABLE, a slot is due (`schedules.next_slot`: with
   or without catch-up, inside startTime/endTime) and fewer than
   `maxConcurrency` runs are active, creates the slot's PipelineRun from
   `spec.runTemplate`, owned by the schedule and named
   `<recurringrun>-<slot unix time>` — AlreadyExists means that slot ran;
4. writes status (lastScheduledTime, nextScheduledTime, active, the `Ready`
   condition) and requeues itself for the next slot on the injected clock.
A run finishing wakes the schedule through `owns`. The PipelineRun controller
then runs each created run like any other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

from pinnace.api import kinds
from pinnace.api.views import pipelineruns as run_views
from pinnace.api.views import recurringruns as views
from pinnace.controllers import (
    conditions,
    expecting,
    manager,
    owning,
    reconciling,
    running,
    statuses,
)
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.pipelines import schedules

RECURRING_RUN = "pipelines.kubeflow.org/recurring-run"
"""Label on a created run: the name of the RecurringRun that started it."""
SCHEDULED_EPOCH = "pipelines.kubeflow.org/scheduled-epoch"
"""Label on a created run: its slot, in unix seconds."""
SCHEDULED_TIME = "pipelines.kubeflow.org/scheduled-time"
"""Annotation on a created run: its slot, RFC 3339."""

_GO_DEFAULT_LAYOUT = "%Y%m%d%H%M%S"
"""KFP's default layout for `[[ScheduledTime]]` / `[[CurrentTime]]` (Go's 20060102150405)."""


def run_name(recurring_run: str, slot: int) -> str:
    return f"{recurring_run}-{slot}"


def _format(value: Any, slot: int, now: dt.datetime) -> Any:
    """KFP's run-parameter macros in string values: `[[ScheduledTime]]`, `[[CurrentTime]]`."""
    if not isinstance(value, str) or "[[" not in value:
        return value
    scheduled = dt.datetime.fromtimestamp(slot, dt.UTC).strftime(_GO_DEFAULT_LAYOUT)
    current = now.astimezone(dt.UTC).strftime(_GO_DEFAULT_LAYOUT)
    return value.replace("[[ScheduledTime]]", scheduled).replace("[[CurrentTime]]", current)


def run_manifest(owner: Object, rr: views.RecurringRun, slot: int, now: dt.datetime) -> Object:
    """The PipelineRun of one slot: `spec.runTemplate`, owned, labelled with its slot."""
    spec = objects.clone(rr.run_template)
    runtime = spec.get("runtimeConfig")
    if isinstance(runtime, dict) and isinstance(runtime.get("parameters"), dict):
        runtime["parameters"] = {k: _format(v, slot, now) for k, v in runtime["parameters"].items()}
    if not spec.get("displayName"):
        spec["displayName"] = f"{rr.display_name or rr.meta.name} {schedules.rfc3339(slot)}"
    return {
        "apiVersion": kinds.PIPELINERUNS.api_version,
        "kind": kinds.PIPELINERUNS.kind,
        "metadata": {
            "name": run_name(rr.meta.name, slot),
            "namespace": rr.meta.namespace,
            "labels": {RECURRING_RUN: rr.meta.name, SCHEDULED_EPOCH: str(slot)},
            "annotations": {SCHEDULED_TIME: schedules.rfc3339(slot)},
            "ownerReferences": [objects.owner_reference(owner)],
        },
        "spec": spec,
    }


def slot_of(run: Object) -> int | None:
    value = objects.labels_of(run).get(SCHEDULED_EPOCH, "")
    return int(value) if value.isdigit() else None


class RecurringRunController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        recurring_runs: informers.Informer,
        runs: informers.Informer,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.recurring_runs = recurring_runs
        self.runs = runs
        self.clock = clock
        self.expectations = expecting.Expectations(clock=clock)

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        obj = self.recurring_runs.get(key)
        if obj is None or objects.is_deleting(obj):
            self.expectations.forget(key)
            return reconciling.DONE  # the garbage collector removes the runs it owns
        if self.expectations.pending(key, self.runs.get):
            return reconciling.DONE  # the created run's event wakes us once the cache has it
        rr = views.RecurringRun.parse(obj)
        try:
            trigger = schedules.Trigger.parse(rr.trigger)
        except schedules.InvalidTrigger as exc:
            raise reconciling.TerminalError(str(exc), reason="InvalidTrigger") from exc
        owned = [r for r in self.runs.owned_by(rr.meta.uid) if slot_of(r) is not None]
        active = sorted(
            objects.name_of(r) for r in owned if not run_views.PipelineRun.parse(r).state.finished
        )
        slots = [s for s in (slot_of(r) for r in owned) if s is not None]
        last = max([*slots, *filter(None, [schedules.epoch_of(rr.last_scheduled)])], default=None)
        now = self.clock.now()
        epoch = math.floor(now.timestamp())
        window = schedules.Window(
            created=schedules.epoch_of(rr.created) or epoch,
            last=last,
            start=schedules.epoch_of(rr.start_time),
            end=schedules.epoch_of(rr.end_time),
            catchup=not rr.no_catchup,
        )
        slot = schedules.next_slot(trigger, window, epoch)
        created: list[ObjectKey] = []
        while (
            rr.enabled and slot is not None and slot <= epoch and len(active) < rr.max_concurrency
        ):
            name = await self.create(obj, rr, slot, now)
            created.append(ObjectKey(rr.meta.namespace, name))
            active.append(name)
            last = slot
            slot = schedules.next_slot(trigger, dataclasses.replace(window, last=last), epoch)
        if created:
            self.expectations.expect(key, creates=created)
        try:
            await statuses.write(
                self.client, kinds.RECURRINGRUNS, obj, self.status(obj, rr, last, slot, active)
            )
        except errors.Conflict:
            # Our cached copy is older than the stored one; that newer version's watch event
            # is on its way and enqueues this key again, so there is nothing to retry here.
            return reconciling.DONE
        if rr.enabled and slot is not None and slot > epoch:
            return reconciling.Result(requeue_after=max(slot - now.timestamp(), 0.001))
        return reconciling.DONE

    async def create(
        self, owner: Object, rr: views.RecurringRun, slot: int, now: dt.datetime
    ) -> str:
        body = run_manifest(owner, rr, slot, now)
        name = str(body["metadata"]["name"])
        try:
            await self.client.create(kinds.PIPELINERUNS, body, namespace=rr.meta.namespace)
        except errors.AlreadyExists:
            existing = await self.client.get(kinds.PIPELINERUNS, name, namespace=rr.meta.namespace)
            if not owning.controlled_by(existing, owner):
                raise owning.AlreadyOwned(kinds.PIPELINERUNS, existing, owner) from None
        return name

    def status(
        self,
        obj: Object,
        rr: views.RecurringRun,
        last: int | None,
        slot: int | None,
        active: list[str],
    ) -> Object:
        new: Object = {"active": sorted(active)}
        if last is not None:
            new["lastScheduledTime"] = schedules.rfc3339(last)
        if slot is not None:
            new["nextScheduledTime"] = schedules.rfc3339(slot)
        if not rr.enabled:
            reason, message = "Disabled", "the schedule is disabled"
        elif slot is None:
            reason, message = "Ended", "no slot is left in the schedule's window"
        elif len(active) >= rr.max_concurrency and slot <= math.floor(self.clock.now().timestamp()):
            reason = "MaxConcurrency"
            message = f"{len(active)} runs are active (maxConcurrency {rr.max_concurrency})"
        else:
            reason, message = "Enabled", "the schedule is enabled"
        return statuses.condition(
            obj,
            new,
            "Ready",
            conditions.Status.TRUE,
            reason=reason,
            message=message,
            clock=self.clock,
        )


def setup(mgr: manager.Manager) -> running.Controller:
    """Add the RecurringRun controller (the PipelineRun informer is shared with the run controller)."""
    recurring, runs = mgr.informer(kinds.RECURRINGRUNS), mgr.informer(kinds.PIPELINERUNS)
    controller = RecurringRunController(
        mgr.client, recurring_runs=recurring, runs=runs, clock=mgr.clock
    )
    return mgr.controller("recurringrun", controller, primary=recurring, owns=[runs])
