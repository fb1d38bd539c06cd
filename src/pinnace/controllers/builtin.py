"""The built-in controllers of one machine, wired into a `Manager`.

`setup(manager)` adds the scheduler, Deployment, StatefulSet, Endpoints,
Namespace and garbage-collector controllers, sharing one informer per kind;
`pinnace.cli` calls it, then each domain package's `setup(manager)`, then
starts the manager once. Each `setup_*` wires one controller, so tests can
run any of them alone; `start(client)` builds and starts all of them.
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
    return mgr.controller(
        "scheduler",
        rec,
        primary=pods,
        watches=[(mgr.informer(kinds.NODES), rec.pending_pods)],
        workers=workers,
        component=scheduling.SCHEDULER_NAME,
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
    return mgr.controller("deployment", rec, primary=deploys, owns=[pods], workers=workers)


def setup_statefulsets(mgr: manager.Manager, *, workers: int = 2) -> running.Controller:
    sets, pods = mgr.informer(kinds.STATEFULSETS), mgr.informer(kinds.PODS)
    rec = statefulsets.StatefulSetController(
        mgr.client,
        statefulsets=sets,
        pods=pods,
        recorder=mgr.recorder("statefulset-controller"),
        clock=mgr.clock,
    )
    return mgr.controller("statefulset", rec, primary=sets, owns=[pods], workers=workers)


def setup_endpoints(mgr: manager.Manager, *, workers: int = 2) -> running.Controller:
    services, pods = mgr.informer(kinds.SERVICES), mgr.informer(kinds.PODS)
    eps = mgr.informer(kinds.ENDPOINTS)
    rec = endpoints.EndpointsController(mgr.client, services=services, pods=pods, endpoints=eps)
    return mgr.controller(
        "endpoints",
        rec,
        primary=services,
        watches=[(pods, rec.services_for), (eps, running.self_mapper)],
        workers=workers,
    )


def setup_namespaces(mgr: manager.Manager, *, workers: int = 2) -> running.Controller:
    nss, accounts = mgr.informer(kinds.NAMESPACES), mgr.informer(kinds.SERVICEACCOUNTS)
    rec = namespaces.NamespaceController(
        mgr.client,
        namespaces=nss,
        service_accounts=accounts,
        recorder=mgr.recorder("namespace-controller"),
    )
    return mgr.controller(
        "namespace",
        rec,
        primary=nss,
        watches=[(accounts, rec.namespace_of_account)],
        workers=workers,
    )


def setup_garbage_collector(mgr: manager.Manager) -> garbage.GarbageCollector:
    return mgr.add(
        garbage.GarbageCollector(
            mgr.client,
            informer_for=mgr.informer,
            release=mgr.release,
            clock=mgr.clock,
            meter=mgr.metrics.controller("garbage-collector"),
        )
    )


ALL = (
    setup_scheduler,
    setup_deployments,
    setup_statefulsets,
    setup_endpoints,
    setup_namespaces,
    setup_garbage_collector,
)


def setup(mgr: manager.Manager) -> None:
    """Add every built-in controller to `mgr` (the CLI's first setup function)."""
    for one in ALL:
        one(mgr)


def build(
    client: clients.KubeApi, *, clock: clocks.Clock = clocks.SYSTEM, host: str = ""
) -> manager.Manager:
    """A manager with every built-in controller, not started yet."""
    mgr = manager.Manager(client, clock=clock, host=host)
    setup(mgr)
    return mgr


async def start(
    client: clients.KubeApi, *, clock: clocks.Clock = clocks.SYSTEM, host: str = ""
) -> manager.Manager:
    """Build and start every built-in controller; returns once all caches are synced."""
    mgr = build(client, clock=clock, host=host)
    await mgr.start()
    return mgr
