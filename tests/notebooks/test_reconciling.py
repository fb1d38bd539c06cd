"""The Notebook controller against the real in-process API server.

The StatefulSet controller and the garbage collector run beside it; the test
plays the node agent by writing the pod's status, as the runtime would.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.notebooks.support import get, notebook, until

from pinnace.api import kinds
from pinnace.controllers import manager, running
from pinnace.kits.kube import clients, objects
from pinnace.kits.kube.objects import Object, ObjectKey

STOPPED = "kubeflow-resource-stopped"


def controller(mgr: manager.Manager, name: str = "notebook") -> running.Controller:
    return next(c for c in mgr.controllers if isinstance(c, running.Controller) and c.name == name)


async def children_of(kube: clients.Client, name: str = "nb") -> tuple[Object, Object, Object]:
    async def all_there() -> tuple[Object, Object, Object] | None:
        sts = await get(kube, kinds.STATEFULSETS, name)
        svc = await get(kube, kinds.SERVICES, name)
        vs = await get(kube, kinds.VIRTUALSERVICES, f"notebook-ns-{name}")
        return (sts, svc, vs) if sts and svc and vs else None

    found: tuple[Object, Object, Object] = await until(all_there)
    return found


async def run_server(kube: clients.Client, name: str = "nb", *, ready: bool = True) -> Object:
    """Play the node agent: the server pod runs (and is Ready, or not)."""
    await until(lambda: get(kube, kinds.PODS, f"{name}-0"))
    flag = "True" if ready else "False"
    status = {
        "phase": "Running",
        "podIP": "127.1.0.9",
        "conditions": [
            {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
            {"type": "Ready", "status": flag, "lastTransitionTime": "2026-01-01T00:00:01Z"},
            {"type": "ContainersReady", "status": flag},
            {"type": "PodScheduled", "status": "True"},
        ],
        "containerStatuses": [
            {
                "name": name,
                "ready": ready,
                "restartCount": 0,
                "image": "kubeflownotebookswg/jupyter-scipy:v1.9.0",
                "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
            }
        ],
    }
    patched: Object = await kube.patch(
        kinds.PODS, f"{name}-0", {"status": status}, namespace="ns", subresource="status"
    )
    return patched


async def test_a_notebook_becomes_its_children_owned_and_ready(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    owner = await kube.create(
        kinds.NOTEBOOKS, notebook(labels={"app": "lab"}, annotations={"team": "a"})
    )
    sts, svc, vs = await children_of(kube)
    for child in (sts, svc, vs):
        assert objects.controller_uid(child) == objects.uid_of(owner)
    template = sts["spec"]["template"]
    assert template["metadata"]["labels"]["notebook-name"] == "nb"
    assert template["metadata"]["labels"]["app"] == "lab"
    assert template["metadata"]["annotations"]["team"] == "a"
    assert {"name": "NB_PREFIX", "value": "/notebook/ns/nb"} in template["spec"]["containers"][0][
        "env"
    ]
    assert svc["spec"]["ports"][0]["port"] == 80
    assert vs["spec"]["http"][0]["match"] == [{"uri": {"prefix": "/notebook/ns/nb/"}}]

    pod = await run_server(kube)
    assert pod["metadata"]["labels"]["notebook-name"] == "nb"

    async def mirrored() -> Object | None:
        nb = await get(kube, kinds.NOTEBOOKS, "nb")
        status = (nb or {}).get("status") or {}
        return nb if status.get("readyReplicas") == 1 else None

    nb = await until(mirrored)
    status = nb["status"]
    assert status["containerState"] == {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready == {
        "type": "Ready",
        "status": "True",
        "lastTransitionTime": "2026-01-01T00:00:01Z",
    }
    assert {c["type"] for c in status["conditions"]} == {
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    }
    assert status["observedGeneration"] == nb["metadata"]["generation"]

    # A steady state writes nothing.
    before = [objects.resource_version_of(o) for o in await children_of(kube)]
    rv = objects.resource_version_of(nb)
    await controller(mgr).process(ObjectKey("ns", "nb"))
    assert [objects.resource_version_of(o) for o in await children_of(kube)] == before
    again = await kube.get(kinds.NOTEBOOKS, "nb", namespace="ns")
    assert objects.resource_version_of(again) == rv


async def test_v1beta1_notebooks_are_served_and_reconciled(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    from pinnace.kits.kube.resources import ResourceType

    v1beta1 = ResourceType("kubeflow.org", "v1beta1", "notebooks", "Notebook")
    await kube.create(v1beta1, notebook("beta", api_version="kubeflow.org/v1beta1"))
    sts, _, _ = await children_of(kube, "beta")
    assert sts["spec"]["replicas"] == 1


async def test_stop_and_start_with_the_annotation(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    await kube.create(kinds.NOTEBOOKS, notebook())
    await children_of(kube)
    await run_server(kube)
    stamp = "2026-01-01T10:00:00Z"
    await kube.patch(
        kinds.NOTEBOOKS, "nb", {"metadata": {"annotations": {STOPPED: stamp}}}, namespace="ns"
    )

    async def stopped() -> Object | None:
        nb = await get(kube, kinds.NOTEBOOKS, "nb")
        status = (nb or {}).get("status") or {}
        reasons = [c.get("reason") for c in status.get("conditions") or []]
        return nb if reasons == ["Stopped"] and status.get("readyReplicas") == 0 else None

    nb = await until(stopped)
    sts = await kube.get(kinds.STATEFULSETS, "nb", namespace="ns")
    assert sts["spec"]["replicas"] == 0
    assert await get(kube, kinds.PODS, "nb-0") is None
    (cond,) = nb["status"]["conditions"]
    assert cond["type"] == "Ready" and cond["status"] == "False"
    assert stamp in cond["message"]
    assert nb["status"]["readyReplicas"] == 0
    # The stop annotation does not reach the pod template (no rollout on stop/start).
    assert STOPPED not in (sts["spec"]["template"]["metadata"].get("annotations") or {})

    await kube.patch(
        kinds.NOTEBOOKS, "nb", {"metadata": {"annotations": {STOPPED: None}}}, namespace="ns"
    )
    await run_server(kube)

    async def started() -> Object | None:
        nb = await get(kube, kinds.NOTEBOOKS, "nb")
        return nb if ((nb or {}).get("status") or {}).get("readyReplicas") == 1 else None

    nb = await until(started)
    assert "Stopped" not in [c.get("reason") for c in nb["status"]["conditions"]]


async def test_deleting_the_notebook_removes_its_children_and_keeps_the_workspace(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    claim = {
        "metadata": {"name": "nb-workspace", "namespace": "ns"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    await kube.create(kinds.PERSISTENTVOLUMECLAIMS, claim)
    await kube.create(kinds.NOTEBOOKS, notebook())
    await children_of(kube)
    await until(lambda: get(kube, kinds.PODS, "nb-0"))
    await kube.delete(kinds.NOTEBOOKS, "nb", namespace="ns")

    async def all_gone() -> bool:
        left: list[Any] = [
            await get(kube, kinds.STATEFULSETS, "nb"),
            await get(kube, kinds.SERVICES, "nb"),
            await get(kube, kinds.VIRTUALSERVICES, "notebook-ns-nb"),
            await get(kube, kinds.PODS, "nb-0"),
        ]
        return not any(left)

    await until(all_gone)
    assert await get(kube, kinds.PERSISTENTVOLUMECLAIMS, "nb-workspace") is not None


async def test_a_child_edited_by_hand_is_put_back(
    kube: clients.Client, mgr: manager.Manager
) -> None:
    await kube.create(kinds.NOTEBOOKS, notebook())
    await children_of(kube)
    await kube.patch(
        kinds.SERVICES,
        "nb",
        {"spec": {"ports": [{"name": "http-nb", "port": 80, "targetPort": 9999}]}},
        namespace="ns",
    )

    async def healed() -> bool:
        svc = await get(kube, kinds.SERVICES, "nb")
        return bool(svc and svc["spec"]["ports"][0]["targetPort"] == 8888)

    await until(healed)


@pytest.mark.parametrize("ready", [pytest.param(False, id="not-ready")])
async def test_a_server_that_is_not_ready_shows_it(
    kube: clients.Client, mgr: manager.Manager, ready: bool
) -> None:
    await kube.create(kinds.NOTEBOOKS, notebook())
    await children_of(kube)
    await run_server(kube, ready=ready)

    async def mirrored() -> Object | None:
        nb = await get(kube, kinds.NOTEBOOKS, "nb")
        conditions = ((nb or {}).get("status") or {}).get("conditions") or []
        return nb if any(c["type"] == "Ready" for c in conditions) else None

    nb = await until(mirrored)
    ready_cond = next(c for c in nb["status"]["conditions"] if c["type"] == "Ready")
    assert ready_cond["status"] == "False"
    assert nb["status"]["readyReplicas"] == 0
