"""Namespaces: defaults, the Active/Terminating phases and `namespaces/<n>/finalize`.

A namespace is never deleted at once: a delete turns it Terminating and it
stays until the namespace controller (`pinnace.controllers`) has emptied it
and cleared `spec.finalizers` through `/finalize`, the only path that may
change them (`FinalizeStrategy`).
"""

from __future__ import annotations

from pinnace.apiserver import strategies
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object


class NamespaceStrategy(strategies.Strategy):
    split_status = True

    def initial_status(self, obj: Object) -> Object:
        return {"phase": "Active"}

    def default(self, obj: Object) -> None:
        name = obj.get("metadata", {}).get("name", "")
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        spec = obj.setdefault("spec", {})
        spec.setdefault("finalizers", ["kubernetes"])

    def marks_deletion(self, obj: Object) -> bool:
        return True

    def mark_deleted(self, obj: Object) -> None:
        obj.setdefault("status", {})["phase"] = "Terminating"

    def deletion_blocked(self, obj: Object) -> bool:
        return bool((obj.get("spec") or {}).get("finalizers"))


class FinalizeStrategy(strategies.TrustedStrategy):
    """`/finalize`: only `spec.finalizers` moves."""

    def prepare_for_update(self, new: Object, old: Object) -> None:
        finalizers = (new.get("spec") or {}).get("finalizers")
        kept = objects.clone(old)
        kept.setdefault("spec", {})["finalizers"] = finalizers or []
        new.clear()
        new.update(kept)


STRATEGY = NamespaceStrategy()
FINALIZE = FinalizeStrategy(STRATEGY)
