"""Strategies: what is particular to one kind on its way into the store.

The generic store (`stores.Store`) runs the same steps for every kind and asks
its strategy at each one, as k8s.io/apiserver's generic registry asks a
`RESTCreateStrategy`/`RESTUpdateStrategy`/`RESTDeleteStrategy`:

    create: prepare_for_create → (schema walk) → default → validate → canonicalize
    update: prepare_for_update → (schema walk) → default → validate_update → canonicalize
    delete: grace_period, marks_deletion / mark_deleted, deletion_blocked

`Strategy` is the behaviour of a kind with no rules of its own (ConfigMaps,
Events, custom resources without a status subresource). Per-kind strategies
live in `pinnace.apiserver.kinds`. The status/spec split: with `split_status`
a spec write keeps the stored status and a create starts from
`initial_status`; `StatusStrategy` (`<plural>/status`: only `.status` moves)
wraps the kind's own strategy; `TrustedStrategy` is for a storage that builds
the next object itself (`pods/binding`).
"""

from __future__ import annotations

from typing import Any

from pinnace.apiserver import errors
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

Causes = list[errors.Cause]


class Strategy:
    """A kind without rules of its own; subclasses override the steps they need."""

    split_status = False
    """True when the kind has a status subresource: spec writes keep the stored status."""

    def initial_status(self, obj: Object) -> Object | None:
        """The status a new object starts with when it has a status subresource."""
        return None

    def prepare_for_create(self, obj: Object) -> None:
        """Reset what a client may not set on create (the status, when it is split off)."""
        if self.split_status:
            obj.pop("status", None)
            status = self.initial_status(obj)
            if status is not None:
                obj["status"] = status

    def prepare_for_update(self, new: Object, old: Object) -> None:
        """Keep what this path may not change (the stored status on a spec write)."""
        if self.split_status:
            if "status" in old:
                new["status"] = objects.clone(old["status"])
            else:
                new.pop("status", None)

    def default(self, obj: Object) -> None:
        """Built-in defaults, as kube's defaulting functions set them."""

    def validate(self, obj: Object) -> Causes:
        return []

    def validate_update(self, new: Object, old: Object) -> Causes:
        return self.validate(new)

    def validate_status_update(self, new: Object, old: Object) -> Causes:
        return []

    def canonicalize(self, obj: Object) -> None:
        """Bring equivalent spellings to one stored form."""

    # -- deletion ----------------------------------------------------------

    def grace_period(self, obj: Object, options: dict[str, Any]) -> int:
        """Seconds of graceful deletion (0: no grace, delete once nothing else holds it)."""
        return 0

    def marks_deletion(self, obj: Object) -> bool:
        """Whether a delete always only marks the object (a namespace turns Terminating)."""
        return False

    def mark_deleted(self, obj: Object) -> None:
        """What changes besides deletionTimestamp when a delete only marks the object."""

    def deletion_blocked(self, obj: Object) -> bool:
        """Something besides finalizers and grace holds a marked object back."""
        return False


class StatusStrategy(Strategy):
    """`<plural>/status`: a write moves only `.status`; everything else stays as stored."""

    def __init__(self, base: Strategy) -> None:
        self.base = base

    def prepare_for_create(self, obj: Object) -> None:  # pragma: no cover - no create on /status
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource"
        )

    def prepare_for_update(self, new: Object, old: Object) -> None:
        status = new.get("status")
        kept = objects.clone(old)
        if status is None:
            kept.pop("status", None)
        else:
            kept["status"] = status
        new.clear()
        new.update(kept)

    def default(self, obj: Object) -> None:
        self.base.default(obj)

    def validate_update(self, new: Object, old: Object) -> Causes:
        return self.base.validate_status_update(new, old)

    def canonicalize(self, obj: Object) -> None:
        self.base.canonicalize(obj)

    def deletion_blocked(self, obj: Object) -> bool:
        return self.base.deletion_blocked(obj)


class TrustedStrategy(Strategy):
    """A subresource whose storage builds the whole next object itself (pods/binding).

    Nothing is reset: the storage changed only what the subresource may change.
    The kind's defaults, canonical form and deletion rules still apply.
    """

    def __init__(self, base: Strategy) -> None:
        self.base = base

    def default(self, obj: Object) -> None:
        self.base.default(obj)

    def canonicalize(self, obj: Object) -> None:
        self.base.canonicalize(obj)

    def deletion_blocked(self, obj: Object) -> bool:
        return self.base.deletion_blocked(obj)


DEFAULT = Strategy()


class SplitStatus(Strategy):
    """A kind with nothing particular but a status subresource (custom resources)."""

    split_status = True


SPLIT_STATUS = SplitStatus()
