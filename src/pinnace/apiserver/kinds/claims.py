"""PersistentVolumeClaims: `volumeMode` defaults and the initial `Pending` phase."""

from __future__ import annotations

from pinnace.apiserver import strategies
from pinnace.kits.kube.objects import Object


class ClaimStrategy(strategies.Strategy):
    split_status = True

    def initial_status(self, obj: Object) -> Object:
        return {"phase": "Pending"}

    def default(self, obj: Object) -> None:
        obj.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")


STRATEGY = ClaimStrategy()
