"""Services: defaults, validation and cluster IP allocation (kube's service strategy and REST).

A Service gets `type: ClusterIP`, `targetPort` = `port` and a cluster IP from
the service range (`Settings.service_cidr_prefix`), allocated when it is
created (dry runs see the IP they would get); the IP may not change once set.
`default/kubernetes`, the API server's own Service, is kept by `bootstrap`.
"""

from __future__ import annotations

import ipaddress

from pinnace.apiserver import errors, strategies
from pinnace.apiserver.kinds import podspecs
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube.objects import Object


class ServiceStrategy(strategies.Strategy):
    split_status = True

    def initial_status(self, obj: Object) -> Object:
        return {"loadBalancer": {}}

    def default(self, obj: Object) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
                if "port" in port:
                    port.setdefault("targetPort", port["port"])
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")

    def validate(self, obj: Object) -> strategies.Causes:
        spec = obj.get("spec") or {}
        causes: strategies.Causes = []
        ports = spec.get("ports") or []
        if not ports and spec.get("clusterIP") != "None" and spec.get("type") != "ExternalName":
            causes.append(podspecs.required("spec.ports"))
        for i, port in enumerate(ports):
            number = port.get("port") if isinstance(port, dict) else None
            if not isinstance(number, int) or not 0 < number < 65536:
                causes.append(
                    errors.cause(
                        f"spec.ports[{i}].port",
                        f"Invalid value: {number}: must be between 1 and 65535, inclusive",
                    )
                )
            if len(ports) > 1 and isinstance(port, dict) and not port.get("name"):
                causes.append(podspecs.required(f"spec.ports[{i}].name"))
        return causes

    def validate_update(self, new: Object, old: Object) -> strategies.Causes:
        causes = self.validate(new)
        spec = new.get("spec") or {}
        before = (old.get("spec") or {}).get("clusterIP")
        if before and spec.get("clusterIP") not in (None, "", before):
            causes.append(
                errors.cause(
                    "spec.clusterIPs[0]",
                    f'Invalid value: []string{{"{spec.get("clusterIP")}"}}: may not change once set',
                )
            )
        return causes


STRATEGY = ServiceStrategy()


def first_ip(server: ApiServer) -> str:
    """The first address of the service range: `default/kubernetes` holds it."""
    return f"{server.settings.service_cidr_prefix}.0.1"


def allocate_cluster_ip(server: ApiServer, svc: Object) -> None:
    spec = svc.setdefault("spec", {})
    if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
        if spec.get("clusterIP") == "None":
            spec["clusterIPs"] = ["None"]
        return
    if not spec.get("clusterIP"):
        used = {(s.get("spec") or {}).get("clusterIP") for s in server.store.objects("/services")}
        base = ipaddress.IPv4Address(first_ip(server))
        for offset in range(65534):
            candidate = str(base + offset)
            if candidate not in used:
                spec["clusterIP"] = candidate
                break
    spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
