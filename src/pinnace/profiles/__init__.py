"""Profiles: Kubeflow's multi-user namespaces (`kubeflow.org/v1` Profile).

A Profile (cluster-scoped) stands for one namespace of the same name, owned by
`spec.owner`. `controller` makes the namespace and what upstream's profile
controller puts in it; `roles` installs the `kubeflow-admin|edit|view`
ClusterRoles (aggregated, as in kubeflow/manifests); `contributors` names and
builds the RoleBindings KFAM makes for a user shared into a namespace
(`pinnace profile add-contributor`). `setup(manager)` joins the controller
manager (`pinnace.cli.platform.SETUPS`).
"""

from __future__ import annotations

from pinnace.api import kinds
from pinnace.controllers import manager
from pinnace.profiles import controller, roles


def setup(mgr: manager.Manager) -> None:
    """Install the Kubeflow ClusterRoles at start, and register the Profile controller."""
    mgr.add(roles.Installer(mgr.client))
    profiles = mgr.informer(kinds.PROFILES)
    owned = [
        mgr.informer(kinds.NAMESPACES),
        mgr.informer(kinds.SERVICEACCOUNTS),
        mgr.informer(kinds.ROLEBINDINGS),
        mgr.informer(kinds.RESOURCEQUOTAS),
    ]
    namespaces, serviceaccounts, rolebindings, quotas = owned
    reconciler = controller.ProfileController(
        mgr.client,
        profiles=profiles,
        namespaces=namespaces,
        serviceaccounts=serviceaccounts,
        rolebindings=rolebindings,
        quotas=quotas,
        clock=mgr.clock,
    )
    mgr.controller("profile", reconciler, primary=profiles, owns=owned)
