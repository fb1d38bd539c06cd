"""KServe's role on one machine: the InferenceService controller and its ServingRuntimes,
and the model server its pods run, with its model formats.

`setup(manager)` (from `pinnace.cli.platform`) adds the `inferenceservice` controller
(`reconciling`: InferenceService → revisions, traffic, routes, status) and the
installer of the built-in ClusterServingRuntimes (`catalog`). A predictor pod runs
`python -m pinnace.serving.server` (`server`, `app`, `formats`...).

Importing this package imports nothing heavy: `setup` imports the controller when the
platform calls it, so a model-server process, which imports this package too, loads
neither the controller kit nor numpy and the frameworks until it needs them (numpy in
the server, each framework only when its format loads: `pinnace.serving.formats`). The
design: docs/design/serving.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pinnace.controllers import manager

COMPONENT = "inferenceservice-controller"


def setup(mgr: manager.Manager, *, data_dir: Path | None = None) -> None:
    """Add the InferenceService controller and the built-in runtimes' installer to `mgr`."""
    # imported here, not at the top: model-server processes import this package too
    from pinnace.api import kinds
    from pinnace.serving import catalog, reconciling

    isvcs = mgr.informer(kinds.INFERENCESERVICES)
    servingruntimes = mgr.informer(kinds.SERVINGRUNTIMES)
    clusterservingruntimes = mgr.informer(kinds.CLUSTERSERVINGRUNTIMES)
    deployments = mgr.informer(kinds.DEPLOYMENTS)
    services = mgr.informer(kinds.SERVICES)
    virtualservices = mgr.informer(kinds.VIRTUALSERVICES)
    pods = mgr.informer(kinds.PODS)
    serviceaccounts = mgr.informer(kinds.SERVICEACCOUNTS)
    secrets = mgr.informer(kinds.SECRETS)
    root = data_dir if data_dir is not None else Path("~/.pinnace").expanduser()
    controller = reconciling.InferenceServiceController(
        mgr.client,
        isvcs=isvcs,
        servingruntimes=servingruntimes,
        clusterservingruntimes=clusterservingruntimes,
        deployments=deployments,
        services=services,
        virtualservices=virtualservices,
        pods=pods,
        serviceaccounts=serviceaccounts,
        secrets=secrets,
        settings=reconciling.Settings.for_data_dir(root),
        clock=mgr.clock,
    )
    mapper = reconciling.runtimes_to_isvcs(isvcs)
    mgr.controller(
        "inferenceservice",
        controller,
        primary=isvcs,
        owns=[deployments, services, virtualservices],
        watches=[
            (pods, reconciling.pod_to_isvc),
            (servingruntimes, mapper),
            (clusterservingruntimes, mapper),
            (serviceaccounts, mapper),  # the storage-initializer's S3 credentials
            (secrets, mapper),
        ],
        component=COMPONENT,
    )
    mgr.add(catalog.Installer(mgr.client))
