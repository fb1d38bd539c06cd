"""All built-in controllers against the embedded API server: a Deployment behind a Service."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from helpers import ready_status
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import builtin
from pinnace.kits.kube import clients


async def poll(client: clients.Client, check: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_deployment_service_endpoints_and_cleanup(tmp_path: Path) -> None:
    async with apiservers.serve(tmp_path, namespaces=()) as client:
        await client.create(kinds.NODES, {"metadata": {"name": "node-1"}})
        await client.patch(
            kinds.NODES,
            "node-1",
            {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            subresource="status",
        )
        mgr = await builtin.start(client)
        try:
            await client.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
            await client.create(
                kinds.DEPLOYMENTS,
                {
                    "metadata": {"name": "web", "namespace": "team"},
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"app": "web"}},
                        "template": {
                            "metadata": {"labels": {"app": "web"}},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "c",
                                        "image": "x",
                                        "ports": [{"containerPort": 80, "name": "http"}],
                                    }
                                ]
                            },
                        },
                    },
                },
            )
            await client.create(
                kinds.SERVICES,
                {
                    "metadata": {"name": "web", "namespace": "team"},
                    "spec": {
                        "selector": {"app": "web"},
                        "ports": [{"port": 80, "targetPort": "http"}],
                    },
                },
            )

            async def bound() -> bool:
                pods = (await client.list(kinds.PODS, namespace="team")).items
                return len(pods) == 2 and all(p["spec"].get("nodeName") for p in pods)

            await poll(client, bound)
            for i, pod in enumerate((await client.list(kinds.PODS, namespace="team")).items):
                await client.patch(
                    kinds.PODS,
                    pod["metadata"]["name"],
                    {"status": ready_status(f"127.0.1.{i + 1}")},
                    namespace="team",
                    subresource="status",
                )

            async def available() -> bool:
                d = await client.get(kinds.DEPLOYMENTS, "web", namespace="team")
                return (d.get("status") or {}).get("availableReplicas") == 2

            await poll(client, available)

            async def endpoints() -> bool:
                try:
                    ep = await client.get(kinds.ENDPOINTS, "web", namespace="team")
                except Exception:
                    return False
                subsets = ep.get("subsets") or []
                return len(subsets) == 1 and len(subsets[0].get("addresses") or []) == 2

            await poll(client, endpoints)
            ep = await client.get(kinds.ENDPOINTS, "web", namespace="team")
            assert ep["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
            sa = await client.get(kinds.SERVICEACCOUNTS, "default", namespace="team")
            assert sa["metadata"]["name"] == "default"

            await client.patch(
                kinds.DEPLOYMENTS, "web", {"spec": {"replicas": 0}}, namespace="team"
            )

            async def no_pods() -> bool:
                pods = (await client.list(kinds.PODS, namespace="team")).items
                for p in pods:  # play the node agent: finish graceful deletions
                    if p["metadata"].get("deletionTimestamp"):
                        await client.delete(
                            kinds.PODS,
                            p["metadata"]["name"],
                            namespace="team",
                            grace_period_seconds=0,
                        )
                return not pods

            await poll(client, no_pods)
            await client.delete(kinds.NAMESPACES, "team")

            async def namespace_gone() -> bool:
                nss = (await client.list(kinds.NAMESPACES)).items
                return "team" not in [n["metadata"]["name"] for n in nss]

            await poll(client, namespace_gone, timeout=10)
        finally:
            await mgr.stop()
