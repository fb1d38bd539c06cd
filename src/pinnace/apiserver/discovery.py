"""Discovery: `/version`, `/api`, `/apis`, `/apis/<g>`, `/api/v1`, `/apis/<g>/<v>`.

Generated from the registry, CRDs included, so a new CRD's kind shows up in
`kubectl api-resources` and Kopf's scan at once. Subresource entries
(`pods/status`, `pods/log`, `deployments/scale`, …) are listed exactly for
the subresources that are served, because Kopf decides from them whether to
write status through `/status`. Aggregated discovery (apidiscovery.k8s.io/v2)
is answered too, which saves kubectl a request per group version.
"""

from __future__ import annotations

import platform
import sys
from typing import Any

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver.server import ApiServer

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def version(server: ApiServer) -> dict[str, Any]:
    git = server.settings.git_version
    major, minor = git.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-11-30T00:00:00Z",
        "goVersion": f"python{sys.version_info.major}.{sys.version_info.minor}",
        "compiler": "cpython",
        "platform": f"{platform.system().lower()}/{platform.machine()}",
    }


def _address() -> list[dict[str, str]]:
    return [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]


def core_versions() -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": _address()}


def _group(name: str, versions: tuple[str, ...]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}


def groups(server: ApiServer) -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(g.name, g.versions) for g in server.registry.groups() if g.name],
    }


def group(server: ApiServer, name: str) -> dict[str, Any] | None:
    for g in server.registry.groups():
        if g.name == name and name:
            return {"kind": "APIGroup", "apiVersion": "v1", **_group(g.name, g.versions)}
    return None


def _entries(info: ResourceInfo) -> list[dict[str, Any]]:
    main: dict[str, Any] = {
        "name": info.plural,
        "singularName": info.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        main["shortNames"] = list(info.short_names)
    if info.categories:
        main["categories"] = list(info.categories)
    entries = [main]
    for sub in info.subresources:
        entry: dict[str, Any] = {
            "name": f"{info.plural}/{sub.name}",
            "singularName": "",
            "namespaced": info.namespaced,
            "kind": sub.kind,
            "verbs": list(sub.verbs),
        }
        if sub.group:
            entry["group"], entry["version"] = sub.group, sub.version
        entries.append(entry)
    return entries


def resources(server: ApiServer, group_name: str, version_name: str) -> dict[str, Any] | None:
    infos = sorted(server.registry.resources(group_name, version_name), key=lambda i: i.plural)
    if not infos:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group_name}/{version_name}" if group_name else version_name,
        "resources": [e for info in infos for e in _entries(info)],
    }


def aggregated(server: ApiServer, *, core: bool) -> dict[str, Any]:
    """apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (core) or /apis."""
    items = []
    for g in server.registry.groups():
        if bool(g.name) == core:
            continue
        versions = []
        for v in g.versions:
            infos = sorted(server.registry.resources(g.name, v), key=lambda i: i.plural)
            versions.append(
                {
                    "version": v,
                    "resources": [_aggregated_resource(i) for i in infos],
                    "freshness": "Current",
                }
            )
        items.append(
            {"metadata": {"name": g.name, "creationTimestamp": None}, "versions": versions}
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def _aggregated_resource(info: ResourceInfo) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resource": info.plural,
        "responseKind": {"group": info.group, "version": info.version, "kind": info.kind},
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": info.singular,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        resource["shortNames"] = list(info.short_names)
    if info.categories:
        resource["categories"] = list(info.categories)
    if info.subresources:
        resource["subresources"] = [
            {
                "subresource": sub.name,
                "responseKind": {
                    "group": sub.group or info.group,
                    "version": sub.version or info.version,
                    "kind": sub.kind,
                },
                "verbs": list(sub.verbs),
            }
            for sub in info.subresources
        ]
    return resource


def wants_aggregated(accept: str | None) -> bool:
    if not accept:
        return False
    first = accept.split(",")[0]
    return "as=APIGroupDiscoveryList" in first and "v=v2" in first and "v2beta1" not in first
