"""The built-in controllers of one machine, wired into a `Manager`: the CLI's single entry.

`start(client)` builds a manager with the scheduler, Deployment, StatefulSet,
Endpoints, Namespace and garbage-collector controllers sharing one informer per
kind, starts them, and returns the manager (`await manager.stop()` to stop).
Each `setup_*` wires one controller into a given manager, so tests and
`pinnace.cli` can run any of them alone; domain packages add their own
controllers to the same manager the same way.
"""

from __future__ import annotations

from pinnace.api import kinds
from pinnace.controllers import (
    deployments,
    endpoints,
    garbage,
    manager,
    namespaces,
    running,
    scheduling,
    statefulsets,
)
from pinnace.kits import clocks
from pinnace.kits.kube import clients


def setup_scheduler(mgr: manager.Manager, *, workers: int = 2) -> running.Controller:
    pods = mgr.informer(kinds.PODS)
    rec = scheduling.Scheduler(
        mgr.client,
        pods=pods,
        nodes=mgr.informer(kinds.NODES),
        recorder=mgr.recorder("default-scheduler"),
        clock=mgr.clock,
    )
    return mgr.add(
        running.Controller(
            "scheduler",
            rec,
            primary=pods,
            watches=[(mgr.informer(kinds.NODES), rec.pending_pods)],
            workers=workers,
            clock=mgr.clock,
        )
    )


def setup_deployments(mgr: manager.Manager, *, workers: int = 2) -> running.Controller:
    deploys, pods = mgr.informer(kinds.DEPLOYMENTS), mgr.informer(kinds.PODS)
    rec = deployments.DeploymentController(
        mgr.client,
        deployments=deploys,
        pods=pods,
        recorder=mgr.recorder("deployment-controller"),
        clock=mgr.clock,
    )
    return mgr.add(
        running.Controller(
            "deployment", rec, primary=deploys, owns=[pods], workers=workers, clock=mgr.clock
        )
    )


def setup_statefulsets(mgr: manager.Manager, *, workers: int = 2) -> running.Controller:
    sets, pods = mgr.informer(kinds.STATEFULSETS), mgr.informer(kinds.PODS)
    rec = statefulsets.StatefulSetController(
        mgr.client,
        statefulsets=sets,
        pods=pods,
        recorder=mgr.recorder("statefulset-controller"),
        clock=mgr.clock,
    )
    return mgr.add(
        running.Controller(
            "statefulset", rec, primary=sets, owns=[pods], workers=workers, clock=mgr.clock
        )
    )


def setup_endpoints(mgr: manager.Manager, *, workers: int = 2) -> running.Controller:
    services, pods = mgr.informer(kinds.SERVICES), mgr.informer(kinds.PODS)
    eps = mgr.informer(kinds.ENDPOINTS)
    rec = endpoints.EndpointsController(mgr.client, services=services, pods=pods, endpoints=eps)
    return mgr.add(
        running.Controller(
            "endpoints",
            rec,
            primary=services,
            watches=[(pods, rec.services_for), (eps, running.self_mapper)],
            workers=workers,
            clock=mgr.clock,
        )
    )


def setup_namespaces(mgr: manager.Manager, *, workers: int = 2) -> running.Controller:
    nss, accounts = mgr.informer(kinds.NAMESPACES), mgr.informer(kinds.SERVICEACCOUNTS)
    rec = namespaces.NamespaceController(
        mgr.client,
        namespaces=nss,
        service_accounts=accounts,
        recorder=mgr.recorder("namespace-controller"),
    )
    return mgr.add(
        running.Controller(
            "namespace",
            rec,
            primary=nss,
            watches=[(accounts, rec.namespace_of_account)],
            workers=workers,
            clock=mgr.clock,
        )
    )


def setup_garbage_collector(mgr: manager.Manager) -> garbage.GarbageCollector:
    return mgr.add(garbage.GarbageCollector(mgr.client, informer_for=mgr.informer, clock=mgr.clock))


ALL = (
    setup_scheduler,
    setup_deployments,
    setup_statefulsets,
    setup_endpoints,
    setup_namespaces,
    setup_garbage_collector,
)


def build(
    client: clients.KubeApi, *, clock: clocks.Clock = clocks.SYSTEM, host: str = ""
) -> manager.Manager:
    """A manager with every built-in controller, not started yet."""
    mgr = manager.Manager(client, clock=clock, host=host)
    for setup in ALL:
        setup(mgr)
    return mgr


async def start(
    client: clients.KubeApi, *, clock: clocks.Clock = clocks.SYSTEM, host: str = ""
) -> manager.Manager:
    """Build and start every built-in controller; returns once all caches are synced."""
    mgr = build(client, clock=clock, host=host)
    await mgr.start()
    return mgr
