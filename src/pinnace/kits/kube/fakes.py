"""`FakeKube`: an in-memory `KubeApi` with the API server's semantics, for unit tests.

Components under test (controllers, informers, the node agent, the gateway's
route watcher) get a `FakeKube` instead of `clients.Client`. It keeps one
global resourceVersion, replays watch history from a resourceVersion (410
`Gone` once trimmed), sends bookmarks on request, filters by label and field
selectors, applies merge / JSON / strategic (as merge) patches, honours the
status subresource, generation, no-op writes, finalizers, propagationPolicy
(`foregroundDeletion` / `orphan` finalizers), graceful pod deletion, pod
`binding`, namespace termination and `namespaces/{name}/finalize` — the
contract in ../shared/reference/k8s-api-contract.md. It does not garbage-collect:
that is `pinnace.controllers.garbage`'s job, as on a real cluster.

About 600 lines, past the usual limit on purpose: one concept (an API server
in memory) whose verbs share the store, the history and the watcher fan-out;
splitting it would spread one test double over several modules.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import jsonpatch

from pinnace.kits import clocks, selectors
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType

_NO_STATUS = frozenset(
    {
        "configmaps",
        "secrets",
        "events",
        "serviceaccounts",
        "endpoints",
        "leases",
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
        "customresourcedefinitions",
    }
)
_ALL_VERBS = frozenset(
    {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
)
_Key = tuple[str, str, str]  # (group_resource, namespace, name)


def _status(code: int, reason: str, message: str, **details: Any) -> errors.ApiError:
    return errors.from_status(errors.failure(code, reason, message, **details))


def field_value(obj: Object, path: str) -> str:
    """The string value of a dotted field path (`status.phase`), "" when absent."""
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    return str(node).lower() if isinstance(node, bool) else str(node)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


@dataclass
class _Watcher:
    gr: str
    namespace: str | None
    labels: selectors.LabelSelector
    fields: selectors.FieldSelector
    queue: asyncio.Queue[clients.WatchEvent | None] = field(default_factory=asyncio.Queue)

    def match(self, obj: Object | None) -> bool:
        if obj is None:
            return False
        if self.namespace is not None and objects.namespace_of(obj) != self.namespace:
            return False
        if not self.labels.matches(objects.labels_of(obj)):
            return False
        return self.fields.matches(
            {r.field: field_value(obj, r.field) for r in self.fields.requirements}
        )

    def translate(self, kind: str, obj: Object, old: Object | None) -> str | None:
        new_in = kind != "DELETED" and self.match(obj)
        old_in = self.match(old) if kind != "ADDED" else False
        if kind == "DELETED":
            return "DELETED" if self.match(obj) else None
        if new_in and old_in:
            return "MODIFIED"
        if new_in:
            return "ADDED"
        return "DELETED" if old_in else None


@dataclass
class _Change:
    rv: int
    gr: str
    type: str
    obj: Object
    old: Object | None


class FakeKube:
    """An API server in memory, implementing `clients.KubeApi`."""

    def __init__(
        self,
        resources: Iterable[ResourceType] = (),
        *,
        clock: clocks.Clock = clocks.SYSTEM,
        history: int = 10_000,
        graceful_pods: bool = True,
    ) -> None:
        self.clock = clock
        self.graceful_pods = graceful_pods
        self._types: dict[str, ResourceType] = {}
        self._store: dict[_Key, Object] = {}
        self._rv = 0
        self._history: list[_Change] = []
        self._history_limit = history
        self._watchers: list[_Watcher] = []
        self._faults: dict[str, list[Exception]] = {}
        for rt in resources:
            self.register(rt)

    # -- test controls -----------------------------------------------------------------------

    def register(self, rt: ResourceType) -> None:
        """Make a kind known to discovery (`server_resources`)."""
        self._types.setdefault(rt.group_resource, rt)

    def fail_next(self, verb: str, error: Exception) -> None:
        """The next call of `verb` (get, list, create, ...) raises `error` instead."""
        self._faults.setdefault(verb, []).append(error)

    def end_watches(self) -> None:
        """Close every open watch stream, as a server restart or timeout would."""
        for w in self._watchers:
            w.queue.put_nowait(None)

    def expire_history(self) -> None:
        """Forget the change history: watches from any older resourceVersion get 410."""
        self._history.clear()
        self._history_floor = self._rv

    def bookmark(self) -> None:
        """Send a BOOKMARK with the current resourceVersion to every watch that asked for one."""
        for w in self._watchers:
            rt = self._types[w.gr]
            obj = {
                "apiVersion": rt.api_version,
                "kind": rt.kind,
                "metadata": {"resourceVersion": str(self._rv)},
            }
            w.queue.put_nowait(clients.WatchEvent("BOOKMARK", obj))

    def objects(self, rt: ResourceType, namespace: str | None = None) -> list[Object]:
        """Stored objects of a kind (copies), for assertions."""
        return [
            copy.deepcopy(o)
            for (gr, ns, _), o in sorted(self._store.items())
            if gr == rt.group_resource and (namespace is None or ns == namespace)
        ]

    @property
    def resource_version(self) -> int:
        return self._rv

    _history_floor = 0

    # -- internals ---------------------------------------------------------------------------

    def _fault(self, verb: str) -> None:
        queued = self._faults.get(verb)
        if queued:
            raise queued.pop(0)

    def _key(self, rt: ResourceType, namespace: str | None, name: str) -> _Key:
        self.register(rt)
        return (rt.group_resource, namespace or "" if rt.namespaced else "", name)

    def _require(self, rt: ResourceType, namespace: str | None, name: str) -> Object:
        obj = self._store.get(self._key(rt, namespace, name))
        if obj is None:
            raise _status(
                404,
                "NotFound",
                f'{rt.group_resource} "{name}" not found',
                name=name,
                group=rt.group,
                kind=rt.plural,
            )
        return obj

    def _emit(self, rt: ResourceType, kind: str, obj: Object, old: Object | None) -> None:
        change = _Change(self._rv, rt.group_resource, kind, obj, old)
        self._history.append(change)
        if len(self._history) > self._history_limit:
            dropped = self._history.pop(0)
            self._history_floor = dropped.rv
        for w in self._watchers:
            if w.gr == change.gr and (t := w.translate(kind, obj, old)):
                w.queue.put_nowait(clients.WatchEvent(t, copy.deepcopy(obj)))

    def _bump(self, obj: Object) -> None:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)

    def _has_status(self, rt: ResourceType) -> bool:
        return rt.plural not in _NO_STATUS

    def _store_update(self, rt: ResourceType, old: Object, new: Object) -> Object:
        """Write `new` over `old` unless nothing changed; finish deletion when finalizers clear."""
        key = self._key(rt, objects.namespace_of(old), objects.name_of(old))
        meta = new["metadata"]
        for k in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "resourceVersion",
        ):
            if k in old["metadata"]:
                meta[k] = old["metadata"][k]
            else:
                meta.pop(k, None)
        spec_old = {k: v for k, v in old.items() if k not in ("metadata", "status")}
        spec_new = {k: v for k, v in new.items() if k not in ("metadata", "status")}
        if spec_old != spec_new:
            meta["generation"] = int(old["metadata"].get("generation") or 1) + 1
        if new == old:
            return copy.deepcopy(old)
        self._bump(new)
        if objects.is_deleting(new) and not self._blocked(rt, new):
            del self._store[key]
            self._emit(rt, "DELETED", new, old)
        else:
            self._store[key] = new
            self._emit(rt, "MODIFIED", new, old)
        return copy.deepcopy(new)

    def _blocked(self, rt: ResourceType, obj: Object) -> bool:
        if objects.meta(obj).get("finalizers"):
            return True
        return rt.plural == "namespaces" and bool((obj.get("spec") or {}).get("finalizers"))

    def _check_rv(self, rt: ResourceType, body: Object, current: Object) -> None:
        want = objects.resource_version_of(body)
        if want and want != objects.resource_version_of(current):
            name = objects.name_of(current)
            raise _status(
                409,
                "Conflict",
                f"Operation cannot be fulfilled on {rt.group_resource} "
                f'"{name}": the object has been modified; please apply your changes to '
                "the latest version and try again",
                name=name,
                kind=rt.plural,
            )

    def _write(self, rt: ResourceType, current: Object, body: Object, sub: str | None) -> Object:
        self._check_rv(rt, body, current)
        new = copy.deepcopy(current)
        if sub == "status":
            new["status"] = copy.deepcopy(body.get("status"))
            if new["status"] is None:
                new.pop("status")
        elif sub == "finalize":
            new.setdefault("spec", {})["finalizers"] = list(
                (body.get("spec") or {}).get("finalizers") or []
            )
        elif sub is None:
            new = copy.deepcopy(body)
            new.setdefault("apiVersion", rt.api_version)
            new.setdefault("kind", rt.kind)
            new.setdefault("metadata", {})
            if self._has_status(rt):
                if "status" in current:
                    new["status"] = copy.deepcopy(current["status"])
                else:
                    new.pop("status", None)
        else:
            raise _status(404, "NotFound", "the server could not find the requested resource")
        return self._store_update(rt, current, new)

    # -- KubeApi -----------------------------------------------------------------------------

    async def get(
        self,
        rt: ResourceType,
        name: str,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
    ) -> Object:
        self._fault("get")
        return copy.deepcopy(self._require(rt, namespace, name))

    async def list(
        self,
        rt: ResourceType,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
    ) -> clients.ObjectList:
        self._fault("list")
        w = self._watcher(rt, namespace, label_selector, field_selector)
        matched = [
            o
            for (gr, _, _), o in sorted(self._store.items())
            if gr == rt.group_resource and w.match(o)
        ]
        start = int(continue_token or 0)
        end = start + limit if limit else len(matched)
        token = str(end) if end < len(matched) else None
        items = [copy.deepcopy(o) for o in matched[start:end]]
        return clients.ObjectList(items, str(self._rv), token)

    async def create(
        self, rt: ResourceType, obj: Object, *, namespace: str | None = None
    ) -> Object:
        self._fault("create")
        new = copy.deepcopy(obj)
        new.setdefault("apiVersion", rt.api_version)
        new.setdefault("kind", rt.kind)
        meta = new.setdefault("metadata", {})
        ns = namespace if namespace is not None else meta.get("namespace")
        if rt.namespaced:
            if not ns:
                raise _status(400, "BadRequest", "the namespace of the object is required")
            meta["namespace"] = ns
            nso = self._store.get(("namespaces", "", ns))
            if nso is not None and objects.is_deleting(nso):
                raise _status(
                    403,
                    "Forbidden",
                    f'{rt.plural} "{meta.get("name") or ""}" is '
                    f"forbidden: unable to create new content in namespace {ns} "
                    "because it is being terminated",
                )
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise _status(
                    422,
                    "Invalid",
                    f'{rt.kind} "" is invalid: metadata.name: Required '
                    "value: name or generateName is required",
                )
            meta["name"] = meta["generateName"] + "".join(
                secrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)
            )
        key = self._key(rt, ns, meta["name"])
        if key in self._store:
            raise _status(
                409,
                "AlreadyExists",
                f'{rt.group_resource} "{meta["name"]}" already exists',
                name=meta["name"],
                group=rt.group,
                kind=rt.plural,
            )
        for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(k, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = clocks.rfc3339(self.clock.now())
        meta["generation"] = 1
        if self._has_status(rt):
            new.pop("status", None)
        if rt.plural == "namespaces":
            new.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            new["status"] = {"phase": "Active"}
        if rt.plural == "pods":
            new["status"] = {"phase": "Pending"}
        self._bump(new)
        self._store[key] = new
        self._emit(rt, "ADDED", new, None)
        return copy.deepcopy(new)

    async def replace(
        self, rt: ResourceType, obj: Object, *, subresource: str | None = None
    ) -> Object:
        self._fault("replace")
        current = self._require(rt, objects.namespace_of(obj), objects.name_of(obj))
        return self._write(rt, current, obj, subresource)

    async def patch(
        self,
        rt: ResourceType,
        name: str,
        patch: clients.Patch,
        *,
        namespace: str | None = None,
        patch_type: clients.PatchType = "merge",
        subresource: str | None = None,
    ) -> Object:
        self._fault("patch")
        current = self._require(rt, namespace, name)
        if patch_type == "json":
            if not isinstance(patch, list):
                raise _status(400, "BadRequest", "json patch must be a list of operations")
            try:
                body = jsonpatch.apply_patch(current, patch)
            except jsonpatch.JsonPatchTestFailed as exc:
                raise _status(
                    422,
                    "Invalid",
                    f"the server rejected our request due to an error in our request: {exc}",
                ) from exc
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                raise _status(422, "Invalid", str(exc)) from exc
        elif patch_type in ("merge", "strategic"):
            if not isinstance(patch, dict):
                raise _status(400, "BadRequest", "merge patch must be a JSON object")
            body = merge_patch(current, patch)
        else:
            raise _status(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an "
                f"unknown format - accepted media types include: {patch_type}",
            )
        return self._write(rt, current, body, subresource)

    async def delete(
        self,
        rt: ResourceType,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: clients.PropagationPolicy | None = None,
        grace_period_seconds: int | None = None,
        precondition_uid: str | None = None,
        precondition_resource_version: str | None = None,
    ) -> Object:
        self._fault("delete")
        current = self._require(rt, namespace, name)
        if precondition_uid and precondition_uid != objects.uid_of(current):
            raise _status(
                409,
                "Conflict",
                f"Precondition failed: UID in precondition: "
                f"{precondition_uid}, UID in object meta: {objects.uid_of(current)}",
            )
        if precondition_resource_version:
            self._check_rv(
                rt, {"metadata": {"resourceVersion": precondition_resource_version}}, current
            )
        new = copy.deepcopy(current)
        meta = new["metadata"]
        fins = list(meta.get("finalizers") or [])
        extra = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(
            propagation_policy or ""
        )
        if extra and extra not in fins and not objects.is_deleting(current):
            fins.append(extra)
            meta["finalizers"] = fins
        graceful = (
            rt.plural == "pods"
            and self.graceful_pods
            and grace_period_seconds != 0
            and (current.get("spec") or {}).get("nodeName")
            and (current.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        )
        if rt.plural == "namespaces":
            new.setdefault("status", {})["phase"] = "Terminating"
        if not fins and not graceful and not self._blocked(rt, new):
            key = self._key(rt, namespace, name)
            del self._store[key]
            self._bump(new)
            self._emit(rt, "DELETED", new, current)
            return copy.deepcopy(new)
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = clocks.rfc3339(self.clock.now())
            grace = grace_period_seconds
            if graceful and grace is None:
                grace = int((current.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
            meta["deletionGracePeriodSeconds"] = grace if graceful and grace else 0
        if new == current:
            return copy.deepcopy(current)
        self._bump(new)
        self._store[self._key(rt, namespace, name)] = new
        self._emit(rt, "MODIFIED", new, current)
        return copy.deepcopy(new)

    async def post(
        self,
        rt: ResourceType,
        name: str,
        subresource: str,
        body: Object,
        *,
        namespace: str | None = None,
    ) -> Object:
        self._fault("post")
        current = self._require(rt, namespace, name)
        if rt.plural != "pods" or subresource != "binding":
            raise _status(404, "NotFound", "the server could not find the requested resource")
        node = str((body.get("target") or {}).get("name") or "")
        have = (current.get("spec") or {}).get("nodeName")
        if have:
            raise _status(
                409,
                "Conflict",
                f"Operation cannot be fulfilled on pods/binding "
                f'"{name}": pod {name} is already assigned to node "{have}"',
            )
        new = copy.deepcopy(current)
        new.setdefault("spec", {})["nodeName"] = node
        conds = [
            c
            for c in (new.setdefault("status", {}).get("conditions") or [])
            if c.get("type") != "PodScheduled"
        ]
        conds.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastTransitionTime": clocks.rfc3339(self.clock.now()),
            }
        )
        new["status"]["conditions"] = conds
        new["metadata"]["generation"] = current["metadata"].get("generation", 1)
        self._bump(new)
        self._store[self._key(rt, namespace, name)] = new
        self._emit(rt, "MODIFIED", new, current)
        return {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201}

    def _watcher(
        self, rt: ResourceType, namespace: str | None, labels: str | None, fields: str | None
    ) -> _Watcher:
        self.register(rt)
        ns = namespace if rt.namespaced else None
        return _Watcher(
            rt.group_resource, ns, selectors.parse_labels(labels), selectors.parse_fields(fields)
        )

    async def watch(
        self,
        rt: ResourceType,
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> AsyncIterator[clients.WatchEvent]:
        self._fault("watch")
        w = self._watcher(rt, namespace, label_selector, field_selector)
        if not resource_version or resource_version == "0":
            for (gr, _, _), obj in sorted(self._store.items()):
                if gr == w.gr and w.match(obj):
                    w.queue.put_nowait(clients.WatchEvent("ADDED", copy.deepcopy(obj)))
        else:
            since = int(resource_version)
            if since < self._history_floor:
                raise _status(
                    410, "Expired", f"too old resource version: {since} ({self._history_floor})"
                )
            for change in self._history:
                if change.rv > since and change.gr == w.gr:
                    kind = w.translate(change.type, change.obj, change.old)
                    if kind:
                        w.queue.put_nowait(clients.WatchEvent(kind, copy.deepcopy(change.obj)))
        self._watchers.append(w)
        try:
            async with asyncio.timeout(timeout_seconds):
                while (event := await w.queue.get()) is not None:
                    if event.type == "BOOKMARK" and not allow_bookmarks:
                        continue
                    yield event
        except TimeoutError:
            return
        finally:
            self._watchers.remove(w)

    async def server_resources(self) -> clients.Resources:
        self._fault("server_resources")
        return [
            clients.ApiResource(
                rt, _ALL_VERBS, frozenset({"status"}) if self._has_status(rt) else frozenset()
            )
            for rt in self._types.values()
        ]

    async def close(self) -> None:
        self.end_watches()
