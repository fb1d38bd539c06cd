"""Kubeflow's Notebook servers: the Notebook controller, its event re-issuer and the culler.

`pinnace.cli.platform` calls `setup(manager)` with the one controller
manager; it adds the `notebook` controller (`reconciling`: a
`kubeflow.org/v1` Notebook → StatefulSet, Service, VirtualService on the
gateway, status), the `notebook-events` controller (`reissuing`: pod and
StatefulSet Events re-posted on the Notebook) and, when `ENABLE_CULLING` is
set, the `notebook-culler` (`culling`: idle Jupyter servers are stopped).
The server itself is what the image table of `pinnace.runtime.images`
starts for the image: JupyterLab for Kubeflow's notebook images. See
docs/design/notebooks.md.
"""

from __future__ import annotations

import os

from pinnace.api import kinds
from pinnace.controllers import manager
from pinnace.notebooks import culling, reconciling, reissuing

COMPONENT = "notebook-controller"


def setup(mgr: manager.Manager) -> None:
    """Add the Notebook controllers to `mgr`; culling too when `ENABLE_CULLING` says so."""
    setup_controllers(mgr)
    settings = culling.Settings.from_env(os.environ)
    if settings.enabled:
        setup_culling(mgr, settings)


def setup_culling(
    mgr: manager.Manager, settings: culling.Settings, *, fetch: culling.Fetch = culling.fetch_json
) -> None:
    """Add the idle culler (`culling`) with these settings."""
    notebooks = mgr.informer(kinds.NOTEBOOKS)
    culler = culling.Culler(
        mgr.client,
        notebooks=notebooks,
        pods=mgr.informer(kinds.PODS),
        recorder=mgr.recorder(COMPONENT),
        settings=settings,
        fetch=fetch,
        clock=mgr.clock,
    )
    mgr.controller("notebook-culler", culler, primary=notebooks, component=COMPONENT)


def setup_controllers(mgr: manager.Manager) -> None:
    """The Notebook controller and the event re-issuer (before or after `mgr` starts)."""
    notebooks = mgr.informer(kinds.NOTEBOOKS)
    statefulsets = mgr.informer(kinds.STATEFULSETS)
    services = mgr.informer(kinds.SERVICES)
    virtualservices = mgr.informer(kinds.VIRTUALSERVICES)
    pods = mgr.informer(kinds.PODS)
    events = mgr.informer(kinds.EVENTS)
    controller = reconciling.NotebookController(
        mgr.client,
        notebooks=notebooks,
        statefulsets=statefulsets,
        services=services,
        virtualservices=virtualservices,
        pods=pods,
        clock=mgr.clock,
    )
    mgr.controller(
        "notebook",
        controller,
        primary=notebooks,
        owns=[statefulsets, services, virtualservices],
        watches=[(pods, reconciling.pod_to_notebook)],
        component=COMPONENT,
    )
    reissuer = reissuing.EventReissuer(
        events=events,
        notebooks=notebooks,
        pods=pods,
        statefulsets=statefulsets,
        recorder=mgr.recorder(COMPONENT),
        clock=mgr.clock,
    )
    mgr.controller("notebook-events", reissuer, primary=events, component=COMPONENT)
