"""Services with a selector get Endpoints of ready/not-ready pod addresses and resolved ports."""

from __future__ import annotations

from typing import Any

from helpers import eventually, ready_status

from pinnace.api import kinds
from pinnace.controllers import builtin


def pod(name: str, app: str = "web") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", "labels": {"app": app}},
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {"name": "c", "image": "x", "ports": [{"name": "http", "containerPort": 8080}]}
            ],
        },
    }


def service(name: str = "web", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", "labels": {"team": "a"}},
        "spec": {
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http"},
                {"name": "metrics", "port": 9090, "targetPort": 9090},
            ],
            **spec,
        },
    }


async def test_endpoints_follow_pods(platform: Any) -> None:
    kube, _ = await platform(builtin.setup_endpoints)
    a = await kube.create(kinds.PODS, pod("a"))
    await kube.patch(
        kinds.PODS, "a", {"status": ready_status("127.0.0.2")}, namespace="ns", subresource="status"
    )
    await kube.create(kinds.PODS, pod("b"))
    await kube.patch(
        kinds.PODS,
        "b",
        {"status": {"phase": "Running", "podIP": "127.0.0.3"}},
        namespace="ns",
        subresource="status",
    )
    await kube.create(kinds.PODS, pod("other", app="db"))
    await kube.create(kinds.SERVICES, service())
    await eventually(lambda: len(kube.objects(kinds.ENDPOINTS)) == 1)
    ep = kube.objects(kinds.ENDPOINTS)[0]
    assert ep["metadata"]["labels"] == {"team": "a"}
    assert ep["subsets"] == [
        {
            "addresses": [
                {
                    "ip": "127.0.0.2",
                    "nodeName": "node-1",
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": "ns",
                        "name": "a",
                        "uid": a["metadata"]["uid"],
                    },
                }
            ],
            "notReadyAddresses": [
                {
                    "ip": "127.0.0.3",
                    "nodeName": "node-1",
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": "ns",
                        "name": "b",
                        "uid": kube.objects(kinds.PODS)[1]["metadata"]["uid"],
                    },
                }
            ],
            "ports": [
                {"name": "http", "port": 8080, "protocol": "TCP"},
                {"name": "metrics", "port": 9090, "protocol": "TCP"},
            ],
        }
    ]
    await kube.patch(
        kinds.PODS, "b", {"status": ready_status("127.0.0.3")}, namespace="ns", subresource="status"
    )

    def ready_ips() -> list[str]:
        subsets = kube.objects(kinds.ENDPOINTS)[0].get("subsets") or []
        return [a["ip"] for s in subsets for a in s.get("addresses") or []]

    await eventually(lambda: ready_ips() == ["127.0.0.2", "127.0.0.3"])
    # A terminating pod leaves the ready addresses at once, while its process still stops.
    await kube.delete(kinds.PODS, "b", namespace="ns")
    assert kube.objects(kinds.PODS)[1]["metadata"]["deletionTimestamp"]
    await eventually(lambda: ready_ips() == ["127.0.0.2"])
    await kube.delete(kinds.PODS, "a", namespace="ns")
    await eventually(lambda: ready_ips() == [])
    await kube.delete(kinds.SERVICES, "web", namespace="ns")
    await eventually(lambda: kube.objects(kinds.ENDPOINTS) == [])


async def test_services_without_selector_are_left_alone(platform: Any) -> None:
    kube, _ = await platform(builtin.setup_endpoints)
    manual = {
        "metadata": {"name": "ext", "namespace": "ns"},
        "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 5432}]}],
    }
    # The Service first: the controller removes Endpoints whose Service does not exist.
    await kube.create(
        kinds.SERVICES,
        {"metadata": {"name": "ext", "namespace": "ns"}, "spec": {"ports": [{"port": 5432}]}},
    )
    await kube.create(kinds.ENDPOINTS, manual)
    await kube.create(kinds.SERVICES, service("empty"))
    await eventually(lambda: len(kube.objects(kinds.ENDPOINTS)) == 2)
    by_name = {e["metadata"]["name"]: e for e in kube.objects(kinds.ENDPOINTS)}
    assert by_name["ext"]["subsets"] == manual["subsets"]
    assert by_name["empty"]["subsets"] == []
