"""Service → Endpoints: the addresses the gateway proxies to.

For every Service with a selector, `reconcile` computes the Endpoints object of
the same name from the pods the selector matches: each pod with a `podIP` is
a ready address (PodReady=True, or the service publishes not-ready addresses)
or a not-ready one, and each service port resolves its `targetPort` — a
number, or the name of a containerPort of that pod. Pods are grouped into
subsets by their resolved port list. Services without a selector are left
alone (their Endpoints are managed by hand); the Endpoints of a deleted
Service are deleted. Pod events reach the Services that select the pod
through `services_for`.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pinnace.api import kinds
from pinnace.controllers import pods, reconciling
from pinnace.kits import selectors
from pinnace.kits.kube import clients, errors, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey


def selector_of(service: Object) -> selectors.LabelSelector | None:
    wanted = (service.get("spec") or {}).get("selector")
    if not wanted:
        return None
    return selectors.from_label_selector({"matchLabels": wanted})


def resolve_port(pod: Object, target: Any) -> int | None:
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return int(port["containerPort"])
    return None


def desired_subsets(service: Object, selected: list[Object]) -> list[Object]:
    spec = service.get("spec") or {}
    publish_not_ready = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple[tuple[str, int, str], ...], dict[str, list[Object]]] = {}
    for pod in selected:
        ip = (pod.get("status") or {}).get("podIP")
        if not ip or not pods.is_active(pod):
            continue
        ports: list[tuple[str, int, str]] = []
        for sp in spec.get("ports") or []:
            number = resolve_port(pod, sp.get("targetPort", sp.get("port")))
            if number is not None:
                ports.append((str(sp.get("name") or ""), number, sp.get("protocol") or "TCP"))
        if spec.get("ports") and not ports:
            continue
        address: Object = {
            "ip": ip,
            "targetRef": {
                "kind": "Pod",
                "namespace": objects.namespace_of(pod),
                "name": objects.name_of(pod),
                "uid": objects.uid_of(pod),
            },
        }
        pod_spec = pod.get("spec") or {}
        if pod_spec.get("nodeName"):
            address["nodeName"] = pod_spec["nodeName"]
        if pod_spec.get("hostname") and pod_spec.get("subdomain") == objects.name_of(service):
            address["hostname"] = pod_spec["hostname"]
        group = groups.setdefault(tuple(ports), {"addresses": [], "notReadyAddresses": []})
        # A terminating pod takes no new traffic, even before its process has stopped.
        ready = publish_not_ready or (pods.is_ready(pod) and not objects.is_deleting(pod))
        group["addresses" if ready else "notReadyAddresses"].append(address)
    subsets: list[Object] = []
    for ports_key, group in sorted(groups.items()):
        subset: Object = {}
        for field in ("addresses", "notReadyAddresses"):
            if group[field]:
                subset[field] = sorted(
                    group[field], key=lambda a: (a["ip"], a["targetRef"]["name"])
                )
        subset["ports"] = [
            {**({"name": name} if name else {}), "port": port, "protocol": proto}
            for name, port, proto in ports_key
        ]
        subsets.append(subset)
    return subsets


class EndpointsController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        services: informers.Informer,
        pods: informers.Informer,
        endpoints: informers.Informer,
    ) -> None:
        self.client = client
        self.services = services
        self.pods = pods
        self.endpoints = endpoints

    def services_for(self, pod: Object) -> list[ObjectKey]:
        """Pod mapper: the keys of the Services in the pod's namespace that select it."""
        labels = objects.labels_of(pod)
        keys = []
        for svc in self.services.list(objects.namespace_of(pod)):
            sel = selector_of(svc)
            if sel is not None and sel.matches(labels):
                keys.append(objects.key_of(svc))
        return keys

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        service = self.services.get(key)
        current = self.endpoints.get(key)
        if service is None:
            if current is not None:
                with contextlib.suppress(errors.NotFound, errors.Conflict):
                    await self.client.delete(
                        kinds.ENDPOINTS,
                        key.name,
                        namespace=key.namespace,
                        precondition_uid=objects.uid_of(current),
                    )
            return reconciling.DONE
        sel = selector_of(service)
        if sel is None or objects.is_deleting(service):
            return reconciling.DONE
        subsets = desired_subsets(service, self.pods.list(key.namespace, sel))
        labels = dict(objects.labels_of(service))
        if (service.get("spec") or {}).get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        if current is not None:
            if (current.get("subsets") or []) == subsets and objects.labels_of(current) == labels:
                return reconciling.DONE
            desired = {**current, "subsets": subsets}
            desired["metadata"] = {**current["metadata"], "labels": labels}
            await self.client.replace(kinds.ENDPOINTS, desired)
            return reconciling.DONE
        body = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": key.name, "namespace": key.namespace, "labels": labels},
            "subsets": subsets,
        }
        try:
            await self.client.create(kinds.ENDPOINTS, body)
        except errors.AlreadyExists:
            existing = await self.client.get(kinds.ENDPOINTS, key.name, namespace=key.namespace)
            await self.client.replace(
                kinds.ENDPOINTS,
                {
                    **existing,
                    "subsets": subsets,
                    "metadata": {**existing["metadata"], "labels": labels},
                },
            )
        return reconciling.DONE
