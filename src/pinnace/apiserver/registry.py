"""The registry: which kinds are served, from the built-ins and the stored CRDs.

`Registry` answers "what is served at /apis/<g>/<v>/<plural>" for the verb
modules, discovery and OpenAPI. Built-in kinds come from
`pinnace.api.builtins`; each stored CustomResourceDefinition adds one
`ResourceInfo` per served version (`pinnace.api.infos.from_crd`), so a CRD
created through the API is served at once, the Kubernetes way.

All versions of a kind share one storage key (`<group>/<plural>`); versions of
a CRD differ only in `apiVersion` (conversion strategy None).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pinnace.api import builtins, infos
from pinnace.api.infos import ResourceInfo
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

# kube-apiserver's group order in discovery, built-ins first.
_GROUP_ORDER = (
    "",
    "apps",
    "coordination.k8s.io",
    "rbac.authorization.k8s.io",
    "apiextensions.k8s.io",
    "autoscaling",
)

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kube-aware version order: GA before beta before alpha, higher numbers first."""
    m = _VERSION.match(version)
    if not m:
        return (3, 0, 0, version)
    major, stage, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


def storage_key(info: ResourceInfo) -> str:
    return f"{info.group}/{info.plural}"


@dataclass(frozen=True, slots=True)
class GroupVersions:
    name: str
    versions: tuple[str, ...]

    @property
    def preferred(self) -> str:
        return self.versions[0]


class Registry:
    def __init__(self) -> None:
        self._builtin: dict[tuple[str, str, str], ResourceInfo] = {
            (i.group, i.version, i.plural): i for i in builtins.BUILTINS
        }
        self._custom: dict[str, list[ResourceInfo]] = {}
        """CRD name → its served versions."""
        self._index: dict[tuple[str, str, str], ResourceInfo] = {}
        self.generation = 0
        """Moves whenever the set of served kinds changes (discovery/OpenAPI caches key on it)."""
        self._rebuild()

    def _rebuild(self) -> None:
        index = dict(self._builtin)
        for versions in self._custom.values():
            for info in versions:
                index.setdefault((info.group, info.version, info.plural), info)
        self._index = index
        self.generation += 1

    # -- lookups -----------------------------------------------------------

    def lookup(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        return self._index.get((group, version, plural))

    def resources(self, group: str, version: str) -> list[ResourceInfo]:
        return [i for (g, v, _), i in self._index.items() if (g, v) == (group, version)]

    def all(self) -> Iterable[ResourceInfo]:
        return self._index.values()

    def groups(self) -> list[GroupVersions]:
        """Served groups in discovery order, versions most preferred first."""
        by_group: dict[str, set[str]] = {}
        for info in self._index.values():
            by_group.setdefault(info.group, set()).add(info.version)
        order = {g: i for i, g in enumerate(_GROUP_ORDER)}
        names = sorted(by_group, key=lambda g: (order.get(g, len(order)), g))
        return [GroupVersions(g, tuple(sorted(by_group[g], key=version_priority))) for g in names]

    # -- CRDs --------------------------------------------------------------

    def register_crd(self, crd: Object) -> None:
        name = crd["metadata"]["name"]
        try:
            self._custom[name] = infos.from_crd(crd)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("CRD %s is not servable: %s", name, exc)
            self._custom.pop(name, None)
        self._rebuild()

    def unregister_crd(self, name: str) -> None:
        if self._custom.pop(name, None) is not None:
            self._rebuild()
