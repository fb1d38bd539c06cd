"""The pod's and StatefulSet's Events, re-issued on their Notebook (as upstream does).

A second controller of the package, keyed by Event: `reconcile` reads the
Event from the cache and, when it is about a Notebook's pod (found by its
`notebook-name` label) or StatefulSet (controlled by a Notebook of that
name), posts it again on the Notebook, with upstream's message
"Reissued from pod/<name>-0: <message>", the same type and reason. So
`kubectl describe notebook` shows why a server does not start: the runtime's
`Failed` (no entrypoint for the image), `Unhealthy` (a readiness probe that
never passes), `BackOff` and `FailedMount` events.

An Event is re-issued once per `count` it reaches (a repeat folds into the
Notebook's Event through the recorder); Events last seen before this
controller started were re-issued by the one before it and are skipped, so a
restart of `pinnace up` does not repeat history.
"""

from __future__ import annotations

import datetime

from pinnace.controllers import reconciling
from pinnace.kits import clocks
from pinnace.kits.kube import informers, objects, recording
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.notebooks import children


def _seen_at(event: Object) -> datetime.datetime | None:
    for field in ("lastTimestamp", "eventTime", "firstTimestamp"):
        raw = event.get(field)
        if raw:
            try:
                return clocks.parse_rfc3339(str(raw))
            except ValueError:
                continue
    return None


class EventReissuer:
    def __init__(
        self,
        *,
        events: informers.Informer,
        notebooks: informers.Informer,
        pods: informers.Informer,
        statefulsets: informers.Informer,
        recorder: recording.EventRecorder,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.events = events
        self.notebooks = notebooks
        self.pods = pods
        self.statefulsets = statefulsets
        self.recorder = recorder
        self.started = clock.now() - datetime.timedelta(seconds=1)
        self._done: dict[ObjectKey, int] = {}

    def _notebook_of(self, event: Object) -> Object | None:
        involved = event.get("involvedObject") or {}
        namespace = str(involved.get("namespace") or objects.namespace_of(event))
        name = str(involved.get("name") or "")
        if involved.get("kind") == "Pod":
            pod = self.pods.get(ObjectKey(namespace, name))
            owner = objects.labels_of(pod).get(children.NAME_LABEL) if pod else None
        elif involved.get("kind") == "StatefulSet":
            sts = self.statefulsets.get(ObjectKey(namespace, name))
            refs = objects.meta(sts).get("ownerReferences") or [] if sts else []
            owner = next(
                (
                    r.get("name")
                    for r in refs
                    if r.get("controller") and r.get("kind") == "Notebook"
                ),
                None,
            )
        else:
            return None
        if not owner:
            return None
        return self.notebooks.get(ObjectKey(namespace, str(owner)))

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        event = self.events.get(key)
        if event is None:
            self._done.pop(key, None)
            return reconciling.DONE
        count = int(event.get("count") or 1)
        if self._done.get(key, 0) >= count:
            return reconciling.DONE
        seen = _seen_at(event)
        if seen is not None and seen < self.started:
            self._done[key] = count  # history: re-issued by an earlier run
            return reconciling.DONE
        notebook = self._notebook_of(event)
        if notebook is None:
            return reconciling.DONE  # not ours, or the pod is not cached yet (it will wake us)
        involved = event.get("involvedObject") or {}
        message = (
            f"Reissued from {str(involved.get('kind', '')).lower()}/{involved.get('name')}: "
            f"{event.get('message') or ''}"
        )
        await self.recorder.event(
            notebook,
            str(event.get("reason") or ""),
            message,
            type_=str(event.get("type") or recording.NORMAL),
        )
        self._done[key] = count
        return reconciling.DONE
