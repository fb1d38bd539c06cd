"""What the API server knows about one served kind: `ResourceInfo`.

The registry in `pinnace.apiserver` holds one `ResourceInfo` per served
group/version/kind. Built-in kinds come from `pinnace.api.builtins`; custom
kinds are made here by `from_crd`, one per served version of a stored
CustomResourceDefinition. Discovery, OpenAPI, validation (`apiserver.validating`)
and Table rendering (`apiserver.tables`) all read from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pinnace.kits.kube.resources import ResourceType

STANDARD_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)
"""The verbs of an ordinary kind (what discovery lists for CRDs)."""


@dataclass(frozen=True, slots=True)
class Subresource:
    """One `<plural>/<name>` entry: its kind (as discovery shows it) and verbs."""

    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str = ""
    """Set only when the subresource's kind lives elsewhere (deployments/scale → autoscaling)."""
    version: str = ""


@dataclass(frozen=True, slots=True)
class ScalePaths:
    """A CRD's scale subresource: where replicas live in spec and status."""

    spec_replicas: str
    status_replicas: str
    label_selector: str | None = None


@dataclass(frozen=True, slots=True)
class PrinterColumn:
    """One additionalPrinterColumn: `type` is integer|number|string|boolean|date."""

    name: str
    type: str
    json_path: str
    format: str = ""
    description: str = ""
    priority: int = 0


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """Everything about one served group/version/kind."""

    resource: ResourceType
    singular: str
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = STANDARD_VERBS
    subresources: tuple[Subresource, ...] = ()
    definition: str | None = None
    """Name of the built-in schema definition in `pinnace.api.schemas` (None for CRDs)."""
    openapi_schema: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    """A CRD version's openAPIV3Schema (None for built-ins)."""
    printer_columns: tuple[PrinterColumn, ...] = ()
    """CRD additionalPrinterColumns; built-ins have their printers in `api.printers`."""
    scale: ScalePaths | None = None
    storage: bool = True
    crd_name: str | None = None
    """`<plural>.<group>` of the defining CRD; None for built-ins."""

    @property
    def group(self) -> str:
        return self.resource.group

    @property
    def version(self) -> str:
        return self.resource.version

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def plural(self) -> str:
        return self.resource.plural

    @property
    def namespaced(self) -> bool:
        return self.resource.namespaced

    @property
    def api_version(self) -> str:
        return self.resource.api_version

    @property
    def is_custom(self) -> bool:
        return self.crd_name is not None

    @property
    def has_status(self) -> bool:
        """Whether `/status` exists: then spec writes ignore `.status` and vice versa."""
        return self.subresource("status") is not None

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None


def status_subresource(kind: str) -> Subresource:
    return Subresource("status", kind, ("get", "patch", "update"))


def scale_subresource() -> Subresource:
    return Subresource("scale", "Scale", ("get", "patch", "update"), "autoscaling", "v1")


def from_crd(crd: Mapping[str, Any]) -> list[ResourceInfo]:
    """One `ResourceInfo` per served version of an apiextensions.k8s.io/v1 CRD object.

    Tolerates missing optional parts (names.singular defaults to the lowercased
    kind); raises `KeyError`/`TypeError` only when group, names.plural/kind or
    versions are absent, which CRD validation rejects before this is called.
    """
    spec = crd["spec"]
    group = str(spec["group"])
    names = spec["names"]
    kind = str(names["kind"])
    plural = str(names["plural"])
    namespaced = spec.get("scope", "Namespaced") != "Cluster"
    crd_name = f"{plural}.{group}"
    infos: list[ResourceInfo] = []
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        subs: list[Subresource] = []
        scale: ScalePaths | None = None
        declared = version.get("subresources") or {}
        if "status" in declared:
            subs.append(status_subresource(kind))
        if isinstance(declared.get("scale"), Mapping):
            sc = declared["scale"]
            subs.append(scale_subresource())
            scale = ScalePaths(
                spec_replicas=str(sc.get("specReplicasPath", ".spec.replicas")),
                status_replicas=str(sc.get("statusReplicasPath", ".status.replicas")),
                label_selector=sc.get("labelSelectorPath"),
            )
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        infos.append(
            ResourceInfo(
                resource=ResourceType(group, str(version["name"]), plural, kind, namespaced),
                singular=str(names.get("singular") or kind.lower()),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=tuple(subs),
                openapi_schema=schema if isinstance(schema, Mapping) else None,
                printer_columns=tuple(
                    PrinterColumn(
                        name=str(col["name"]),
                        type=str(col.get("type", "string")),
                        json_path=str(col["jsonPath"]),
                        format=str(col.get("format", "")),
                        description=str(col.get("description", "")),
                        priority=int(col.get("priority", 0)),
                    )
                    for col in version.get("additionalPrinterColumns") or ()
                ),
                scale=scale,
                storage=bool(version.get("storage", False)),
                crd_name=crd_name,
            )
        )
    return infos
