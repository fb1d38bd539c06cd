"""The generic store: one flow for every write of every kind, as k8s.io/apiserver's `registry.Store`.

A handler (`writing`, `deleting`) decodes the request and calls the storage of
its path (`storages.lookup`); for objects and their `/status` and `/finalize`
that storage is a `Store`: one kind, one strategy (`strategies`), the same
steps every time:

    create  generateName → strategy.prepare_for_create → server-owned metadata →
            schema walk (unknown fields, pruning, CRD defaults) → strategy.default →
            metadata + strategy.validate → strategy.canonicalize → admission → hooks → store
    update  current object → the caller's `Updater` (a PUT body, or a patch applied)
            → resourceVersion precondition → strategy.prepare_for_update → the same
            schema/default/validate/canonicalize/admission steps → no-op check → store
    delete  preconditions → propagation finalizers, graceful deletion (strategy) →
            mark (deletionTimestamp) or remove

Every step runs for dry-run requests too; only the write to `storage.Store` (and
the hooks that keep the registry in step) is skipped. The committed change goes
on to the watch fan-out (`watching.Hub`). Everything here is synchronous up to
the store write, so a read-check-write needs no lock.

New write semantics plug in at the `Updater` a handler passes (a new patch
type is one entry of `patching.PATCHERS`; server-side apply is
`ownership.apply`, and `update(..., allow_create=True)` creates a missing
object, as an apply patch does). Every write's managedFields are set once it
is admitted (`_own` → `ownership.own`): tracked for the write's field manager,
or, for an apply, the entries the apply computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import (
    admission,
    errors,
    metadata,
    ownership,
    registry,
    rest,
    strategies,
    validating,
)
from pinnace.apiserver.server import ApiServer
from pinnace.kits import clocks
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"

Hook = Callable[[ApiServer, Object], None]


@dataclass(frozen=True, slots=True)
class Hooks:
    """Server-side effects of a kind beyond its strategy (kube's storage decorators)."""

    begin_create: Hook | None = None
    """Before a create is stored, dry runs included (a Service's cluster IP)."""
    stored: Hook | None = None
    """Just before a real write is stored, synchronously (a CRD is served at once)."""
    removed: Hook | None = None
    """After a real removal (a CRD stops being served; its objects go)."""


NO_HOOKS = Hooks()


def deletion_complete(obj: Object, strategy: strategies.Strategy) -> bool:
    """Marked for deletion, with no finalizer left, no grace pending and nothing else holding it."""
    meta = obj["metadata"]
    if not meta.get("deletionTimestamp") or meta.get("finalizers"):
        return False
    if int(meta.get("deletionGracePeriodSeconds") or 0) > 0:
        return False
    return not strategy.deletion_blocked(obj)


class Store(rest.Storage):
    """The objects of one kind at one path, written through `strategy`."""

    def __init__(
        self,
        server: ApiServer,
        info: ResourceInfo,
        strategy: strategies.Strategy,
        hooks: Hooks = NO_HOOKS,
        *,
        subresource: str | None = None,
    ) -> None:
        self.server = server
        self.info = info
        self.strategy = strategy
        self.hooks = hooks
        self.view = info
        self.subresource = subresource
        self.rkey = registry.storage_key(info)

    # -- reads -------------------------------------------------------------

    def find(self, namespace: str, name: str) -> Object | None:
        return self.server.store.get(self.rkey, namespace, name)

    def existing(self, namespace: str, name: str) -> Object:
        obj = self.find(namespace, name)
        if obj is None:
            info = self.info
            raise errors.NotFound.of(info.resource.group_resource, name, info.group, info.plural)
        return obj

    async def get(self, namespace: str, name: str, query: dict[str, str]) -> Object:
        if self.subresource not in (None, "status"):
            raise errors.NotFound("the server could not find the requested resource", details={})
        return self.existing(namespace, name)

    # -- create ------------------------------------------------------------

    async def create(
        self, namespace: str, parent: str | None, obj: Object, options: rest.Options
    ) -> tuple[int, Object]:
        if parent is not None:
            raise rest.not_allowed()
        return 201, await self.create_object(obj, options)

    async def create_object(self, obj: Object, options: rest.Options) -> Object:
        info, strategy = self.info, self.strategy
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = metadata.generate_name(str(meta["generateName"]))
        name = _name(obj)
        applied = ownership.applied_fields(obj, options)
        if not name:
            raise errors.Invalid.of(
                info.kind,
                "",
                info.group,
                [
                    errors.cause(
                        "metadata.name",
                        "Required value: name or generateName is required",
                        "FieldValueRequired",
                    )
                ],
            )
        strategy.prepare_for_create(obj)
        metadata.init_on_create(obj, self.server.now())  # kube's BeforeCreate fills them here
        obj = self._schema(obj, options)
        strategy.default(obj)
        causes = metadata.name_causes(info.kind, name) + metadata.metadata_causes(obj)
        causes += strategy.validate(obj)
        self._raise_invalid(obj, causes)
        strategy.canonicalize(obj)
        admission.admit(self.server, info, obj, None)
        namespace = obj["metadata"].get("namespace", "")
        if self.find(namespace, name) is not None:
            raise errors.AlreadyExists.of(
                info.resource.group_resource, name, info.group, info.plural
            )
        self._own(None, obj, options, applied)
        if self.hooks.begin_create is not None:
            self.hooks.begin_create(self.server, obj)
        if not options.dry_run:
            if self.hooks.stored is not None:
                self.hooks.stored(self.server, obj)
            await self.server.store.put(self.rkey, obj, None)
        return obj

    # -- update ------------------------------------------------------------

    async def update(
        self,
        namespace: str,
        name: str,
        updater: rest.Updater,
        options: rest.Options,
        *,
        allow_create: bool = False,
    ) -> tuple[Object, bool]:
        """Write `updater(current)`; returns the stored object and whether it was created."""
        old = self.find(namespace, name)
        if old is None:
            if not allow_create:
                self.existing(namespace, name)
            return await self.create_object(updater(None), options), True
        new = updater(old)
        sent_rv = new["metadata"].get("resourceVersion")
        if sent_rv and str(sent_rv) != old["metadata"]["resourceVersion"]:
            info = self.info
            raise errors.Conflict.stale(
                info.resource.group_resource, old["metadata"]["name"], info.group, info.plural
            )
        return await self.write_update(new, old, options), False

    async def write_update(self, new: Object, old: Object, options: rest.Options) -> Object:
        """Validate and store `new` as the next state of `old`."""
        strategy = self.strategy
        applied = ownership.applied_fields(new, options)
        strategy.prepare_for_update(new, old)
        metadata.carry_on_update(new, old)
        new = self._schema(new, options)
        strategy.default(new)
        causes = metadata.metadata_causes(new) + metadata.update_causes(new, old)
        causes += strategy.validate_update(new, old)
        self._raise_invalid(new, causes)
        strategy.canonicalize(new)
        admission.admit(self.server, self.info, new, old)
        self._own(old, new, options, applied)
        if metadata.same_content(new, old):
            return old
        if not options.dry_run:
            if deletion_complete(new, strategy):
                await self._remove(new)
            else:
                if self.hooks.stored is not None:
                    self.hooks.stored(self.server, new)
                await self.server.store.put(self.rkey, new, old)
        return new

    # -- delete ------------------------------------------------------------

    async def delete(
        self, namespace: str, name: str, delete_options: dict[str, Any], options: rest.Options
    ) -> tuple[int, Object]:
        if self.subresource is not None:
            raise rest.not_allowed()
        return await self.delete_object(self.existing(namespace, name), delete_options, options)

    async def delete_object(
        self, obj: Object, delete_options: dict[str, Any], options: rest.Options
    ) -> tuple[int, Object]:
        """Delete or mark `obj`; returns the HTTP code (200 gone, 202 pending) and the object."""
        _check_preconditions(self.info, obj, delete_options)
        strategy = self.strategy
        new = objects.clone(obj)
        meta = new["metadata"]
        finalizers: list[str] = list(meta.get("finalizers") or [])
        policy = delete_options.get("propagationPolicy")
        if policy == "Foreground" and FOREGROUND not in finalizers:
            finalizers.append(FOREGROUND)
        elif policy == "Orphan" and ORPHAN not in finalizers:
            finalizers.append(ORPHAN)
        grace = strategy.grace_period(obj, delete_options)
        now = self.server.clock.now()
        if meta.get("deletionTimestamp"):
            # Already being deleted: a grace period may only shorten; 0 finishes it.
            current = int(meta.get("deletionGracePeriodSeconds") or 0)
            if grace < current:
                meta["deletionGracePeriodSeconds"] = grace
                meta["deletionTimestamp"] = clocks.rfc3339(now + dt.timedelta(seconds=grace))
            if finalizers != list(meta.get("finalizers") or []):
                meta["finalizers"] = finalizers
        elif finalizers or grace > 0 or strategy.marks_deletion(new):
            meta["deletionTimestamp"] = clocks.rfc3339(now + dt.timedelta(seconds=grace))
            meta["deletionGracePeriodSeconds"] = grace
            if finalizers:
                meta["finalizers"] = finalizers
            strategy.mark_deleted(new)
        if deletion_complete(new, strategy) or not meta.get("deletionTimestamp"):
            if not options.dry_run:
                await self._remove(new)
            return 200, new
        if new != obj and not options.dry_run:
            await self.server.store.put(self.rkey, new, obj)
        return 202, new

    async def _remove(self, final: Object) -> None:
        await self.server.store.remove(self.rkey, final)
        if self.hooks.removed is not None:
            self.hooks.removed(self.server, final)

    # -- steps -------------------------------------------------------------

    def _schema(self, obj: Object, options: rest.Options) -> Object:
        """Unknown fields (per fieldValidation), pruning and CRD defaults; the object to go on with."""
        info = self.info
        result = validating.validate_object(info, obj)
        if result.unknown:
            mode = options.field_validation
            if mode == "Strict":
                raise errors.BadRequest(
                    f'{info.kind} in version "{info.version}" cannot be handled as a '
                    f"{info.kind}: " + validating.strict_message(result.unknown)
                )
            if mode == "Warn":
                options.warnings.extend(validating.unknown_field_warning(f) for f in result.unknown)
        if result.causes:
            self._raise_invalid(obj, [c.as_dict() for c in result.causes])
        if result.obj is not obj:
            obj.clear()
            obj.update(result.obj)
        return obj

    def _own(
        self, old: Object | None, new: Object, options: rest.Options, applied: list[Any] | None
    ) -> None:
        """managedFields: an apply's own, else tracked for this create or update."""
        ownership.own(
            self.info,
            old,
            new,
            manager=options.field_manager,
            subresource=self.subresource or "",
            now=self.server.now(),
            applied=applied,
        )

    def _raise_invalid(self, obj: Object, causes: list[errors.Cause]) -> None:
        if causes:
            raise errors.Invalid.of(self.info.kind, _name(obj), self.info.group, causes)


def _name(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _check_preconditions(info: ResourceInfo, obj: Object, options: dict[str, Any]) -> None:
    pre = options.get("preconditions") or {}
    meta = obj["metadata"]
    if pre.get("uid") and pre["uid"] != meta.get("uid"):
        raise errors.Conflict(
            f'Operation cannot be fulfilled on {info.resource.group_resource} "{meta["name"]}": '
            f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {meta.get('uid')}"
        )
    if pre.get("resourceVersion") and pre["resourceVersion"] != meta.get("resourceVersion"):
        raise errors.Conflict(
            f'Operation cannot be fulfilled on {info.resource.group_resource} "{meta["name"]}": '
            f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
            f"ResourceVersion in object meta: {meta.get('resourceVersion')}"
        )
