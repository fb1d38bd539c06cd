"""Subresources beyond status: `pods/binding`, `<workload>/scale` and `pods/log`.

- binding: the scheduler POSTs a v1 Binding to set a pod's `spec.nodeName`
  (once; a bound pod answers 409).
- scale: an autoscaling/v1 Scale view of `spec.replicas` for Deployments,
  StatefulSets and CRDs that declare it (`kubectl scale`).
- log: proxied to the node agent's log endpoint named in the Node object
  (`status.daemonEndpoints.kubeletEndpoint`), as kube-apiserver proxies to
  the kubelet; the body streams through (`kubectl logs -f`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from jsonpath_ng.ext.parser import parse as jsonpath_parse

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import encoding, errors, patching, registry, resolving, writing
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

# -- binding -----------------------------------------------------------------


async def create(server: ApiServer, req: Request, info: ResourceInfo) -> Reply:
    if (info.group, info.plural, req.info.subresource) != ("", "pods", "binding"):
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource"
        )
    binding = encoding.decode_object(req.body, req.headers.get("content-type"), kind="Binding")
    target = binding.get("target") or {}
    node = target.get("name")
    if not node:
        raise errors.Invalid.of(
            "Binding",
            req.info.name or "",
            "",
            [errors.cause("target.name", "Required value", "FieldValueRequired")],
        )
    pod = resolving.existing(server, req, info)
    current = (pod.get("spec") or {}).get("nodeName")
    if current:
        raise errors.Conflict(
            f'Operation cannot be fulfilled on pods/binding "{req.info.name}": pod {req.info.name} is already assigned to node "{current}"'
        )
    if pod["metadata"].get("deletionTimestamp"):
        raise errors.Conflict(
            f'Operation cannot be fulfilled on pods/binding "{req.info.name}": pod {req.info.name} is being deleted, cannot be assigned to a host'
        )
    new = objects.clone(pod)
    new["spec"]["nodeName"] = node
    conditions = [
        c
        for c in new.setdefault("status", {}).get("conditions") or []
        if c.get("type") != "PodScheduled"
    ]
    conditions.append(
        {
            "type": "PodScheduled",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": server.now(),
        }
    )
    new["status"]["conditions"] = conditions
    await server.store.put(registry.storage_key(info), new, pod)
    return Reply(
        201,
        {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201},
    )


# -- scale -------------------------------------------------------------------


def _paths(info: ResourceInfo) -> tuple[str, str, str | None]:
    if info.scale is not None:
        return info.scale.spec_replicas, info.scale.status_replicas, info.scale.label_selector
    return ".spec.replicas", ".status.replicas", None


def _read(obj: Object, path: str) -> Any:
    found = jsonpath_parse("$" + path).find(obj)
    return found[0].value if found else None


def _scale(info: ResourceInfo, obj: Object) -> Object:
    spec_path, status_path, selector_path = _paths(info)
    meta = obj["metadata"]
    selector = ""
    if selector_path:
        selector = str(_read(obj, selector_path) or "")
    elif isinstance((obj.get("spec") or {}).get("selector"), dict):
        from pinnace.kits import selectors

        selector = selectors.label_selector_string(obj["spec"]["selector"])
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": int(_read(obj, spec_path) or 0)},
        "status": {"replicas": int(_read(obj, status_path) or 0), "selector": selector},
    }


async def scale_get(server: ApiServer, req: Request, info: ResourceInfo) -> Reply:
    return Reply(200, _scale(info, resolving.existing(server, req, info)))


async def _apply_scale(
    server: ApiServer, req: Request, info: ResourceInfo, old: Object, scale: Any
) -> Reply:
    if not isinstance(scale, dict):
        raise errors.BadRequest("the body must be a Scale object")
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise errors.Invalid.of(
            "Scale",
            req.info.name or "",
            "autoscaling",
            [
                errors.cause(
                    "spec.replicas",
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                )
            ],
        )
    sent_rv = (scale.get("metadata") or {}).get("resourceVersion")
    if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
        raise errors.Conflict.stale(
            info.resource.group_resource, old["metadata"]["name"], info.group, info.plural
        )
    new = objects.clone(old)
    spec_path = _paths(info)[0]
    jsonpath_parse("$" + spec_path).update_or_create(new, replicas)
    main = Request(info=_main_info(req), headers=req.headers, body=b"")
    reply = await writing.write_update(server, main, info, old, new)
    return Reply(200, _scale(info, reply.body), headers=reply.headers)


def _main_info(req: Request) -> Any:
    from dataclasses import replace

    return replace(req.info, subresource=None)


async def scale_update(server: ApiServer, req: Request, info: ResourceInfo) -> Reply:
    old = resolving.existing(server, req, info)
    body = encoding.decode_object(req.body, req.headers.get("content-type"), kind="Scale")
    return await _apply_scale(server, req, info, old, body)


async def scale_patch(server: ApiServer, req: Request, info: ResourceInfo) -> Reply:
    old = resolving.existing(server, req, info)
    current = _scale(info, old)
    kind = encoding.media_type(req.headers.get("content-type"))
    if kind == encoding.STRATEGIC_PATCH:
        body = encoding.decode(req.body, kind, what="Scale")
        patched = patching.merge_patch(current, body)
    else:
        scale_info = ResourceInfo(resource=info.resource, singular="scale")
        patched = patching.apply(scale_info, current, req)
    return await _apply_scale(server, req, info, old, patched)


# -- logs --------------------------------------------------------------------


async def log(server: ApiServer, req: Request, info: ResourceInfo) -> Reply:
    pod = resolving.existing(server, req, info)
    name = pod["metadata"]["name"]
    spec = pod.get("spec") or {}
    containers = [c.get("name") for c in spec.get("containers") or []]
    init = [c.get("name") for c in spec.get("initContainers") or []]
    container = req.query.get("container")
    if not container:
        default = (pod["metadata"].get("annotations") or {}).get(
            "kubectl.kubernetes.io/default-container"
        )
        if default or len(containers) == 1:
            container = default or containers[0]
        else:
            raise errors.BadRequest(
                f"a container name must be specified for pod {name}, "
                f"choose one of: [{' '.join(containers)}]"
                + (f" or one of the init containers: [{' '.join(init)}]" if init else "")
            )
    if container not in containers + init:
        raise errors.BadRequest(f"container {container} is not valid for pod {name}")
    node_name = spec.get("nodeName")
    if not node_name:
        raise errors.BadRequest(
            f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating'
        )
    node = server.store.get("/nodes", "", node_name)
    endpoint = _kubelet(node)
    if endpoint is None:
        raise errors.BadRequest(f'node "{node_name}" has no reachable log endpoint')
    query = {
        k: v
        for k, v in req.query.items()
        if k
        in (
            "follow",
            "previous",
            "tailLines",
            "timestamps",
            "sinceSeconds",
            "sinceTime",
            "limitBytes",
        )
    }
    ns = pod["metadata"].get("namespace", "")
    url = f"http://{endpoint}/containerLogs/{quote(ns)}/{quote(name)}/{quote(container)}"
    if query:
        url += "?" + urlencode(query)
    session = server.http_session()
    try:
        response = await session.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_connect=5))
    except aiohttp.ClientError as exc:
        raise errors.InternalError(f"failed to reach the node agent on {node_name}: {exc}") from exc
    if response.status != 200:
        text = (await response.text()).strip()
        response.release()
        raise errors.BadRequest(text or f"the node agent answered {response.status}")
    return Reply(200, stream=_relay(response), content_type="text/plain")


def _kubelet(node: Object | None) -> str | None:
    if node is None:
        return None
    status = node.get("status") or {}
    port = ((status.get("daemonEndpoints") or {}).get("kubeletEndpoint") or {}).get("Port")
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    host = addresses.get("InternalIP") or addresses.get("Hostname")
    if not port or not host:
        return None
    return f"{host}:{port}"


async def _relay(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.content.iter_any():
            yield chunk
    finally:
        response.release()
