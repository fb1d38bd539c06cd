"""`pods/<name>/log`: proxied to the node agent's log endpoint, as kube-apiserver proxies to the kubelet.

The endpoint is the one named in the pod's Node object
(`status.daemonEndpoints.kubeletEndpoint`); the body streams through
(`kubectl logs -f`). The API server never reads the node's files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote, urlencode

import aiohttp

from pinnace.apiserver import errors, rest, stores
from pinnace.kits.kube.objects import Object

_FORWARDED = (
    "follow",
    "previous",
    "tailLines",
    "timestamps",
    "sinceSeconds",
    "sinceTime",
    "limitBytes",
)


class LogStorage(rest.Storage):
    def __init__(self, pods: stores.Store) -> None:
        self.pods = pods
        self.info = self.view = pods.info

    async def get(self, namespace: str, name: str, query: dict[str, str]) -> rest.Stream:
        server = self.pods.server
        pod = self.pods.existing(namespace, name)
        spec = pod.get("spec") or {}
        container = _container(pod, query.get("container"))
        node_name = spec.get("nodeName")
        if not node_name:
            raise errors.BadRequest(
                f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating'
            )
        endpoint = _kubelet(server.store.get("/nodes", "", node_name))
        if endpoint is None:
            raise errors.BadRequest(f'node "{node_name}" has no reachable log endpoint')
        forwarded = {k: v for k, v in query.items() if k in _FORWARDED}
        url = f"http://{endpoint}/containerLogs/{quote(namespace)}/{quote(name)}/{quote(container)}"
        if forwarded:
            url += "?" + urlencode(forwarded)
        session = server.http_session()
        try:
            response = await session.get(
                url, timeout=aiohttp.ClientTimeout(total=None, sock_connect=5)
            )
        except aiohttp.ClientError as exc:
            raise errors.InternalError(
                f"failed to reach the node agent on {node_name}: {exc}"
            ) from exc
        if response.status != 200:
            text = (await response.text()).strip()
            response.release()
            raise errors.BadRequest(text or f"the node agent answered {response.status}")
        return rest.Stream(_relay(response))


def _container(pod: Object, asked: str | None) -> str:
    name = pod["metadata"]["name"]
    spec = pod.get("spec") or {}
    containers = [c.get("name") for c in spec.get("containers") or []]
    init = [c.get("name") for c in spec.get("initContainers") or []]
    container = asked
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
    return str(container)


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
