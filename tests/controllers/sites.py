"""The example controller of `docs/design/controllers.md`: a Site owns a ConfigMap and a Service.

A `Site` (`example.pinnace.dev/v1`, namespaced, with a status subresource)
says what page to serve on which port. Its controller keeps two children:
the ConfigMap `<site>-content` holding the page, and the Service `<site>`
selecting the site's pods. Status carries `Ready` and the children's names.
A child name taken by an object the Site does not control ends in
`owning.AlreadyOwned`, which the runner records as `Ready=False` with reason
`AlreadyOwned` and a Warning Event, without retrying.
"""

from __future__ import annotations

from dataclasses import dataclass

from pinnace.api import kinds
from pinnace.controllers import conditions, manager, owning, reconciling, statuses
from pinnace.kits import clocks
from pinnace.kits.kube import clients, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.kits.kube.resources import ResourceType

SITES = ResourceType("example.pinnace.dev", "v1", "sites", "Site")


@dataclass(frozen=True, slots=True)
class Site:
    """The typed view of a Site: parsed once, at the edge."""

    name: str
    page: str
    port: int

    @staticmethod
    def parse(obj: Object) -> Site:
        spec = obj.get("spec") or {}
        return Site(objects.name_of(obj), str(spec.get("page", "")), int(spec.get("port", 80)))


class SiteController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        sites: informers.Informer,
        configmaps: informers.Informer,
        services: informers.Informer,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.sites = sites
        self.configmaps = configmaps
        self.services = services
        self.clock = clock

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        obj = self.sites.get(key)
        if obj is None or objects.is_deleting(obj):
            return reconciling.DONE  # the garbage collector removes the children
        site = Site.parse(obj)
        labels = {"app.kubernetes.io/name": site.name}
        content = await owning.ensure(
            self.client,
            kinds.CONFIGMAPS,
            obj,
            {
                "metadata": {"name": f"{site.name}-content", "labels": labels},
                "data": {"index.html": site.page},
            },
            cache=self.configmaps,
        )
        service = await owning.ensure(
            self.client,
            kinds.SERVICES,
            obj,
            {
                "metadata": {"name": site.name, "labels": labels},
                "spec": {"selector": labels, "ports": [{"name": "http", "port": site.port}]},
            },
            cache=self.services,
        )
        status = statuses.condition(
            obj,
            {
                "configMapName": objects.name_of(content.object),
                "serviceName": objects.name_of(service.object),
            },
            "Ready",
            conditions.Status.TRUE,
            reason="ChildrenReady",
            message="the ConfigMap and the Service are up to date",
            clock=self.clock,
        )
        await statuses.write(self.client, SITES, obj, status)
        return reconciling.DONE


def setup(mgr: manager.Manager) -> None:
    """Register the Site controller (a domain package's `setup(manager)` looks like this)."""
    sites = mgr.informer(SITES)
    configmaps, services = mgr.informer(kinds.CONFIGMAPS), mgr.informer(kinds.SERVICES)
    controller = SiteController(
        mgr.client, sites=sites, configmaps=configmaps, services=services, clock=mgr.clock
    )
    mgr.controller("site", controller, primary=sites, owns=[configmaps, services])


CRD: Object = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "sites.example.pinnace.dev"},
    "spec": {
        "group": "example.pinnace.dev",
        "names": {"kind": "Site", "plural": "sites", "singular": "site", "listKind": "SiteList"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "page": {"type": "string"},
                                    "port": {"type": "integer", "default": 80},
                                },
                            },
                            "status": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            },
                        },
                    }
                },
            }
        ],
    },
}
