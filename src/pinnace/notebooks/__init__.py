"""Kubeflow's Notebook servers: the Notebook controller and its event re-issuer.

`pinnace.cli.platform` calls `setup(manager)` with the one controller
manager; it adds the `notebook` controller (`reconciling`: a
`kubeflow.org/v1` Notebook → StatefulSet, Service, VirtualService on the
gateway, status) and the `notebook-events` controller (`reissuing`: pod and
StatefulSet Events re-posted on the Notebook). The server itself is what the
image table of `pinnace.runtime.images` starts for the image: JupyterLab for
Kubeflow's notebook images. See docs/design/notebooks.md.
"""

from __future__ import annotations

from pinnace.api import kinds
from pinnace.controllers import manager
from pinnace.notebooks import reconciling, reissuing

COMPONENT = "notebook-controller"


def setup(mgr: manager.Manager) -> None:
    """Add the Notebook controllers to `mgr` (before or after it starts)."""
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
